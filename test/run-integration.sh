#!/usr/bin/env bash
# Runs every test/integration/test_*.sh. Each script reports its cases through
# test/integration/lib.sh; this prints the totals as "N passed, N failed".
# Usage: test/run-integration.sh [PATTERN]   (PATTERN filters script names)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export PFS_TOP=${PFS_TOP:-$(cd "$here/.." && pwd)}
export BUILD=${BUILD:-build}
results=$(mktemp)
export PFS_RESULTS=$results
pattern=${1:-}

status=0
for t in "$here"/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	[ -n "$pattern" ] && [[ "$name" != *"$pattern"* ]] && continue
	echo "== $name"
	start=$(date +%s)
	# a script may ask for more than 300 s: a "# pfs-timeout: N" line
	limit=$(sed -n 's/^# pfs-timeout: \([0-9]*\)$/\1/p' "$t" | head -1)
	if ! timeout --kill-after=10 "${limit:-300}" bash "$t"; then
		echo "FAIL $name: script exited non-zero" | tee -a "$results"
		status=1
	fi
	echo "   ($(($(date +%s) - start)) s)"
done

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
grep '^FAIL ' "$results" || true
rm -f "$results"
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
