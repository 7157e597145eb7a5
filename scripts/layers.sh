#!/usr/bin/env bash
# Proves the tree's layering on the built objects: each file may use only
# files of its own folder or of a folder before it in LAYERS (base first), and
# no group of files uses each other in a cycle. Symbols, not #includes, are
# what a file really depends on. Usage: scripts/layers.sh OBJECT...
set -euo pipefail
LAYERS=(base policy filter access view monitor audit fs launcher oci pfs)

declare -A rank
for i in "${!LAYERS[@]}"; do
	rank[${LAYERS[$i]}]=$i
done

# "folder/file" of build/.../src/folder/file.o
name_of() {
	local o=${1%.o}
	o=${o##*/src/}
	printf '%s\n' "$o"
}

defs=$(mktemp)
uses=$(mktemp)
trap 'rm -f "$defs" "$uses"' EXIT
for o in "$@"; do
	n=$(name_of "$o")
	[ -n "${rank[${n%%/*}]+x}" ] || {
		echo "layers: $o is in no layer; add its folder to LAYERS in $0" >&2
		exit 1
	}
	nm --defined-only "$o" | awk -v n="$n" '$2 ~ /^[TDBRCV]$/ { print $3, n }' >>"$defs"
	nm --undefined-only "$o" | awk -v n="$n" '{ print $2, n }' >>"$uses"
done

# "user used" pairs: a file and a file whose symbol it uses.
edges=$(join <(sort -u "$uses") <(sort -u "$defs") | awk '$2 != $3 { print $2, $3 }' | sort -u)

rc=0
while read -r user used; do
	[ -n "$user" ] || continue
	if [ "${rank[${used%%/*}]}" -gt "${rank[${user%%/*}]}" ]; then
		echo "layers: src/$user.c uses src/$used.c, a layer above it (${LAYERS[*]})" >&2
		rc=1
	fi
done <<<"$edges"

if ! loop=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "layers: files that use each other in a cycle:" >&2
	sed -n 's/^tsort: -: input contains a loop:$/  loop:/p; s/^tsort: /    /p' <<<"$loop" >&2
	rc=1
fi
exit $rc
