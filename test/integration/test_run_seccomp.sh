#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# pfs run's seccomp filter is an allow-list (docs/pfs-run.md): the mount
# introspection calls (statmount, listmount) and any call beyond the table
# get ENOSYS, called by number; the mount family EPERM, also where libseccomp
# 2.5.4 has no name (open_tree_attr); other ABIs kill the process; `pfs run
# -v` shows the set; and what programs use keeps working.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse
workdir T run-seccomp
PROBE=/h/sys_probe

# srun POLICY [pfs run options] -- SCRIPT: SCRIPT under filters/POLICY.policy
srun() {
	local policy=$1
	shift
	hbox "$FILTERS/$policy.policy" "$@"
}

PROBES='for a in listmount statmount "nr 467" "nr 103" "nr 425"; do echo "$a: $('$PROBE' $a)"; done'

# Without the filter the probes work (the kernel has statmount and listmount),
# so the refusals below are the filter's.
case_probes_work_without_filter() {
	local out
	out=$(srun passthrough --seccomp off -- "$PROBES") || fail "run: $(cat "$T/err")" || return 1
	grep -qE '^listmount: OK [0-9]+$' <<<"$out" || fail "listmount: $out" || return 1
	grep -qx 'statmount: OK tmpfs /' <<<"$out" || fail "statmount: $out" || return 1
	# open_tree_attr(0, NULL, 0) and io_uring_setup(0, NULL): the kernel's own answers
	grep -qx 'nr 467: EFAULT' <<<"$out" || fail "open_tree_attr: $out" || return 1
	grep -qx 'nr 425: EFAULT' <<<"$out" || fail "io_uring_setup: $out"
}

refused_under() {
	local out
	out=$(srun "$1" -- "$PROBES") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "refusals under $1.policy" "listmount: ENOSYS
statmount: ENOSYS
nr 467: EPERM
nr 103: EPERM
nr 425: ENOSYS" "$out"
}
case_refused_default() { refused_under default; }
case_refused_strict() { refused_under strict; }
case_refused_passthrough() { refused_under passthrough; }

# Calls the table does not know, new or never assigned: ENOSYS, as a kernel
# without them answers. getpid (39) stays allowed.
case_beyond_table() {
	local out
	out=$(srun default -- 'for n in $(seq 471 499) 1000 4096; do r=$('$PROBE' nr $n); [ "$r" = ENOSYS ] || echo "$n: $r"; done
		'$PROBE' nr 39') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "471..499, 1000, 4096 get ENOSYS; getpid works" OK "$out"
}

# The x32 ABI (syscall numbers | 0x40000000) and i386 (int 0x80) are not the
# filter's architecture: the process is killed (SIGSYS). A kernel without
# ia32 emulation kills int 0x80 with SIGSEGV before the filter runs.
case_other_abis() {
	local out native
	native=$("$HELPERS/sys_probe" i386)
	out=$(srun default -- "$PROBE x32; $PROBE i386") || fail "run: $(cat "$T/err")" || return 1
	local want="signal SYS"
	[ "$native" = "signal SEGV" ] && want="signal SEGV"
	assert_eq "x32 and i386 killed" "signal SYS
$want" "$out"
}

# -v lists the applied set, with the calls applied by number
case_verbose_lists_set() {
	local out
	out=$(timeout 60 "$PFS" run -v --policy "$FILTERS/default.policy" -- true 2>&1 </dev/null) ||
		fail "run: $out" || return 1
	grep -qE '^seccomp: allow-list of [0-9]{3} system calls, any other fails with ENOSYS; other ABIs \(i386, x32\) kill the process; process memory denied$' <<<"$out" ||
		fail "header: $out" || return 1
	grep -E '^seccomp: allowed:' <<<"$out" | grep -q ' read(0) .* execve(59) .* getrandom(318)' ||
		fail "allowed line" || return 1
	grep -E '^seccomp: refused with EPERM:' <<<"$out" | grep -q ' ptrace(101) .* mount(165) .* open_tree_attr(467) ' ||
		fail "EPERM line" || return 1
	grep -E '^seccomp: refused with ENOSYS:' <<<"$out" | grep -q ' statmount(457) listmount(458) ' ||
		fail "ENOSYS line" || return 1
	grep -E '^seccomp: by number \(libseccomp [0-9.]+ has no name\):' <<<"$out" |
		grep -q ' open_tree_attr=467 statmount=457 listmount=458' || fail "by-number line" || return 1
	grep -qx 'seccomp: ioctl refused with EPERM: TIOCSTI TIOCLINUX' <<<"$out" || fail "ioctl line" || return 1
	# passthrough redacts nothing: process memory stays allowed, ptrace with it
	out=$(timeout 60 "$PFS" run -v --policy "$FILTERS/passthrough.policy" -- true 2>&1 </dev/null)
	grep -q 'process memory allowed$' <<<"$out" || fail "passthrough header" || return 1
	grep -E '^seccomp: allowed:' <<<"$out" | grep -q ' ptrace(101) ' || fail "passthrough ptrace"
}

# What programs need: a user namespace (its id maps need a writable /proc),
# dmesg's refusal as with dmesg_restrict, threads (clone3), strace where the
# policy allows process memory, and its refusal where it does not.
case_programs_work() {
	local out
	out=$(srun passthrough -- 'unshare -U id -u; dmesg >/dev/null 2>&1; echo dmesg=$?
		python3 -c "import threading; t = threading.Thread(target=print, args=(\"thread\",)); t.start(); t.join()"
		strace -f -qq -e trace=exit_group sh -c "true; exit 3" 2>&1; echo "rc=$?"') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "unshare -U, dmesg refused, python thread, strace -f" "65534
dmesg=1
thread
exit_group(3)                           = ?
rc=3" "$out" || return 1
	out=$(srun default -- 'strace true 2>&1 | head -1; echo "${PIPESTATUS[0]}"') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "strace under default.policy" "strace: test_ptrace_get_syscall_info: PTRACE_TRACEME: Operation not permitted
1" "$out"
}

run_case "statmount, listmount work without the filter (probe check)" case_probes_work_without_filter
run_case "statmount, listmount ENOSYS; open_tree_attr, syslog EPERM; io_uring ENOSYS (default)" case_refused_default
run_case "the same under strict.policy" case_refused_strict
run_case "the same under passthrough.policy" case_refused_passthrough
run_case "calls beyond the table get ENOSYS" case_beyond_table
run_case "x32 and i386 calls kill the process" case_other_abis
run_case "pfs run -v shows the applied set" case_verbose_lists_set
run_case "unshare, dmesg, threads, strace keep working; strace refused under default" case_programs_work
