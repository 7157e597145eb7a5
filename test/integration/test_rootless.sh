#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded by the user's shell
# pfs-timeout: 900
# Rootless `pfs run` (docs/pfs-run.md, "Run by an unprivileged user"): as root,
# creates an unprivileged user with a subordinate id range and access to
# /dev/fuse, checks the fidelity, the id modes and the prerequisite messages,
# then runs the compat, bypass and monitor suites as that user
# (PFS_TEST_ROOTLESS=1). Everything made is removed at exit.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse
for tool in useradd usermod userdel runuser setfacl newuidmap newgidmap; do
	command -v "$tool" >/dev/null || {
		echo "FAIL $(basename "$0"): $tool missing (scripts/install-deps.sh)" >>"$PFS_RESULTS"
		exit 1
	}
done

test_user U "pfsrl$$" || exit 1
SUB_START=$(awk -F: -v u="$U" '$1 == u {print $2; exit}' /etc/subuid)

# The checkout may not be readable by the user (CI clones under a 0700
# directory): a readable copy of what the suites need.
workdir R rootless
mkdir -p "$R/build/test"
cp -a "$PFS_TOP/test" "$PFS_TOP/filters" "$R/" &&
	cp -a "$BUILD/pfs" "$BUILD/procfilterfs" "$R/build/" &&
	cp -a "$HELPERS" "$R/build/test/" || exit 1
chmod -R a+rX "$R"
RPFS="$R/build/pfs"
# as_user CMD...: runs CMD as the test user, in a neutral directory
as_user() { (cd / && runuser -u "$U" -- env HOME=/ CI="${CI:-}" SANITIZE="${SANITIZE:-}" "$@"); }

PROBE='readlink /proc/self/exe; head -1 /proc/self/maps | awk "{print \$NF}"; ls -l /proc/self/fd | awk "NR > 1 {print \$1, \$(NF-1), \$NF}"; grep -c . /proc/self/mountinfo'

# pipe inode numbers differ between two runs
# shellcheck disable=SC2001 # a regular expression, not a fixed string
unpiped() { sed 's/pipe:\[[0-9]*\]/pipe/' <<<"$1"; }

case_fidelity() {
	# the issue's probe gives the same output rootless (both id modes) as root
	local want got empty
	want=$("$RPFS" run -- sh -c "$PROBE" </dev/null 2>&1) || fail "root: $want" || return 1
	got=$(as_user "$RPFS" run -- sh -c "$PROBE" </dev/null 2>&1) || fail "rootless: $got" || return 1
	assert_eq "rootless vs root" "$(unpiped "$want")" "$(unpiped "$got")" || return 1
	grep -qx /usr/bin/readlink <<<"$got" && grep -qx /usr/bin/head <<<"$got" || fail "$got" || return 1
	empty=$(mktemp -d -p "$R")
	chmod 755 "$empty"
	got=$(as_user env PFS_SUBID_DIR="$empty" "$RPFS" run -- sh -c "$PROBE" </dev/null 2>&1) ||
		fail "single-id: $got" || return 1
	assert_eq "single-id vs root" "$(unpiped "$want")" "$(unpiped "$got")"
}

case_id_modes() {
	# subordinate range: the sandbox's ids are the range, never the user's own id
	local out hostuid empty
	out=$(as_user "$RPFS" run --uid 1000 --gid 1000 -- sh -c 'id -u; id -g; cat /proc/self/uid_map | xargs; sleep 3' \
		</dev/null 2>&1 &
		sleep 1.5
		ps -o uid=,gid= -u "$((SUB_START + 1000))" | head -1)
	hostuid=$(tail -1 <<<"$out" | xargs)
	assert_eq "ids inside" $'1000\n1000\n0 65536 65536' "$(head -3 <<<"$out")" || return 1
	assert_eq "host ids of the workload" "$((SUB_START + 1000)) $((SUB_START + 1000))" "$hostuid" || return 1
	# no range: only the user, as the sandbox's root
	empty=$(mktemp -d -p "$R")
	chmod 755 "$empty"
	out=$(as_user env PFS_SUBID_DIR="$empty" "$RPFS" run -- sh -c 'id -u; cat /proc/self/uid_map | xargs' </dev/null 2>&1)
	assert_eq "single-id mode" $'0\n0 0 1' "$out"
}

# expect_msg CODE REGEX [env ...] -- pfs run args: as the user
expect_msg() {
	local code=$1 re=$2 out rc
	shift 2
	out=$(as_user "$@" </dev/null 2>&1)
	rc=$?
	assert_eq "exit code ($out)" "$code" "$rc" || return 1
	grep -Eq -e "$re" <<<"$out" || fail "message: $out"
}

