#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the container
# pfs oci-hook and pfs oci-runtime with Debian's crun, runc, podman and
# containerd, on a root filesystem made of busybox-static (no registry).
# Every runtime call runs under helpers/reaper, which fails when a process
# (the supervisor, the daemon, conmon) outlives it by more than a few seconds.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

for tool in crun runc podman containerd ctr busybox python3; do
	command -v "$tool" >/dev/null && continue
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL $(basename "$0"): $tool is missing (scripts/install-deps.sh test)" >>"$PFS_RESULTS"
		exit 1
	fi
	echo "SKIP $(basename "$0"): $tool is missing" >>"$PFS_RESULTS"
	exit 0
done

workdir W oci
STATE=$W/state
REAPER="$HELPERS/reaper 5000"

# --- the root filesystem, policies and the hook's configuration --------------
mkdir -p "$W"/rootfs/{bin,proc,dev,sys,tmp,etc}
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
for a in sh ps cat ls sleep grep wc tr head tail sed cut sort; do
	ln -s busybox "$W/rootfs/bin/$a"
done
# What a process inside sees, one fact per line.
cat >"$W/rootfs/probe" <<'EOF'
#!/bin/sh
echo "fstype=$(grep ' /proc ' /proc/self/mountinfo | tail -n 1 | sed 's/.* - //' | cut -d' ' -f1)"
echo "npids=$(ls /proc | grep -c '^[0-9][0-9]*$')"
echo "owner=$(ls -lnd /proc/1 | tr -s ' ' | cut -d' ' -f3)"
echo "secret=$(tr '\0' '\n' </proc/1/environ | grep '^SECRET_TOKEN=')"
echo "timer_list=$(wc -c </proc/timer_list)"
if [ -e /proc/kcore ]; then echo "kcore=$(wc -c </proc/kcore)"; else echo "kcore=absent"; fi
echo "cmdline=$(wc -c </proc/cmdline)"
echo "version=$(head -n 1 /proc/version)"
EOF
chmod 755 "$W/rootfs/probe"
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .

mkdir -p "$W/policies/tenants"
echo "include \"$FILTERS/default.policy\"" >"$W/policies/default.policy"
printf 'include "../default.policy"\nreplace /proc/version "judge-version\\n"\n' \
	>"$W/policies/tenants/judge.policy"
echo "frobnicate /proc/version" >"$W/policies/tenants/bad.policy"
cat >"$W/hook.conf" <<EOF
# test configuration of pfs oci-hook
policy-dir = $W/policies
daemon = $DAEMON
state-dir = $STATE
EOF

# crun 1.8 refuses a hybrid cgroup hierarchy whose v2 half holds a controller
# (this machine: hugetlb). It is hidden from crun only, in a private mount
# namespace, rather than changed on the host.
printf '#!/bin/sh\nexec crun "$@"\n' >"$W/crun"
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	: >"$W/empty"
	cat >"$W/crun" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind $W/empty /sys/fs/cgroup/unified/cgroup.controllers && exec crun "\$@"' crun "\$@"
EOF
fi
printf '#!/bin/sh\nexec %s oci-runtime --pfs-config %s --pfs-runtime %s "$@"\n' \
	"$PFS" "$W/hook.conf" "$W/crun" >"$W/pfs-crun"
chmod 755 "$W/crun" "$W/pfs-crun"

# bundle DIR JSON-ARGS [ANNOTATION...]: an OCI bundle running JSON-ARGS with
# the hook, SECRET_TOKEN in its environment and /proc/cmdline also masked.
bundle() {
	local dir=$1 args=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && crun spec) || return 1
	python3 - "$dir/config.json" "$args" "$PFS" "$W/hook.conf" "$W/rootfs" "$@" <<'EOF'
import json, sys
path, args, pfs, conf, rootfs, anns = sys.argv[1:6] + [sys.argv[6:]]
c = json.load(open(path))
c["root"]["path"] = rootfs
c["process"]["terminal"] = False
c["process"]["args"] = json.loads(args)
c["process"]["env"] += ["SECRET_TOKEN=hunter2"]
c["linux"]["maskedPaths"] += ["/proc/cmdline"]
# crun sends a hook's stderr to /dev/null unless told otherwise
c["annotations"] = dict([("run.oci.hooks.stderr", "/dev/stderr")] + [a.split("=", 1) for a in anns])
hook = lambda stage: [{"path": pfs, "args": ["pfs", "oci-hook", "--config", conf, stage]}]
c["hooks"] = {"createRuntime": hook("createRuntime"), "poststop": hook("poststop")}
json.dump(c, open(path, "w"), indent=1)
EOF
}

