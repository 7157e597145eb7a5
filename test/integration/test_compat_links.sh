#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# Compatibility (docs/compat.md): self links, binding, status, exe, $ORIGIN,
# cwd/root, fd listings and link texts, process substitution, reopening fds,
# ns links. Inside `pfs run`, compared with the kernel procfs of the same pid
# namespace (--unsafe-kernel-proc /kproc).
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T compat-links

case_self_links() {
	local out
	out=$(box -- 'python3 -c "
import os, threading
def t():
    print(os.readlink(\"/proc/thread-self\") == \"%d/task/%d\" % (os.getpid(), threading.get_native_id()),
          os.readlink(\"/proc/self\") == str(os.getpid()) == os.readlink(\"/kproc/self\"))
th = threading.Thread(target=t); th.start(); th.join()
t()"; readlink /proc/self; echo $$') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "thread-self from a thread and the main thread" $'True True\nTrue True' "$(head -2 <<<"$out")" || return 1
	[ "$(sed -n 3p <<<"$out")" != "$(sed -n 4p <<<"$out")" ] || fail "a child's self is the shell's: $out"
}

case_bound_at_open() {
	local out
	# the child reads its parent's fd: the parent's content
	out=$(box -- 'exec 3</proc/self/stat; bash -c "cut -d\" \" -f1 <&3"; echo $$') ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "child reads the opener's content" "$(tail -1 <<<"$out")" "$(head -1 <<<"$out")" || return 1
	out=$(box -- 'python3 -c "
f = open(\"/proc/self/status\", \"rb\", buffering=0)
a = f.read(7); f.seek(0); b = f.read(4096); f.seek(0, 1)
c = f.read(10); f.seek(5); d = f.read(3)
print(a == b[:7], len(b) > 100, c == b\"\", d == b[5:8])"') || return 1
	assert_eq "rewind, SEEK_CUR, SEEK_SET" "True True True True" "$out"
}

case_status_ids() {
	local out
	out=$(box --uid 1000 --gid 1000 -- 'grep -E "^(Uid|Gid|NSpid|NStgid|NSpgid|NSsid):" /proc/self/status |
		tr "\t" " "; echo ===; grep -E "^(Uid|Gid|NSpid|NStgid|NSpgid|NSsid):" /kproc/self/status | tr "\t" " ";
		echo ===; ps -o user=,pid= -p $$; stat -c "%u %g" /proc/$$ /kproc/$$') ||
		fail "run: $(cat "$T/err")" || return 1
	local a b
	a=$(awk '/^===/{n++; next} n==0' <<<"$out" | sed 's/^\(NS[a-z]*: \).*/\1/')
	b=$(awk '/^===/{n++; next} n==1' <<<"$out" | sed 's/^\(NS[a-z]*: \).*/\1/')
	assert_eq "status id lines" "$b" "$a" || return 1
	grep -q '^Uid: 1000 1000 1000 1000$' <<<"$a" || fail "Uid: $a" || return 1
	local tail3
	tail3=$(awk '/^===/{n++; next} n==2' <<<"$out")
	grep -q "^1000 " <<<"$tail3" || grep -q "^[a-z].* " <<<"$tail3" || fail "ps user: $tail3" || return 1
	assert_eq "st_uid/st_gid" $'1000 1000\n1000 1000' "$(tail -2 <<<"$tail3")"
}

case_exe() {
	local out
	out=$(box -- 'readlink /proc/self/exe; cmp /proc/self/exe /usr/bin/cmp && echo same;
		python3 -c "import os,sys
if len(sys.argv) > 1: print(\"reexec\", sys.argv[1]); sys.exit(0)
os.execv(\"/proc/self/exe\", [\"python3\", \"-c\", \"import sys; print(\\\"reexec\\\", 1)\"])"') ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "exe" $'/usr/bin/readlink\nsame\nreexec 1' "$out"
}

case_origin_rpath() {
	mkdir -p "$T/app/bin" "$T/app/lib"
	printf 'int compat_lib(void) { return 42; }\n' >"$T/lib.c"
	printf 'int compat_lib(void);\n#include <stdio.h>\nint main(void){printf("%%d\\n", compat_lib());return 0;}\n' >"$T/main.c"
	gcc -shared -fPIC -o "$T/app/lib/libcompat.so" "$T/lib.c" &&
		gcc -o "$T/app/bin/prog" "$T/main.c" -L"$T/app/lib" -lcompat -Wl,-rpath,'$ORIGIN/../lib' ||
		fail "build" || return 1
	chmod -R a+rX "$T/app"
	assert_eq "\$ORIGIN/../lib found" 42 "$(box -- '/t/app/bin/prog')"
}

case_cwd_root() {
	local out
	out=$(box --cap-add SYS_CHROOT -- 'cd /tmp; readlink /proc/self/cwd /kproc/self/cwd /proc/self/root;
		cd /proc/self/cwd && pwd -P; ls /proc/self/root/ | head -3 | tr "\n" " "; echo;
		mkdir -p /tmp/jail; python3 -c "
import os
fp = os.open(\"/proc/self\", os.O_RDONLY); fk = os.open(\"/kproc/self\", os.O_RDONLY)
os.chroot(\"/tmp/jail\"); os.chdir(\"/\")
print(os.readlink(\"root\", dir_fd=fp), os.readlink(\"root\", dir_fd=fk),
      os.readlink(\"cwd\", dir_fd=fp), os.readlink(\"cwd\", dir_fd=fk))"') ||
		fail "run: $(cat "$T/err")" || return 1
	# shellcheck disable=SC2012 # the same listing as inside
	assert_eq "cwd/root" "/tmp
/tmp
/
/tmp
$(ls / | head -3 | tr '\n' ' ')
/ / / /" "$out"
}

case_fd_listing() {
	local out
	out=$(box -- 'exec 5</dev/null 7>/tmp/x; python3 -c "
import os
print(sorted(os.listdir(\"/proc/self/fd\")) == sorted(os.listdir(\"/kproc/self/fd\")))
fd = os.open(\"/proc/self/fd\", os.O_RDONLY | os.O_DIRECTORY)
print(str(fd) in os.listdir(fd))
"; ls /proc/$$/task/$$/fd | tr "\n" " "; echo; ls /kproc/$$/task/$$/fd | tr "\n" " "; echo
		python3 -c "
import subprocess, os
fds = [os.open(\"/dev/null\", os.O_RDONLY) for _ in range(300)]
for _ in range(20): subprocess.run([\"true\"], close_fds=True, check=True)
# one entry per getdents while closing, as CPython close_fds fallbacks do
d = os.open(\"/proc/self/fd\", os.O_RDONLY | os.O_DIRECTORY)
seen = []
with os.scandir(d) as it:
    for e in it:
        n = int(e.name)
        seen.append(n)
        if n in fds:
            os.close(n)
print(len(seen) == len(set(seen)), all(n in seen for n in fds))
"') || fail "run: $(cat "$T/err")" || return 1
	local l
	l=$(sed -n 3,4p <<<"$out" | sed 's/ *$//')
	assert_eq "listings" "True
True" "$(head -2 <<<"$out")" || return 1
	assert_eq "task fd listing" "$(tail -1 <<<"$l")" "$(head -1 <<<"$l")" || return 1
	assert_eq "close while listing" "True True" "$(tail -1 <<<"$out")"
}

case_fd_kinds() {
	local out
	out=$(box -- '/h/compat_fdkinds /proc /kproc') || fail "$out" || return 1
	grep -q '^ttyname /dev/pts/' <<<"$out" || fail "ttyname: $out"
}

case_process_substitution() {
	local out
	out=$(box -- 'set -e; echo > /tmp/f file
		timeout 10 cat <(echo hi)
		timeout 10 diff <(printf "a\n") <(printf "a\n") && echo same
		n=0; while read -r l; do n=$((n+1)); done < <(timeout 10 seq 1000); echo $n
		echo x | timeout 10 cat /dev/stdin
		timeout 10 cat /dev/stdin < /tmp/f
		echo y | timeout 10 cat /proc/self/fd/0
		echo z | timeout 10 cat /dev/fd/0') || fail "run: $out $(cat "$T/err")" || return 1
	assert_eq "substitutions" $'hi\nsame\n1000\nx\nfile\ny\nz' "$out" || return 1
	# writes through fd/N reach the pipe under the default --proc ro too (the
	# daemon enforces read-only per path): docs/compat.md, test_objects.sh
	out=$(box -- 'seq 5 | timeout 10 tee >(wc -l) >/dev/null; sleep 0.2' 2>&1)
	assert_eq "tee >(wc -l) with --proc ro" 5 "$out"
}

case_reopen_fd() {
	local out
	out=$(box -- 'python3 -c "
import os, socket, errno
r, w = os.pipe()
r2 = os.open(\"/proc/self/fd/%d\" % r, os.O_RDONLY)
os.write(w, b\"through\"); print(os.read(r2, 100).decode())
s = socket.socket(socket.AF_UNIX)
for p in (\"/proc\", \"/kproc\"):
    try: os.open(\"%s/self/fd/%d\" % (p, s.fileno()), os.O_RDONLY)
    except OSError as e: print(p, errno.errorcode[e.errno])
    try: os.open(\"%s/self/fd/%d\" % (p, r), os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e: print(p, errno.errorcode[e.errno])
    st = os.stat(\"%s/self/fd/%d\" % (p, s.fileno()))
    print(p, oct(st.st_mode >> 12), st.st_ino == os.fstat(s.fileno()).st_ino,
          os.stat(\"%s/self/fd/%d\" % (p, r)).st_ino == os.fstat(r).st_ino)
"') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "reopen" "through
/proc ENXIO
/proc ENOTDIR
/proc 0o14 True True
/kproc ENXIO
/kproc ENOTDIR
/kproc 0o14 True True" "$out"
}

case_ns_links() {
	local out
	out=$(box -- 'for n in $(ls /kproc/self/ns); do
		[ "$(readlink /proc/self/ns/$n)" = "$(readlink /kproc/self/ns/$n)" ] || echo "text $n";
		[ "$(stat -L -c %i /proc/self/ns/$n)" = "$(stat -L -c %i /kproc/self/ns/$n)" ] || echo "ino $n"; done
		readlink /proc/self/ns/pid | grep -q "^pid:\[[0-9]*\]$" && echo format
		nsenter --net=/proc/self/ns/net true 2>&1 | sed "s/.*: //"
		nsenter --net=/kproc/self/ns/net true 2>&1 | sed "s/.*: //"') || fail "run: $(cat "$T/err")" || return 1
	# setns through the FUSE file: the real namespace (pfs run's supervisor,
	# docs/compat.md); without CAP_SYS_ADMIN EPERM, as natively
	assert_eq "ns links" $'format\nOperation not permitted\nOperation not permitted' "$out"
}

# pfs policy explain renders link text with the view the daemon uses: against
# the reader's root, so a chrooted reader's cwd reads as it does inside.
case_explain_link_root() {
	local jail="$T/jail" pid out
	mkdir -p "$jail/sub" || return 1
	python3 -c 'import os, sys, time
os.chroot(sys.argv[1]); os.chdir("/sub"); print("ready", flush=True); time.sleep(60)' "$jail" >"$T/jail.out" &
	pid=$!
	add_cleanup "kill $pid 2>/dev/null"
	for _ in $(seq 50); do [ -s "$T/jail.out" ] && break; sleep 0.1; done
	out=$("$PFS" policy explain "$FILTERS/passthrough.policy" --pid "$pid" "/proc/$pid/cwd")
	assert_eq "explain status" 0 $? || return 1
	assert_eq "link text in the reader's root" "# link -> /sub" "$(grep '^# link' <<<"$out")" || return 1
	out=$("$PFS" policy explain "$FILTERS/passthrough.policy" "/proc/$pid/cwd")
	assert_eq "host reader's text" "# link -> $jail/sub" "$(grep '^# link' <<<"$out")"
	kill "$pid"
}

run_case "self and thread-self are the caller's, from any thread" case_self_links
run_case "content bound at open; rewind and seeking" case_bound_at_open
run_case "status ids and NS* fields as the kernel's; st_uid mapped" case_status_ids
run_case "exe: readlink, content, execve(/proc/self/exe)" case_exe
run_case "\$ORIGIN rpath finds its library" case_origin_rpath
run_case "cwd and root, also under a chroot" case_cwd_root
run_case "fd listing incl. own dir fd, task fd, closing while listing" case_fd_listing
run_case "fd link texts and stat per kind; ttyname" case_fd_kinds
run_case "process substitution and /dev/stdin never hang" case_process_substitution
run_case "reopening fd/N: pipe, socket ENXIO, O_DIRECTORY ENOTDIR" case_reopen_fd
run_case "ns links: text, identity, setns outcome" case_ns_links
# A host-side check of pfs policy explain run by root (entering another
# process's namespaces needs root): the root pass runs it, a rootless pass not.
[ "${PFS_TEST_ROOTLESS:-}" = 1 ] ||
	run_case "explain: link text in the reader's root, as the daemon renders it" case_explain_link_root
