#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# `sysinfo virtual`: the sandbox sees its own machine (meminfo, cpuinfo, stat,
# uptime, loadavg, diskstats, pressure) from its cgroup, v1 on hybrid hosts,
# v2 elsewhere.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T sysinfo-test

VIRTUAL="$FILTERS/default.policy"
HOST="$FILTERS/passthrough.policy"
srun() {
	local policy=$1
	shift
	timeout 60 "$PFS" run --policy "$policy" "$@"
}

# srun with its output in file $1 and the launcher's pid in RUN_PID, which
# names its cgroups (pfs-run-PID): other runs on this host have their own.
srun_owned() {
	local out=$1 policy=$2
	shift 2
	"$PFS" run --policy "$policy" "$@" >"$out" 2>&1 &
	RUN_PID=$!
	# its own output elsewhere: a sleep holding the caller's $(...) pipe
	# would make every case wait the whole 60 s
	(sleep 60 && kill "$RUN_PID") >/dev/null 2>&1 &
	local watchdog=$! rc=0
	wait "$RUN_PID" || rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	return "$rc"
}

# The sandbox's cgroups are gone once pfs run returns, on v1 and v2.
no_cgroup_left() {
	local d n=pfs-run-$RUN_PID
	for d in /sys/fs/cgroup/"$n" /sys/fs/cgroup/*/"$n" /sys/fs/cgroup/*/*/"$n" \
		/sys/fs/cgroup/*/*/*/"$n"; do
		[ ! -e "$d" ] || fail "cgroup $d left behind" || return 1
	done
}

case_free_shows_the_limit() {
	local out total
	srun_owned "$T/free.out" "$VIRTUAL" --limit mem=256M -- free -m
	local rc=$?
	out=$(cat "$T/free.out")
	[ "$rc" -eq 0 ] || fail "free failed: $out" || return 1
	total=$(awk '/^Mem:/ {print $2}' <<<"$out")
	assert_eq "free -m total" 256 "$total" || return 1
	# used + free + buff/cache never exceeds the total; available within it
	awk '/^Mem:/ { if ($3 < 0 || $3 + $4 + $6 > $2 + 1 || $7 > $2) exit 1 }' <<<"$out" ||
		fail "inconsistent: $out" || return 1
	no_cgroup_left
}