# Facts of the host, to compare with.
HOST_TIMER_LIST=$(wc -c </proc/timer_list)
HOST_CMDLINE=$(wc -c </proc/cmdline)

# check_probe OUTPUT [VERSION]: the filtered /proc, as the probe printed it.
check_probe() {
	local out=$1 version=${2:-}
	fact() { sed -n "s/^$1=//p" <<<"$out"; }
	assert_eq "/proc file system" fuse.procfilterfs "$(fact fstype)" || return 1
	[ "$(fact npids)" -ge 1 ] && [ "$(fact npids)" -le 6 ] ||
		fail "the container sees $(fact npids) processes: $out" || return 1
	assert_eq "owner of /proc/1 (the container's root)" 0 "$(fact owner)" || return 1
	assert_eq "pid 1's secret, read by another process" "SECRET_TOKEN=[redacted]" \
		"$(fact secret)" || return 1
	[ "$HOST_TIMER_LIST" -gt 0 ] || fail "the host's timer_list is empty: nothing to test" ||
		return 1
	assert_eq "masked /proc/timer_list" 0 "$(fact timer_list)" || return 1
	if [ -e /proc/kcore ]; then
		assert_eq "masked /proc/kcore" 0 "$(fact kcore)" || return 1
	else
		assert_eq "/proc/kcore, absent on this kernel" absent "$(fact kcore)" || return 1
	fi
	if [ -n "$version" ]; then
		assert_eq "the tenant's /proc/version" "$version" "$(fact version)" || return 1
	fi
}

# check_probe_masked_cmdline OUTPUT: the bundle's extra maskedPaths entry.
check_cmdline_masked() {
	[ "$HOST_CMDLINE" -gt 0 ] || fail "the host's cmdline is empty" || return 1
	assert_eq "maskedPaths /proc/cmdline" 0 "$(sed -n 's/^cmdline=//p' <<<"$1")"
}

# no_leftovers ID: nothing of the container's procfilterfs remains on the host.
no_leftovers() {
	local id=$1 l
	[ ! -e "$STATE/$id" ] || fail "state directory $STATE/$id remains" || return 1
	if pgrep -f "$STATE/" >/dev/null; then
		fail "processes remain: $(pgrep -af "$STATE/")" || return 1
	fi
	if grep -F "fuse.procfilterfs" /proc/self/mountinfo | grep -qF "$W"; then
		fail "a procfilterfs mount remains: $(grep -F "$W" /proc/self/mountinfo)" || return 1
	fi
	l=$(find /proc/[0-9]*/fd -lname "$STATE/*" 2>/dev/null)
	[ -z "$l" ] || fail "fds remain open on the state directory: $l" || return 1
}

case_crun_run() {
	local out
	bundle "$W/b-crun" '["/probe"]' || return 1
	out=$(cd "$W/b-crun" && $REAPER "$W/crun" run pfs-oci-crun 2>&1) || {
		log "crun run: $out"
		return 1
	}
	check_probe "$out" || return 1
	check_cmdline_masked "$out" || return 1
	no_leftovers pfs-oci-crun
}

# runc refuses a non-procfs /proc in its own init: the hook mounts at the
# workload's exec instead (oci_gate.c), over runc's masks.
case_runc_run() {
	local out
	bundle "$W/b-runc" '["/probe"]' || return 1
	out=$(cd "$W/b-runc" && $REAPER runc run pfs-oci-runc 2>&1) || {
		log "runc run: $out"
		return 1
	}
	check_probe "$out" || return 1
	check_cmdline_masked "$out" || return 1
	no_leftovers pfs-oci-runc
}

case_annotation_tenant() {
	local out
	bundle "$W/b-tenant" '["/probe"]' io.procfilterfs.tenant=judge || return 1
	out=$(cd "$W/b-tenant" && $REAPER "$W/crun" run pfs-oci-tenant 2>&1) || {
		log "crun run: $out"
		return 1
	}
	check_probe "$out" judge-version || return 1
	no_leftovers pfs-oci-tenant
}

