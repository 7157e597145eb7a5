#!/usr/bin/env bash
# Every policy rule kind on a real procfilterfs mount (backing: the host's /proc),
# plus reload, refusal of bad policies, and the shipped policies.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

WORK=$(mktemp -d /tmp/pfs-policy.XXXXXX)
chmod 755 "$WORK" # other uids reach the mounts inside
add_cleanup "rm -rf '$WORK'"
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# with_policy NAME TEXT [MOUNT-OPTIONS]: writes the policy, mounts it at $WORK/NAME.
with_policy() {
	printf '%s\n' "$2" >"$WORK/$1.policy"
	mount_pfs "$WORK/$1" "policy=$WORK/$1.policy${3:+,$3}"
}

t_paths() {
	with_policy paths 'hide /proc/kallsyms
deny /proc/cpuinfo
empty /proc/interrupts /proc/sys/kernel/ostype' || return 1
	local m=$WORK/paths
	listed "$m" kallsyms && fail "hidden file listed" && return 1
	assert_errno "hidden lookup" ENOENT stat "$m/kallsyms" || return 1
	listed "$m" cpuinfo || fail "denied file not listed" || return 1
	assert_errno "denied open" EACCES read "$m/cpuinfo" || return 1
	assert_eq "empty file" 0 "$(wc -c <"$m/interrupts")" || return 1
	assert_eq "empty sysctl" 0 "$(wc -c <"$m/sys/kernel/ostype")" || return 1
	[ "$(wc -c <"$m/meminfo")" -gt 100 ] || fail "unruled file not served"
}

# /proc's entries are listed by verdicts decided once per policy where no
# rule can hide them (pfs_policy_root_entry_shown); these rules can.
t_root_listing() {
	# {self} and 1* may hide the mount's readiness probe: they come by reload.
	with_policy rootlist 'hide /proc/kpage*
empty /proc/kallsyms' || return 1
	local m=$WORK/rootlist out i
	printf 'hide /proc/{self}\nhide /proc/1*\n' >>"$WORK/rootlist.policy"
	kill -HUP "$(pgrep -n -f "policy=$WORK/rootlist.policy")"
	for i in $(seq 30); do
		out=$(python3 - "$m" <<'PY'
import os, sys
names = set(os.listdir(sys.argv[1]))
me = str(os.getpid())
for n in ("kpagecount", "kpageflags", me, "meminfo", "kallsyms"):
    print(n if n != me else "self-pid", n in names)
print("pid 1*", any(n.isdigit() and n.startswith("1") for n in names))
print("other pids", any(n.isdigit() and not n.startswith("1") and n != me for n in names))
PY
)
		case $out in *"self-pid False"*) break ;; esac
		sleep 0.1
	done
	assert_eq "listing of /proc" "kpagecount False
kpageflags False
self-pid False
meminfo True
kallsyms True
pid 1* False
other pids True" "$out"
}

t_writes() {
	with_policy rw 'writable /proc/{pid}/oom_score_adj
readonly /proc/{pid}/comm' writable || return 1
	with_policy ro 'writable /proc/{pid}/oom_score_adj' || return 1
	local out
	out=$(python3 - "$WORK/rw" "$WORK/ro" <<'PY'
import os, sys
rw, ro = sys.argv[1], sys.argv[2]
pid = os.getpid()
with open(f"{rw}/{pid}/oom_score_adj", "w") as f:
    f.write("123")
print(open(f"/proc/{pid}/oom_score_adj").read().strip())
for path in (f"{rw}/{pid}/comm", f"{ro}/{pid}/oom_score_adj", f"{rw}/{pid}/status"):
    try:
        open(path, "w").close(); print("OK")
    except OSError as e:
        print(os.strerror(e.errno))
PY
)
	assert_eq "writes" "123
Read-only file system
Read-only file system
Read-only file system" "$out"
}

t_write_as_caller() {
	# A writable path is written with the caller's credentials: nobody cannot
	# rename another user's process even though the daemon could.
	with_policy rw2 'writable /proc/{pid}/oom_score_adj' writable || return 1
	sleep 60 &
	local p=$!
	add_cleanup "kill $p"
	assert_eq "nobody writes root's oom_score_adj" EACCES \
		"$("${AS_NOBODY[@]}" "$HELPERS/errno_probe" write "$WORK/rw2/$p/oom_score_adj" 500)" ||
		return 1
	assert_eq "unchanged" 0 "$(cat /proc/$p/oom_score_adj)" || return 1
	# Lowering below the minimum needs CAP_SYS_RESOURCE: the same answers as natively.
	# shellcheck disable=SC2016 # expanded by the inner bash
	local script='for v in 200 100 -100; do echo $v >"$1/$$/oom_score_adj" 2>/dev/null &&
		echo "$v:ok" || echo "$v:refused"; done'
	local native mounted
	native=$("${AS_NOBODY[@]}" bash -c "$script" _ /proc | tr '\n' ' ')
	mounted=$("${AS_NOBODY[@]}" bash -c "$script" _ "$WORK/rw2" | tr '\n' ' ')
	assert_eq "own oom_score_adj as nobody" "200:ok 100:ok -100:refused " "$native" || return 1
	assert_eq "through the mount" "$native" "$mounted"
}

