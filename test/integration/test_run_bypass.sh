#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# pfs run: no way around the sandbox's /proc, as its root and as a non-root uid.
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
[ -x "$HELPERS/run_bypass" ] || {
	echo "missing $HELPERS/run_bypass (make $BUILD/test/helpers/run_bypass)" >&2
	exit 1
}
BYPASS=/pfs-helpers/run_bypass # the helpers, bound in read-only
AS=()                          # identity options: empty (root) or a non-root uid
prun() {
	# shellcheck disable=SC2086
	# (helpers built with sanitizers: no leak check inside, where /proc may be gone)
	timeout 30 "$PFS" run --policy "$POLICY" --bind "$HELPERS:/pfs-helpers:ro" \
		--env ASAN_OPTIONS=detect_leaks=0 ${PFS_RUN_TEST_ARGS:-} "${AS[@]}" "$@"
}
# the same cases as uid/gid 1000 inside
as_uid() {
	AS=(--uid 1000 --gid 1000)
	"$1"
}
uid_daemon_invisible() { as_uid case_daemon_invisible; }
uid_kill_outside() { as_uid case_kill_outside; }
uid_root_links() { as_uid case_root_links; }

# The attempts, one per line: "OP ARG". Each must print an errno name.
ATTEMPTS='mount_proc /tmp
fsopen_proc
umount /proc
umount_lazy /proc
open_tree /proc
remount_rw /proc
bind_over /proc
unshare mount_proc /tmp
unshare fsopen_proc
unshare umount /proc
unshare umount_lazy /proc
unshare open_tree /proc'

