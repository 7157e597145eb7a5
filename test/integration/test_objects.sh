#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# Through /proc, programs reach the same object as natively (docs/compat.md,
# "The object behind a link"): writes through fd/N, /dev/stdout, /dev/stderr
# and /dev/fd/N reach the fd's own open file (pipe, tty, a host file outside
# the sandbox's root, a file inside, a deleted file) under the default
# `--proc ro`, which still refuses every other write; a stat through fd/N
# gives the target's type; a reader's own voluntary context switches; poll()
# for POLLPRI on the mount tables. Compared with the kernel proc of the same sandbox
# (--unsafe-kernel-proc /kproc) where the outcome depends on permissions.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T objects
DEFAULT=("--policy" "$FILTERS/default.policy")

case_writes_to_pipes() {
	local out
	# the sandbox's own pipe: the box's stdout belongs to the host's root,
	# which the sandbox's root may not reopen (natively neither)
	out=$(box "${DEFAULT[@]}" -- '{ echo x > /dev/stderr
		echo y > /dev/stdout
		seq 5 | timeout 10 tee >(wc -l) >/dev/null; sleep 0.2
		exec 3>/dev/fd/1; echo three >&3; exec 3>&-
		echo four > /proc/self/fd/1; } 2>&1 | cat') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "stderr, stdout, tee >(wc -l), exec 3>/dev/fd/1, fd/1" $'x\ny\n5\nthree\nfour' "$out"
}