t_pids_same_uid() {
	with_policy uid 'pids same-uid' || return 1
	local m=$WORK/uid
	sleep 60 &
	local rootp=$!
	add_cleanup "kill $rootp"
	"${AS_NOBODY[@]}" sleep 60 &
	local nob=$!
	add_cleanup "kill $nob"
	sleep 0.2
	local listed
	listed=$("${AS_NOBODY[@]}" ls "$m")
	grep -qx "$nob" <<<"$listed" || fail "own-uid pid not listed" || return 1
	grep -qx 1 <<<"$listed" && fail "pid 1 listed to nobody" && return 1
	grep -qx "$rootp" <<<"$listed" && fail "root's pid listed to nobody" && return 1
	local f
	for f in "" /status /environ /fd /task "/task/$rootp/stat" /exe; do
		assert_eq "hidden $rootp$f" ENOENT \
			"$("${AS_NOBODY[@]}" "$HELPERS/errno_probe" lstat "$m/$rootp$f")" || return 1
	done
	assert_eq "hidden pid 1" ENOENT "$("${AS_NOBODY[@]}" "$HELPERS/errno_probe" read "$m/1/status")" || return 1
	# root sees root's processes, and nobody's are hidden from it
	assert_errno "root sees pid 1" OK read "$m/1/status" || return 1
	assert_errno "root does not see nobody's" ENOENT read "$m/$nob/status"
}

t_pids_tree_and_hide() {
	with_policy tree 'pids tree' || return 1
	with_policy hid 'hide-pid comm=pfs-hidden*' || return 1
	sleep 60 &
	local other=$!
	add_cleanup "kill $other"
	local out
	out=$(python3 - "$WORK/tree" "$other" <<'PY'
import os, subprocess, sys
m, other = sys.argv[1], sys.argv[2]
child = subprocess.Popen(["sleep", "60"])
listed = set(os.listdir(m))
print(str(os.getpid()) in listed, str(os.getppid()) in listed, str(child.pid) in listed,
      other in listed)
child.kill()
PY
)
	assert_eq "tree: self, parent, child listed; unrelated not" "True True True False" "$out" ||
		return 1
	python3 -c 'import ctypes,time; ctypes.CDLL(None).prctl(15, b"pfs-hidden-agent"); time.sleep(60)' &
	local h=$! i
	add_cleanup "kill $h"
	for i in $(seq 100); do
		[ "$(cat /proc/$h/comm)" = pfs-hidden-agen ] && break
		sleep 0.05
	done
	listed "$WORK/hid" "$h" && fail "hidden comm listed" && return 1
	assert_errno "hidden comm status" ENOENT read "$WORK/hid/$h/status" || return 1
	assert_errno "hidden comm task" ENOENT lstat "$WORK/hid/$h/task/$h" || return 1
	assert_errno "others still visible" OK read "$WORK/hid/$other/status"
}

