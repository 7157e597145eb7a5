#!/usr/bin/env bash
# `make bench` smoke test: the harness (bench/pfsbench/, bench/nullproxy.c,
# scripts/bench.sh) still builds, mounts every target, measures each scenario
# and writes its report. Figures are not checked: a --smoke run takes a few
# samples only. Needs root and FUSE.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"

require_root_fuse

bench_runs_and_reports() {
	local out rc work
	make -s -C "$PFS_TOP" BUILD="$BUILD" "$BUILD/procfilterfs" "$BUILD/pfs" \
		"$BUILD/bench/pfsbench" "$BUILD/bench/nullproxy" >&2 || return 1
	work=$(mktemp -d)
	add_cleanup "rm -rf '$work'"
	"$BUILD/bench/pfsbench" --filters "$FILTERS" --gen-policy "$work/200.policy" >/dev/null ||
		return 1
	out=$("$PFS" policy check "$work/200.policy" 2>&1)
	rc=$?
	assert_eq "pfs policy check of the generated 200-rule policy" "0" "$rc" || {
		log "$out"
		return 1
	}
	# LeakSanitizer cannot stop threads from inside the bench's own pid
	# namespace (its /proc is the new one): leak checks off for the harness.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 60 "$BUILD/bench/pfsbench" --smoke --build "$BUILD" --filters "$FILTERS" \
		--policy200 "$work/200.policy" --out "$work/results.md" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	assert_eq "pfsbench exit status" "0" "$rc" || {
		tail -n 20 "$work/stderr" >&2
		return 1
	}
	grep -q '^## Goals' "$work/results.md" || fail "no goal table in the report" || return 1
	grep -q '^| /proc/self/status | [0-9]' "$work/results.md" ||
		fail "no native figure for /proc/self/status" || return 1
	# the FUSE floor (nullproxy -o memo) beside native and procfilterfs, per walk
	grep -q '^| ps aux walk, 200 processes (µs/walk) | [0-9]* | [0-9]* | [0-9]* | [0-9.]*× | [0-9.]*× |$' \
		"$work/results.md" || fail "no FUSE floor figures for the walk" || return 1
	# inside pfs run: stress-ng on the kernel's proc, the null proxy, the FUSE
	# floor and procfilterfs, and the objects table on procfilterfs
	# shellcheck disable=SC2016 # the markdown's backquotes
	grep -q '^| `stress-ng --procfs 2` (bogo-ops/s) | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]*× | [0-9.]*× | [0-9.]*×' "$work/results.md" ||
		fail "no stress-ng figures: $(grep -i 'stress-ng' "$work/results.md" | tail -n 2)" || return 1
	grep -q '^| /proc/self/status open+read+close | [0-9.]* / [0-9.]* | [0-9.]* / [0-9.]* | [0-9.]* / ' \
		"$work/results.md" || fail "no figures for reads inside pfs run" || return 1
	grep -q '^| sendfile of an open /proc/self/status (result) | .*(EINVAL) | .*(EINVAL) | .*(EINVAL) |' \
		"$work/results.md" || fail "sendfile of a /proc file: not EINVAL everywhere" || return 1
	# Every procfilterfs and null-proxy cell holds a figure: no errors, no dead daemon.
	if grep -E '^\| .* error: ' "$work/results.md" >&2; then
		fail "an operation failed on some target"
		return 1
	fi
	if grep -E 'did not mount|died during|exited during' "$work/results.md" >&2; then
		fail "a daemon did not mount or died"
		return 1
	fi
	cmp -s "$work/stdout" "$work/results.md" || fail "stdout and the report differ"
}

run_case bench_runs_and_reports bench_runs_and_reports
