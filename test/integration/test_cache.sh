#!/usr/bin/env bash
# Kernel-side caching of process entries (src/fs/cache.c, docs/compat.md):
# far fewer requests where the answer is the same for every caller, and never
# a hidden pid, an exited process, an old policy or a reused pid's previous
# process seen through a cached entry.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# debug_mount VAR POLICY-FILE: a foreground daemon with -d (one line per
# request in $MNT.log) over the host's /proc; the mount point in VAR.
debug_mount() {
	local mnt
	mnt=$(mktemp -d /tmp/pfs-cache.XXXXXX)
	chmod 755 "$mnt"
	"$DAEMON" -f -d -o "backing=/proc,policy=$2" "$mnt" >"$mnt.log" 2>&1 &
	add_cleanup "kill $!; umount -l '$mnt'; rmdir '$mnt'; rm -f '$mnt.log'"
	local i
	for i in $(seq 1 100); do
		[ -e "$mnt/self" ] && break
		sleep 0.05
	done
	[ -e "$mnt/self" ] || fail "no mount at $mnt: $(tail -5 "$mnt.log")" || return 1
	printf -v "$1" '%s' "$mnt"
}

requests() { grep -c 'opcode:' "$1.log"; }

# policy_file VAR TEXT...: a policy with these lines (default.policy first).
policy_file() {
	local f
	f=$(mktemp /tmp/pfs-cache-policy.XXXXXX)
	add_cleanup "rm -f '$f'"
	{
		echo "include \"$FILTERS/default.policy\""
		printf '%s\n' "${@:2}"
	} >"$f"
	printf -v "$1" '%s' "$f"
}

# per_ls MNT PID: daemon requests of one `ls -l MNT/PID`, the median of 5 after a warm-up.
per_ls() {
	ls -l "$1/$2" >/dev/null 2>&1
	local i n0 counts=()
	for i in 1 2 3 4 5; do
		n0=$(requests "$1")
		ls -l "$1/$2" >/dev/null 2>&1
		counts+=($(($(requests "$1") - n0)))
	done
	printf '%s\n' "${counts[@]}" | sort -n | sed -n 3p
}

t_fewer_requests() {
	local cached uncached pc pu
	policy_file pc || return 1
	policy_file pu "pids same-uid" || return 1
	debug_mount cached "$pc" || return 1
	debug_mount uncached "$pu" || return 1
	sleep 600 &
	local p=$!
	add_cleanup "kill $p"
	local a b
	a=$(per_ls "$cached" "$p")
	b=$(per_ls "$uncached" "$p")
	log "requests per ls -l /proc/PID: cached $a, same-uid (not cached) $b"
	[ "$a" -le 15 ] || fail "cached: $a requests per ls -l (want <= 15)" || return 1
	[ "$b" -ge $((3 * a)) ] || fail "not far fewer than uncached: $a vs $b" || return 1
	# and the same content as the kernel's
	assert_eq "listing" "$(names "/proc/$p" | sort)" "$(names "$cached/$p" | sort)" || return 1
	assert_eq "status" "$(grep -v '^Sig\|^Shd' "/proc/$p/status")" \
		"$(grep -v '^Sig\|^Shd' "$cached/$p/status")"
}

# Caller-dependent visibility is never cached: root's lookups cannot show nobody a pid.
t_hidden_never_cached() {
	local pu m
	policy_file pu "pids same-uid" || return 1
	debug_mount m "$pu" || return 1
	sleep 600 &
	local p=$!
	add_cleanup "kill $p"
	"${NOBODY[@]}" sleep 600 &
	local q=$!
	add_cleanup "kill $q"
	sleep 0.2
	local i
	for i in 1 2 3; do
		ls -l "$m/$p" "$m/$p/status" >/dev/null || fail "root cannot see its own $p" || return 1
		"${NOBODY[@]}" ls -l "$m/$q" "$m/$q/status" >/dev/null ||
			fail "nobody cannot see its own $q" || return 1
	done
	local op
	for op in lstat read; do
		assert_eq "nobody $op $p/status" ENOENT \
			"$("${NOBODY[@]}" "$HELPERS/errno_probe" "$op" "$m/$p/status")" || return 1
		assert_eq "root $op $q/status" ENOENT \
			"$("$HELPERS/errno_probe" "$op" "$m/$q/status")" || return 1
	done
	assert_eq "nobody lstat $p" ENOENT "$("${NOBODY[@]}" "$HELPERS/errno_probe" lstat "$m/$p")"
}

