#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# pfs run: what the sandbox sets up (root, /dev, ids, env, exit codes, /proc).
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
# PFS_RUN_TEST_ARGS: extra options for every run (e.g. "--fallback kernel" while developing)
prun() {
	# shellcheck disable=SC2086
	timeout 30 "$PFS" run --policy "$POLICY" ${PFS_RUN_TEST_ARGS:-} "$@"
}

case_proc_status() {
	local out
	out=$(prun -- cat /proc/self/status) || return 1
	grep -q $'^Name:\tcat$' <<<"$out" || fail "no Name line: $out" || return 1
	grep -q $'^PPid:\t1$' <<<"$out" || fail "the workload's parent is not pid 1"
}

case_pid1_is_init() {
	local out
	out=$(prun --hostname host-secret-arg -- sh -c 'echo $$; cat /proc/1/comm; tr -d "\0" </proc/1/cmdline') ||
		return 1
	# the init's command line is blanked: no host command line inside
	assert_eq "pids" $'2\npfs-init\npfs-init' "$out"
}

case_exit_codes() {
	prun -- sh -c 'exit 3'
	assert_eq "exit 3" 3 $? || return 1
	prun -- sh -c 'kill -TERM $$'
	assert_eq "kill -TERM self" 143 $? || return 1
	prun -- true
	assert_eq "true" 0 $?
}

case_not_found() {
	local err rc
	err=$(prun -- /no/such/command 2>&1 >/dev/null)
	rc=$?
	assert_eq "exit code" 127 "$rc" || return 1
	grep -q "command not found" <<<"$err" || fail "message: $err" || return 1
	err=$(prun -- /etc/passwd 2>&1 >/dev/null)
	assert_eq "not executable" 126 $?
}

case_hostname() {
	assert_eq "default" pfs-sandbox "$(prun -- hostname)" || return 1
	assert_eq "--hostname" box1 "$(prun --hostname box1 -- hostname)"
}

case_root_readonly() {
	local out
	out=$(prun -- sh -c 'touch /usr/x 2>&1; touch /newfile 2>&1; touch /tmp/ok && echo tmp-ok')
	grep -q "/usr/x.*Read-only" <<<"$out" || fail "/usr writable: $out" || return 1
	grep -q "/newfile.*Read-only" <<<"$out" || fail "/ writable: $out" || return 1
	grep -q "tmp-ok" <<<"$out" || fail "/tmp not writable: $out"
}

case_no_sys_no_host_proc() {
	local out
	out=$(prun -- sh -c 'test -e /sys && echo sys; grep -c -- "- \(proc\|sysfs\) " /proc/self/mountinfo')
	assert_eq "sys absent, no procfs/sysfs mounted" 0 "$out"
}

case_dev() {
	local out
	out=$(prun -- sh -c 'ls /dev | tr "\n" " "; echo x >/dev/null && head -c4 /dev/zero | wc -c')
	assert_eq "/dev" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero 4" \
		"$(tr -s ' ' <<<"$out")"
}

case_bind_tmpfs() {
	local d
	d=$(mktemp -d -p "$T")
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	echo hello >"$d/f"
	chmod 666 "$d/f"
	local out
	out=$(prun --bind "$d:/data" --bind "$d:/rodata:ro" --tmpfs /scratch -- sh -c \
		'cat /data/f; echo w >>/data/f && echo rw-ok; echo w >>/rodata/f 2>/dev/null || echo ro-ok; touch /scratch/x && echo tmpfs-ok')
	assert_eq "binds" $'hello\nrw-ok\nro-ok\ntmpfs-ok' "$out" || return 1
	assert_eq "host sees the write" $'hello\nw' "$(cat "$d/f")"
}

case_env_cwd() {
	local out
	out=$(PFS_HOST_ONLY=1 prun --clear-env --env FOO=bar --cwd /tmp -- sh -c 'pwd; echo "$FOO"; echo "${PFS_HOST_ONLY:-unset}"')
	assert_eq "env/cwd" $'/tmp\nbar\nunset' "$out" || return 1
	out=$(PFS_HOST_ONLY=1 prun -- sh -c 'echo "$PFS_HOST_ONLY"')
	assert_eq "inherited env" 1 "$out"
}

