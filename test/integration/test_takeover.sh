#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# pfs run's supervisor (docs/pfs-run.md, "When the daemon dies"): the daemon
# killed with SIGKILL 20 times under a loop of ps, status and maps reads,
# which sees no error and no wrong content; each gap is a daemon_restart
# event, p99 <= 100 ms; a live upgrade (pfs upgrade) under the same loop, and
# a policy reload after it; past --daemon-restarts the sandbox ends (122, XX).
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T takeover-test
POLICY=$T/takeover.policy
printf 'include "%s/default.policy"\n' "$FILTERS" >"$POLICY"
chmod 644 "$POLICY"

# The loop inside: until /out/stop exists, ps aux, /proc/self/status and the
# shell's maps, each checked for content; counts in /out/done.
LOOP='
i=0; err=0; wrong=0
while [ ! -e /out/stop ] || [ $i -lt 20 ]; do
	out=$(ps aux 2>>/out/err) || err=$((err + 1))
	case "$out" in "USER "*"ps aux"*) ;; *) wrong=$((wrong + 1)); echo "ps: $out" >>/out/wrong ;; esac
	out=$(cat /proc/self/status 2>>/out/err) || err=$((err + 1))
	[ "$(printf "%s\n" "$out" | grep -c "^Name:	cat$")" = 1 ] &&
		[ "$(printf "%s\n" "$out" | tail -n 1 | cut -d: -f1)" = nonvoluntary_ctxt_switches ] ||
		{ wrong=$((wrong + 1)); echo "status: $out" >>/out/wrong; }
	out=$(cat /proc/$$/maps 2>>/out/err) || err=$((err + 1))
	printf "%s\n" "$out" | grep -q "^[0-9a-f]*-[0-9a-f]* r-xp .*/$(basename "$(readlink /proc/$$/exe)")$" ||
		{ wrong=$((wrong + 1)); echo "maps: $out" >>/out/wrong; }
	i=$((i + 1))
	[ $i = 3 ] && touch /out/ready
done
test -e /proc/cmdline && echo visible >/out/cmdline || echo hidden >/out/cmdline
echo "iterations=$i errors=$err wrong=$wrong" >/out/done
'

# start_box DIR ARGS...: pfs run with the loop in the background; sets BOX (its pid).
start_box() {
	local d=$1
	shift
	chmod 777 "$d"
	"$PFS" run --policy "$POLICY" --events "$d/ev.json" --result "$d/r.json" --bind "$d:/out" \
		"$@" -- sh -c "$LOOP" 2>"$d/stderr" &
	BOX=$!
	add_cleanup "touch '$d/stop'; kill $BOX 2>/dev/null"
	for _ in $(seq 1 200); do
		[ -e "$d/ready" ] && return 0
		sleep 0.05
	done
	fail "the loop did not start: $(cat "$d/stderr")"
}

# the daemon that serves (not the spare), as pfs run's supervisor says
daemon_of() { "$PFS" upgrade --sandbox "$1" --reload | sed -n 's/^daemon //p'; }

# finish DIR: stops the loop, waits for pfs run; its exit status in RC.
finish() {
	touch "$1/stop"
	wait "$BOX"
	RC=$?
}

loop_clean() {
	local d=$1
	assert_eq "pfs run exit" 0 "$RC" || {
		cat "$d/stderr" >&2
		return 1
	}
	grep -q "errors=0 wrong=0" "$d/done" ||
		fail "the loop saw: $(cat "$d/done" 2>&1) $(sort "$d/err" | uniq -c | head) $(head -c 2000 "$d/wrong" 2>/dev/null)"
}

case_kill20() {
	local d=$T/kill20 i dpid
	mkdir -p "$d"
	start_box "$d" --daemon-restarts 25/60 || return 1
	for i in $(seq 1 20); do
		dpid=$(daemon_of "$BOX")
		[ -n "$dpid" ] || fail "no daemon before kill $i: $(cat "$d/stderr")" || return 1
		kill -9 "$dpid"
		sleep "0.$((RANDOM % 3 + 1))"
	done
	finish "$d"
	loop_clean "$d" || return 1
	log "loop: $(cat "$d/done")"
	python3 - "$d" <<'EOF' || return 1
import json, math, sys
d = sys.argv[1]
ev = [json.loads(l) for l in open(d + "/ev.json")]
gaps = sorted(e["gap_ms"] for e in ev if e["event"] == "daemon_restart")
r = json.load(open(d + "/r.json"))
assert len(gaps) == 20, f"{len(gaps)} daemon_restart events, want 20"
assert r["daemon_restarts"] == 20 and len(r["daemon_gaps_ms"]) == 20, r
assert all(e["signal"] == 9 and e["cause"] == "died" for e in ev if e["event"] == "daemon_restart")
p99 = gaps[math.ceil(0.99 * len(gaps)) - 1]
print(f"   gaps ms: median {gaps[len(gaps) // 2]:.1f}, p99 {p99:.1f}, max {gaps[-1]:.1f}")
assert p99 <= 100, f"p99 gap {p99} ms"
EOF
}

