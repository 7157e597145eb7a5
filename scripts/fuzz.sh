#!/usr/bin/env bash
# Runs every libFuzzer target. smoke: a fixed number of runs each (make test);
# long: a time budget each (make fuzz, FUZZ_SECONDS, default 60).
set -euo pipefail
BUILD=${BUILD:-build}
mode=${1:-smoke}
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${FUZZ_RUNS:-3000}
secs=${FUZZ_SECONDS:-60}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

shopt -s nullglob
targets=("$BUILD"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no targets built" >&2
	exit 1
fi
for t in "${targets[@]}"; do
	name=$(basename "$t")
	corpus=$(mktemp -d)
	# Seeds: the fuzz/corpus/<name>/ directory plus shipped policies and fixtures.
	seeds=("$top/fuzz/corpus/$name")
	case "$name" in
	fuzz_policy*) seeds+=("$top/filters" "$top/filters/tenants") ;;
	fuzz_mount*) seeds+=("$top/../shared/fixtures/mountinfo" "$top/test/fixtures/mountinfo") ;;
	esac
	existing=()
	for s in "${seeds[@]}"; do [ -d "$s" ] && existing+=("$s"); done
	if [ "$mode" = smoke ]; then
		"$t" -runs="$runs" -max_len=8192 "$corpus" "${existing[@]}" >"$corpus.log" 2>&1 ||
			{ tail -n 40 "$corpus.log"; echo "fuzz: $name FAILED"; exit 1; }
	else
		"$t" -max_total_time="$secs" -max_len=65536 "$corpus" "${existing[@]}"
	fi
	echo "fuzz: $name ok"
	rm -rf "$corpus" "$corpus.log"
done
