#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# pfs run: bad situations get distinct exit codes and a message naming the
# cause and the fix; no FUSE, --fallback kernel, and the daemon dying.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

# every temporary file lives under T: cases run in subshells, whose
# add_cleanup calls never reach the script's EXIT trap
workdir T run-test

POLICY=$(mktemp -p "$T" pfs-run-policy.XXXXXX)
echo "# empty test policy: everything passes" >"$POLICY"
chmod 644 "$POLICY"
add_cleanup "rm -f '$POLICY'"

# expect_fail CODE REGEX PFS-RUN-ARGS...: pfs run exits CODE, stderr matches REGEX.
expect_fail() {
	local code=$1 re=$2 err rc
	shift 2
	err=$(timeout 30 "$PFS" run "$@" 2>&1 >/dev/null)
	rc=$?
	assert_eq "exit code of pfs run $*" "$code" "$rc" || {
		log "stderr: $err"
		return 1
	}
	grep -qE -- "$re" <<<"$err" || fail "pfs run $*: message [$err] does not match [$re]"
}

case_usage() {
	expect_fail 125 "unknown option.*--help" --bogus -- true || return 1
	expect_fail 125 "no command given" --policy "$POLICY" || return 1
	expect_fail 125 "--proc 'x': use --proc ro" --proc x -- true || return 1
	expect_fail 125 "--bind 'nocolon': expected SRC:DST" --bind nocolon -- true || return 1
	expect_fail 125 "/proc, /dev and /dev/pts are managed" --tmpfs /proc -- true || return 1
	expect_fail 125 "--cap-add 'NOPE': unknown capability" --cap-add NOPE -- true || return 1
	expect_fail 125 "--uid-map-base 0 would map the sandbox's root to the host's root" \
		--uid-map-base 0 -- true || return 1
	expect_fail 125 "--policy and --tenant both given" --policy "$POLICY" --tenant a -- true
}

case_help() {
	local help opt
	help=$("$PFS" run --help) || return 1
	for opt in --policy --tenant --policy-dir --proc --fallback --daemon --unsafe-kernel-proc \
		--rootfs --bind --tmpfs --net --uid --gid --uid-map-base --uid-map-count --hostname \
		--cwd --env --clear-env --cap-add --seccomp --limit --result --events --verbose --help; do
		grep -q -- "$opt" <<<"$help" || fail "--help does not document $opt" || return 1
	done
	grep -q "122.*123.*125.*126.*127" <<<"$(tr '\n' ' ' <<<"$help")" || fail "exit codes missing"
}

case_bad_limit() {
	expect_fail 125 "^pfs run: --limit 'cpu=fast'" --policy "$POLICY" --limit cpu=fast -- true
}

case_unknown_tenant() {
	local d
	d=$(mktemp -d -p "$T")
	add_cleanup "rm -rf '$d'"
	mkdir "$d/tenants"
	echo "# tenant a" >"$d/tenants/a.policy"
	expect_fail 125 "unknown tenant 'nobody-here'.*does not exist" --policy-dir "$d" \
		--result "$d/r.json" --tenant nobody-here -- true || return 1
	grep -q '"status": "XX"' "$d/r.json" || fail "result: $(cat "$d/r.json")" || return 1
	grep -q "unknown tenant" "$d/r.json" || fail "result: $(cat "$d/r.json")" || return 1
	expect_fail 125 "--tenant: tenant name '../x' contains '/'" --policy-dir "$d" \
		--tenant ../x -- true || return 1
	assert_eq "known tenant" ok "$("$PFS" run --policy-dir "$d" --tenant a -- echo ok)"
}

case_missing_rootfs_bind() {
	expect_fail 125 "--rootfs /nonexistent-root: not a directory" --policy "$POLICY" \
		--rootfs /nonexistent-root -- true || return 1
	expect_fail 125 "--bind /nonexistent-src:/x: No such file" --policy "$POLICY" \
		--bind /nonexistent-src:/x -- true || return 1
	# a destination under a read-only host directory must exist already
	expect_fail 123 "--bind /etc:/usr/pfs-nonexistent: cannot create mount point /usr/pfs-nonexistent: Read-only" \
		--policy "$POLICY" --bind /etc:/usr/pfs-nonexistent -- true
}

