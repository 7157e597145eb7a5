#!/usr/bin/env bash
# `make bench`: runs build/bench/pfsbench, which mounts every target itself
# (native /proc, procfilterfs with three policies, bench/nullproxy, LXCFS) in
# a private pid+mount namespace, measures them side by side, prints one table
# and writes bench/results.md.
#   BUILD=DIR          build directory (default build)
#   BENCH_QUICK=1      a short run (fewer samples, shorter phases)
#   BENCH_OUT=FILE     where the markdown goes (default bench/results.md)
#   BENCH_ALT_DAEMON=PATH  also measure another procfilterfs binary (default.policy)
#   BENCH_CPU=N|none   CPU the latency scenarios are pinned to (default: the last one)
#   BENCH_HOSTILE_ONLY=1  only the hostile-load table (issue 14)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
out=${BENCH_OUT:-$top/bench/results.md}

for bin in "$build/procfilterfs" "$build/pfs" "$build/bench/pfsbench" "$build/bench/nullproxy"; do
	if [ ! -x "$bin" ]; then
		echo "bench: $bin is missing; run make bench" >&2
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
	echo "bench: needs root and /dev/fuse (it mounts FUSE filesystems in a private namespace)" >&2
	exit 1
fi
command -v lxcfs >/dev/null || echo "bench: lxcfs not installed; its column is skipped" >&2

work=$(mktemp -d /tmp/pfsbench-policy.XXXXXX)
trap 'rm -rf "$work"' EXIT
policy="$work/tenant200.policy"
"$build/bench/pfsbench" --filters "$top/filters" --gen-policy "$policy"
# The generated policy must load and lint clean, or its column means nothing.
if ! "$build/pfs" policy check "$policy"; then
	echo "bench: the generated 200-rule policy does not pass 'pfs policy check'" >&2
	exit 1
fi

args=(--build "$build" --filters "$top/filters" --policy200 "$policy")
# The hostile table alone goes to stdout, unless BENCH_OUT names a file: results.md is the whole run's.
if [ -z "${BENCH_HOSTILE_ONLY:-}" ] || [ "${BENCH_HOSTILE_ONLY}" = 0 ] || [ -n "${BENCH_OUT:-}" ]; then
	args+=(--out "$out")
fi
# BENCH_ALT_DAEMON=PATH adds a column: another procfilterfs build with default.policy (A/B of a patch).
[ -n "${BENCH_ALT_DAEMON:-}" ] && args+=(--alt-daemon "$BENCH_ALT_DAEMON")
[ -n "${BENCH_CPU:-}" ] && args+=(--cpu "$BENCH_CPU")
[ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ] && args+=(--quick)
[ -n "${BENCH_HOSTILE_ONLY:-}" ] && [ "${BENCH_HOSTILE_ONLY}" != 0 ] && args+=(--hostile-only)
"$build/bench/pfsbench" "${args[@]}"