t_mounts() {
	local base=$WORK/mnt-x
	mkdir -p "$base"
	mount -t tmpfs -o size=1m,mode=700 pfs-secret-src "$base" || return 1
	add_cleanup "umount -l '$base'"
	mkdir -p "$base/child"
	mount -t tmpfs -o size=1m pfs-child "$base/child" || return 1
	add_cleanup "umount -l '$base/child'"
	with_policy mnt "mount drop target=$base
mount rewrite-source source=pfs-child to=none
mount redact-options size fstype=tmpfs target=$base/*" || return 1
	local m=$WORK/mnt
	python3 - "$m" "$base" <<'PY' || return 1
import sys
m, base = sys.argv[1], sys.argv[2]
mi = open(f"{m}/self/mountinfo").read().splitlines()
mounts = open(f"{m}/self/mounts").read().splitlines()
ids = {l.split()[0] for l in mi}
errs = []
if any(l.split()[4] == base for l in mi): errs.append("dropped mount in mountinfo")
if any(l.split()[1] == base for l in mounts): errs.append("dropped mount in mounts")
child = [l for l in mi if l.split()[4] == base + "/child"]
if len(child) != 1: errs.append(f"child missing: {child}")
else:
    f = child[0].split()
    if f[1] not in ids: errs.append("child's parent id points to a missing mount")
    if f[f.index("-") + 2] != "none": errs.append(f"source not rewritten: {child[0]}")
    if "size=redacted" not in child[0]: errs.append(f"size not redacted: {child[0]}")
cm = [l for l in mounts if l.split()[1] == base + "/child"]
if len(cm) != 1 or not cm[0].startswith("none ") or "size=redacted" not in cm[0]:
    errs.append(f"mounts disagrees with mountinfo: {cm}")
for l in mi:
    if l.split()[1] not in ids and l.split()[4] != "/":
        pass
if len(mounts) != len(mi): errs.append(f"{len(mounts)} mounts vs {len(mi)} mountinfo lines")
print("\n".join(errs), file=sys.stderr)
sys.exit(1 if errs else 0)
PY
}

t_maps() {
	with_policy maps 'maps drop */libc.so*
maps redact */ld-linux* with=[loader]' || return 1
	local m=$WORK/maps
	sleep 60 &
	local p=$!
	add_cleanup "kill $p"
	sleep 0.1
	grep -q libc.so "/proc/$p/maps" || fail "test needs libc in maps" || return 1
	grep -q libc.so "$m/$p/maps" && fail "libc not dropped from maps" && return 1
	grep -q libc.so "$m/$p/smaps" && fail "libc not dropped from smaps" && return 1
	grep -q libc.so "$m/$p/numa_maps" && fail "libc not dropped from numa_maps" && return 1
	grep -q '\[loader\]' "$m/$p/maps" || fail "loader not redacted" || return 1
	local range
	range=$(grep -m1 libc.so "/proc/$p/maps" | cut -d' ' -f1 | sed 's/\b0*\([0-9a-f]\)/\1/g')
	listed "$m/$p/map_files" "$range" && fail "map_files lists the dropped range $range" && return 1
	assert_errno "dropped map_files entry" ENOENT lstat "$m/$p/map_files/$range" || return 1
	assert_eq "line count" "$(($(wc -l <"/proc/$p/maps") - $(grep -c libc.so "/proc/$p/maps")))" \
		"$(wc -l <"$m/$p/maps")"
}

t_fd() {
	with_policy fd 'fd hide pipe:*' || return 1
	local m=$WORK/fd out
	out=$(python3 - "$m" <<'PY'
import os, sys
m = sys.argv[1]
r, w = os.pipe()
pid = os.getpid()
listed = os.listdir(f"{m}/{pid}/fd")
res = [str(r in map(int, listed))]
for p in (f"{m}/{pid}/fd/{r}", f"{m}/{pid}/fdinfo/{r}", f"{m}/{pid}/task/{pid}/fd/{r}"):
    try:
        os.lstat(p); res.append("visible")
    except FileNotFoundError:
        res.append("ENOENT")
fd = os.open("/dev/null", os.O_RDONLY)
res.append(os.readlink(f"{m}/{pid}/fd/{fd}"))
print(" ".join(res))
PY
)
	assert_eq "hidden pipe fd" "False ENOENT ENOENT ENOENT /dev/null" "$out"
}