case_uid_caps() {
	local out
	out=$(prun --uid 1000 --gid 1001 -- sh -c 'id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t"')
	assert_eq "uid 1000" $'1000\n1001\nCapEff:0000000000000000\nCapBnd:0000000000000000\nNoNewPrivs:1\nSeccomp:2' "$out" || return 1
	out=$(prun -- sh -c 'id -u; grep ^CapEff: /proc/self/status | tr -d "\t"')
	assert_eq "root, no caps" $'0\nCapEff:0000000000000000' "$out" || return 1
	# --seccomp off leaves only the object supervisor's filter (docs/pfs-run.md)
	out=$(prun --cap-add NET_RAW --seccomp off -- sh -c 'grep -E "^(CapEff|Seccomp_filters):" /proc/self/status | tr -d "\t"')
	assert_eq "cap-add, seccomp off" $'CapEff:0000000000002000\nSeccomp_filters:1' "$out" || return 1
	# the supervisor's, the allow-list and its argument checks (run_seccomp.c)
	out=$(prun -- sh -c 'grep -E "^Seccomp_filters:" /proc/self/status | tr -d "\t"')
	assert_eq "seccomp on" 'Seccomp_filters:3' "$out"
}

case_host_ids_not_root() {
	# the sandbox's root is host uid 100000 (the default range), never host root
	local d
	d=$(mktemp -d -p "$T")
	chmod 777 "$d"
	add_cleanup "rm -rf '$d'"
	prun --bind "$d:/out" -- touch /out/made || return 1
	assert_eq "owner on the host" 100000 "$(stat -c %u "$d/made")" || return 1
	prun --uid-map-base 200000 --bind "$d:/out" -- touch /out/made2 || return 1
	assert_eq "owner with --uid-map-base" 200000 "$(stat -c %u "$d/made2")"
}

case_net_none() {
	local out
	out=$(prun -- sh -c 'cat /proc/self/net/dev | sed 1,2d | cut -d: -f1 | tr -d " "')
	assert_eq "only lo" lo "$out" || return 1
	out=$(prun -- sh -c 'grep -c "^ *lo:" /proc/self/net/dev; cat /sys/class/net/lo/operstate 2>/dev/null; true')
	assert_eq "lo listed" 1 "$out" || return 1
	# --net host: the host's interfaces
	local host
	host=$(sed 1,2d /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " ")
	out=$(prun --net host -- sh -c 'sed 1,2d /proc/self/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "')
	assert_eq "--net host" "$host" "$out"
}

case_result_json() {
	local d
	d=$(mktemp -d -p "$T")
	add_cleanup "rm -rf '$d'"
	prun --result "$d/r.json" -- sh -c 'exit 4'
	grep -q '"exit_code": 4' "$d/r.json" || fail "result: $(cat "$d/r.json")" || return 1
	grep -q '"status": "RE"' "$d/r.json" || fail "result: $(cat "$d/r.json")"
}

case_limits_monitor() {
	local d rc
	d=$(mktemp -d -p "$T")
	add_cleanup "rm -rf '$d'"
	prun --limit wall=300ms --result "$d/r.json" --events "$d/e.json" -- sleep 5 2>"$d/err"
	rc=$?
	assert_eq "exit code of a wall-limit kill" 143 "$rc" || return 1
	grep -q '"status": "WLE"' "$d/r.json" || fail "result: $(cat "$d/r.json")" || return 1
	grep -q '"rlimit_diffs": 0' "$d/r.json" || fail "rlimits: $(cat "$d/r.json")" || return 1
	grep -q '"event": "start".*"comm": "sleep"' "$d/e.json" || fail "events: $(cat "$d/e.json")" ||
		return 1
	grep -q "wall limit" "$d/err" || fail "stderr: $(cat "$d/err")" || return 1
	# rlimits reach the workload
	assert_eq "RLIMIT_NOFILE" 65 "$(prun --limit fds=64 -- sh -c 'ulimit -n')" || return 1
	# with a cgroup (mem or threads limits), the cgroup namespace is rooted at it
	assert_eq "cgroup" "0::/" "$(prun --limit mem=256M -- sh -c 'grep "^0::" /proc/self/cgroup')"
}