case_bad_policy() {
	local out rc
	bundle "$W/b-bad" '["/probe"]' io.procfilterfs.tenant=bad || return 1
	out=$(cd "$W/b-bad" && $REAPER "$W/crun" run pfs-oci-bad 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "the container started with a bad policy: $out" || return 1
	grep -q "pfs oci-hook: container pfs-oci-bad: annotation io.procfilterfs.tenant: policy '.*bad.policy': .*bad.policy:1:1: " <<<"$out" ||
		fail "no clear message: $out" || return 1
	grep -q "fstype=" <<<"$out" && fail "the workload ran: $out" && return 1
	"$W/crun" delete -f pfs-oci-bad >/dev/null 2>&1
	no_leftovers pfs-oci-bad
}

case_podman_shim_exec() {
	local P out id
	P=(podman --root "$W/podman" --runroot "$W/podman-run" --cgroup-manager=cgroupfs
		--events-backend=file --runtime "$W/pfs-crun")
	"${P[@]}" import "$W/rootfs.tar" localhost/pfs-oci:test >/dev/null || return 1
	add_cleanup "podman --root '$W/podman' --runroot '$W/podman-run' rm -af -t 0; podman --root '$W/podman' --runroot '$W/podman-run' system reset -f"
	# podman's default rlimits exceed this machine's hard limits
	out=$($REAPER sh -c '
		"$@" run -d --name pfs-oci-podman --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=1024:1024 --env SECRET_TOKEN=hunter2 localhost/pfs-oci:test \
			sleep 60 >/dev/null || exit 1
		id=$("$@" inspect -f "{{.Id}}" pfs-oci-podman) || exit 1
		echo "id=$id"
		grep -x "empty /proc/timer_list" '"$STATE"'/$id/policy || exit 1
		"$@" exec pfs-oci-podman /probe || exit 1
		"$@" rm -f -t 0 pfs-oci-podman >/dev/null' sh "${P[@]}" 2>&1) || {
		log "podman: $out"
		return 1
	}
	check_probe "$out" || return 1
	id=$(sed -n 's/^id=//p' <<<"$out")
	no_leftovers "$id"
}

# hooks_dir DIR PFS CONFIG: the OCI hook files of pfs oci-hook in DIR.
hooks_dir() {
	local st
	mkdir -p "$1" || return 1
	for st in createRuntime poststop; do
		cat >"$1/pfs-$st.json" <<EOF
{"version": "1.0.0",
 "hook": {"path": "$2", "args": ["pfs", "oci-hook", "--config", "$3", "$st"]},
 "when": {"always": true}, "stages": ["$st"]}
EOF
	done
}

# podman and CRI-O read OCI hook files from a hooks directory; with runc
# (podman exec needs crun: runc refuses a FUSE /proc in `runc exec`).
case_podman_hooks_dir() {
	local P out
	hooks_dir "$W/hooks.d" "$PFS" "$W/hook.conf"
	P=(podman --root "$W/podman" --runroot "$W/podman-run" --cgroup-manager=cgroupfs
		--events-backend=file --hooks-dir "$W/hooks.d" --runtime "$(command -v runc)")
	"${P[@]}" image exists localhost/pfs-oci:test ||
		"${P[@]}" import "$W/rootfs.tar" localhost/pfs-oci:test >/dev/null || return 1
	add_cleanup "podman --root '$W/podman' --runroot '$W/podman-run' system reset -f"
	out=$($REAPER "${P[@]}" run --rm --name pfs-oci-hooksdir --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --env SECRET_TOKEN=hunter2 \
		--annotation io.procfilterfs.tenant=judge localhost/pfs-oci:test /probe 2>&1) || {
		log "podman: $out"
		return 1
	}
	check_probe "$out" judge-version || return 1
	[ -z "$(ls -A "$STATE")" ] || fail "state left: $(ls -A "$STATE")"
}

case_containerd_ctr() {
	local out
	mkdir -p "$W/cd"
	cat >"$W/cd/config.toml" <<EOF
version = 2
root = "$W/cd/root"
state = "$W/cd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/cd/sock"
[ttrpc]
  address = "$W/cd/sock.ttrpc"
EOF
	containerd --config "$W/cd/config.toml" >"$W/cd/log" 2>&1 &
	local cd_pid=$!
	add_cleanup "kill $cd_pid; wait $cd_pid"
	local i
	for i in $(seq 1 50); do
		ctr --address "$W/cd/sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	out=$($REAPER ctr --address "$W/cd/sock" run --rm --rootfs --runc-binary "$W/pfs-crun" \
		--env PATH=/bin --env SECRET_TOKEN=hunter2 \
		--annotation io.procfilterfs.tenant=judge "$W/rootfs" pfs-oci-ctr /probe 2>&1) || {
		log "ctr run: $out"
		tail -n 5 "$W/cd/log" >&2
		return 1
	}
	check_probe "$out" judge-version || return 1
	no_leftovers pfs-oci-ctr
}

