#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# Side doors of the view (docs/leaks.md, issue 13): the same information by
# another name (a thread's /proc/<tid>), another moment (a name that flips),
# another question (access(2)), another root (a reader's own chroot).
# Each case runs the attack inside `pfs run` and checks it fails; the kernel
# procfs of the same sandbox (/kproc) shows that the attack has something
# to find.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

workdir T sidedoor-view

# policy NAME BASE RULE...: $T/NAME.policy, BASE (a shipped policy) plus rules.
policy() {
	local name=$1 base=$2
	shift 2
	{
		printf 'include "%s"\n' "$FILTERS/$base.policy"
		printf '%s\n' "$@"
	} >"$T/$name.policy"
}

# A hidden process whose second thread has another name: nothing of it at
# /proc/<that tid>, task/<tid>; a visible process whose thread has the hidden
# name stays visible there.
threads_hidden() {
	local base=$1 out
	policy "thr-$base" "$base" 'hide-pid comm=pfs-secret*' || return 1
	out=$(box --policy "$T/thr-$base.policy" -- '
		/h/pidgroup_names threads pfs-secret worker >/tmp/ids &
		/h/pidgroup_names threads plain pfs-secret-thr >/tmp/ids2 &
		for i in $(seq 100); do [ -s /tmp/ids ] && [ -s /tmp/ids2 ] && break; sleep 0.05; done
		read -r pid tid </tmp/ids; read -r vpid vtid </tmp/ids2
		grep "^Name:" /kproc/$tid/status
		for f in status cmdline environ maps stat comm; do
			cat /proc/$tid/$f >/dev/null 2>&1 && echo "leak $f"
			cat /proc/$pid/task/$tid/$f >/dev/null 2>&1 && echo "leak task $f"
		done
		ls /proc/$tid/fd >/dev/null 2>&1 && echo "leak fd"
		test -e /proc/$tid && echo "leak lookup"
		ls /proc | grep -qx "$pid" && echo "leak listed"
		grep "^Name:" /proc/$vtid/status /proc/$vpid/task/$vtid/status | sed "s/.*://"
		ls /proc/$vpid/task | grep -cx "$vtid"') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "$base: hidden group by thread id; visible group by its thread" \
		"$(printf 'Name:\tworker\n\tpfs-secret-thr\n\tpfs-secret-thr\n1')" "$out"
}

case_threads_default() { threads_hidden default; }
case_threads_strict() { threads_hidden strict; }

# A process flipping its name between a hidden and a visible one: the kernel
# shows the hidden name now and then; through the view, never.
case_flip() {
	local out
	policy flip default 'hide-pid comm=pfs-secret*' || return 1
	out=$(box --policy "$T/flip.policy" -- '
		/h/pidgroup_names flip pfs-secret visible >/tmp/fp &
		for i in $(seq 100); do [ -s /tmp/fp ] && break; sleep 0.05; done
		read -r fp </tmp/fp
		/h/pidgroup_names read /kproc/$fp 300 pfs-secret | sed "s|^|kernel |"
		/h/pidgroup_names read /proc/$fp 1500 pfs-secret | sed "s|^|view |"
		/h/pidgroup_names read /proc/$fp 200 visible | sed "s|^|shown |"
		kill %1') || fail "run: $(cat "$T/err")" || return 1
	local kernel view shown
	kernel=$(sed -n 's/^kernel //p' <<<"$out")
	view=$(sed -n 's/^view //p' <<<"$out")
	shown=$(sed -n 's/^shown //p' <<<"$out")
	[ "${kernel:-0}" -gt 0 ] || fail "the kernel never showed the hidden name: $out" || return 1
	[ "${shown:-0}" -gt 0 ] || fail "the view never showed the visible name: $out" || return 1
	assert_eq "reads through the view that showed the hidden name" 0 "$view"
}

# access(2) answers R_OK and X_OK as the kernel does for the caller; W_OK as
# the policy allows (EROFS on a read-only mount).
access_as_kernel() {
	local pol=$1 out
	out=$(box --policy "$pol" -- '
		sleep 60 & other=$!
		for f in slabinfo kallsyms vmallocinfo pagetypeinfo sysrq-trigger meminfo self/environ \
			1/environ $other/environ self/mem 1/mem self/pagemap 1/stack self/fd 1/fd \
			1/root self/root 1/map_files self/status sys/kernel/hostname sys/vm; do
			for m in r x; do
				test -$m /proc/$f && a=1 || a=0
				test -$m /kproc/$f && b=1 || b=0
				[ "$a" = "$b" ] || echo "$m $f: view $a, kernel $b"
			done
		done
		test -r /proc/slabinfo && echo "slabinfo readable"
		test -w /proc/sys/kernel/hostname && echo "hostname writable"
		test -r /proc/self/status && echo "status readable"
		kill $other') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "$(basename "$pol"): access(2) as the kernel answers" "status readable" "$out"
}

# Root of the sandbox with the DAC overrides: they count only for inodes
# whose owner is mapped in its user namespace, for access and open alike.
case_access_dac_caps() {
	local out
	out=$(box --policy "$FILTERS/default.policy" --cap-add DAC_OVERRIDE --cap-add DAC_READ_SEARCH -- '
		for d in /proc /kproc; do
			test -r $d/slabinfo && echo "$d access" || echo "$d no access"
			head -c1 $d/slabinfo >/dev/null 2>&1 && echo "$d open" || echo "$d no open"
		done
		grep "^CapEff" /proc/self/status') ||
		fail "run: $(cat "$T/err")" || return 1
	assert_eq "slabinfo with DAC caps in the sandbox" "/proc no access
/proc no open
/kproc no access
/kproc no open
CapEff:	0000000000000006" "$out"
}

case_access_default() { access_as_kernel "$FILTERS/default.policy"; }
case_access_strict() { access_as_kernel "$FILTERS/strict.policy"; }
case_access_passthrough() { access_as_kernel "$FILTERS/passthrough.policy"; }

# A reader that makes its own user namespace and chroots into /data: the
# rules still match the paths as the sandbox's init sees them, and the root
# it leaves on a daemon thread changes nothing for other readers.
reader_root() {
	local base=$1 out
	mkdir -p "$T/data" && echo secret >"$T/data/secret.txt" && cp /bin/sleep "$T/data/victim" &&
		chmod -R a+rX "$T/data" || return 1
	policy "root-$base" "$base" 'maps redact /data/* with=[data]' 'fd hide /data/*' \
		'hide-pid exe=/data/*' 'mount drop target=/data' || return 1
	cat >"$T/chrooted.py" <<'PY'
import ctypes, os, sys, mmap
holder, victim = sys.argv[1], sys.argv[2]
fp = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
fk = os.open("/kproc", os.O_RDONLY | os.O_DIRECTORY)
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
    sys.exit("unshare: %s" % os.strerror(ctypes.get_errno()))
os.chroot("/data")
os.chdir("/")
maps = open("%s/maps" % holder, opener=lambda p, f: os.open(p, f, dir_fd=fp)).read()
print("maps shows the file:", "secret.txt" in maps, "redacted:", "[data]" in maps)
fds = os.listdir(os.open("%s/fd" % holder, os.O_RDONLY, dir_fd=fp))
texts = [os.readlink("%s/fd/%s" % (holder, n), dir_fd=fp) for n in fds]
print("fd shows the file:", any("secret" in t for t in texts))
print("victim listed:", victim in os.listdir(fp))
def lines(d, f):
    return open("self/" + f, opener=lambda p, fl: os.open(p, fl, dir_fd=d)).read().splitlines()
print("mounts natively:", len(lines(fk, "mountinfo")), len(lines(fk, "mounts")),
      "through the view:", len(lines(fp, "mountinfo")), len(lines(fp, "mounts")),
      len(lines(fp, "mountstats")))
for _ in range(300):  # leave the chroot on as many daemon threads as it can
    os.readlink("self/cwd", dir_fd=fp)
    os.readlink("%s/fd/0" % holder, dir_fd=fp)
PY
	out=$(box --policy "$T/root-$base.policy" --bind "$T/data:/data:ro" -- '
		/data/victim 60 & victim=$!
		python3 -c "import mmap,os,time,sys; f=open(\"/data/secret.txt\"); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); print(os.getpid(), flush=True); time.sleep(60)" >/tmp/holder & hpid=$!
		for i in $(seq 100); do [ -s /tmp/holder ] && break; sleep 0.05; done
		holder=$(cat /tmp/holder)
		grep -c secret.txt /kproc/$holder/maps
		grep -c " /data " /proc/self/mountinfo /proc/self/mounts /proc/self/mountstats
		python3 /t/chrooted.py $holder $victim & reader=$!
		leaks=0
		for i in $(seq 60); do
			ls -l /proc/$holder/fd/ 2>/dev/null | grep -q secret && leaks=$((leaks+1))
			grep -q /data/secret.txt /proc/$holder/maps && leaks=$((leaks+1))
			ls /proc | grep -qx $victim && leaks=$((leaks+1))
		done
		wait $reader
		echo "other readers saw $leaks"
		kill $victim $hpid') || fail "run: $(cat "$T/err")" || return 1
	assert_eq "$base: a chrooted reader; other readers" "1
/proc/self/mountinfo:0
/proc/self/mounts:0
/proc/self/mountstats:0
maps shows the file: False redacted: True
fd shows the file: False
victim listed: False
mounts natively: 1 1 through the view: 0 0 0
other readers saw 0" "$out"
}

# Every readable file of the sandbox's /proc (global ones, pid 1's, the
# socket holder's) reads as the kernel renders it for a reader inside, with
# passthrough.policy: files rendered for the reader's user, IPC and net
# namespaces (sysvipc, keys, key-users, sys/user, ping_group_range, net uid
# columns, loginuid) are rendered for the sandbox, not for the daemon. The
# launcher gets a login uid of its own (0) for loginuid to tell.
with_loginuid() {
	echo 0 >/proc/self/loginuid 2>/dev/null
	box "$@"
}

case_rendered_for_sandbox() {
	cp "$PFS_TOP/test/integration/helpers/proc_compare.py" "$T/" || return 1
	local out
	out=$(with_loginuid -- '
		ipcmk -Q >/dev/null; ipcmk -M 4096 >/dev/null; ipcmk -S 2 >/dev/null
		python3 -c "
import socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 4711)); s.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((\"127.0.0.1\", 4712))
time.sleep(60)" & py=$!
		for i in $(seq 100); do grep -q ":1267 " /kproc/net/tcp && break; sleep 0.05; done
		python3 /t/proc_compare.py /proc /kproc "" 1 $py | sed "s/^/differs: /"
		cat /proc/self/loginuid; echo
		awk "\$2 ~ /:1267\$/ {print \"tcp uid\", \$8}" /proc/net/tcp
		ipcs -m -p | awk "\$1 == 0 {print \"shm cpid\", \$3}"
		awk "NR == 2 {print \"kernel\", \$5}" /kproc/sysvipc/shm
		ss -ltnH | awk "{print \"ss\", \$4}"
		netstat -tln | awk "/4711/ {print \"netstat\", \$4}"
		kill $py') || fail "run: $(cat "$T/err")" || return 1
	local cpid
	cpid=$(sed -n 's/^kernel //p' <<<"$out")
	assert_eq "as the kernel renders for the sandbox" "4294967295
tcp uid 0
shm cpid $cpid
kernel $cpid
ss 127.0.0.1:4711
netstat 127.0.0.1:4711" "$out"
}

# The same under the shipped policies, by the tools that read these files.
rendered_tools() {
	local pol=$1 out
	out=$(with_loginuid --policy "$FILTERS/$pol.policy" -- '
		ipcmk -M 4096 >/dev/null
		ipcs -m -p | awk "\$1 == 0 {print \"shm cpid\", \$3}"
		awk "NR == 2 {print \"kernel\", \$5}" /kproc/sysvipc/shm
		cat /proc/self/loginuid; echo
		cut -d" " -f5 /proc/loadavg | tr -d "\n"; echo " $(cut -d" " -f5 /kproc/loadavg)"
		cat /proc/sys/user/max_user_namespaces /kproc/sys/user/max_user_namespaces | uniq | wc -l') ||
		fail "run: $(cat "$T/err")" || return 1
	local cpid last
	cpid=$(sed -n 's/^kernel //p' <<<"$out")
	last=$(sed -n 4p <<<"$out")
	[ "${last% *}" -lt "${last#* }" ] || fail "$pol: loadavg's last pid is not the sandbox's: $last" ||
		return 1
	assert_eq "$pol: ipcs, loginuid, sys/user" "shm cpid $cpid
kernel $cpid
4294967295
$last
1" "$out"
}

case_rendered_default() { rendered_tools default; }
case_rendered_strict() { rendered_tools strict; }

# An inherited stdout on a host file: the kernel shows the host path (from
# the host's root); through the view it is outside:[INODE], which resolves to
# the same object (stat), while /dev/stdout is still usable as a descriptor.
outside_stdout() {
	local pol=$1 ino
	: >"$T/host-out.txt"
	ino=$(stat -c %i "$T/host-out.txt")
	timeout 60 "$PFS" run --policy "$FILTERS/$pol.policy" --unsafe-kernel-proc /kproc -- bash -c '
		readlink /proc/$$/fd/1 /kproc/$$/fd/1 >&2
		stat -L -c %i /proc/$$/fd/1 >&2
		ls -l /proc/$$/fd/ | grep -c "'"$T"'" >&2
		echo written' >"$T/host-out.txt" 2>"$T/inside.txt" </dev/null ||
		fail "run: $(cat "$T/inside.txt")" || return 1
	assert_eq "$pol: fd/1 on a host file" "outside:[$ino]
$T/host-out.txt
$ino
0" "$(grep -v WARNING "$T/inside.txt")" || return 1
	assert_eq "$pol: stdout still written" written "$(cat "$T/host-out.txt")"
}

case_outside_default() { outside_stdout default; }
case_outside_passthrough() { outside_stdout passthrough; }

case_root_default() { reader_root default; }
case_root_strict() { reader_root strict; }

run_case "hide-pid by thread group: /proc/<tid>, task/<tid> (default)" case_threads_default
run_case "hide-pid by thread group: /proc/<tid>, task/<tid> (strict)" case_threads_strict
run_case "a name flipping between hidden and visible is never shown hidden" case_flip
run_case "access(2) R_OK/X_OK as the kernel (default)" case_access_default
run_case "access(2) R_OK/X_OK as the kernel (strict)" case_access_strict
run_case "access(2) R_OK/X_OK as the kernel (passthrough)" case_access_passthrough
run_case "access(2) and open with DAC caps: only over mapped owners" case_access_dac_caps
run_case "files rendered for the reader's namespaces read as inside" case_rendered_for_sandbox
run_case "ipcs, loginuid, loadavg, sys/user as inside (default)" case_rendered_default
run_case "ipcs, loginuid, loadavg, sys/user as inside (strict)" case_rendered_strict
run_case "inherited stdout on a host file: no host path (default)" case_outside_default
run_case "inherited stdout on a host file: no host path (passthrough)" case_outside_passthrough
run_case "own userns + chroot: rules match the reference root (default)" case_root_default
run_case "own userns + chroot: rules match the reference root (strict)" case_root_strict