case_ro_still_refuses() {
	local out
	# passthrough.policy: nothing hidden, the read-only mode alone refuses
	# (sysrq-trigger is a writable root file like drop_caches; some kernels lack it)
	out=$(box -- 'python3 -c "
import os, errno
def e(fn, *a):
    try: fn(*a); return \"ok\"
    except OSError as x: return errno.errorcode[x.errno]
print(e(os.open, \"/proc/sys/kernel/hostname\", os.O_WRONLY), e(os.open, \"/proc/sys/vm/drop_caches\", os.O_WRONLY),
      e(os.open, \"/proc/1/oom_score_adj\", os.O_WRONLY), e(os.open, \"/proc/self/oom_score_adj\", os.O_RDWR),
      e(os.open, \"/proc/self/comm\", os.O_RDONLY | os.O_TRUNC), e(os.truncate, \"/proc/self/comm\", 0),
      e(os.chmod, \"/proc/self/comm\", 0o777), e(os.mkdir, \"/proc/x\"), e(os.setxattr, \"/proc/self/comm\", \"user.a\", b\"1\"))
"') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "--proc ro refuses writes to /proc files" "EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS" "$out"
}

# The workload's stdout is a host file outside the sandbox's root; the
# sandbox has its own file at the same path, which must stay untouched.
run_host_file() {
	local proc=$1 out=$2
	: >"$out"
	chmod 666 "$out"
	# shellcheck disable=SC2094 # "$out" is only a path argument inside
	timeout 60 "$PFS" run "${DEFAULT[@]}" --unsafe-kernel-proc /kproc -- bash -c '
		mkdir -p "$(dirname "$2")"; echo decoy > "$2"
		echo first > "$1/self/fd/1"; echo appended >> "$1/self/fd/1"
		cat "$2" >&2' - "$proc" "$out" >"$out" 2>"$T/err" </dev/null
}

case_writes_to_host_file() {
	local native="$T/host/native" ours
	mkdir -p "$T/host"
	ours=$(mktemp -d /tmp/pfs-objects-host.XXXXXX) || return 1
	add_cleanup "rm -rf '$ours'"
	run_host_file /kproc "$native" || fail "native run: $(cat "$T/err")" || return 1
	assert_eq "native" $'first\nappended' "$(cat "$native")" || return 1
	run_host_file /proc "$ours/out" || fail "run: $(cat "$T/err")" || return 1
	assert_eq "bytes land in the host file" $'first\nappended' "$(cat "$ours/out")" || return 1
	grep -qx decoy "$T/err" || fail "the sandbox's file of the same path changed: $(cat "$T/err")" || return 1
	# a host file the sandbox's root may not write: the kernel's refusal, as natively
	: >"$ours/out"
	chmod 644 "$ours/out"
	timeout 60 "$PFS" run "${DEFAULT[@]}" --unsafe-kernel-proc /kproc -- bash -c \
		'echo x > /proc/self/fd/1 2>&1 || echo "ours $?" >&2; echo x > /kproc/self/fd/1 || echo "native $?" >&2' \
		>"$ours/out" 2>"$T/err" </dev/null
	assert_eq "EACCES as natively" "2" "$(grep -c "Permission denied" "$T/err")"
}

case_writes_inside_and_deleted() {
	local out
	out=$(box "${DEFAULT[@]}" -- 'exec 4>/tmp/in; echo a > /proc/self/fd/4; echo b >> /dev/fd/4; cat /tmp/in
		[ "$(stat -L -c %d:%i /proc/self/fd/4)" = "$(stat -c %d:%i /tmp/in)" ] && echo same-object
		exec 6<>/tmp/d; rm /tmp/d; echo data >&6; cat /proc/self/fd/6
		echo more >> /proc/self/fd/6; cat /kproc/self/fd/6
		python3 -c "
import os
fd = os.memfd_create(\"m\"); os.write(fd, b\"memfd\")
print(open(\"/proc/self/fd/%d\" % fd).read())"') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "a file inside, a deleted file, a memfd" $'a\nb\nsame-object\ndata\ndata\nmore\nmemfd' "$out"
}

case_writes_to_tty() {
	command -v script >/dev/null || fail "script (util-linux) missing" || return 1
	local out
	out=$(timeout 60 script -qec "chmod 666 \$(tty); $PFS run --policy $FILTERS/default.policy -- bash -c \
		'echo tty1 > /dev/stdout; echo tty2 > /dev/stderr; [ -c /dev/stdout ] && echo chr'" \
		/dev/null </dev/null | tr -d '\r')
	assert_eq "tty under script" $'tty1\ntty2\nchr' "$out"
}

case_stat_types() {
	local out
	out=$(box -- 'python3 -c "
import os, stat, socket
r, w = os.pipe()
s = socket.socket(socket.AF_UNIX)
for p in (\"/proc\", \"/kproc\"):
    a = os.stat(\"%s/self/fd/%d\" % (p, r))
    b = os.stat(\"%s/self/fd/%d\" % (p, s.fileno()))
    print(p, stat.S_ISFIFO(a.st_mode), a.st_ino == os.fstat(r).st_ino, stat.S_ISSOCK(b.st_mode))
# after a stat, an open still reaches the pipe (never a local FIFO)
os.write(w, b\"through\")
r2 = os.open(\"/proc/self/fd/%d\" % r, os.O_RDONLY)
print(os.read(r2, 100).decode())
"
		echo | { test -p /dev/stdin && echo fifo-stdin; }
		echo | stat -L -c %F /proc/self/fd/0
		sleep 5 | sleep 5 & sleep 0.3; lsof -p $! -a -d 0 -F t | grep ^t') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "pipe and socket types through fd/N; lsof" "/proc True True True
/kproc True True True
through
fifo-stdin
fifo
tFIFO" "$out"
}

case_copy_paths() {
	local out
	out=$(box "${DEFAULT[@]}" -- 'for m in read sendfile splice cfr uring mmap; do
			echo "$m $(/h/io_paths $m /proc/self/maps | sed "s/^[1-9][0-9]*$/data/") $(/h/io_paths $m /kproc/self/maps | sed "s/^[1-9][0-9]*$/data/")"
		done
		/h/io_paths sendfile /etc/passwd | grep -q "^[1-9]" && echo sendfile-files
		python3 -c "
import shutil
shutil.copyfile(\"/proc/self/status\", \"/tmp/s\"); print(open(\"/tmp/s\").read().startswith(\"Name:\"))"
		cp /proc/self/status /tmp/c; grep -c "^Name:" /tmp/c') || fail "run: $out $(cat "$T/err")" || return 1
	# mmap: a kernel limit of a zero-size FUSE file (docs/compat.md); io_uring is
	# refused by the seccomp allow-list (ring operations would bypass seccomp)
	assert_eq "copy paths: ours, native" "read data data
sendfile EINVAL EINVAL
splice EINVAL EINVAL
cfr EXDEV EXDEV
uring ENOSYS ENOSYS
mmap SIGBUS ENODEV
sendfile-files
True
1" "$out" || return 1
	# Without the filter, an io_uring read meets the zero-size limit: 0 bytes.
	out=$(box "${DEFAULT[@]}" --seccomp off -- 'echo "$(/h/io_paths uring /proc/self/maps) $(/h/io_paths uring /kproc/self/maps | sed "s/^[1-9][0-9]*$/data/")"') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "io_uring without seccomp: ours, native" "0 data" "$out"
}

# One nested user namespace per prober, mapped by a write of /proc or /kproc:
# the child's exit code is the errno (0: mapped).
NESTED_PY='
import ctypes, os
uid, gid = os.getuid(), os.getgid()
libc = ctypes.CDLL(None, use_errno=True)
def t(p):
    pid = os.fork()
    if pid == 0:
        if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
            os._exit(98)
        try:
            for f, d in (("setgroups", "deny"), ("uid_map", "0 %d 1" % uid), ("gid_map", "0 %d 1" % gid)):
                fd = os.open(p + "/self/" + f, os.O_WRONLY)
                os.write(fd, d.encode())
                os.close(fd)
            os._exit(0 if os.getuid() == 0 else 99)
        except OSError as e:
            os._exit(e.errno)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(t("/proc"), t("/kproc"))'

case_nested_userns() {
	local out
	printf '%s\n' "$NESTED_PY" >"$T/nested.py"
	# as uid 1000 under the default policy and --proc ro: mapped, as natively;
	# the maps read as the kernel renders them for each reader
	out=$(box "${DEFAULT[@]}" --uid 1000 --gid 1000 -- 'python3 /t/nested.py
		unshare -Ur id -u
		unshare -Ur sh -c "cmp /proc/self/uid_map /kproc/self/uid_map && cmp /proc/self/gid_map /kproc/self/gid_map && cmp /proc/self/setgroups /kproc/self/setgroups && echo maps-native"
		cmp /proc/self/uid_map /kproc/self/uid_map && echo own-native
		# a parent writes its child'"'"'s map (newuidmap, bwrap)
		unshare -U sleep 2 & sleep 0.3
		echo "0 1000 1" > /proc/$!/uid_map && cat /proc/$!/uid_map | tr -s " "; kill $!') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "uid 1000" "0 0
0
maps-native
own-native
 0 1000 1" "$out" || return 1
	# the sandbox's root without CAP_SETFCAP may not map its uid 0 (Linux
	# 5.12+): EPERM natively and here; with it, mapped
	out=$(box "${DEFAULT[@]}" -- 'python3 /t/nested.py') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "root without CAP_SETFCAP" "1 1" "$out" || return 1
	out=$(box "${DEFAULT[@]}" --cap-add SETFCAP -- 'python3 /t/nested.py') ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "root with CAP_SETFCAP" "0 0" "$out" || return 1
	# a policy turns it off
	local pol
	pol=$(mktemp -p "$T" nested.XXXXXX.policy)
	printf 'readonly /proc/*/uid_map\nreadonly /proc/*/setgroups\n' >"$pol"
	out=$(box --policy "$pol" --uid 1000 --gid 1000 -- 'unshare -Ur true 2>&1') || true
	grep -q "Read-only file system" <<<"$out" || fail "readonly rule: $out"
}

case_bwrap() {
	command -v bwrap >/dev/null || fail "bwrap (bubblewrap) missing" || return 1
	local out
	# nested mount namespaces need the mount family, which the default seccomp
	# filter refuses; a fresh procfs is refused by the kernel ("mount too
	# revealing": no fully visible proc in the sandbox), by design
	out=$(box "${DEFAULT[@]}" --uid 1000 --gid 1000 --seccomp off -- '
		bwrap --unshare-all --ro-bind / / --dev /dev --bind /proc /proc --bind /kproc /kproc sh -c \
			"id -u; cmp /proc/self/uid_map /kproc/self/uid_map && echo maps-native"') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "bwrap with the FUSE /proc bound" $'1000\nmaps-native' "$out" || return 1
	# without --unsafe-kernel-proc: no fully visible proc anywhere in the sandbox
	out=$(timeout 60 "$PFS" run "${DEFAULT[@]}" --uid 1000 --gid 1000 --seccomp off -- \
		bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true 2>&1 </dev/null)
	grep -q "Can't mount proc on /newroot/proc: Operation not permitted" <<<"$out" ||
		fail "bwrap --proc: $out"
}

case_pidfds_and_ns() {
	local out
	out=$(box "${DEFAULT[@]}" -- 'sleep 30 & sleep 30 & sleep 0.2
		killall -0 sleep && echo killall-0
		pkill -0 -x sleep && echo pkill-0
		killall sleep && echo killall; sleep 0.2; pgrep -x sleep || echo gone
		python3 -c "
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def sig(path, s):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    r = libc.syscall(424, fd, s, None, 0)  # pidfd_send_signal
    e = ctypes.get_errno()
    st = os.fstat(fd)
    os.close(fd)
    return errno.errorcode.get(e, \"ok\") if r else \"ok\"
p = os.fork()
if p == 0:
    os.pause()
print(sig(\"/proc/%d\" % p, 0), sig(\"/kproc/%d\" % p, 0))
print(sig(\"/proc/1\", 0), sig(\"/kproc/1\", 0))
os.kill(p, 9); os.waitpid(p, 0)
"') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "killall, pkill, pidfd_send_signal on /proc/PID" "killall-0
pkill-0
killall
gone
ok ok
ok ok" "$out" || return 1
	# nsenter into a namespace the caller may join natively (its own child's
	# user and mount namespaces; --seccomp off for the nested mount namespace)
	out=$(box "${DEFAULT[@]}" --uid 1000 --gid 1000 --seccomp off -- 'unshare -Urm sleep 5 & sleep 0.3
		nsenter -t $! -U -m --preserve-credentials true && echo nsenter
		nsenter --user=/kproc/$!/ns/user --mount=/kproc/$!/ns/mnt --preserve-credentials true && echo native
		nsenter -t 1 -n true 2>&1 | sed "s/.*: //"; nsenter --net=/kproc/1/ns/net true 2>&1 | sed "s/.*: //"
		kill $!') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "nsenter" "nsenter
native
Permission denied
Permission denied" "$out"
}

case_reading_itself() {
	local out
	out=$(box "${DEFAULT[@]}" -- 'for p in /proc /kproc; do
			echo "$(cut -d" " -f3 $p/self/stat) $(grep ^State: $p/self/status | cut -f2) $(cat $p/self/wchan)"
			sed "s/.*) //" $p/self/stat | cut -d" " -f33  # field 35: sleeping in a wchan
		done
		python3 -c "import psutil; print(psutil.Process().status())"
		sleep 2 & sleep 0.3; grep ^State: /proc/$!/status | cut -f2; kill $!') ||
		fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "own state running, another's sleeping" "R R (running) 0
0
R R (running) 0
0
running
S (sleeping)" "$out"
}

# A fresh child reads its own voluntary context switches five times, sleeps
# once, reads again: natively the reads add none, the sleep one. Through
# procfilterfs each read blocks in FUSE, which the daemon takes out again.
CTXT_PY='
import os, re, sys, time
STATUS = ("self/status", rb"\nvoluntary_ctxt_switches:\t(\d+)")
SCHED = ("self/sched", rb"\nnr_voluntary_switches\s+:\s+(\d+)")
def v(p, what):
    with open(p + "/" + what[0], "rb") as f:
        return int(re.search(what[1], f.read()).group(1))
def run(p, what):
    pid = os.fork()
    if pid == 0:
        a = [v(p, what) for i in range(5)]
        time.sleep(0.01)
        print(p, what[0], "reads-add", len(set(a)) - 1, "sleep-adds", v(p, what) - a[0])
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
for p in ("/proc", "/kproc"):
    run(p, STATUS)
    run(p, SCHED)
import psutil
me = psutil.Process()
print("psutil", all(me.num_ctx_switches().voluntary == v("/proc", STATUS) for i in range(5)))'

case_own_ctxt_switches() {
	local out
	printf '%s\n' "$CTXT_PY" >"$T/ctxt.py"
	out=$(box "${DEFAULT[@]}" -- 'python3 /t/ctxt.py') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "voluntary switches of a reader of its own status and sched" "/proc self/status reads-add 0 sleep-adds 1
/proc self/sched reads-add 0 sleep-adds 1
/kproc self/status reads-add 0 sleep-adds 1
/kproc self/sched reads-add 0 sleep-adds 1
psutil True" "$out"
}

# poll() and epoll for POLLPRI on the mount tables of /proc and of the kernel
# proc (/kproc): a mount and an umount inside the sandbox each report
# POLLPRI|POLLERR once; mountstats (no poll in the kernel) and status are
# always ready; a table opened before a mount shows it when first read
# (to EOF: the kernel's seq_file gives about a page per read(2)).
POLL_PY='
import os, select, subprocess
def flags(r):
    return "|".join(n for n, b in (("IN", select.POLLIN), ("PRI", select.POLLPRI), ("ERR", select.POLLERR)) if r & b) or "-"
def first(evs):
    return flags(evs[0][1]) if evs else "none"
def mount(*a):
    subprocess.run(a, check=True)
os.makedirs("/tmp/m", exist_ok=True)
for p in ("/proc", "/kproc"):
    out = [p]
    for name in ("mounts", "mountinfo", "mountstats"):
        with open(p + "/self/" + name) as f:
            po = select.poll()
            po.register(f, select.POLLPRI)
            before = first(po.poll(0))
            mount("mount", "-t", "tmpfs", "none", "/tmp/m")
            on_mount = first(po.poll(2000))
            again = first(po.poll(0))
            mount("umount", "/tmp/m")
            out.append("%s %s %s %s %s" % (name, before, on_mount, again, first(po.poll(2000))))
    with open(p + "/self/mountinfo") as f:
        ep = select.epoll()
        ep.register(f, select.EPOLLPRI)
        mount("mount", "-t", "tmpfs", "none", "/tmp/m")
        out.append("epoll %d %d" % (len(ep.poll(2)), len(ep.poll(0))))
        mount("umount", "/tmp/m")
    with open(p + "/self/status") as f:
        po = select.poll()
        po.register(f, select.POLLIN | select.POLLPRI)
        out.append("status " + first(po.poll(0)))
    fd = os.open(p + "/self/mountinfo", os.O_RDONLY)
    mount("mount", "-t", "tmpfs", "none", "/tmp/m")
    text = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        text += chunk
    out.append("read-after-open " + str(b"/tmp/m" in text))
    mount("umount", "/tmp/m")
    os.close(fd)
    print(" / ".join(out))'

case_poll_mounts() {
	local out
	printf '%s\n' "$POLL_PY" >"$T/poll.py"
	# mounting needs CAP_SYS_ADMIN in the sandbox and the mount family of system calls
	out=$(box "${DEFAULT[@]}" --cap-add SYS_ADMIN --seccomp off -- 'python3 /t/poll.py
		for p in /proc /kproc; do
			unshare -m --propagation private sh -c "[ $p = /proc ] || mount --bind /kproc /proc
				findmnt --poll --timeout 3000 -o ACTION,TARGET -n > /tmp/f.out 2>&1 & sleep 1
				mount -t tmpfs none /tmp/m; sleep 0.3; umount /tmp/m; wait
				echo $p \$(cat /tmp/f.out)"
		done') || fail "run: $out $(cat "$T/err")" || return 1
	local want="mounts none PRI|ERR none PRI|ERR / mountinfo none PRI|ERR none PRI|ERR / mountstats none none none none / epoll 1 0 / status IN / read-after-open True"
	assert_eq "poll, epoll, findmnt --poll on mount tables" "/proc / $want
/kproc / $want
/proc mount /tmp/m umount /tmp/m
/kproc mount /tmp/m umount /tmp/m" "$out"
}

# fstat of an open file and directory of a process that has been reaped:
# the kernel keeps answering with the attributes; a stat by path is ENOENT.
REAPED_PY='
import errno, os, time
def fs(fn, *a):
    try:
        s = fn(*a)
        return "%o:%d:%d:%d:%d" % (s.st_mode, s.st_uid, s.st_gid, s.st_size, s.st_nlink)
    except OSError as e:
        return errno.errorcode[e.errno]
for p in ("/proc", "/kproc"):
    c = os.fork()
    if c == 0:
        time.sleep(30)
        os._exit(0)
    time.sleep(0.2)
    f = os.open("%s/%d/status" % (p, c), os.O_RDONLY)
    d = os.open("%s/%d" % (p, c), os.O_RDONLY | os.O_DIRECTORY)
    before = os.fstat(f).st_ino, os.fstat(d).st_ino
    os.kill(c, 9)
    os.waitpid(c, 0)
    print(p, fs(os.fstat, f), fs(os.fstat, d), (os.fstat(f).st_ino, os.fstat(d).st_ino) == before,
          fs(os.stat, "%s/%d/status" % (p, c)))'

case_fstat_reaped() {
	local out
	printf '%s\n' "$REAPED_PY" >"$T/reaped.py"
	out=$(box "${DEFAULT[@]}" -- 'python3 /t/reaped.py') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "fstat after reaping" "/proc 100444:0:0:0:1 40555:65534:65534:0:9 True ENOENT
/kproc 100444:0:0:0:1 40555:65534:65534:0:9 True ENOENT" "$out"
}

# PROCMAP_QUERY on maps: ENOTTY through procfilterfs, a kernel limit of
# FUSE (docs/compat.md, "PROCMAP_QUERY"); natively it answers.
PMQ_PY='
import errno, fcntl, struct
FMT = "QQQQQQQQQIIIIQQ"  # struct procmap_query, no name or build id asked
SIZE = struct.calcsize(FMT)
PROCMAP_QUERY = (3 << 30) | (SIZE << 16) | (ord("f") << 8) | 17
with open("/kproc/self/maps") as f:
    first = int(f.readline().split("-")[0], 16)
for p in ("/proc", "/kproc"):
    with open(p + "/self/maps") as f:
        buf = bytearray(struct.pack(FMT, SIZE, 0x10, first, *[0] * 12))
        try:
            fcntl.ioctl(f, PROCMAP_QUERY, buf)
            print(p, "found" if struct.unpack(FMT, buf)[3] == first else "wrong")
        except OSError as e:
            print(p, errno.errorcode[e.errno])'

case_procmap_query() {
	local out
	printf '%s\n' "$PMQ_PY" >"$T/pmq.py"
	out=$(box "${DEFAULT[@]}" -- 'python3 /t/pmq.py') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "PROCMAP_QUERY: ours, native" $'/proc ENOTTY\n/kproc found' "$out"
}

run_case "writes to pipes: /dev/stderr, /dev/stdout, tee >(wc -l), exec 3>/dev/fd/1" case_writes_to_pipes
run_case "--proc ro still refuses /proc/sys, other and own files, truncate, chmod, mkdir, xattr" case_ro_still_refuses
run_case "writes to a host file outside the root land there; EACCES as natively" case_writes_to_host_file
run_case "writes to a file inside, a deleted file, a memfd through fd/N" case_writes_inside_and_deleted
run_case "writes to a tty under script" case_writes_to_tty
run_case "sendfile/splice EINVAL as natively, shutil.copyfile and cp copy; io_uring, mmap limits" case_copy_paths
run_case "nested user namespaces: id maps as natively, the parent's write, a policy turns it off" case_nested_userns
run_case "bwrap: nested sandbox with a bound /proc; a fresh proc refused as by the kernel" case_bwrap
run_case "pidfds and ns files: killall, pkill, pidfd_send_signal, nsenter as natively" case_pidfds_and_ns
run_case "reading its own stat, status, wchan: running, as natively" case_reading_itself
run_case "reading its own status and sched: no voluntary switches added, as natively; psutil" case_own_ctxt_switches
run_case "poll/epoll POLLPRI on mounts and mountinfo after a mount, findmnt --poll, as natively" case_poll_mounts
run_case "fstat of open files of a reaped process answers, as natively" case_fstat_reaped
run_case "PROCMAP_QUERY: ENOTTY (FUSE limit, documented); natively answered" case_procmap_query
run_case "stat through fd/N: FIFO, socket, lsof FIFO; open after stat" case_stat_types