case_meminfo_follows_usage() {
	# 64 MiB touched in the sandbox shows as used memory, not the host's
	local out
	out=$(srun "$VIRTUAL" --limit mem=512M -- python3 -c '
b = bytearray(64 << 20)
m = dict(l.split(":") for l in open("/proc/meminfo"))
kb = lambda k: int(m[k].split()[0])
print(kb("MemTotal"), kb("MemTotal") - kb("MemFree"), kb("MemAvailable"))
') || fail "python failed: $out" || return 1
	local total used avail
	read -r total used avail <<<"$out"
	assert_eq "MemTotal" 524288 "$total" || return 1
	if [ "$used" -lt 65536 ] || [ "$used" -ge 262144 ]; then
		fail "used ${used} kB: $out"
		return 1
	fi
	[ "$avail" -le "$total" ] || fail "available > total: $out"
}

case_host_meminfo_without_virtualisation() {
	local host inside
	host=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	inside=$(srun "$HOST" --limit mem=256M -- awk '/^MemTotal:/ {print $2}' /proc/meminfo) ||
		return 1
	assert_eq "passthrough MemTotal" "$host" "$inside"
}

case_cpuinfo_matches_the_cpuset() {
	local out
	out=$(srun "$VIRTUAL" --limit cpus=0 -- sh -c 'grep -c ^processor /proc/cpuinfo;
		grep -c "^cpu[0-9]" /proc/stat; nproc;
		python3 -c "import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))"') ||
		fail "run failed: $out" || return 1
	assert_eq "one CPU everywhere" $'1\n1\n1\n1 1' "$out" || return 1
	# without a cpuset: every host CPU, and os.cpu_count() as on the host
	local n
	n=$(nproc)
	out=$(srun "$VIRTUAL" -- sh -c 'grep -c ^processor /proc/cpuinfo;
		python3 -c "import os; print(os.cpu_count())"') || return 1
	assert_eq "all CPUs" "$n"$'\n'"$n" "$out"
}

case_uptime_is_the_sandbox_age() {
	local out up idle ncpu
	out=$(srun "$VIRTUAL" -- sh -c 'sleep 2; cat /proc/uptime; nproc; uptime') || return 1
	read -r up idle <<<"$(sed -n 1p <<<"$out")"
	ncpu=$(sed -n 2p <<<"$out")
	awk -v u="$up" -v i="$idle" -v n="$ncpu" 'BEGIN { exit !(u >= 2 && u < 15 && i <= u * n) }' ||
		fail "uptime $up idle $idle on $ncpu CPUs" || return 1
	grep -q "up 0 min" <<<"$out" || fail "uptime(1): $out"
}

case_ps_start_times_are_right() {
	# btime and every process's starttime move together (LXCFS #189)
	local out now start
	out=$(srun "$VIRTUAL" -- sh -c 'sleep 1; date +%s; ps -o lstart= -p 1; ps -o etimes= -p 1') ||
		return 1
	now=$(sed -n 1p <<<"$out")
	start=$(date -d "$(sed -n 2p <<<"$out")" +%s) || return 1
	if [ $((now - start)) -lt 0 ] || [ $((now - start)) -gt 10 ]; then
		fail "init started $((now - start)) s ago: $out"
		return 1
	fi
	local et
	et=$(sed -n 3p <<<"$out" | tr -d ' ')
	if [ "$et" -lt 1 ] || [ "$et" -gt 10 ]; then
		fail "etimes $et: $out"
	fi
}

case_loadavg_is_the_sandbox_own() {
	# a busy sibling sandbox does not move this one's load; its own busy loop does
	srun "$VIRTUAL" -- timeout 14 sh -c 'while :; do :; done' >/dev/null 2>&1 &
	local sib=$!
	local quiet busy
	quiet=$(srun "$VIRTUAL" -- sh -c 'sleep 11; cat /proc/loadavg') || return 1
	busy=$(srun "$VIRTUAL" -- sh -c 'timeout 11 sh -c "while :; do :; done"; cat /proc/loadavg') ||
		return 1
	wait "$sib"
	awk '{ exit !($1 == 0 && $2 == 0 && $3 == 0) }' <<<"$quiet" ||
		fail "quiet sandbox load: $quiet" || return 1
	awk '{ exit !($1 >= 0.1) }' <<<"$busy" || fail "busy sandbox load: $busy" || return 1
	# the last-pid field is the sandbox's, a small number
	awk '{ exit !($5 > 0 && $5 < 100) }' <<<"$busy" || fail "last pid: $busy"
}

# The read sectors summed over the lines of a diskstats text on stdin.
sectors_read() {
	awk '{ s += $6 } END { print s + 0 }'
}

case_diskstats_counts_the_sandbox_io() {
	# direct reads of a host file inside show up; the host's totals do not
	local f size out before after host
	f=$(find /usr/lib /usr/bin -xdev -type f -size +4M 2>/dev/null | head -n 1)
	[ -n "$f" ] || fail "no file of 4 MiB on the host's disk" || return 1
	size=$(stat -c %s "$f")
	host=$(sectors_read </proc/diskstats)
	srun_owned "$T/disk.out" "$VIRTUAL" -- sh -c "
		cat /proc/diskstats; echo ---
		dd if='$f' of=/dev/null bs=1M iflag=direct 2>/dev/null
		sleep 0.2 # past the 50 ms the daemon reuses cgroup figures
		cat /proc/diskstats"
	out=$(cat "$T/disk.out")
	before=$(sed '/^---$/,$d' <<<"$out" | sectors_read)
	after=$(sed '1,/^---$/d' <<<"$out" | sectors_read)
	log "sectors read: host $host, sandbox $before -> $after, file $((size / 512))"
	[ "$before" -lt $((host / 2)) ] || fail "the host's figures: $before of $host" || return 1
	[ $((after - before)) -ge $((size / 512)) ] ||
		fail "the sandbox's reads not counted: $before -> $after" || return 1
	# the same number of lines and columns as the host's file
	assert_eq "lines" "$(wc -l </proc/diskstats)" "$(sed '1,/^---$/d' <<<"$out" | wc -l)" || return 1
	no_cgroup_left
}

case_pressure_is_the_sandbox_own() {
	# a fresh sandbox's cpu pressure starts near 0 and grows with its own contention
	local out t0 t1 host
	host=$(awk -F'total=' '/^some/ {print $2}' /proc/pressure/cpu)
	out=$(srun "$VIRTUAL" --limit cpus=0 -- sh -c '
		cat /proc/pressure/cpu
		for i in 1 2 3; do timeout 3 sh -c "while :; do :; done" & done; wait
		cat /proc/pressure/cpu') || return 1
	t0=$(awk -F'total=' '/^some/ {print $2; exit}' <<<"$out")
	t1=$(awk -F'total=' '/^some/ {v = $2} END {print v}' <<<"$out")
	log "cpu pressure total: host $host, sandbox $t0 -> $t1 us"
	[ "$t0" -lt "$host" ] && [ "$t0" -lt 1000000 ] || fail "not the sandbox's: $out" || return 1
	# three busy loops on one CPU stall two of them: seconds of "some" pressure
	[ $((t1 - t0)) -ge 1000000 ] || fail "its own contention not seen: $out"
}

case_monitor_enforces_through_v1_or_v2() {
	local r="$T/r.json"
	srun_owned /dev/null "$VIRTUAL" --limit mem=64M,cpus=0 --result "$r" -- \
		python3 -c 'b = bytearray(200 << 20); print(len(b))'
	grep -q '"status": "MLE"' "$r" || fail "result: $(cat "$r")" || return 1
	grep -q '"cgroup": true' "$r" || fail "no cgroup: $(cat "$r")" || return 1
	grep -q '"mem": {"value": 67108864, "unit": "bytes", "mechanism": "cgroup+monitor"}' "$r" ||
		fail "mechanism: $(cat "$r")" || return 1
	grep -q '"cpus": {"value": 1, "unit": "cpumask", "mechanism": "cgroup"}' "$r" ||
		fail "cpus: $(cat "$r")" || return 1
	no_cgroup_left
}

case_audit_reports_the_host_size() {
	# without virtualisation pfs audit names both leaks; with it, neither
	local out
	out=$(srun "$HOST" --limit cpus=0 --bind "$BUILD:/pfsbin:ro" -- /pfsbin/pfs audit 2>&1)
	grep -q "host/host-memory-size" <<<"$out" || fail "no memory finding: $out" || return 1
	grep -q "host/host-cpu-count" <<<"$out" || fail "no cpu finding: $out" || return 1
	out=$(srun "$VIRTUAL" --limit cpus=0,mem=256M --bind "$BUILD:/pfsbin:ro" -- /pfsbin/pfs audit 2>&1)
	if grep -q "host-memory-size\|host-cpu-count" <<<"$out"; then
		fail "virtualised, still reported: $out"
		return 1
	fi
}

run_case free_shows_the_limit case_free_shows_the_limit
run_case meminfo_follows_usage case_meminfo_follows_usage
run_case host_meminfo_without_virtualisation case_host_meminfo_without_virtualisation
run_case cpuinfo_matches_the_cpuset case_cpuinfo_matches_the_cpuset
run_case uptime_is_the_sandbox_age case_uptime_is_the_sandbox_age
run_case ps_start_times_are_right case_ps_start_times_are_right
run_case loadavg_is_the_sandbox_own case_loadavg_is_the_sandbox_own
run_case diskstats_counts_the_sandbox_io case_diskstats_counts_the_sandbox_io
run_case pressure_is_the_sandbox_own case_pressure_is_the_sandbox_own
run_case monitor_enforces_through_v1_or_v2 case_monitor_enforces_through_v1_or_v2
run_case audit_reports_the_host_size case_audit_reports_the_host_size
