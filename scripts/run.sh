#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# `make run`: runs a sandbox whose /proc is procfilterfs with filters/default.policy.
# An interactive shell when stdin is a terminal; otherwise a short demo of what
# the sandbox sees. Needs root (or unprivileged user namespaces and a usable
# /dev/fuse). BUILD selects the build directory (default build).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
pfs="$build/pfs"
policy="$top/filters/default.policy"

for f in "$pfs" "$build/procfilterfs" "$policy"; do
	if [ ! -e "$f" ]; then
		echo "run.sh: $f is missing; run make all first" >&2
		exit 1
	fi
done

# A fresh machine may lack the fuse module: load it, else fall back (loudly).
opts=(--policy "$policy")
if [ ! -c /dev/fuse ] && [ "$(id -u)" -eq 0 ]; then
	modprobe fuse 2>/dev/null || true
fi
if [ ! -c /dev/fuse ]; then
	echo "run.sh: /dev/fuse is missing even after modprobe fuse; using --fallback kernel" >&2
	opts+=(--fallback kernel)
fi

result=$(mktemp /tmp/pfs-run-result.XXXXXX.json)
trap 'rm -f "$result"' EXIT

if [ -t 0 ]; then
	echo "pfs run: interactive shell in the sandbox (exit to leave)." >&2
	"$pfs" run "${opts[@]}" --result "$result" --env PS1='sandbox# ' -- \
		/bin/bash --norc -i
	rc=$?
	echo "--- result ($result)"
	cat "$result"
	exit "$rc"
fi

# The demo. DEMO_SECRET is set for the workload: other processes see it redacted.
demo='
step() { printf "\n### %s\n" "$*"; }
step "ps aux (pid 1 is the init; the host and the daemon are invisible)"
ps aux
step "cat /proc/self/mounts"
cat /proc/self/mounts
step "an attempt to read /proc/kcore (masked by the policy)"
echo "bytes read: $(head -c 4096 /proc/kcore | wc -c)"
step "/proc/1/environ (the init: not dumpable, so not readable)"
tr "\0" "\n" </proc/1/environ 2>&1 | head -5
step "another process'"'"'s environ: DEMO_SECRET is redacted"
sleep 2 & pid=$!
tr "\0" "\n" </proc/$pid/environ 2>&1 | grep -E "SECRET|denied" || echo "(not readable)"
kill $pid
step "the same variable in our own environment"
echo "DEMO_SECRET=$DEMO_SECRET"
step "mount -t proc and umount /proc fail"
mount -t proc proc /tmp 2>&1 | head -1 || true
umount /proc 2>&1 | head -1 || true
'
"$pfs" run "${opts[@]}" --result "$result" --env DEMO_SECRET=hunter2 -- /bin/sh -s <<<"$demo"
rc=$?
printf '\n### the monitor'"'"'s result (%s)\n' "$result"
cat "$result"
exit "$rc"