case_default_policy_and_proc_mode() {
	# from the build directory, the default policy is the source tree's
	local err out
	err=$("$PFS" run -v -- true 2>&1 >/dev/null)
	grep -q "policy $FILTERS/default.policy, /proc ro" <<<"$err" || fail "stderr: $err" || return 1
	# --proc ro is enforced by the daemon on a writable mount (fd/N relays
	# write): docs/compat.md; the write refusals are tested in test_objects.sh
	out=$(prun -- sh -c 'grep " /proc " /proc/self/mounts | cut -d" " -f3,4')
	assert_eq "ro mode" "fuse.procfilterfs rw,nosuid,nodev,noexec,relatime,user_id=0,group_id=0,allow_other" "$out" || return 1
	out=$(prun -- sh -c 'echo 0 > /proc/self/oom_score_adj' 2>&1)
	grep -q "Read-only file system" <<<"$out" || fail "ro mode writes: $out" || return 1
	out=$(prun --proc rw -- sh -c 'grep " /proc " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1-4')
	assert_eq "rw mount" "rw,nosuid,nodev,noexec" "$out"
}

case_signal_forwarding() {
	# SIGTERM to the launcher reaches the workload through the init
	local d
	d=$(mktemp -d -p "$T")
	chmod 777 "$d"
	add_cleanup "rm -rf '$d'"
	# shellcheck disable=SC2086
	"$PFS" run --policy "$POLICY" ${PFS_RUN_TEST_ARGS:-} --bind "$d:/out" -- \
		sh -c 'trap "echo got-term >/out/t; exit 7" TERM; touch /out/ready; while :; do sleep 0.1; done' &
	local pid=$!
	for _ in $(seq 1 100); do
		[ -e "$d/ready" ] && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "exit code" 7 $? || return 1
	assert_eq "trap ran" got-term "$(cat "$d/t")"
}

# ctrl_c_at_terminal DIR REDIRECT: runs /out/w.sh under a terminal, types ^C
# once the workload is ready, prints what it printed.
ctrl_c_at_terminal() {
	local d=$1 redirect=$2
	rm -f "$d/ready"
	(
		for _ in $(seq 1 200); do
			[ -e "$d/ready" ] && break
			sleep 0.05
		done
		printf '\003'
		sleep 3
	) | timeout 20 script -qec "$PFS run --policy $POLICY --bind $d:/out -- sh /out/w.sh $redirect" /dev/null
}

case_terminal_ctrl_c() {
	# ^C reaches the workload exactly once, interactive (stdin a terminal) or
	# not; the daemon (its own session) keeps serving
	command -v script >/dev/null || fail "script(1) is needed" || return 1
	local d out mode
	d=$(mktemp -d -p "$T")
	chmod 777 "$d"
	add_cleanup "rm -rf '$d'"
	cat >"$d/w.sh" <<-'EOF'
		n=0
		trap 'n=$((n + 1))' INT
		touch /out/ready
		sleep 10
		sleep 0.5
		echo "count=$n"
		cat /proc/self/comm
		echo done
	EOF
	for mode in "" "</dev/null"; do
		out=$(ctrl_c_at_terminal "$d" "$mode" | tr -d '\r')
		grep -q "count=1$" <<<"$out" || fail "[$mode] SIGINT not delivered once: $out" || return 1
		grep -q "^cat$" <<<"$out" || fail "[$mode] /proc no longer served after ^C: $out" ||
			return 1
		grep -q "^done$" <<<"$out" || fail "[$mode] workload did not finish: $out" || return 1
	done
}