case_prerequisite_messages() {
	local d
	d=$(mktemp -d -p "$R")
	chmod 755 "$d"
	# /dev/fuse 0600 (as on some machines): a root-only copy of the node
	mknod "$d/fuse" c 10 229 && chmod 600 "$d/fuse" || fail "mknod" || return 1
	expect_msg 123 "FUSE is not usable: $d/fuse: Permission denied; make it accessible.*or use --fallback kernel" \
		env PFS_DEV_FUSE="$d/fuse" "$RPFS" run -- true || return 1
	# no subordinate range, or no newuidmap: --uid names what is missing
	expect_msg 123 "need a range of ids.*$U has no range in /etc/subuid; add one \(as root: usermod --add-subuids" \
		env PFS_SUBID_DIR="$d" "$RPFS" run --uid 1000 -- true || return 1
	expect_msg 123 "newuidmap/newgidmap are not on PATH; install them \(Debian: apt-get install uidmap\)" \
		env PATH=/nonexistent "$RPFS" run --uid 1000 -- /bin/true || return 1
	echo "$U:$SUB_START:100" >"$d/subuid"
	echo "$U:$SUB_START:100" >"$d/subgid"
	expect_msg 125 "outside the subordinate range of 100 ids" \
		env PFS_SUBID_DIR="$d" "$RPFS" run --uid 1000 -- true || return 1
	expect_msg 125 "--uid-map-base is for a launcher run as root" "$RPFS" run --uid-map-base 200000 -- true || return 1
	# user namespaces disabled or restricted (PFS_SYSCTL_DIR stands in for /proc/sys)
	mkdir -p "$d/sys/user" "$d/sys/kernel"
	echo 0 >"$d/sys/user/max_user_namespaces"
	expect_msg 123 "user.max_user_namespaces = 0.*sysctl -w user.max_user_namespaces=" \
		env PFS_SYSCTL_DIR="$d/sys" "$RPFS" run -- true || return 1
	echo 15000 >"$d/sys/user/max_user_namespaces"
	echo 1 >"$d/sys/kernel/apparmor_restrict_unprivileged_userns"
	expect_msg 123 "AppArmor restricts unprivileged user namespaces.*apparmor_restrict_unprivileged_userns=0" \
		env PFS_SYSCTL_DIR="$d/sys" "$RPFS" run -- true
}

case_daemon_not_readable() {
	# a process of the daemon's uid in another user namespace (what a single-id
	# sandbox's root is, here able to name the daemon) cannot read its memory:
	# the kernel wants CAP_SYS_PTRACE in the daemon's user namespace
	local out
	out=$(as_user bash -c '
		env PFS_SUBID_DIR=/nonexistent '"$RPFS"' run -- sleep 3 </dev/null & sleep 1.5
		# the daemon that serves, as its supervisor names it (not a spare still
		# in its dynamic loader, before main() makes it undumpable)
		d=$('"$RPFS"' upgrade --sandbox $! --reload | sed -n "s/^daemon //p")
		[ -n "$d" ] || { echo no-daemon; exit 1; }
		unshare --user --map-root-user cat /proc/$d/environ >/dev/null 2>&1 && echo environ-read
		unshare --user --map-root-user cat /proc/$d/maps >/dev/null 2>&1 && echo maps-read
		wait; echo done' 2>&1)
	assert_eq "daemon memory from a sibling user namespace" "done" "$out"
}

case_audit_parity() {
	# pfs audit inside: no finding rootless that the root launch does not report
	local a b res
	res=$(mktemp -p "$R")
	chmod 666 "$res"
	a=$("$RPFS" run --bind "$R/build:/b:ro" -- /b/pfs audit </dev/null 2>&1 | grep '^\[' | sort)
	b=$(as_user "$RPFS" run --result "$res" --bind "$R/build:/b:ro" -- /b/pfs audit </dev/null 2>&1 |
		grep '^\[' | sort)
	# without a delegated cgroup the user's sandbox has no memory figures of
	# its own: meminfo is the host's, a finding root's cgroup does not have
	if grep -q '"cgroup": false' "$res"; then
		grep -q 'host/host-memory-size' <<<"$b" || fail "no cgroup, yet no memory finding" ||
			return 1
		b=$(grep -v 'host/host-memory-size' <<<"$b")
	fi
	[ -n "$a" ] || fail "no findings as root" || return 1
	assert_eq "audit findings, root vs rootless" "$a" "$b"
}

# suites as the user: their cases are reported here, prefixed
run_suite() {
	local s=$1 res out
	res=$(mktemp -p "$R")
	chmod 666 "$res"
	out=$(as_user env PFS_TEST_ROOTLESS=1 PFS_TOP="$R" BUILD="$R/build" PFS_RESULTS="$res" \
		timeout --kill-after=10 300 bash "$R/test/integration/$s.sh" 2>&1)
	local rc=$?
	sed "s/^\(PASS\|FAIL\|SKIP\) /\1 rootless $s: /" "$res" >>"$PFS_RESULTS"
	printf '%s\n' "$out" | sed "s/^/  [rootless $s]/"
	[ "$rc" -eq 0 ] || echo "FAIL rootless $s: the script exited $rc" >>"$PFS_RESULTS"
}

run_case "rootless: the issue's probe as root's output (both id modes)" case_fidelity
run_case "rootless: subordinate range and single-id mode" case_id_modes
run_case "rootless: each missing prerequisite names its fix" case_prerequisite_messages
run_case "rootless: the daemon's memory is not readable from its uid" case_daemon_not_readable
run_case "rootless: pfs audit finds nothing more than as root" case_audit_parity
for s in test_compat_links test_compat_procfs test_compat_tools test_run_bypass test_monitor; do
	run_suite "$s"
done