# A process that renames itself into a hide-pid rule is hidden at once.
t_comm_rule_never_cached() {
	local pc m flag
	policy_file pc "hide-pid comm=pfs-hideme" || return 1
	debug_mount m "$pc" || return 1
	flag=$(mktemp -u /tmp/pfs-cache-flag.XXXXXX)
	add_cleanup "rm -f '$flag'"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash -c 'while [ ! -e "$1" ]; do sleep 0.02; done
		printf pfs-hideme >/proc/$$/comm
		while :; do sleep 1; done' _ "$flag" &
	local p=$!
	add_cleanup "kill $p"
	sleep 0.1
	ls -l "$m/$p" "$m/$p/status" >/dev/null || fail "$p not visible before" || return 1
	touch "$flag"
	local i
	for i in $(seq 100); do
		[ "$(cat "/proc/$p/comm")" = pfs-hideme ] && break
		sleep 0.02
	done
	assert_eq "lstat after rename" ENOENT "$("$HELPERS/errno_probe" lstat "$m/$p")" || return 1
	assert_eq "status after rename" ENOENT "$("$HELPERS/errno_probe" lstat "$m/$p/status")"
}

# {self} rules: another reader's lookup of /proc/X/environ never shows X its own hidden one.
t_self_rule_never_cached() {
	local pc m
	policy_file pc "hide /proc/{self}/environ" || return 1
	debug_mount m "$pc" || return 1
	python3 - "$m" <<'PY' || fail "a process saw its own hidden environ" || return 1
import os, sys
mnt = sys.argv[1]
r, w = os.pipe()
c = os.fork()
if c == 0:
    os.read(r, 1)
    try:
        os.stat(f"{mnt}/{os.getpid()}/environ")
        os._exit(1)  # seen through the parent's cached entry
    except FileNotFoundError:
        os._exit(0)
for _ in range(3):
    os.stat(f"{mnt}/{c}/environ")  # visible to the parent
os.write(w, b"x")
_, st = os.waitpid(c, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

# eventually_enoent OP PATH: ENOENT within 0.3 s (attributes of an entry in a
# process directory: exact once the exit watcher ran, docs/compat.md).
eventually_enoent() {
	local i got
	for i in $(seq 30); do
		got=$("$HELPERS/errno_probe" "$1" "$2")
		[ "$got" = ENOENT ] && return 0
		sleep 0.01
	done
	fail "$1 $2: $got 0.3 s after the exit"
}

# After exit and reaping: no directory, listing or content of the process, every time.
t_exit_not_stale() {
	local pc m
	policy_file pc || return 1
	debug_mount m "$pc" || return 1
	local i p what
	for i in $(seq 20); do
		sleep 600 &
		p=$!
		ls -l "$m/$p" >/dev/null && cat "$m/$p/status" >/dev/null && stat "$m/$p/status" >/dev/null ||
			fail "$p not visible while alive" || return 1
		kill "$p"
		wait "$p" 2>/dev/null
		for what in "lstat $p" "read $p/status" "list $p" "read $p/stat"; do
			# shellcheck disable=SC2086 # op and path
			assert_eq "round $i: $what after exit" ENOENT \
				"$("$HELPERS/errno_probe" ${what%% *} "$m/${what#* }")" || return 1
		done
		! listed "$m" "$p" || fail "round $i: $p still listed" || return 1
		eventually_enoent lstat "$m/$p/status" || return 1
	done
}

# A reload reaches entries cached under the old policy at once.
t_reload_not_stale() {
	local pc m
	policy_file pc || return 1
	debug_mount m "$pc" || return 1
	local dpid
	dpid=$(pgrep -n -f "procfilterfs -f -d -o backing=/proc,policy=$pc")
	sleep 600 &
	local p=$!
	add_cleanup "kill $p"
	ls -l "$m/$p" >/dev/null && stat "$m/$p/status" "$m/$p/environ" >/dev/null ||
		fail "not visible before" || return 1
	"${NOBODY[@]}" stat "$m/$p/status" >/dev/null || fail "nobody cannot see $p" || return 1
	printf '%s\n' "pids same-uid" "hide /proc/*/environ" >>"$pc"
	kill -HUP "$dpid"
	local i
	for i in $(seq 100); do
		grep -q 'policy reloaded' "$m.log" && break
		sleep 0.01
	done
	grep -q 'policy reloaded' "$m.log" || fail "no reload" || return 1
	assert_eq "environ after reload" ENOENT "$("$HELPERS/errno_probe" lstat "$m/$p/environ")" ||
		return 1
	assert_eq "environ content after reload" ENOENT \
		"$("$HELPERS/errno_probe" read "$m/$p/environ")" || return 1
	assert_eq "nobody: $p/status after reload" ENOENT \
		"$("${NOBODY[@]}" "$HELPERS/errno_probe" lstat "$m/$p/status")" || return 1
	assert_eq "nobody: $p after reload" ENOENT \
		"$("${NOBODY[@]}" "$HELPERS/errno_probe" lstat "$m/$p")"
}

# A pid reused right after the exit of a cached process: the new process's
# owner, attributes and content, by path; the old directory fd reaches nothing.
# In a pid namespace of its own (daemon included), where nobody else takes pids.
t_pid_reuse_cached() {
	local pc py
	policy_file pc || return 1
	py=$(mktemp /tmp/pfs-cache-reuse.XXXXXX)
	add_cleanup "rm -f '$py'"
	cat >"$py" <<'PY'
import ctypes, os, sys, time
mnt = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from pidreuse import fork_at
libc = ctypes.CDLL(None)
def named(name):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
def child():
    libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGKILL with the test
for rnd in range(5):
    r, w = os.pipe()
    a = os.fork()
    if a == 0:
        child()
        named("pfs-old")
        os.setgid(65534); os.setuid(65534)
        libc.prctl(4, 1, 0, 0, 0)  # dumpable again: /proc/PID owned by 65534
        os.read(r, 1)
        os._exit(0)
    time.sleep(0.05)
    for _ in range(3):
        os.listdir(f"{mnt}/{a}")
        assert os.stat(f"{mnt}/{a}").st_uid == 65534
        assert os.stat(f"{mnt}/{a}/status").st_uid == 65534
        assert "pfs-old" in open(f"{mnt}/{a}/status").read()
    dfd = os.open(f"{mnt}/{a}", os.O_RDONLY | os.O_DIRECTORY)
    os.write(w, b"x"); os.waitpid(a, 0)
    rr, ww = os.pipe()
    def new():
        child()
        named("pfs-new")
        os.write(ww, b"r")
        time.sleep(5)
    b = fork_at(a, new)
    os.read(rr, 1)
    errs = []
    if os.stat(f"{mnt}/{a}").st_uid != 0: errs.append("pid dir owner")
    # an entry in the directory: exact once the exit watcher ran (docs/compat.md)
    for _ in range(30):
        if os.stat(f"{mnt}/{a}/status").st_uid == 0: break
        time.sleep(0.01)
    else:
        errs.append("status owner")
    text = open(f"{mnt}/{a}/status").read()
    if "pfs-new" not in text: errs.append("status content: " + text.split("\n")[0])
    if "pfs-new" not in open(f"{mnt}/{a}/comm").read(): errs.append("comm")
    try:
        os.open("status", os.O_RDONLY, dir_fd=dfd)
        errs.append("old dir fd reached the new process")
    except FileNotFoundError:
        pass
    os.close(dfd)
    os.kill(b, 9); os.waitpid(b, 0)
    if errs:
        print(f"round {rnd}: pid {a} reused: " + ", ".join(errs), file=sys.stderr)
        sys.exit(1)
PY
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 120 unshare -pf --mount-proc bash -c '
		m=$(mktemp -d /tmp/pfs-cache-ns.XXXXXX)
		"$1" -f -o "backing=/proc,policy=$2" "$m" 2>"$m.log" &
		for i in $(seq 100); do [ -e "$m/self" ] && break; sleep 0.05; done
		python3 "$3" "$m" "$4"; rc=$?
		umount -l "$m"; rmdir "$m"; rm -f "$m.log"
		exit $rc' _ "$DAEMON" "$pc" "$py" "$PFS_TOP/test/integration/helpers" ||
		fail "the reused pid showed the old process" || return 1
}

# reload MNT DAEMON-PID: SIGHUP, and waits for the n-th "policy reloaded" (n = $3).
reload() {
	kill -HUP "$2"
	local i
	for i in $(seq 100); do
		[ "$(grep -c 'policy reloaded' "$1.log")" -ge "$3" ] && return 0
		sleep 0.01
	done
	fail "no reload"
}

# A listing of /proc follows a reload at once, and with a {self} rule it is
# each caller's own: no verdict of a listing outlives its policy or its caller.
t_listing_verdicts() {
	local pc m dpid
	policy_file pc || return 1
	debug_mount m "$pc" || return 1
	dpid=$(pgrep -n -f "procfilterfs -f -d -o backing=/proc,policy=$pc")
	sleep 600 &
	local p=$! i
	add_cleanup "kill $p"
	for i in 1 2; do
		listed "$m" cpuinfo && listed "$m" "$p" || fail "not listed before" || return 1
	done
	printf '%s\n' "hide /proc/cpuinfo" "hide /proc/$p" >>"$pc"
	reload "$m" "$dpid" 1 || return 1
	for i in 1 2 3; do
		! listed "$m" cpuinfo && ! listed "$m" "$p" ||
			fail "listed after the reload hid them (listing $i)" || return 1
	done
	# (a {self} rule at /proc hides the caller's own directory, self too: after the mount)
	echo "hide /proc/{self}" >>"$pc"
	reload "$m" "$dpid" 2 || return 1
	local out
	out=$(python3 - "$m" <<'PY'
import os, sys
m = sys.argv[1]
to_child, to_parent = os.pipe(), os.pipe()
def ok(other):
    names = set(os.listdir(m))
    return str(os.getpid()) not in names and str(other) in names
# 30 turns each, alternating: the two callers' listings meet on the same daemon threads
child = os.fork()
if child == 0:
    good = True
    for _ in range(30):
        os.read(to_child[0], 1)
        good = ok(os.getppid()) and good
        os.write(to_parent[1], b"x")
    os._exit(0 if good else 1)
good = True
for _ in range(30):
    good = ok(child) and good
    os.write(to_child[1], b"x")
    os.read(to_parent[0], 1)
_, st = os.waitpid(child, 0)
print("parent", "ok" if good else "bad", "child", "ok" if st == 0 else "bad")
PY
)
	assert_eq "each caller's own pid hidden, the other's listed" "parent ok child ok" "$out"
}

run_case "repeated ls -l /proc/PID: far fewer requests when cached" t_fewer_requests
run_case "pids same-uid: never cached, no pid seen through another's lookup" t_hidden_never_cached
run_case "hide-pid comm: never cached, a rename hides at once" t_comm_rule_never_cached
run_case "{self} rules: never cached across callers" t_self_rule_never_cached
run_case "no entry, attribute or content after exit (20 rounds)" t_exit_not_stale
run_case "no entry cached under the old policy after a reload" t_reload_not_stale
run_case "pid reuse under caching: the new process, never the old" t_pid_reuse_cached
run_case "listing verdicts: each caller's with {self}, a reload at once" t_listing_verdicts