case_rootfs() {
	# a tiny root made of busybox-free pieces: bind the host's /usr into it
	local d
	d=$(mktemp -d -p "$T")
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	mkdir -p "$d/proc" "$d/dev" "$d/tmp" "$d/usr" "$d/etc"
	ln -s usr/bin "$d/bin"
	ln -s usr/lib "$d/lib"
	ln -s usr/lib64 "$d/lib64"
	echo rootfs-marker >"$d/etc/marker"
	chmod -R a+rX "$d"
	local out
	out=$(timeout 30 "$PFS" run --policy "$POLICY" --rootfs "$d" --bind /usr:/usr:ro -- \
		sh -c 'cat /etc/marker; test -e /etc/passwd || echo no-host-etc; touch /etc/x 2>/dev/null || echo ro')
	assert_eq "rootfs" $'rootfs-marker\nno-host-etc\nro' "$out" || return 1
	# mount destinations resolve inside the root: an absolute symlink in the
	# image leads to the image's own /tmp, never to a host path
	ln -s / "$d/esc"
	out=$(timeout 30 "$PFS" run --policy "$POLICY" --rootfs "$d" --bind /usr:/usr:ro \
		--tmpfs /esc/tmp/inside -- sh -c 'grep -c " /tmp/inside " /proc/self/mountinfo')
	assert_eq "tmpfs through a symlink" 1 "$out" || return 1
	[ ! -e /tmp/inside ] || fail "created on the host" || return 1
	rmdir "$d/proc"
	ln -s /etc "$d/proc"
	expect_fail 123 "--rootfs $d has no /proc directory \(a symlink is not taken\); create it" \
		--policy "$POLICY" --rootfs "$d" -- true
}

case_proc_rw_forbidden() {
	local p
	p=$(mktemp -p "$T" pfs-run-norw.XXXXXX)
	add_cleanup "rm -f '$p'"
	echo "proc-rw forbid" >"$p"
	expect_fail 125 "--proc rw: policy .* says .proc-rw forbid" --policy "$p" --proc rw -- true ||
		return 1
	assert_eq "ro is fine" ok "$("$PFS" run --policy "$p" -- echo ok)"
}

case_policy_limits() {
	# the policy's `limit` applies; --limit overrides it key by key
	local p rc
	p=$(mktemp -p "$T" pfs-run-limit.XXXXXX)
	add_cleanup "rm -f '$p'"
	printf 'limit wall=300ms,fds=64\n' >"$p"
	timeout 30 "$PFS" run --policy "$p" -- sleep 3 2>/dev/null
	rc=$?
	assert_eq "policy wall limit" 143 "$rc" || return 1
	assert_eq "--limit overrides wall, keeps fds" 65 \
		"$(timeout 30 "$PFS" run --policy "$p" --limit wall=10s -- sh -c 'sleep 0.5; ulimit -n')"
}

case_bad_policy() {
	local p
	p=$(mktemp -p "$T" pfs-run-bad.XXXXXX)
	add_cleanup "rm -f '$p'"
	echo "this is not a rule" >"$p"
	expect_fail 125 "policy '$p'" --policy "$p" -- true || return 1
	expect_fail 125 "policy '/nonexistent.policy'.*No such file" --policy /nonexistent.policy -- true
}

case_no_fuse() {
	PFS_DEV_FUSE=/nonexistent expect_fail 123 \
		"FUSE is not available \(/nonexistent is missing\).*modprobe fuse.*--fallback kernel" \
		--policy "$POLICY" -- true
}

case_fallback_kernel() {
	local out err
	err=$(mktemp -p "$T")
	add_cleanup "rm -f '$err'"
	out=$(PFS_DEV_FUSE=/nonexistent timeout 30 "$PFS" run --policy "$POLICY" --fallback kernel \
		-- sh -c 'grep " /proc " /proc/self/mounts; test -e /proc/meminfo || echo no-meminfo; cat /proc/self/comm' 2>"$err")
	assert_eq "rc" 0 $? || return 1
	grep -q "^proc /proc proc ro,nosuid,nodev,noexec,relatime,hidepid=invisible,subset=pid" <<<"$out" ||
		fail "mount: $out" || return 1
	grep -q "^no-meminfo$" <<<"$out" || fail "meminfo visible: $out" || return 1
	grep -q "^cat$" <<<"$out" || fail "own pid not visible: $out" || return 1
	grep -q "WARNING: FUSE is not available" "$err" || fail "no warning: $(cat "$err")" || return 1
	grep -q "protections LOST: the policy is not applied" "$err" || fail "no list: $(cat "$err")"
}

case_missing_daemon() {
	expect_fail 123 "procfilterfs not found at /nonexistent/procfilterfs.*--daemon PATH" \
		--policy "$POLICY" --daemon /nonexistent/procfilterfs -- true || return 1
	# a daemon that exits at start-up is reported, not waited for
	expect_fail 123 "procfilterfs exited during start-up" --policy "$POLICY" \
		--daemon /bin/false -- true
}

case_installed_layout() {
	# PREFIX/bin/pfs finds PREFIX/sbin/procfilterfs
	local d out
	d=$(mktemp -d -p "$T")
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	mkdir "$d/bin" "$d/sbin"
	cp "$PFS" "$d/bin/pfs"
	cp "$DAEMON" "$d/sbin/procfilterfs"
	out=$("$d/bin/pfs" run -v --policy "$POLICY" -- true 2>&1)
	grep -q "starting $d/bin/../sbin/procfilterfs" <<<"$out" || fail "output: $out"
}