# Rootless podman: podman, conmon, crun, the hook and the daemon all run as
# an unprivileged user in podman's user namespace; nothing runs as root.
case_podman_rootless() {
	local U R out
	test_user U "pfsoci$$" || return 1
	# what the user reads: a copy outside the checkout (CI clones under 0700)
	workdir R oci-rootless || return 1
	mkdir -p "$R/filters" "$R/policies" "$R/state" "$R/xdg" "$R/st" "$R/run" "$R/home" || return 1
	cp "$PFS" "$DAEMON" "$W/rootfs.tar" "$R/" && cp "$FILTERS"/*.policy "$R/filters/" || return 1
	echo "include \"$R/filters/default.policy\"" >"$R/policies/default.policy"
	printf 'policy-dir = %s\ndaemon = %s\nstate-dir = %s\n' "$R/policies" \
		"$R/procfilterfs" "$R/state" >"$R/hook.conf"
	hooks_dir "$R/hooks.d" "$R/pfs" "$R/hook.conf" || return 1
	chmod -R a+rX "$R" && chown "$U" "$R/state" "$R/xdg" "$R/st" "$R/run" "$R/home" && chmod 700 "$R/xdg" ||
		return 1
	out=$(cd / && $REAPER runuser -u "$U" -- env HOME="$R/home" XDG_RUNTIME_DIR="$R/xdg" sh -c '
		P="podman --root $1/st --runroot $1/run --storage-driver vfs --cgroup-manager=cgroupfs"
		P="$P --events-backend=file --hooks-dir $1/hooks.d --runtime $2"
		$P import "$1/rootfs.tar" localhost/pfs-oci:rootless >/dev/null || exit 1
		$P run --rm --network none --env SECRET_TOKEN=hunter2 localhost/pfs-oci:rootless /probe ||
			exit 1
		$P run -d --name pfs-oci-rl --network none --env SECRET_TOKEN=hunter2 \
			localhost/pfs-oci:rootless sleep 60 >/dev/null || exit 1
		echo "--- exec"
		$P exec pfs-oci-rl /probe || exit 1
		$P rm -f -t 0 pfs-oci-rl >/dev/null
		$P system reset -f >/dev/null 2>&1 || echo "podman system reset: $?"
		pgrep -a -u "$(id -u)" | grep -v pgrep
		exit 0' sh "$R" "$W/crun" 2>&1) || {
		log "rootless podman: $out"
		return 1
	}
	check_probe "$(sed '/^--- exec$/,$d' <<<"$out")" || return 1
	check_probe "$(sed '1,/^--- exec$/d' <<<"$out")" || return 1
	[ -z "$(ls -A "$R/state")" ] || fail "state left: $(ls -A "$R/state")" || return 1
	if pgrep -u "$U" >/dev/null; then
		fail "processes of $U remain: $(pgrep -a -u "$U")" || return 1
	fi
}

run_case "crun run: /proc is procfilterfs, filtered, masked, nothing left" case_crun_run
run_case "runc run: the same, mounted at the workload's exec" case_runc_run
run_case "annotation io.procfilterfs.tenant selects the tenant's policy" case_annotation_tenant
run_case "a bad policy fails the start with its message" case_bad_policy
run_case "podman --runtime pfs oci-runtime, podman exec" case_podman_shim_exec
run_case "podman --hooks-dir with runc, annotation" case_podman_hooks_dir
run_case "rootless podman --hooks-dir with crun, podman exec" case_podman_rootless
run_case "containerd: ctr run --runc-binary pfs oci-runtime" case_containerd_ctr
