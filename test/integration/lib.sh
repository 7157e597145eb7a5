#!/usr/bin/env bash
# Shared helpers for integration tests. Source it; then define cases and call
# `run_case NAME FUNCTION`. A case passes when FUNCTION returns 0.
# Tests that need root or FUSE fail (not skip) when CI=true.
# shellcheck disable=SC2034
set -u

PFS_TOP=${PFS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$PFS_TOP/$BUILD" ;; esac
DAEMON="$BUILD/procfilterfs"
PFS="$BUILD/pfs"
HELPERS="$BUILD/test/helpers"
FILTERS="$PFS_TOP/filters"
FIXTURES="$PFS_TOP/test/fixtures"
# Debian's python3 (scripts/install-deps.sh), for cases run as another user: a
# python3 found first in root's PATH (a pyenv shim under /root) may not run there.
# shellcheck disable=SC2034 # used by the test scripts
SYS_PYTHON=/usr/bin/python3
PFS_RESULTS=${PFS_RESULTS:-/dev/null}
_cleanups=()
# Sanitized daemons: a bounded quarantine (16 MiB, and 64 KiB a thread before
# it reaches the global one), so memory checks stay meaningful.
if [ -n "${SANITIZE:-}" ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:thread_local_quarantine_size_kb=64"
fi

# daemon_kib [--growth] KIB: a bound on the daemon's own memory (VmRSS, VmHWM;
# with --growth, on its growth over a baseline read from the same daemon),
# stated for a plain build, for the daemon of this build. The only place a
# test's bound on the daemon changes under SANITIZE. A sanitized daemon
# legitimately holds more, and not per request: the shadow of what it touches
# (1/8), ASan's runtime (about 11 MiB more at rest: its allocator's metadata
# and caches, the stack depot), and the freed memory it keeps (the quarantine
# above, and the free lists of its allocator, which malloc_trim does not reach:
# a fork storm with ps loops leaves 25 to 40 MiB there). A baseline already
# holds the runtime. The test can still fail: a daemon whose memory follows
# the load (no snapshot_max, nodes never freed) goes past the scaled bound;
# the plain run keeps the tight one.
daemon_kib() {
	local runtime=$((16 * 1024)) held=$((40 * 1024))
	[ "$1" = --growth ] && runtime=0 && shift
	if [ -n "${SANITIZE:-}" ]; then
		echo $(($1 * 9 / 8 + runtime + held))
	else
		echo "$1"
	fi
}

log() { printf '   %s\n' "$*" >&2; }
fail() {
	log "FAIL: $*"
	return 1
}

# Records a case result. Cases run in a subshell so one failure cannot leak state.
run_case() {
	local name=$1 fn=$2
	local out rc
	# Each case has its own cleanups, run when its subshell exits.
	# shellcheck disable=SC2030,SC2031 # the subshell's own list, on purpose
	out=$( (
		_cleanups=()
		trap run_cleanups EXIT
		"$fn"
	) 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name" >>"$PFS_RESULTS"
		printf '  ok   %s\n' "$name"
		# PFS_TEST_VERBOSE=1: what a passing case logged (its figures) too
		[ -n "${PFS_TEST_VERBOSE:-}" ] && [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       /'
	elif [ "$rc" -eq 77 ]; then
		echo "SKIP $name" >>"$PFS_RESULTS"
		printf '  skip %s\n' "$name"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       /'
	else
		echo "FAIL $name" >>"$PFS_RESULTS"
		printf '  FAIL %s\n' "$name"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/       /'
	fi
	return 0
}

# Root and /dev/fuse are required; under CI their absence is a failure.
# PFS_TEST_ROOTLESS=1 (test_rootless.sh) runs a suite as an unprivileged user
# instead: /dev/fuse must then be usable by that user.
require_root_fuse() {
	if [ "${PFS_TEST_ROOTLESS:-}" = 1 ]; then
		if [ "$(id -u)" -eq 0 ] || [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then
			echo "FAIL $(basename "$0"): PFS_TEST_ROOTLESS=1 needs a non-root user with access to /dev/fuse" >>"$PFS_RESULTS"
			exit 1
		fi
		return 0
	fi
	if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
		if [ "${CI:-}" = "true" ]; then
			echo "FAIL $(basename "$0"): needs root and /dev/fuse under CI" >>"$PFS_RESULTS"
			echo "needs root and /dev/fuse (CI=true: failing, not skipping)" >&2
			exit 1
		fi
		echo "SKIP $(basename "$0"): needs root and /dev/fuse" >>"$PFS_RESULTS"
		exit 0
	fi
}

# shellcheck disable=SC2031 # a case's subshell has its own list
add_cleanup() { _cleanups+=("$1"); }
run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
}
trap run_cleanups EXIT

# mount_pfs MNT [OPTIONS]: mounts procfilterfs over MNT (backing /proc unless
# OPTIONS say otherwise) and waits until it answers. Unmounted at exit.
mount_pfs() {
	local mnt=$1 opts=${2:-}
	mkdir -p "$mnt"
	local o="backing=/proc"
	[ -n "$opts" ] && o="$o,$opts"
	if [ -n "${PFS_DAEMON_WRAP:-}" ]; then
		# debugging: e.g. PFS_DAEMON_WRAP="gdb -batch -ex run -ex bt --args"
		# shellcheck disable=SC2086
		$PFS_DAEMON_WRAP "$DAEMON" -f -o "$o" "$mnt" >"$mnt.log" 2>&1 &
	else
		"$DAEMON" -o "$o" "$mnt" 2>"$mnt.log" || {
			cat "$mnt.log" >&2
			return 1
		}
	fi
	add_cleanup "umount -l '$mnt'; rmdir '$mnt'"
	local i
	for i in $(seq 1 100); do
		[ -e "$mnt/self" ] && return 0
		sleep 0.05
	done
	echo "procfilterfs did not come up on $mnt" >&2
	cat "$mnt.log" >&2
	return 1
}

# wait_exists PATH [SECONDS]: waits until PATH exists, 10 s at most by default;
# false if it never does.
wait_exists() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	[ -e "$1" ]
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" != "$3" ]; then
		log "$1: expected [$2], got [$3]"
		return 1
	fi
}

# assert_errno WHAT EXPECTED_ERRNO_NAME COMMAND...: runs helpers/errno_of.
assert_errno() {
	local what=$1 want=$2
	shift 2
	local got
	got=$("$HELPERS/errno_probe" "$@" 2>/dev/null)
	assert_eq "$what" "$want" "$got"
}

# listed DIR NAME: true when readdir of DIR returns NAME.
listed() {
	local e
	for e in "$1"/* "$1"/.[!.]*; do
		[ "${e##*/}" = "$2" ] && return 0
	done
	return 1
}

# names DIR: the names readdir of DIR returns, one per line.
names() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n'; }

# workdir VAR NAME: sets VAR to a fresh directory other uids can traverse,
# removed at exit (not in a $(...): the cleanup must be registered here).
# test_user VAR NAME: creates the user NAME with a free range of 65536
# subordinate ids and a named ACL entry on /dev/fuse (which may be 0600),
# all undone by the cleanups; its name in VAR.
test_user() {
	local u=$2 start n=65536 had_acl
	# a free range: past every range already given out
	start=$(awk -F: '{e = $2 + $3; if (e > m) m = e} END {print (m > 1000000 ? m : 1000000)}' \
		/etc/subuid /etc/subgid 2>/dev/null || echo 1000000)
	useradd -M -U -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u" || return 1
	add_cleanup "userdel '$u'"
	# runs first: userdel refuses a user with processes (a podman pause process)
	add_cleanup "pkill -KILL -u '$u'; sleep 0.2"
	usermod --add-subuids "$start-$((start + n - 1))" --add-subgids "$start-$((start + n - 1))" \
		"$u" || return 1
	add_cleanup "usermod --del-subuids '$start-$((start + n - 1))' --del-subgids '$start-$((start + n - 1))' '$u'"
	had_acl=$(getfacl -p -c /dev/fuse 2>/dev/null | grep -c '^mask')
	setfacl -m "u:$u:rw" /dev/fuse || return 1
	add_cleanup "setfacl -x 'u:$u' /dev/fuse; [ '$had_acl' -gt 0 ] || setfacl -b /dev/fuse"
	printf -v "$1" '%s' "$u"
}

workdir() {
	local d
	d=$(mktemp -d "/tmp/pfs-$2.XXXXXX") || return 1
	chmod 755 "$d"
	add_cleanup "rm -rf '$d'"
	printf -v "$1" '%s' "$d"
}

# box [pfs run options] -- SCRIPT: runs SCRIPT with bash in a pfs run sandbox
# (passthrough.policy unless --policy is given), helpers at /h, $T at /t, the
# kernel's proc of the sandbox at /kproc; stderr goes to $T/err.
box() {
	local opts=()
	while [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	shift
	local box_policy=("--policy" "$FILTERS/passthrough.policy")
	[[ " ${opts[*]} " == *" --policy "* ]] && box_policy=()
	timeout 90 "$PFS" run "${box_policy[@]}" --unsafe-kernel-proc /kproc --bind "$HELPERS:/h:ro" \
		--bind "$T:/t" "${opts[@]}" -- bash -c "$1" </dev/null 2>"$T/err"
}

# hbox POLICY-FILE [pfs run options] -- SCRIPT: runs SCRIPT with bash in a
# pfs run sandbox under POLICY-FILE, helpers at /h, no kernel proc; stderr goes
# to $T/err. No leak check inside: a sandbox may refuse ptrace, which
# LeakSanitizer needs.
hbox() {
	local policy=$1
	shift
	local opts=()
	while [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	timeout 60 "$PFS" run --policy "$policy" --bind "$HELPERS:/h:ro" \
		--env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${opts[@]}" -- \
		bash -c "$2" </dev/null 2>"$T/err"
}

# start_manymaps N: a process with N mappings; prints its pid.
start_manymaps() {
	local out
	out=$(mktemp)
	"$HELPERS/manymaps" "$1" >"$out" </dev/null &
	local i
	for i in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.02
	done
	cat "$out"
	rm -f "$out"
}
