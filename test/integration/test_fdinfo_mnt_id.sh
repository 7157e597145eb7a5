#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# fdinfo's mnt_id of a file on a mount that `mount drop` removes
# (docs/leaks.md, "fdinfo mnt_id"): it names the dropped mount's nearest
# surviving ancestor, which the filtered mountinfo shows, never the hidden
# mount; the mount itself is not reachable by statmount/listmount either.
# Where no rule drops the mount (default.policy, strict.policy) mnt_id is the
# kernel's and names the mount's own line.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse
# Sanitized helpers inside: LeakSanitizer stops the world with ptrace, which
# process-memory deny refuses (docs/compat.md); no leak check in there.
NO_LSAN=(--env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")

workdir T fdinfo-mnt
mkdir "$T/data"
echo x >"$T/data/f"
printf 'include "%s/default.policy"\nmount drop target=/data\n' "$FILTERS" >"$T/drop.policy"
chmod 644 "$T/drop.policy"

# For the sandbox's own fd 3 and a sibling's fd 3, both on /data/f: the
# mnt_id (own, task/, sibling), whether mountinfo has a line with that id and
# its target, and whether a /data line exists at all.
PROBE='exec 3</data/f; sleep 100 3</data/f & s=$!; sleep 0.1
	id=$(awk "/^mnt_id:/ {print \$2}" /proc/$$/fdinfo/3)
	tid=$(awk "/^mnt_id:/ {print \$2}" /proc/$$/task/$$/fdinfo/3)
	sid=$(awk "/^mnt_id:/ {print \$2}" /proc/$s/fdinfo/3)
	[ "$id" = "$tid" ] && [ "$id" = "$sid" ] && echo same-id
	awk -v id="$id" "\$1 == id {print \"target\", \$5}" /proc/self/mountinfo
	grep -c " /data " /proc/self/mountinfo
	grep -c "^pos:" /proc/$$/fdinfo/3
	/h/sys_probe listmount; kill $s'

frun() {
	timeout 60 "$PFS" run --policy "$1" --bind "$T/data:/data:ro" --bind "$HELPERS:/h:ro" "${NO_LSAN[@]}" -- \
		bash -c "$PROBE" </dev/null 2>"$T/err"
}

case_dropped() {
	local out
	out=$(frun "$T/drop.policy") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "drop target=/data: mnt_id is the root's" "same-id
target /
0
1
ENOSYS" "$out"
}

not_dropped_under() {
	local out
	out=$(frun "$FILTERS/$1.policy") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "$1.policy: mnt_id is /data's own" "same-id
target /data
1
1
ENOSYS" "$out"
}
case_default() { not_dropped_under default; }
case_strict() { not_dropped_under strict; }

run_case "mount drop: fdinfo mnt_id names the visible ancestor (own, task/, sibling)" case_dropped
run_case "default.policy: mnt_id names the mount's own line" case_default
run_case "strict.policy: the same" case_strict
