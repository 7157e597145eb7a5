#!/usr/bin/env bash
# futex(2) calls per open+read+close in a FUSE daemon under 4 concurrent
# readers of /proc/self/status, counted with perf's syscall tracepoint (the
# lock contention the issue-16 figures quote; make bench does not count it).
#   bench/futex-per-op.sh DAEMON [N]   DAEMON: build/procfilterfs or build/bench/nullproxy
# Needs root, /dev/fuse, perf and tracefs. Prints "futex/op F, ops/s R".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
daemon=${1:?usage: bench/futex-per-op.sh DAEMON [N]}
n=${2:-5000}
mnt=$(mktemp -d /tmp/pfs-futex.XXXXXX)
out=$(mktemp /tmp/pfs-futex-perf.XXXXXX)
case "$daemon" in
*nullproxy) "$daemon" -f "$mnt" 2>/dev/null & ;;
*) "$daemon" -f -o "policy=$top/filters/default.policy" "$mnt" 2>/dev/null & ;;
esac
dpid=$!
trap 'umount "$mnt" 2>/dev/null; wait "$dpid" 2>/dev/null; rmdir "$mnt"; rm -f "$out"' EXIT
for _ in $(seq 50); do mountpoint -q "$mnt" && break; sleep 0.1; done
perf stat -e syscalls:sys_enter_futex -p "$dpid" -o "$out" &
spid=$!
sleep 0.3
start=$(date +%s%N)
readers=()
for _ in 1 2 3 4; do
	"$top/build/bench/pfsbench" --loop "$mnt/self/status" "$n" >/dev/null &
	readers+=($!)
done
wait "${readers[@]}"
end=$(date +%s%N)
kill -INT "$spid"
wait "$spid" || true
calls=$(awk '/sys_enter_futex/ {gsub(",", "", $1); print $1}' "$out")
awk -v c="$calls" -v ops=$((4 * n)) -v ns=$((end - start)) \
	'BEGIN { printf "futex/op %.2f, ops/s %.0f\n", c / ops, ops / (ns / 1e9) }'