case_daemon_dies() {
	local d
	d=$(mktemp -d -p "$T")
	chmod 777 "$d"
	add_cleanup "rm -rf '$d'"
	# the workload reads /proc after the daemon is gone (SIGTERM arrives first);
	# no restart (test_takeover.sh has those)
	timeout 30 "$PFS" run --policy "$POLICY" --daemon-restarts 0 --result "$d/r.json" \
		--bind "$d:/out" -- sh -c '
		trap "cat /proc/self/status >/dev/null 2>/out/err; echo rc=\$? >>/out/err; exit 9" TERM
		touch /out/ready
		while :; do sleep 0.1; done' 2>"$d/stderr" &
	local pid=$! dpid=""
	for _ in $(seq 1 100); do
		[ -e "$d/ready" ] && break
		sleep 0.05
	done
	dpid=$(pgrep -P "$pid" -x procfilterfs || pgrep -P "$(pgrep -P "$pid" | head -1)" -x procfilterfs)
	[ -n "$dpid" ] || fail "no daemon found" || return 1
	local t0=$SECONDS
	kill -9 "$dpid"
	wait "$pid"
	local rc=$?
	assert_eq "exit code" 122 "$rc" || {
		cat "$d/stderr" >&2
		return 1
	}
	[ $((SECONDS - t0)) -le 5 ] || fail "took $((SECONDS - t0)) s" || return 1
	grep -q "procfilterfs (the /proc daemon) died (signal 9)" "$d/stderr" ||
		fail "stderr: $(cat "$d/stderr")" || return 1
	grep -q "Transport endpoint is not connected\|rc=1" "$d/err" ||
		fail "the workload saw: $(cat "$d/err" 2>&1)" || return 1
	grep -q '"status": "XX"' "$d/r.json" || fail "result: $(cat "$d/r.json")" || return 1
	[ -z "${PFS_RUN_TEST_DEBUG:-}" ] || fail "debug: workload saw: $(cat "$d/err")"
}

case_userns_disabled() {
	# PFS_SYSCTL_DIR stands in for /proc/sys (a testing knob)
	local d
	d=$(mktemp -d -p "$T")
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	mkdir -p "$d/user" "$d/kernel"
	echo 0 >"$d/user/max_user_namespaces"
	PFS_SYSCTL_DIR=$d expect_fail 123 \
		"user namespaces are disabled \(user.max_user_namespaces = 0\).*sysctl -w user.max_user_namespaces=" \
		--policy "$POLICY" -- true || return 1
	echo 15000 >"$d/user/max_user_namespaces"
	echo 1 >"$d/kernel/apparmor_restrict_unprivileged_userns"
	local err
	err=$(PFS_SYSCTL_DIR=$d setpriv --reuid=65534 --regid=65534 --clear-groups "$PFS" run \
		--policy "$POLICY" -- true 2>&1)
	assert_eq "apparmor exit code" 123 $? || return 1
	grep -q "kernel.apparmor_restrict_unprivileged_userns = 1" <<<"$err" || fail "message: $err"
}

case_dies_with_launcher() {
	# kill -9 of the launcher ends the sandbox (the init's death signal) and the daemon
	local marker=31.25 pid
	"$PFS" run --policy "$POLICY" -- sleep "$marker" &
	pid=$!
	for _ in $(seq 1 100); do
		pgrep -f "^sleep $marker" >/dev/null && break
		sleep 0.05
	done
	local dpid
	dpid=$(pgrep -P "$pid" -x procfilterfs)
	[ -n "$dpid" ] || fail "no daemon" || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 1 60); do
		pgrep -f "^sleep $marker" >/dev/null || kill -0 "$dpid" 2>/dev/null || return 0
		sleep 0.05
	done
	fail "left behind: $(pgrep -af "^sleep $marker") daemon=$(kill -0 "$dpid" 2>&1 && echo alive)"
}

run_case "user namespaces disabled: the sysctl is named" case_userns_disabled
run_case "the sandbox dies with the launcher" case_dies_with_launcher
run_case "usage errors exit 125" case_usage
run_case "--help documents every option and exit code" case_help
run_case "bad --limit" case_bad_limit
run_case "unknown tenant" case_unknown_tenant
run_case "missing rootfs or bind source" case_missing_rootfs_bind
run_case "--rootfs" case_rootfs
run_case "--proc rw with a policy that forbids it" case_proc_rw_forbidden
run_case "policy limits merged with --limit" case_policy_limits
run_case "bad or missing policy" case_bad_policy
run_case "no FUSE: clear error" case_no_fuse
run_case "no FUSE: --fallback kernel works and warns" case_fallback_kernel
run_case "missing or failing daemon" case_missing_daemon
run_case "installed layout: bin/pfs finds sbin/procfilterfs" case_installed_layout
run_case "daemon death ends the sandbox" case_daemon_dies
