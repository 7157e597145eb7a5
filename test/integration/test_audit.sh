#!/usr/bin/env bash
# pfs audit: the three modes, exit codes, --json, --fail-on, --policy, on the
# leak scenarios of test/leaks/, on the live host, and inside `pfs run`.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LEAKS="$PFS_TOP/test/leaks"

# LeakSanitizer stops the world with ptrace, which hangs across the sandbox's
# namespaces and seccomp filter: off for the cases that enter a sandbox.
no_lsan() { export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"; }
# The build and the policies inside the sandbox, wherever they live (/tmp is
# not shared with it).
IN_SANDBOX=(--bind "$BUILD:$BUILD:ro" --bind "$FILTERS:$FILTERS:ro")

# audit_json SCENARIO [ARGS...]: the JSON report of a fixture on stdout.
audit_json() {
	local s=$1
	shift
	"$PFS" audit --proc "$LEAKS/$s/proc" --hostname sandbox --json "$@"
}

# checks_of: the sorted "check" ids of a JSON report on stdin.
checks_of() {
	python3 -c 'import json,sys; print(" ".join(sorted({f["check"] for f in json.load(sys.stdin)["findings"]})))'
}

expect_checks() {
	local s=$1 want=$2 got
	got=$(audit_json "$s" | checks_of) || return 1
	assert_eq "$s checks" "$want" "$got"
}

case_scenarios_report_their_leaks() {
	expect_checks docker-overlay "bind-root-host-path block-device overlay-host-path propagation-peer" &&
		expect_checks k8s-pod "bind-root bind-root-host-path block-device cgroup-path cgroup-root network-fs overlay-host-path propagation-peer secret-mount" &&
		expect_checks home-bind "bind-root bind-root-host-path block-device overlay-host-path" &&
		expect_checks lxd-zfs "block-device cgroup-path propagation-peer storage-dataset" &&
		expect_checks inherited-fd "fd-foreign-socket fd-host-path maps-host-path" &&
		expect_checks sibling-environ "cmdline-secret environ-secret" &&
		expect_checks host-pids "host-daemon-visible kernel-threads-visible nspid-nested pid1-host-init" &&
		expect_checks host-network "net-connections net-interface net-routes" &&
		expect_checks kernel-info "boot-id hostname kallsyms-addresses kcore-readable keys-readable sched-debug-readable timer-list-readable"
}

case_clean_fixture_exit_0() {
	local out rc
	out=$("$PFS" audit --proc "$LEAKS/clean/proc" --hostname sandbox)
	rc=$?
	assert_eq "clean exit" 0 "$rc" || return 1
	[[ "$out" == *"0 findings"* ]] || fail "$out"
}

case_exit_codes_and_fail_on() {
	local rc
	"$PFS" audit --proc "$LEAKS/host-network/proc" >/dev/null
	assert_eq "findings exit" 1 $? || return 1
	"$PFS" audit --proc "$LEAKS/host-network/proc" --fail-on medium >/dev/null
	assert_eq "medium" 1 $? || return 1
	"$PFS" audit --proc "$LEAKS/host-network/proc" --fail-on high >/dev/null
	assert_eq "high (worst is medium)" 0 $? || return 1
	"$PFS" audit --proc "$LEAKS/kernel-info/proc" --fail-on critical >/dev/null
	assert_eq "critical (kcore)" 1 $? || return 1
	"$PFS" audit --proc "$LEAKS/no-such/proc" >/dev/null 2>&1
	rc=$?
	assert_eq "missing tree" 2 "$rc" || return 1
	"$PFS" audit --fail-on urgent >/dev/null 2>&1
	assert_eq "bad severity" 2 $? || return 1
	"$PFS" audit --bogus >/dev/null 2>&1
	assert_eq "bad option" 2 $? || return 1
	"$PFS" audit --proc /proc --pid 1 >/dev/null 2>&1
	assert_eq "two modes" 2 $? || return 1
	"$PFS" audit --host-paths relative >/dev/null 2>&1
	assert_eq "relative host path" 2 $? || return 1
	"$PFS" audit --help | grep -q -- '--fail-on' || fail "--help"
}

case_json_parses_and_redacts() {
	local json
	json=$(audit_json sibling-environ)
	printf '%s' "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["mode"] == "proc", r["mode"]
assert r["failed"] is True
assert r["summary"]["critical"] >= 2, r["summary"]
for f in r["findings"]:
    for k in ("category", "check", "severity", "path", "entry", "value", "why", "rule", "count"):
        assert k in f, k
text = json.dumps(r)
assert "ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e" not in text, "token not redacted"
assert "ghp_***" in text
' || return 1
	audit_json sibling-environ --show-values | grep -q 'ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e' ||
		fail "--show-values shows the value"
}

case_host_paths_option() {
	# Only /srv as a host prefix: the docker paths are no longer host paths,
	# but the home bind is still a bind root.
	local got
	got=$(audit_json docker-overlay --host-paths /srv | checks_of)
	assert_eq "custom prefixes" "bind-root block-device overlay-host-path propagation-peer" "$got"
}

# verify_all SCENARIO POLICY: every finding with a rule is verified or already covered.
verify_all() {
	local s=$1 pol=$2
	audit_json "$s" --policy "$pol" | python3 -c '
import json, sys
r = json.load(sys.stdin)
bad = [(f["check"], f["rule"], f["verify"], f["verify_note"]) for f in r["findings"]
       if f["rule"] and f["verify"] not in ("verified", "already covered")]
assert not bad, bad
nr = [f for f in r["findings"] if not f["rule"]]
assert all(f["verify"] == "not checkable" for f in nr), nr
' || fail "$s with $pol"
}

case_policy_verifies_suggested_rules() {
	local s pol
	for pol in "$FILTERS/default.policy" "$FILTERS/strict.policy"; do
		for s in docker-overlay k8s-pod home-bind lxd-zfs inherited-fd sibling-environ \
			host-pids host-network kernel-info; do
			verify_all "$s" "$pol" || return 1
		done
	done
	# default.policy already covers the overlay dirs and the OCI kernel masks
	audit_json kernel-info --policy "$FILTERS/default.policy" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for f in r["findings"]:
    if f["category"] == "kernel":
        assert f["verify"] == "already covered", f
'
}

case_policy_plus_rules_is_clean() {
	# Append every suggested rule to default.policy: the audit then only
	# reports findings that no rule can remove.
	local tmp rules s
	tmp=$(mktemp -d)
	add_cleanup "rm -rf '$tmp'"
	for s in docker-overlay k8s-pod inherited-fd sibling-environ host-pids host-network kernel-info; do
		cp "$FILTERS/default.policy" "$tmp/$s.policy"
		rules=$(audit_json "$s" | python3 -c '
import json, sys
for f in json.load(sys.stdin)["findings"]:
    if f["rule"]:
        print(f["rule"])' | sort -u)
		printf '\n%s\n' "$rules" >>"$tmp/$s.policy"
		audit_json "$s" --policy "$tmp/$s.policy" | python3 -c '
import json, sys
r = json.load(sys.stdin)
left = [f["check"] for f in r["findings"] if f["verify"] != "already covered" and f["rule"]]
assert not left, left
' || fail "$s: rules appended to default.policy do not remove every finding" || return 1
	done
}

case_bad_policy_is_an_error() {
	local tmp
	tmp=$(mktemp)
	add_cleanup "rm -f '$tmp'"
	echo "frobnicate /proc" >"$tmp"
	"$PFS" audit --proc "$LEAKS/clean/proc" --policy "$tmp" >/dev/null 2>"$tmp.err"
	assert_eq "exit" 2 $? || return 1
	grep -q "$tmp:1" "$tmp.err" || fail "message names file:line: $(cat "$tmp.err")" || return 1
	rm -f "$tmp.err"
}

case_live_host_proc() {
	local out rc
	out=$("$PFS" audit --proc /proc --fail-on low --json)
	rc=$?
	assert_eq "live exit" 1 "$rc" || return 1
	printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["mode"] == "live", r["mode"]
assert r["findings"], "the host view has findings"
checks = {f["check"] for f in r["findings"]}
assert "kernel-threads-visible" in checks, checks
' || return 1
	# the default mode is the same live view
	"$PFS" audit >/dev/null
	assert_eq "default mode" 1 $?
}

# A process of another mount namespace holds a file that does not exist (or
# is another file) at the same path here: fd-outside-root, live view only.
case_live_fd_outside_root() {
	command -v unshare >/dev/null || fail "unshare missing" || return 1
	local f=/mnt/pfs-audit-planted.$$
	unshare -m sh -c "mount -t tmpfs none /mnt && echo x >$f && exec 3<$f && exec sleep 3" &
	local holder=$! i out
	for i in $(seq 1 30); do
		out=$("$PFS" audit --json --show-values --policy "$FILTERS/default.policy")
		[[ "$out" == *"$f"* ]] && break
		sleep 0.1
	done
	kill "$holder" 2>/dev/null
	wait
	[ -e "$f" ] && fail "$f exists here: the test needs it not to" && return 1
	printf '%s' "$out" | F="$f" python3 -c '
import json, os, sys
r = json.load(sys.stdin)
f = [f for f in r["findings"] if f["check"] == "fd-outside-root" and f["value"] == os.environ["F"]]
assert f, [x["check"] for x in r["findings"]]
assert f[0]["rule"] == "fd hide " + os.environ["F"], f
assert f[0]["verify"] == "verified", f
'
}

case_pid_mode() {
	local out
	# Through the root of a process of ours: /proc/$$/root/proc is this /proc.
	out=$("$PFS" audit --pid $$ --json)
	assert_eq "pid exit" 1 $? || return 1
	printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["mode"] == "pid" and r["proc"].endswith("/root/proc"), r
assert not [f for f in r["findings"] if f["category"] == "write"], "no write checks from outside"
assert "kernel-threads-visible" in {f["check"] for f in r["findings"]}
' || return 1
	"$PFS" audit --pid 999999999 >/dev/null 2>&1
	assert_eq "dead pid" 2 $?
}

# --pid on a live `pfs run` sandbox: its FUSE /proc only answers callers in
# its user and pid namespaces, so pfs audit joins them to read it.
case_pid_mode_sandbox() {
	require_root_fuse
	no_lsan
	local marker=7.$$ pid out i
	timeout 30 "$PFS" run "${IN_SANDBOX[@]}" --policy "$FILTERS/default.policy" -- /bin/sleep "$marker" \
		>/dev/null 2>&1 &
	add_cleanup "kill $! 2>/dev/null"
	for i in $(seq 1 50); do
		pid=$(pgrep -f "^/bin/sleep $marker\$" | head -1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "sandbox did not start" || return 1
	out=$(timeout 60 "$PFS" audit --pid "$pid" --json --policy "$FILTERS/default.policy")
	assert_eq "exit" 1 $? || return 1
	printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
checks = {f["check"] for f in r["findings"]}
# the sandbox view: no host processes, no host network
assert not checks & {"kernel-threads-visible", "host-daemon-visible", "net-interface",
                     "net-routes", "kallsyms-addresses", "overlay-host-path"}, checks
bad = [f for f in r["findings"] if f["rule"] and f["verify"] not in ("verified", "already covered")]
assert not bad, bad
'
}

# Inside a sandbox of `pfs run --policy default.policy`: only the findings the
# default launcher setup knowingly allows (host dirs bound read-only at the
# same path, block-device sources, the boot id), nothing high or critical.
case_inside_pfs_run_default_policy() {
	require_root_fuse
	no_lsan
	local out allowed
	out=$(timeout 60 "$PFS" run "${IN_SANDBOX[@]}" --policy "$FILTERS/default.policy" -- /bin/sh -c \
		"'$PFS' audit --json --policy '$FILTERS/default.policy'; echo rc=\$?")
	[[ "$out" == *"rc=1"* || "$out" == *"rc=0"* ]] || fail "audit did not run: $out" || return 1
	allowed="bind-root-host-path block-device boot-id"
	printf '%s' "${out%rc=*}" | ALLOWED="$allowed" python3 -c '
import json, os, sys
r = json.load(sys.stdin)
allowed = set(os.environ["ALLOWED"].split())
bad = [(f["check"], f["severity"], f["entry"]) for f in r["findings"]
       if f["check"] not in allowed or f["severity"] in ("high", "critical")]
assert not bad, bad
assert all(f["verify"] == "verified" for f in r["findings"]), r["findings"]
' || return 1
	# and nothing at or above high: usable as a CI gate
	out=$(timeout 60 "$PFS" run "${IN_SANDBOX[@]}" --policy "$FILTERS/default.policy" -- /bin/sh -c \
		"'$PFS' audit --fail-on high >/dev/null; echo rc=\$?")
	assert_eq "fail-on high inside" "rc=0" "$out"
}

# A planted leak: a token on a sibling's command line (a deploy script run
# with its token as an argument). Plain proc shows it; the suggested rule,
# added to default.policy, removes it.
case_inside_pfs_run_planted_leaks() {
	require_root_fuse
	no_lsan
	local out sib="sleep 2; : ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e"
	out=$(timeout 60 "$PFS" run "${IN_SANDBOX[@]}" --policy "$FILTERS/passthrough.policy" -- /bin/sh -c \
		"/bin/sh -c '$sib' >/dev/null 2>&1 & sleep 0.2; '$PFS' audit --json --policy '$FILTERS/default.policy'; echo rc=\$?")
	[[ "$out" == *"rc=1"* ]] || fail "expected findings: $out" || return 1
	printf '%s' "${out%rc=*}" | python3 -c '
import json, sys
r = json.load(sys.stdin)
f = [f for f in r["findings"] if f["check"] == "cmdline-secret"]
assert f, r["findings"]
assert f[0]["value"] == "ghp_***", f
assert f[0]["severity"] == "critical", f
assert f[0]["verify"] == "verified", f
' || return 1
	# the environment of a sibling: default.policy redacts *TOKEN* values
	out=$(timeout 60 "$PFS" run "${IN_SANDBOX[@]}" --policy "$FILTERS/default.policy" \
		--env GITHUB_TOKEN=ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e -- /bin/sh -c \
		"sleep 2 >/dev/null 2>&1 & '$PFS' audit --json; echo rc=\$?")
	printf '%s' "${out%rc=*}" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert "environ-secret" not in {f["check"] for f in r["findings"]}, r["findings"]
'
}

run_case "scenarios report their leaks" case_scenarios_report_their_leaks
run_case "clean fixture: no findings, exit 0" case_clean_fixture_exit_0
run_case "exit codes and --fail-on" case_exit_codes_and_fail_on
run_case "--json parses, values redacted" case_json_parses_and_redacts
run_case "--host-paths" case_host_paths_option
run_case "--policy verifies suggested rules (default, strict)" case_policy_verifies_suggested_rules
run_case "default.policy plus the suggested rules is clean" case_policy_plus_rules_is_clean
run_case "a broken --policy is exit 2 with file:line" case_bad_policy_is_an_error
run_case "live host /proc" case_live_host_proc
run_case "live view: fd outside the root" case_live_fd_outside_root
run_case "--pid mode" case_pid_mode
run_case "--pid on a pfs run sandbox" case_pid_mode_sandbox
run_case "inside pfs run with default.policy" case_inside_pfs_run_default_policy
run_case "inside pfs run: planted leaks" case_inside_pfs_run_planted_leaks