case_upgrade() {
	local d=$T/upgrade old new out
	mkdir -p "$d"
	cp "$DAEMON" "$d/procfilterfs.copy"
	printf 'include "%s/default.policy"\n' "$FILTERS" >"$POLICY"
	start_box "$d" || return 1
	old=$(daemon_of "$BOX")
	out=$("$PFS" upgrade --sandbox "$BOX" --binary "$d/procfilterfs.copy" 2>&1) ||
		fail "pfs upgrade: $out" || return 1
	new=$(daemon_of "$BOX")
	assert_eq "pfs upgrade's answer" "daemon $new" "$out" || return 1
	[ "$new" != "$old" ] || fail "the daemon was not replaced ($old)" || return 1
	assert_eq "the new daemon's binary" "$d/procfilterfs.copy" "$(readlink "/proc/$new/exe")" || return 1
	sleep 0.3
	# the policy reload keeps working on the new daemon
	echo 'hide /proc/cmdline' >>"$POLICY"
	out=$("$PFS" upgrade --sandbox "$BOX" --reload 2>&1) || fail "reload: $out" || return 1
	sleep 1.2 # cached global entries live up to 1 s
	finish "$d"
	loop_clean "$d" || return 1
	assert_eq "after the reload" hidden "$(cat "$d/cmdline")" || return 1
	grep -q '"event": "daemon_restart", "cause": "upgrade"' "$d/ev.json" ||
		fail "no upgrade event: $(grep daemon_restart "$d/ev.json")" || return 1
	out=$("$PFS" upgrade --sandbox "$BOX" --binary /bin/true 2>&1)
	assert_eq "upgrade of an ended sandbox" 1 $? || return 1
	grep -q "no pfs run" <<<"$out" || fail "message: $out"
}

# Files opened through the dead daemon: unchanged content continues, changed
# content read in the middle is ESTALE, a rewind renders afresh; a directory
# handle lists again.
ORPHANS='
import os, time, errno
fd = os.open("/proc/version", os.O_RDONLY)
st = os.open("/proc/self/stat", os.O_RDONLY)
d = os.open("/proc/sys", os.O_RDONLY | os.O_DIRECTORY)
a = os.read(fd, 10)
s1 = os.read(st, 5)
open("/out/opened", "w").close()
while not os.path.exists("/out/killed"):
    time.sleep(0.02)
b = os.read(fd, 100000)
whole = open("/proc/version", "rb").read()
res = ["version " + ("same" if a + b == whole else "DIFF %r %r" % (a + b, whole))]
time.sleep(0.05)  # the stat changes: its utime, at least its start is not re-read
try:
    s2 = os.read(st, 100000)
    res.append("stat " + ("whole" if (s1 + s2).count(b")") == 1 else "torn"))
except OSError as e:
    res.append("stat " + errno.errorcode[e.errno])
os.lseek(st, 0, 0)
res.append("rewind " + ("ok" if os.read(st, 100000).startswith(b"%d " % os.getpid()) else "bad"))
res.append("dir " + " ".join(sorted(os.listdir(d))))
open("/out/orphans", "w").write("\n".join(res) + "\n")
'

case_open_files() {
	local d=$T/orphans
	mkdir -p "$d"
	chmod 777 "$d"
	"$PFS" run --policy "$POLICY" --bind "$d:/out" -- python3 -c "$ORPHANS" 2>"$d/stderr" &
	BOX=$!
	add_cleanup "kill $BOX 2>/dev/null"
	wait_exists "$d/opened"
	kill -9 "$(daemon_of "$BOX")" || fail "no daemon" || return 1
	sleep 0.2
	touch "$d/killed"
	wait "$BOX"
	assert_eq "exit" 0 $? || return 1
	local want
	want=$(printf 'version same\n%s\nrewind ok\ndir %s' "stat ESTALE" "$(find /proc/sys -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')")
	# the stat may also be unchanged (then whole), never torn
	sed -i 's/^stat whole$/stat ESTALE/' "$d/orphans"
	assert_eq "after the restart" "$want" "$(cat "$d/orphans")"
}

case_bad_binary() {
	local d=$T/badbin out
	mkdir -p "$d"
	printf 'include "%s/default.policy"\n' "$FILTERS" >"$POLICY"
	start_box "$d" || return 1
	local old
	old=$(daemon_of "$BOX")
	out=$("$PFS" upgrade --sandbox "$BOX" --binary /bin/true 2>&1)
	assert_eq "upgrade to /bin/true" 1 $? || return 1
	grep -q "did not answer as procfilterfs; the daemon was left as it was" <<<"$out" ||
		fail "message: $out" || return 1
	assert_eq "the daemon" "$old" "$(daemon_of "$BOX")" || return 1
	finish "$d"
	loop_clean "$d"
}

case_limit() {
	local d=$T/limit i dpid
	mkdir -p "$d"
	start_box "$d" --daemon-restarts 2/60 || return 1
	for i in 1 2 3; do
		dpid=$(daemon_of "$BOX")
		[ -n "$dpid" ] || fail "no daemon before kill $i" || return 1
		kill -9 "$dpid"
		sleep 0.3
	done
	touch "$d/stop"
	wait "$BOX"
	assert_eq "exit code past the limit" 122 $? || return 1
	grep -q "died 3 times within 60 s (--daemon-restarts 2/60)" "$d/stderr" ||
		fail "stderr: $(cat "$d/stderr")" || return 1
	python3 - "$d/r.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "XX" and "--daemon-restarts 2/60" in r["message"], r
assert r["daemon_restarts"] == 2, r
EOF
}

case_usage() {
	local out
	out=$("$PFS" run --daemon-restarts x -- true 2>&1)
	assert_eq "bad --daemon-restarts" 125 $? || return 1
	grep -q "give N or N/S" <<<"$out" || fail "message: $out" || return 1
	"$PFS" upgrade --sandbox 1 >/dev/null 2>&1
	assert_eq "upgrade without --binary" 2 $?
}

run_case "20 SIGKILLs of the daemon under ps/status/maps: no error, gaps reported" case_kill20
run_case "open files and directories across a restart: same bytes, ESTALE or afresh" case_open_files
run_case "live upgrade to a copy under the loop; reload after it" case_upgrade
run_case "an upgrade to a binary that is not procfilterfs is refused" case_bad_binary
run_case "past --daemon-restarts the sandbox ends: 122, XX" case_limit
run_case "option errors" case_usage
