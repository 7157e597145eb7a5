#!/usr/bin/env bash
# `pfs policy check`: shipped policies are clean; bad policies give exact
# file:line:col messages and exit codes. Needs neither root nor FUSE.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"

cd "$PFS_TOP" || exit 1
FIX=test/fixtures/policy

# check_out EXPECTED_RC EXPECTED_OUTPUT ARGS...: runs pfs policy check.
check_out() {
	local want_rc=$1 want_out=$2 out rc
	shift 2
	out=$("$PFS" policy check "$@" 2>&1)
	rc=$?
	assert_eq "exit status of check $*" "$want_rc" "$rc" || return 1
	assert_eq "output of check $*" "$want_out" "$out"
}

shipped_policies_are_clean() {
	local f
	for f in filters/*.policy filters/tenants/*.policy; do
		check_out 0 "" "$f" || return 1
	done
	check_out 0 "" filters/*.policy filters/tenants/*.policy
}

syntax_error_is_located() {
	check_out 1 "$FIX/check/syntax.policy:3:27: unknown mount key 'colour'; use fstype=, source=, target=, root=, option=" \
		"$FIX/check/syntax.policy"
}

lint_findings_are_located() {
	local f=$FIX/check/findings.policy
	local want
	want="$f:4:6: duplicate of 'hide /proc/kcore' at $f:2; remove one
$f:5:10: writable '/proc/sys/kernel/ns_last_pid' has no effect: 'readonly /proc/sys/**' at $f:3 also matches and is more restrictive; add 'expose /proc/sys/kernel/ns_last_pid' after that rule and before this one
$f:6:6: '/sys/kernel' can never match a /proc path; path globs start with /proc
$f:7:8: expose '/proc/keys' cancels nothing: no earlier rule matches these paths (expose only lifts rules above it, including those of included files)"
	check_out 1 "$want" "$f" || return 1
	# through an include, findings name the included file
	local out
	out=$("$PFS" policy check "$FIX/check/tenant.policy")
	assert_eq "exit status through include" 1 $? || return 1
	assert_eq "output through include" "$want" "$out"
}

include_problems() {
	check_out 1 "$FIX/cycle_b.policy:2:9: include cycle: '$FIX/cycle_a.policy' is already being loaded; remove this include" \
		"$FIX/cycle_a.policy" || return 1
	check_out 1 "$FIX/missing.policy:2:11: cannot include '$FIX/sub/nope.policy': No such file or directory; includes are relative to the including file's directory" \
		"$FIX/missing.policy" || return 1
	check_out 1 "$FIX/sub/bad.policy:3:1: unknown keyword 'hidee'; did you mean 'hide'?" \
		"$FIX/bad_nested.policy"
}

several_files_one_bad() {
	local out rc
	out=$("$PFS" policy check filters/default.policy "$FIX/check/syntax.policy" filters/strict.policy)
	rc=$?
	assert_eq "exit status" 1 "$rc" || return 1
	assert_eq "lines" 1 "$(printf '%s\n' "$out" | wc -l)"
}

missing_top_file() {
	check_out 1 "$FIX/none.policy: cannot load policy: No such file or directory; check the path" \
		"$FIX/none.policy"
}

usage_errors() {
	local rc
	"$PFS" policy check >/dev/null 2>&1
	assert_eq "no file" 2 $? || return 1
	"$PFS" policy check --bogus filters/default.policy >/dev/null 2>&1
	assert_eq "unknown option" 2 $? || return 1
	"$PFS" policy >/dev/null 2>&1
	assert_eq "no subcommand" 2 $? || return 1
	"$PFS" policy frob >/dev/null 2>&1
	assert_eq "unknown subcommand" 2 $? || return 1
	local help
	help=$("$PFS" policy --help)
	rc=$?
	assert_eq "--help status" 0 "$rc" || return 1
	[[ $help == *"pfs policy check FILE..."* ]] || fail "--help lacks the check usage: $help" || return 1
	help=$("$PFS" policy check --help)
	assert_eq "check --help status" 0 $?
}

# explain_out POLICY ARGS...: explain on the fixture tree in test/fixtures/policy/proc.
explain_out() {
	local policy=$1
	shift
	"$PFS" policy explain "$policy" --backing "$FIX/proc" "$@"
}

explain_replace_and_hide_lines() {
	local out want
	out=$(explain_out filters/tenants/judge.policy /proc/version)
	assert_eq "explain status" 0 $? || return 1
	want="# policy filters/tenants/judge.policy, backing $FIX/proc, caller pid 0 uid 0
# action: none
# content (51 bytes):
Linux version 6.1.0 (judge) #1 SMP PREEMPT_DYNAMIC
# rule effects:
# replaced: /proc/version  (filters/tenants/judge.policy:16)"
	assert_eq "explain /proc/version" "$want" "$out" || return 1
	out=$(explain_out filters/tenants/judge.policy /proc/cpuinfo)
	[[ ${out%%"# rule effects:"*} != *deadbeef* ]] || fail "serial line served: $out" || return 1
	[[ $out == *"# dropped: Serial"*"deadbeef  (filters/tenants/judge.policy:19)"* ]] ||
		fail "no attribution for the dropped line: $out"
}

explain_mounts_environ_and_hidden() {
	local out
	out=$(explain_out filters/default.policy --pid 1 /proc/1/mountinfo)
	[[ $out == *"overlay overlay rw,lowerdir=redacted,upperdir=redacted,workdir=redacted"$'\n'* ]] ||
		fail "overlay options not redacted: $out" || return 1
	[[ $out == *"# redacted: 1 0 0:40 / / "*"  (filters/default.policy:56)"* ]] ||
		fail "no attribution for the redaction: $out" || return 1
	# another process's environ: the token's value is redacted; the caller's own is not
	out=$(explain_out filters/default.policy /proc/1/environ | tr '\0' '\n')
	[[ $out == *"GITHUB_TOKEN=[redacted]"* && ${out%%"# rule effects:"*} != *ghp_secret* ]] ||
		fail "other's environ not redacted: $out" || return 1
	out=$(explain_out filters/default.policy --pid 1 /proc/self/environ | tr '\0' '\n')
	[[ $out == *"GITHUB_TOKEN=ghp_secret"* ]] || fail "own environ redacted: $out" || return 1
	out=$(explain_out filters/strict.policy /proc/net/tcp)
	[[ $out == *"# /proc/net: ENOENT, hidden by a path rule (filters/strict.policy:23)" ]] ||
		fail "hidden path not attributed: $out" || return 1
	# pids tree: pid 1 is not in the tree of an invisible caller
	out=$(explain_out filters/tenants/judge.policy /proc/1/status)
	[[ $out == *"# /proc/1: ENOENT, hidden"* ]] || fail "pid 1 visible: $out" || return 1
	out=$(explain_out filters/default.policy /proc/acpi)
	[[ $out == *"# hidden: /proc/acpi/wakeup  (filters/default.policy:30)"* ]] ||
		fail "acpi entry not hidden: $out"
}

explain_usage() {
	"$PFS" policy explain filters/default.policy >/dev/null 2>&1
	assert_eq "no path" 2 $? || return 1
	"$PFS" policy explain filters/default.policy --pid x /proc >/dev/null 2>&1
	assert_eq "bad pid" 2 $? || return 1
	"$PFS" policy explain filters/default.policy /etc/passwd >/dev/null 2>&1
	assert_eq "not a /proc path" 2 $? || return 1
	"$PFS" policy explain "$FIX/check/syntax.policy" /proc >/dev/null 2>&1
	assert_eq "bad policy" 1 $?
}

run_case shipped_policies_are_clean shipped_policies_are_clean
run_case syntax_error_is_located syntax_error_is_located
run_case lint_findings_are_located lint_findings_are_located
run_case include_problems include_problems
run_case several_files_one_bad several_files_one_bad
run_case missing_top_file missing_top_file
run_case usage_errors usage_errors
run_case explain_replace_and_hide_lines explain_replace_and_hide_lines
run_case explain_mounts_environ_and_hidden explain_mounts_environ_and_hidden
run_case explain_usage explain_usage