case_unsafe_kernel_proc() {
	local out err
	err=$(mktemp -p "$T")
	add_cleanup "rm -f '$err'"
	out=$(prun --unsafe-kernel-proc /kproc -- sh -c 'cat /kproc/1/comm' 2>"$err")
	assert_eq "kernel proc" pfs-init "$out" || return 1
	grep -q "WARNING: --unsafe-kernel-proc" "$err" || fail "no warning: $(cat "$err")"
}

# runs pfs as an unprivileged user (nobody)
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

case_unprivileged() {
	# an unprivileged user maps itself as the sandbox's root; FUSE needs /dev/fuse
	# to be usable by that user, else a clear error (or --fallback kernel)
	local out err rc fallback=""
	err=$(mktemp -p "$T")
	add_cleanup "rm -f '$err'"
	if ! as_nobody test -r /dev/fuse -a -w /dev/fuse; then
		out=$(as_nobody "$PFS" run --policy "$POLICY" -- true 2>&1)
		rc=$?
		assert_eq "exit code without usable FUSE" 123 "$rc" || return 1
		grep -q "/dev/fuse: Permission denied.*--fallback kernel" <<<"$out" ||
			fail "message: $out" || return 1
		fallback="--fallback kernel"
	fi
	# shellcheck disable=SC2086
	out=$(as_nobody "$PFS" run --policy "$POLICY" $fallback -- sh -c 'id -u; cat /proc/self/comm' 2>"$err")
	assert_eq "unprivileged" $'0\ncat' "$out" || {
		cat "$err"
		return 1
	}
	# FUSE for an unprivileged user, through a 0666 copy of the /dev/fuse node
	local d
	d=$(mktemp -d -p "$T")
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	mknod "$d/fuse" c 10 229 && chmod 666 "$d/fuse" || fail "mknod" || return 1
	out=$(PFS_DEV_FUSE=$d/fuse as_nobody "$PFS" run --policy "$POLICY" -- \
		sh -c 'id -u; cat /proc/self/comm; grep " /proc " /proc/self/mounts | cut -d" " -f3' 2>"$err")
	assert_eq "unprivileged, FUSE" $'0\ncat\nfuse.procfilterfs' "$out" || {
		cat "$err"
		return 1
	}
	# --uid needs a subordinate range, which nobody has (test_rootless.sh has one)
	# shellcheck disable=SC2086
	out=$(PFS_SUBID_DIR=$d as_nobody "$PFS" run --policy "$POLICY" $fallback --uid 5 -- true 2>&1)
	assert_eq "--uid unprivileged" 123 $? || return 1
	grep -q "need a range of ids.*nobody has no range in /etc/subuid; add one (as root: usermod --add-subuids" <<<"$out" ||
		fail "message: $out"
}

run_case "pfs run -- cat /proc/self/status" case_proc_status
run_case "pid 1 is the init" case_pid1_is_init
run_case "exit codes propagate" case_exit_codes
run_case "command not found / not executable" case_not_found
run_case "hostname" case_hostname
run_case "root is read-only, /tmp writable" case_root_readonly
run_case "no /sys, no host procfs" case_no_sys_no_host_proc
run_case "minimal /dev" case_dev
run_case "--bind and --tmpfs" case_bind_tmpfs
run_case "--env --clear-env --cwd" case_env_cwd
run_case "--uid --gid, caps dropped, seccomp" case_uid_caps
run_case "sandbox root is a dedicated host range" case_host_ids_not_root
run_case "--net none has only lo; --net host" case_net_none
run_case "--result" case_result_json
run_case "--limit through the monitor, --events" case_limits_monitor
run_case "default policy; --proc ro|rw mount flags" case_default_policy_and_proc_mode
run_case "signals forwarded to the workload" case_signal_forwarding
run_case "^C at a terminal reaches the workload, not the daemon" case_terminal_ctrl_c
run_case "--unsafe-kernel-proc" case_unsafe_kernel_proc
run_case "unprivileged user" case_unprivileged