t_environ() {
	with_policy env 'environ redact *_TOKEN
environ redact SHOUT all with=hush' || return 1
	local m=$WORK/env
	MY_TOKEN=s3cret SHOUT=loud sleep 60 &
	local p=$!
	add_cleanup "kill $p"
	sleep 0.1
	local other own
	other=$(tr '\0' '\n' <"$m/$p/environ" | grep -E '^(MY_TOKEN|SHOUT)=' | sort | tr '\n' ' ')
	assert_eq "another process" "MY_TOKEN=[redacted] SHOUT=hush " "$other" || return 1
	own=$(MY_TOKEN=s3cret SHOUT=loud python3 -c 'import sys,os
e=open(sys.argv[1]+"/self/environ","rb").read().split(b"\0")
print(" ".join(sorted(x.decode() for x in e if x.startswith((b"MY_TOKEN=",b"SHOUT=")))))' "$m")
	assert_eq "own process" "MY_TOKEN=s3cret SHOUT=hush" "$own"
}

t_content() {
	with_policy content 'replace /proc/version "Linux version 0.0 (sandbox)\n"
hide-lines /proc/cpuinfo /^flags/' || return 1
	local m=$WORK/content
	assert_eq "replaced" "Linux version 0.0 (sandbox)" "$(cat "$m/version")" || return 1
	grep -q '^flags' /proc/cpuinfo || fail "test needs flags lines" || return 1
	grep -q '^flags' "$m/cpuinfo" && fail "flags lines kept" && return 1
	assert_eq "other lines kept" "$(grep -vc '^flags' /proc/cpuinfo)" "$(grep -c '' "$m/cpuinfo")"
}

t_reload() {
	with_policy reload 'hide /proc/cpuinfo' || return 1
	local m=$WORK/reload dpid
	dpid=$(pgrep -n -f "policy=$WORK/reload.policy")
	assert_errno "before reload" ENOENT read "$m/cpuinfo" || return 1
	echo 'hide /proc/meminfo' >"$WORK/reload.policy"
	kill -HUP "$dpid"
	sleep 1.2 # cached global entries live up to 1 s (they are invalidated too)
	assert_errno "after reload: new rule" ENOENT read "$m/meminfo" || return 1
	assert_errno "after reload: old rule gone" OK read "$m/cpuinfo" || return 1
	listed "$m" meminfo && fail "after reload: hidden file listed" && return 1
	listed "$m" cpuinfo || fail "after reload: shown file not listed" || return 1
	echo 'hide /proc/meminfo
bogus rule here' >"$WORK/reload.policy"
	kill -HUP "$dpid"
	sleep 0.5
	assert_errno "bad reload keeps the old policy" ENOENT read "$m/meminfo" || return 1
	kill -0 "$dpid" || fail "daemon died on a bad reload"
}

t_refused() {
	printf 'hide /proc/kcore\nmount drop fstype=\nfrobnicate /proc\n' >"$WORK/bad.policy"
	mkdir -p "$WORK/bad"
	local out rc
	out=$("$DAEMON" -o "backing=/proc,policy=$WORK/bad.policy" "$WORK/bad" 2>&1)
	rc=$?
	[ $rc -ne 0 ] || fail "bad policy mounted" || return 1
	[[ "$out" == *"$WORK/bad.policy:2:"* ]] || fail "no file:line:col: $out" || return 1
	mountpoint -q "$WORK/bad" && fail "something was mounted"
	return 0
}

t_shipped() {
	mount_pfs "$WORK/default" "policy=$FILTERS/default.policy" || return 1
	mount_pfs "$WORK/strict" "policy=$FILTERS/strict.policy" || return 1
	local m=$WORK/default
	assert_eq "default: interrupts empty" 0 "$(wc -c <"$m/interrupts")" || return 1
	assert_errno "default: sysctl read-only" EROFS open "$m/sys/kernel/hostname" w || return 1
	[ "$(wc -c <"$m/meminfo")" -gt 100 ] || fail "default: meminfo" || return 1
	AWS_SECRET_ACCESS_KEY=abc sleep 60 &
	local p=$!
	add_cleanup "kill $p"
	sleep 0.1
	tr '\0' '\n' <"$m/$p/environ" | grep -qx 'AWS_SECRET_ACCESS_KEY=abc' &&
		fail "default: a secret of another process is shown" && return 1
	listed "$WORK/strict" net && fail "strict: /proc/net listed" && return 1
	local out
	out=$("${AS_NOBODY[@]}" ls "$WORK/strict" | grep -c '^[0-9]')
	[ "$out" -le 3 ] || fail "strict: nobody sees $out pids"
}

t_fail_closed() {
	# A backing whose mountinfo a filter cannot parse: the file is not served
	# (EIO), never passed through; files without a filter still are.
	local tree=$WORK/tree
	mkdir -p "$tree/7"
	printf '36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\ngarbage line\n' >"$tree/7/mountinfo"
	printf 'MemTotal: 1 kB\n' >"$tree/meminfo"
	printf 'mount drop fstype=tmpfs\n' >"$WORK/fc.policy"
	mkdir -p "$WORK/fc"
	"$DAEMON" -o "backing=$tree,policy=$WORK/fc.policy,enter_ns=0" "$WORK/fc" 2>"$WORK/fc.log" ||
		return 1
	add_cleanup "umount -l '$WORK/fc'"
	assert_errno "unparsable mountinfo" EIO read "$WORK/fc/7/mountinfo" || return 1
	assert_eq "unfiltered file" "MemTotal: 1 kB" "$(cat "$WORK/fc/meminfo")"
}

run_case "paths: hide, deny, empty" t_paths
run_case "root listing: hide rules by glob, {self} and pid prefix" t_root_listing
run_case "writes: writable only on a writable mount, readonly EROFS" t_writes
run_case "writes are made with the caller's credentials" t_write_as_caller
run_case "pids same-uid: hidden everywhere with ENOENT, incl. pid 1" t_pids_same_uid
run_case "pids tree; hide-pid by comm" t_pids_tree_and_hide
run_case "mount tables: drop, re-parent, rewrite, redact; mounts agrees" t_mounts
run_case "maps: drop and redact; smaps, numa_maps, map_files follow" t_maps
run_case "fd hide: absent from readdir, lookup, fdinfo, task/" t_fd
run_case "environ: redact others' secrets, scope all" t_environ
run_case "static content: replace, hide-lines" t_content
run_case "SIGHUP reload; a bad policy keeps the old one" t_reload
run_case "a bad policy is refused with file:line:col, nothing mounted" t_refused
run_case "shipped default and strict policies" t_shipped
run_case "fail closed: unparsable content is EIO, never passed through" t_fail_closed