# attempts_as WHO [OPTIONS...]: runs every attempt inside one sandbox and
# fails if any of them printed OK.
attempts_as() {
	local who=$1
	shift
	local script out
	script=$(while read -r a; do printf '%s: $(%s %s)\n' "$a" "$BYPASS" "$a"; done <<<"$ATTEMPTS")
	out=$(prun "$@" -- sh -c "cat <<EOF
$script
EOF
test -d /proc/self && echo proc-still-there") || return 1
	log "$who:"
	printf '%s\n' "$out" | sed 's/^/      /' >&2
	if grep -q ': OK$' <<<"$out"; then
		fail "$who: an attempt succeeded"
		return 1
	fi
	assert_eq "attempts answered" "$(wc -l <<<"$ATTEMPTS")" "$(grep -c ': E' <<<"$out")" || return 1
	grep -q proc-still-there <<<"$out" || fail "/proc gone"
}

case_root() { attempts_as "sandbox root"; }
case_uid() { attempts_as "uid 1000" --uid 1000 --gid 1000; }
# the kernel is the second wall: without seccomp, no capability, and a new
# user+mount namespace gets only locked copies of the mounts and no procfs
# (open_tree after unshare is left out: without seccomp it clones the FUSE mount,
# another view of the same filtered /proc, which reveals nothing more)
case_no_seccomp() {
	ATTEMPTS=$(grep -v "unshare open_tree" <<<"$ATTEMPTS")
	attempts_as "root, --seccomp off" --seccomp off
}

case_daemon_invisible() {
	local out
	out=$(prun -- sh -c 'cat /proc/[0-9]*/comm | sort -u | tr "\n" " "; cat /proc/[0-9]*/cmdline | tr "\0" " "')
	if grep -q procfilterfs <<<"$out"; then
		fail "daemon visible: $out"
		return 1
	fi
	grep -q pfs-init <<<"$out" || fail "no init in the listing: $out"
}

case_kill_outside() {
	# the test shell's own (host) pid and the launcher's cannot be reached
	local out
	out=$(prun -- sh -c "$BYPASS kill $$; $BYPASS kill $PPID; $BYPASS ptrace $$; kill -9 -1; echo alive")
	assert_eq "kill/ptrace outside" $'ESRCH\nESRCH\nESRCH\nalive' "$out"
}

case_root_links() {
	# a host directory that is not bound in must be unreachable through root/cwd links
	local d name
	d=$(mktemp -d -p "$T" pfs-secret.XXXXXX)
	chmod 755 "$d"
	echo topsecret >"$d/secret"
	chmod 644 "$d/secret"
	add_cleanup "rm -rf '$d'"
	name=$(basename "$d")
	local out
	out=$(prun --cwd /tmp -- sh -c "
		for p in /proc/self /proc/1 /proc/[0-9]*; do
			cat \$p/root$d/secret \$p/cwd/$name/secret \$p/root/tmp/$name/secret 2>/dev/null
			readlink \$p/root \$p/cwd \$p/exe 2>/dev/null
		done
		true")
	if grep -q "topsecret\|$name" <<<"$out"; then
		fail "host path reached: $out"
		return 1
	fi
	# link text, when readable, is the sandbox's own view
	if grep -v '^/\(tmp\|usr/bin/.*\|bin/.*\|usr/lib/.*\|work/.*\)\?$' <<<"$out" | grep -q .; then
		fail "unexpected link text: $out"
	fi
}

case_no_procfs_even_with_sys_admin() {
	# given CAP_SYS_ADMIN and no seccomp, /proc can be unmounted (documented),
	# but the kernel still refuses a procfs: none is fully visible to copy
	local out
	# (umount(8) last: sanitizer-built helpers cannot run without /proc)
	out=$(prun --cap-add SYS_ADMIN --seccomp off -- sh -c "$BYPASS mount_proc /tmp; $BYPASS fsopen_proc; $BYPASS unshare mount_proc /tmp; umount /proc && echo OK; test -e /proc/self || echo proc-gone")
	assert_eq "procfs attempts" $'EPERM\nEPERM\nEPERM\nOK\nproc-gone' "$out"
}

case_no_inherited_fds() {
	# an fd the launcher inherited (here a host directory on fd 7) must not reach
	# the workload: openat(fd, "..") would lead out of the sandbox's root
	local d out
	d=$(mktemp -d -p "$T")
	add_cleanup "rm -rf '$d'"
	out=$(prun -- sh -c 'ls /proc/self/fd | tr "\n" " "' 7<"$d" 9>"$d/f")
	assert_eq "fds of ls" "0 1 2 3 " "$out"
}

case_tiocsti() {
	# the workload shares the launcher's terminal: it must not push input into it
	local out
	out=$(timeout 20 script -qec "$PFS run --policy $POLICY --bind $HELPERS:/pfs-helpers:ro -- $BYPASS tiocsti" /dev/null </dev/null)
	# (the terminal also carries stderr: the answer is the last line)
	assert_eq "TIOCSTI" EPERM "$(tr -d '\r' <<<"$out" | tail -1)" || return 1
	# not interactive (stdin not a terminal): no controlling terminal at all,
	# so even without seccomp the terminal on stdout takes no input
	out=$(timeout 20 script -qec "$PFS run --policy $POLICY --seccomp off --bind $HELPERS:/pfs-helpers:ro -- $BYPASS tiocsti 1 </dev/null" /dev/null </dev/null)
	assert_eq "TIOCSTI on stdout, seccomp off" EPERM "$(tr -d '\r' <<<"$out" | tail -1)"
}

case_kernel_proc_refused_inside_user() {
	# unshare(2) itself may work, but nothing mounted in the new namespaces can
	# reveal a procfs: there is none fully visible to copy.
	local out
	out=$(prun --seccomp off -- sh -c "$BYPASS unshare mount_proc /tmp; $BYPASS unshare umount /proc")
	# EPERM: "mount too revealing"; EINVAL: /proc is a locked mount there
	assert_eq "after unshare, seccomp off" $'EPERM\nEINVAL' "$out"
}

run_case "bypass attempts fail as sandbox root" case_root
run_case "bypass attempts fail as uid 1000" case_uid
run_case "bypass attempts fail without seccomp (kernel wall)" case_no_seccomp
run_case "the daemon is not visible in /proc" case_daemon_invisible
run_case "the daemon is not visible in /proc (uid 1000)" uid_daemon_invisible
run_case "kill -9 / ptrace of outside pids fail" case_kill_outside
run_case "kill -9 / ptrace of outside pids fail (uid 1000)" uid_kill_outside
run_case "root/cwd links do not reach host paths" case_root_links
run_case "root/cwd links do not reach host paths (uid 1000)" uid_root_links
run_case "unshare -Urm then mount/umount, seccomp off" case_kernel_proc_refused_inside_user
run_case "no kernel procfs even with CAP_SYS_ADMIN and no seccomp" case_no_procfs_even_with_sys_admin
run_case "no inherited fds reach the workload" case_no_inherited_fds
run_case "no TIOCSTI into the shared terminal" case_tiocsti
