#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# psutil's own test suite (Debian's python3-psutil: `/usr/bin/python3 -m
# psutil.tests`, all 637 tests, about 10 s a run) gives the same set of
# failing test ids inside `pfs run` with default.policy as against the kernel
# proc of the same kind of sandbox (docs/compat.md, "psutil's test suite").
# The reference run binds the sandbox's kernel procfs (--unsafe-kernel-proc)
# over /proc in a private mount namespace, which needs CAP_SYS_ADMIN and no
# seccomp filter for the bind; the suite itself then runs without
# CAP_SYS_ADMIN (dropped from the bounding set), like the default sandbox.
# The only ids allowed to differ are listed in ALLOWED below, each with its
# reason.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T psutil
DEFAULT=("--policy" "$FILTERS/default.policy")

# test id → why it may fail in one run and pass in the other
declare -A ALLOWED=(
	# sysinfo virtual (default.policy): loadavg is the sandbox's, the
	# sysinfo(2) that os.getloadavg() uses is the host's
	[test_linux.TestLoadAvg.test_getloadavg]="sysinfo virtual: /proc/loadavg is the sandbox's, sysinfo(2) the host's"
	# procps's free computes used as total - available, psutil as total -
	# free - buffers - cached: they agree only while the page cache is
	# small, as in the sandbox's cgroup, not on the host
	[test_linux.TestSystemVirtualMemory.test_used]="sysinfo virtual: meminfo is the cgroup's; free and psutil agree on it, not on the host's"
	# a native race: psutil reads a child as soon as its pid is listed; between
	# the kernel's switch to the new image and the setup of its arguments,
	# cmdline is empty (and name() cannot be completed from it). A FUSE
	# round trip makes that window rarer, so these fail mostly natively.
	[test_process.TestProcess.test_cmdline]="native exec race (cmdline empty during exec)"
	[test_process.TestProcess.test_long_cmdline]="native exec race (cmdline empty during exec)"
	[test_process.TestProcess.test_long_name]="native exec race (cmdline empty during exec)"
	[test_process.TestProcess.test_prog_w_funky_name]="native exec race (cmdline empty during exec)"
	[test_unicode.TestFSAPIsWithInvalidPath.test_proc_cmdline]="native exec race (cmdline empty during exec)"
	[test_unicode.TestFSAPIsWithInvalidPath.test_proc_name]="native exec race (cmdline empty during exec)"
	[test_unicode.TestFSAPIs.test_proc_cmdline]="native exec race (cmdline empty during exec)"
	[test_unicode.TestFSAPIs.test_proc_name]="native exec race (cmdline empty during exec)"
)

# failing NAME: the ids of the failures and errors in $T/NAME.out (psutil's
# runner prints "FAIL: ID", unittest's "FAIL: test (ID)"), without the
# package prefix and the allowed ones, sorted.
failing() {
	sed -n 's/^\(FAIL\|ERROR\): \(.* (\)\{0,1\}psutil\.tests\.\([^ )]*\).*/\3/p' "$T/$1.out" |
		while read -r id; do
			[ -n "${ALLOWED[$id]:-}" ] || echo "$id"
		done | sort -u
}

# ran NAME: how many tests the run made.
ran() { sed -n 's/^Ran \([0-9]*\) tests.*/\1/p' "$T/$1.out"; }

# both NAME COMMAND...: runs COMMAND through procfilterfs (the default
# sandbox, the suite's files in /tmp) into $T/NAME-ours.out, and against the
# kernel proc of the same sandbox, bound over /proc, into $T/NAME-native.out.
both() {
	local name=$1
	shift
	timeout 120 "$PFS" run "${DEFAULT[@]}" --cwd /tmp -- "$@" >"$T/$name-ours.out" 2>&1 </dev/null
	timeout 120 "$PFS" run "${DEFAULT[@]}" --unsafe-kernel-proc /kproc --cap-add SYS_ADMIN --seccomp off \
		--cwd /tmp -- unshare -m --propagation private sh -c \
		'mount --bind /kproc /proc && exec setpriv --bounding-set -sys_admin "$@"' - "$@" \
		>"$T/$name-native.out" 2>&1 </dev/null
}

# differing NAME: the ids failing in one of the two runs only.
differing() { comm -3 <(failing "$1-ours") <(failing "$1-native") | tr -d '\t'; }

case_suite() {
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import psutil.tests' 2>/dev/null ||
		fail "python3-psutil's tests missing (scripts/install-deps.sh test)" || return 1
	both all /usr/bin/python3 -m psutil.tests
	local n
	n=$(ran all-ours)
	[ "${n:-0}" -gt 600 ] || fail "the suite did not run through procfilterfs: $(tail -20 "$T/all-ours.out")" || return 1
	assert_eq "tests run" "$n" "$(ran all-native)" || return 1
	local diff
	diff=$(differing all)
	[ -z "$diff" ] && return 0
	# A test that failed in one run only is run again, alone, in both: a
	# difference of procfilterfs's is there again, a flaky test (psutil's
	# own races, e.g. a SIGTERM during Pool.terminate) is not.
	log "failing in one run only: $(echo "$diff" | tr '\n' ' '); running them again"
	local ids
	mapfile -t ids <<<"$diff"
	both again /usr/bin/python3 -m unittest "${ids[@]/#/psutil.tests.}"
	local again
	again=$(comm -12 <(echo "$diff") <(differing again))
	[ -z "$again" ] && return 0
	log "again failing in one run only: $(echo "$again" | tr '\n' ' ')"
	local id
	for id in $again; do
		awk -v t="psutil.tests.$id" '/^(FAIL|ERROR): /{p = index($0, t) > 0} p' \
			"$T/again-ours.out" "$T/again-native.out" | head -30 >&2
	done
	return 1
}

run_case "psutil's test suite: the same failures through procfilterfs as with the kernel proc" case_suite
