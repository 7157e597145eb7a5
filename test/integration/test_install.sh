#!/usr/bin/env bash
# `make install` and `make uninstall` into a staging DESTDIR: every file lands
# where the docs say, the installed daemon runs, and uninstall removes all of
# it. Needs neither root nor FUSE.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# The files `make install` puts in place, relative to DESTDIR.
installed_files=(
	usr/local/sbin/procfilterfs
	usr/local/sbin/mount.procfilterfs
	usr/local/bin/pfs
	usr/local/bin/pfs-runc
	usr/local/bin/pfs-crun
	etc/procfilterfs/default.policy
	etc/procfilterfs/passthrough.policy
	etc/procfilterfs/strict.policy
	etc/procfilterfs/tenants/ci-runner.policy
	etc/procfilterfs/tenants/judge.policy
)

# make GOAL in the checkout, as a user would, outside the caller's make.
project_make() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$PFS_TOP" --no-print-directory \
		BUILD="$BUILD" SANITIZE="${SANITIZE:-}" "$@"
}

t_install_uninstall() {
	local dest out f
	workdir dest install || return 1
	out=$(project_make install DESTDIR="$dest" 2>&1) || fail "make install: $out" || return 1
	for f in "${installed_files[@]}"; do
		[ -f "$dest/$f" ] || fail "make install did not put $f in place" || return 1
	done
	assert_eq "mount helper link" procfilterfs "$(readlink "$dest/usr/local/sbin/mount.procfilterfs")" ||
		return 1
	out=$("$dest/usr/local/sbin/procfilterfs" --version 2>&1) || fail "installed daemon: $out" || return 1
	grep -q "procfilterfs" <<<"$out" || fail "installed daemon --version: $out" || return 1
	"$dest/usr/local/bin/pfs" policy check "$dest/etc/procfilterfs/default.policy" ||
		fail "installed pfs does not accept the installed default policy" || return 1
	out=$(project_make uninstall DESTDIR="$dest" 2>&1) || fail "make uninstall: $out" || return 1
	out=$(find "$dest" -type f -o -type l)
	assert_eq "files left after make uninstall" "" "$out" || return 1
	[ ! -e "$dest/etc/procfilterfs" ] || fail "uninstall left $dest/etc/procfilterfs"
}

t_uninstall_keeps_local_policies() {
	local dest out
	workdir dest install || return 1
	project_make install DESTDIR="$dest" >/dev/null 2>&1 || fail "make install" || return 1
	echo "pids all" >"$dest/etc/procfilterfs/tenants/mine.policy"
	out=$(project_make uninstall DESTDIR="$dest" 2>&1) || fail "make uninstall: $out" || return 1
	[ -f "$dest/etc/procfilterfs/tenants/mine.policy" ] ||
		fail "make uninstall removed a policy it did not install"
}

run_case "make install, then make uninstall removes every file" t_install_uninstall
run_case "make uninstall keeps policies it did not install" t_uninstall_keeps_local_policies
