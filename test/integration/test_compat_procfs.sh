#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# Compatibility (docs/compat.md): per-process content, mounts, maps, stat,
# big files, mem, readdir under churn, hidden and reaped pids, per-caller
# permissions (differential probe), self-writes, denial errnos, OCI defaults,
# root inode, statfs. Inside `pfs run`, compared with the kernel procfs of the
# same pid namespace (--unsafe-kernel-proc /kproc).
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

T=$(mktemp -d /tmp/pfs-compat-procfs.XXXXXX)
chmod 1777 "$T"
add_cleanup "rm -rf '$T'"

case_same_content() {
	local out
	# a stopped process: its files do not change between the two reads
	out=$(box -- 'sleep 100 & p=$!; kill -STOP $p; sleep 0.1
		# page sharing counts (Pss, mapmax, N0=) move with other processes: keys only
		for f in smaps smaps_rollup numa_maps; do
			cmp -s <(cut -d" " -f1 /proc/$p/$f) <(cut -d" " -f1 /kproc/$p/$f) || echo "differs: $f"; done
		for f in stat statm status maps environ cmdline comm limits \
			mountinfo mounts cgroup io wchan personality syscall sched_autogroup oom_score \
			loginuid sessionid uid_map gid_map setgroups auxv; do
			[ -e /kproc/$p/$f ] || continue; cmp -s /proc/$p/$f /kproc/$p/$f || echo "differs: $f"; done
		cmp -s /proc/self/mountinfo /kproc/self/mountinfo || echo "differs: self/mountinfo"
		# meminfo, cpuinfo (MHz), stat, swaps change between two native reads: their keys
		for f in meminfo cpuinfo; do
			cmp -s <(cut -d: -f1 /proc/$f) <(cut -d: -f1 /kproc/$f) || echo "differs: /proc/$f"; done
		for f in version cmdline filesystems partitions modules; do
			[ -e /kproc/$f ] || continue; cmp -s /proc/$f /kproc/$f || echo "differs: /proc/$f"; done
		awk "{print NF}" /proc/$p/stat
		kill -KILL $p') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "same content as the kernel's; stat has 52 fields" 52 "$out"
}

case_stat_comm() {
	local out
	out=$(box -- 'cp /usr/bin/sleep "/t/a) b (c"; "/t/a) b (c" 100 & p=$!; sleep 0.1
		cmp /proc/$p/stat /kproc/$p/stat >/dev/null && sed "s/.*) //" /proc/$p/stat | awk "{print NF+2}"
		cut -d" " -f22 /proc/$p/stat | grep -qx "$(cut -d" " -f22 /kproc/$p/stat)" && echo starttime
		kill $p') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "comm with ) and spaces" $'52\nstarttime' "$out"
}

case_mount_files() {
	local out
	out=$(box -- 'readlink /proc/mounts; readlink /etc/mtab; [ "$(cat /etc/mtab)" = "$(cat /kproc/self/mounts)" ] && echo mtab
		python3 -c "
import os, errno
try: os.open(\"/proc/mounts\", os.O_RDONLY | os.O_NOFOLLOW)
except OSError as e: print(errno.errorcode[e.errno])"
		[ "$(wc -l </proc/self/mounts)" = "$(wc -l </proc/self/mountinfo)" ] && echo same-count
		awk "{ids[\$1]=1; par[NR]=\$2} END {for (i in par) if (!(par[i] in ids)) n++; print n+0 \" orphans\"}" /proc/self/mountinfo
		grep -c " /proc .* - fuse.procfilterfs " /proc/self/mountinfo
		findmnt -n -o TARGET /proc; findmnt --verify >/dev/null 2>&1; echo verify=$?') ||
		fail "run: $(cat "$T/err")" || return 1
	local mtab
	mtab=$(readlink /etc/mtab)
	assert_eq "mount files" "self/mounts
$mtab
mtab
ELOOP
same-count
1 orphans
1
/proc
verify=0" "$out"
}

case_maps_pthread_big() {
	local out
	out=$(box -- '/h/compat_pthread; /h/manymaps 4000 > /t/mm & while [ ! -s /t/mm ]; do sleep 0.05; done; p=$(cat /t/mm)
		for i in 1 2 3 4 5; do cmp -s /proc/$p/maps /kproc/$p/maps && { echo big-equal; break; }; sleep 0.1; done; wc -c </proc/$p/maps
		dd if=/proc/$p/maps bs=4096 2>/dev/null | cmp - /kproc/$p/maps && echo small-reads
		python3 -c "
import re
ok = all(re.match(r\"^[0-9a-f]+-[0-9a-f]+ [-r][-w][-x][ps] [0-9a-f]{8} [0-9a-f]+:[0-9a-f]+ \d+\", l) for l in open(\"/proc/self/maps\"))
names = open(\"/proc/self/maps\").read()
print(ok, all(n in names for n in (\"[stack]\", \"[heap]\", \"[vdso]\")))"
		st=$(stat -c %s /proc/self/maps); echo size=$st; kill $p') || fail "run: $(cat "$T/err")" || return 1
	grep -q '^stack ok$' <<<"$out" || fail "pthread_getattr_np: $out" || return 1
	grep -q '^big-equal$' <<<"$out" || fail "big maps: $out" || return 1
	grep -q '^small-reads$' <<<"$out" || fail "4 KiB reads: $out" || return 1
	local sz
	sz=$(sed -n 3p <<<"$out")
	[ "$sz" -gt 131072 ] || fail "maps only $sz bytes" || return 1
	grep -q '^True True$' <<<"$out" || fail "maps columns: $out" || return 1
	grep -q '^size=0$' <<<"$out" || fail "st_size: $out"
}

case_mem() {
	local out
	out=$(box --cap-add SETUID --cap-add SETGID -- 'python3 -c "
import os, errno, ctypes
fd = os.open(\"/proc/self/mem\", os.O_RDONLY)
b = ctypes.create_string_buffer(b\"needle\")
print(os.pread(fd, 6, ctypes.addressof(b)))
try: os.pread(fd, 8, 0)
except OSError as e: print(errno.errorcode[e.errno])"
		sleep 100 & p=$!; sleep 0.1
		setpriv --reuid 1000 --regid 1000 --clear-groups cat /proc/$p/mem 2>&1 | sed "s/.*: //"
		kill $p') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "mem" "b'needle'
EIO
Permission denied" "$out"
}

case_gdb_attach() {
	command -v gdb >/dev/null || fail "gdb is not installed (scripts/install-deps.sh test)" || return 1
	local out
	out=$(box -- 'sleep 100 & p=$!; sleep 0.2
		timeout 60 gdb -q -batch -p $p -ex "x/i \$pc" -ex "info proc mappings" 2>&1 |
			grep -cE "^=> 0x|/usr/bin/sleep$"; kill $p') || fail "run: $(cat "$T/err")" || return 1
	[ "$out" -ge 2 ] || fail "gdb -p: $out"
}

case_readdir_churn() {
	local out
	out=$(box -- 'for i in $(seq 4); do (while :; do /bin/true; done) & done
		for i in $(seq 200); do ls -f /proc | grep -x "[0-9]*" | sort | uniq -d; done | head -3
		ls /proc | grep -qx 1 && echo pid1; kill $(jobs -p)') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "no duplicates under churn" pid1 "$out"
}

case_hidden_pids() {
	printf 'pids same-uid\n' >"$T/sameuid.policy"
	chmod 644 "$T/sameuid.policy"
	local out
	out=$(box --policy "$T/sameuid.policy" --uid 1000 --gid 1000 -- 'ls /proc | grep -x "[0-9]*" | grep -cx 1;
		for f in /proc/1 /proc/1/status /proc/1/task /proc/1/task/1/status /proc/1/fd /proc/1/exe; do
			stat "$f" >/dev/null 2>&1 || echo "ENOENT-ish $?"; done
		cat /proc/1/status 2>&1 | sed "s/.*: //"; cat /proc/1/task/1/environ 2>&1 | sed "s/.*: //"
		ps -e -o pid= | grep -cx " *1"; pgrep -x pfs-init || echo none') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "pid 1 hidden everywhere" "0
ENOENT-ish 1
ENOENT-ish 1
ENOENT-ish 1
ENOENT-ish 1
ENOENT-ish 1
ENOENT-ish 1
No such file or directory
No such file or directory
0
none" "$out"
}

case_reaped_pid() {
	# the kernel's own answer first (q in /kproc), then ours (p in /proc)
	local out kernel
	out=$(box -- 'sleep 1 & p=$!; sleep 0.5 & q=$!; sleep 0.2; cd /kproc/$q; wait $q
		cat status 2>&1 | sed "s/.*: //"; cd /proc/$p; exec 3<status; wait $p
		cat status 2>&1 | sed "s/.*: //"; head -1 <&3; ls /proc | grep -cx $p; true') ||
		fail "run: $(cat "$T/err")" || return 1
	kernel=$(head -1 <<<"$out")
	case $kernel in "No such process" | "No such file or directory") ;;
	*) fail "the kernel's answer: $kernel" || return 1 ;;
	esac
	assert_eq "reaped pid" "$kernel"$'\n'"$kernel"$'\nName:\tsleep\n0' "$out"
}

case_permissions_differential() {
	local out
	out=$(box --cap-add SETUID --cap-add SETGID --cap-add SYS_PTRACE --cap-add DAC_OVERRIDE -- \
		'/h/compat_permprobe /proc /kproc') || fail "$out" || return 1
	assert_eq "probe" "no differences" "$out"
}

case_self_writes() {
	printf 'writable /proc/*/comm /proc/*/oom_score_adj\n' >"$T/rw.policy"
	chmod 644 "$T/rw.policy"
	local out
	out=$(box --policy "$T/rw.policy" --proc rw --uid 1000 --gid 1000 -- '(echo newname > /proc/self/comm) 2>&1 | sed "s/.*: //"
		(echo newname > /kproc/self/comm) 2>&1; cat /proc/$$/comm
		echo 500 > /proc/$$/oom_score_adj; cat /proc/$$/oom_score_adj
		(echo -100 > /proc/$$/oom_score_adj) 2>&1 | sed "s/.*: //"
		(echo -100 > /kproc/$$/oom_score_adj) 2>&1 | sed "s/.*: //"
		(echo x > /proc/1/comm) 2>&1 | sed "s/.*: //"; (echo x > /kproc/1/comm) 2>&1 | sed "s/.*: //"
		(echo x > /proc/$$/environ) 2>&1 | sed "s/.*: //"') || fail "run: $(cat "$T/err")" || return 1
	# comm of the writer itself: the kernel renames only its own thread
	# group, and the daemon is another process: EINVAL (docs/compat.md)
	assert_eq "self-writes" "Invalid argument
bash
500
Permission denied
Permission denied
Permission denied
Permission denied
Read-only file system" "$out"
}

case_denials_and_oci() {
	local out
	out=$(box --policy "$FILTERS/default.policy" --uid 1000 --gid 1000 -- 'for f in kcore keys timer_list sched_debug interrupts kallsyms; do
			[ -s /proc/$f ] && echo "not empty: $f"; done
		for f in acpi asound scsi; do ls /proc/$f 2>/dev/null | head -1; done
		python3 -c "
import os, errno
def e(fn, *a):
    try: fn(*a); return \"ok\"
    except OSError as x: return errno.errorcode[x.errno]
print(e(os.open, \"/proc/sys/vm/drop_caches\", os.O_WRONLY), e(os.open, \"/proc/sys/kernel/hostname\", os.O_WRONLY),
      e(os.open, \"/proc/1/environ\", os.O_RDONLY), e(os.open, \"/proc/nope\", os.O_RDONLY),
      e(os.mkdir, \"/proc/x\"), e(os.unlink, \"/proc/self/comm\"), e(os.open, \"/proc/newfile\", os.O_CREAT | os.O_WRONLY),
      e(os.rename, \"/proc/self/comm\", \"/proc/self/x\"), e(os.symlink, \"a\", \"/proc/y\"), e(os.chmod, \"/proc/self/comm\", 0o777))
"; stat -c %i /proc; stat -f -c %t /proc') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "masked empty, denials, root inode, statfs magic (FUSE: documented)" \
		"EROFS EROFS EACCES ENOENT EROFS EROFS EROFS EROFS EROFS EROFS
1
65735546" "$out"
}

case_pidns_sysctls() {
	local out
	out=$(box -- 'sleep 0.1 & wait; a=$(cat /proc/sys/kernel/ns_last_pid); b=$(cat /kproc/sys/kernel/ns_last_pid)
		[ "$a" -le "$b" ] && [ "$a" -lt 100 ] && echo last-pid-ok
		cmp /proc/sys/kernel/pid_max /kproc/sys/kernel/pid_max && echo pid-max-ok') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "pid-ns sysctls are the sandbox's (never the host's)" $'last-pid-ok\npid-max-ok' "$out"
}

run_case "per-process and global content equals the kernel's (stopped process)" case_same_content
run_case "stat: 52 fields, ) and spaces in comm, starttime" case_stat_comm
run_case "mounts link, /etc/mtab, O_NOFOLLOW, mountinfo parents, findmnt" case_mount_files
run_case "maps: pthread_getattr_np, columns, a >128 KiB maps, st_size 0" case_maps_pthread_big
run_case "mem: own memory, EIO unmapped, ptrace-attach check" case_mem
run_case "gdb -p inside the sandbox reads memory and mappings" case_gdb_attach
run_case "/proc readdir under fork churn: no duplicates" case_readdir_churn
run_case "hidden pid 1 (pids same-uid): ENOENT everywhere" case_hidden_pids
run_case "a reaped pid: ENOENT through the old directory" case_reaped_pid
run_case "permission differential: 4 probers x 5 targets, every per-pid entry" case_permissions_differential
run_case "self-writes with --proc rw: comm, oom_score_adj" case_self_writes
run_case "kernel/ns_last_pid and pid_max of the sandbox's pid ns" case_pidns_sysctls
run_case "OCI masks, denial errnos, root inode 1, statfs magic" case_denials_and_oci
