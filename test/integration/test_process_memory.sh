#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# `environ redact` is not undone through memory (docs/policy.md,
# process-memory): a hostile sibling of the same uid reads a redacted value
# from /proc/PID/mem at env_start..env_end, with process_vm_readv, or with
# ptrace; under default.policy, strict.policy and any policy that redacts
# environ each way fails, while the process's own memory and, where the
# policy allows process memory, gdb and strace keep working.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse
workdir T process-memory
chmod 1777 "$T" # the sandbox writes the audit report there
printf 'environ redact SECRET_*\n' >"$T/redact.policy"
printf 'include "%s/default.policy"\nprocess-memory allow\n' "$FILTERS" >"$T/allow.policy"
printf 'process-memory deny\n' >"$T/deny.policy"
chmod 644 "$T"/*.policy

# mrun POLICY-FILE [pfs run options] -- SCRIPT
mrun() { hbox "$@"; }

# The attack, as a sandbox process of the victim's uid: every way, then the
# files the daemon guards, then the reader's own memory.
ATTACK='SECRET_TOKEN=hunter2 sleep 100 & v=$!; sleep 0.2
	tr "\0" "\n" </proc/$v/environ | grep "^SECRET_TOKEN="
	for how in mem vm ptrace seize write; do echo "$how: $(/h/mem_thief $how $v SECRET_TOKEN)"; done
	t=$(ls /proc/$v/task | head -1)
	for f in mem pagemap map_files; do echo "$f: $(/h/mem_thief open $v $f)"; done
	echo "task/T/mem: $(/h/mem_thief open $v task/$t/mem)"
	echo "own: $(SECRET_TOKEN=mine /h/mem_thief mem self SECRET_TOKEN) $(/h/mem_thief open self pagemap) $(/h/mem_thief open self map_files)"
	kill $v'

DENIED='SECRET_TOKEN=[redacted]
mem: open:EACCES
vm: process_vm_readv:EPERM
ptrace: attach:EPERM
seize: seize:EPERM
write: process_vm_writev:EPERM
mem: open:EACCES
pagemap: open:EACCES
map_files: opendir:EACCES
task/T/mem: open:EACCES
own: mine OK OK'

attack_fails_under() {
	local out
	out=$(mrun "$1" -- "$ATTACK") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "attack under $1" "$DENIED" "$out"
}
case_default() { attack_fails_under "$FILTERS/default.policy"; }
case_strict() { attack_fails_under "$FILTERS/strict.policy"; }
case_redact_only() { attack_fails_under "$T/redact.policy"; }

# as a non-root uid too: the same refusals
case_default_uid() {
	local out
	out=$(mrun "$FILTERS/default.policy" --uid 1000 --gid 1000 -- "$ATTACK") ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "attack as uid 1000" "$DENIED" "$out"
}

# `process-memory deny` alone (nothing redacted) refuses the same
case_explicit_deny() {
	local out
	out=$(mrun "$T/deny.policy" -- "$ATTACK") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "process-memory deny" "SECRET_TOKEN=hunter2
$(tail -n +2 <<<"$DENIED")" "$out"
}

# The attack works where the policy allows process memory: the refusals above
# are the policy's, and a policy that allows it says so explicitly.
case_allowed() {
	local out
	out=$(mrun "$T/allow.policy" -- "$ATTACK") || fail "run: $(cat "$T/err")" || return 1
	assert_eq "process-memory allow" "SECRET_TOKEN=[redacted]
mem: hunter2
vm: hunter2
ptrace: hunter2
seize: hunter2
write: OK
mem: OK
pagemap: OK
map_files: OK
task/T/mem: OK
own: mine OK OK" "$out"
}

# Debuggers on the workload's own children where the policy allows it; refused where not.
case_debuggers() {
	local out
	out=$(mrun "$T/allow.policy" -- 'sleep 100 & p=$!; sleep 0.2
		timeout 60 gdb -q -batch -p $p -ex "x/i \$pc" -ex "info proc mappings" 2>&1 |
			grep -cE "^=> 0x|/usr/bin/sleep$"
		strace -qq -e trace=exit_group true 2>&1; kill $p') || fail "run: $(cat "$T/err")" || return 1
	local n
	n=$(head -1 <<<"$out")
	[ "$n" -ge 2 ] || fail "gdb -p under process-memory allow: $out" || return 1
	assert_eq "strace under allow" "exit_group(0)                           = ?" "$(tail -1 <<<"$out")" || return 1
	out=$(mrun "$FILTERS/default.policy" -- 'sleep 100 & p=$!; sleep 0.2
		timeout 60 gdb -q -batch -p $p 2>&1 | grep -m1 -o "ptrace: Operation not permitted"; kill $p') ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "gdb -p under default.policy" "ptrace: Operation not permitted" "$out"
}

# pfs audit inside the sandbox: a sibling with a credential-like variable
# whose memory is readable is a finding (high), and its rule is verified
# against the policy that allowed it;
# under default.policy there is none.
AUDIT='SECRET_TOKEN=hunter2 sleep 100 & v=$!; sleep 0.2
	'"'$PFS'"' audit --json --policy /t/audit.policy >/t/audit.json; echo "rc=$?"
	kill $v'
case_audit() {
	local out
	cp "$T/allow.policy" "$T/audit.policy"
	out=$(mrun "$T/allow.policy" --bind "$BUILD:$BUILD:ro" --bind "$FILTERS:$FILTERS:ro" --bind "$T:/t" -- "$AUDIT") ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "audit under process-memory allow" "rc=1" "$out" || return 1
	python3 -c '
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["findings"] if f["check"] == "environ-in-memory"]
assert len(f) == 1, f
f = f[0]
assert (f["category"], f["severity"], f["rule"], f["verify"]) == ("memory", "high", "process-memory deny", "verified"), f
assert f["path"].endswith("/mem") and f["entry"] == f["value"] == "SECRET_TOKEN", f
assert "SECRET_TOKEN" in f["why"] and "/proc/P/mem" in f["why"] and "hunter2" not in json.dumps(f), f
' "$T/audit.json" || return 1
	cp "$FILTERS/default.policy" "$T/audit.policy"
	out=$(mrun "$FILTERS/default.policy" --bind "$BUILD:$BUILD:ro" --bind "$FILTERS:$FILTERS:ro" --bind "$T:/t" -- "$AUDIT") ||
		fail "run: $(cat "$T/err")" || return 1
	python3 -c '
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["findings"] if f["category"] == "memory"]
assert not f, f
' "$T/audit.json"
}

run_case "default.policy: mem, process_vm_readv/writev, ptrace, pagemap, map_files refused; own memory works" case_default
run_case "strict.policy: the same" case_strict
run_case "a policy with only environ redact: the same" case_redact_only
run_case "default.policy as uid 1000: the same" case_default_uid
run_case "process-memory deny without redaction: the same" case_explicit_deny
run_case "process-memory allow: the attack works (the policy's choice)" case_allowed
run_case "gdb -p and strace under process-memory allow; gdb refused under default" case_debuggers
run_case "pfs audit: environ-in-memory under allow, none under default" case_audit
