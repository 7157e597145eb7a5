#!/usr/bin/env bash
# shellcheck disable=SC2016 # $ in single quotes: expanded inside the sandbox
# Tool parity (docs/compat.md): inside one sandbox with passthrough.policy and
# ~50 stopped processes of two uids, procps, psmisc, lsof and util-linux give
# the same output through procfilterfs as through the kernel procfs of the
# same pid namespace (--unsafe-kernel-proc bound over /proc in a private mount
# namespace: that needs CAP_SYS_ADMIN in the sandbox and no seccomp, for this
# test only). Normalisations are listed in docs/compat.md. Then the tools run
# without errors under default.policy, and the runtimes (python3, a JVM).
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_fuse

T=$(mktemp -d /tmp/pfs-compat-tools.XXXXXX)
chmod 1777 "$T"
add_cleanup "rm -rf '$T'"

# The tools, run once through each /proc. $1: output directory; $2: the
# holder (parent of the stopped processes); $3: one stopped process.
cat >"$T/tools.sh" <<'TOOLS'
o=$1 holder=$2 one=$3
# only the processes that are the same in both runs: pid 1, the holder and
# its stopped children (the runner and the tools themselves differ)
stable() { awk -v s=" $(cat /t/stable) " 'NR == 1 || index(s, " " $'"$1"' " ")'; }
# %CPU and C are cpu time over elapsed time: they change between two native runs
ps aux | stable 2 | awk '{$3 = ""; print}' >"$o/ps_aux"
ps -eLf | stable 2 | awk '{$5 = ""; print}' >"$o/ps_eLf"
ps -eo pid,ppid,comm,rss,vsz,stat,wchan | stable 1 >"$o/ps_eo"
# %CPU, TIME+ and the summary lines change between two native runs
top -b -n1 -w 200 | sed -n '/^ *PID/,$p' | stable 1 | awk '{print $1,$2,$3,$4,$5,$6,$7,$8,$12}' >"$o/top"
# used/free memory changes between two native runs: the totals stay
free | awk '{print $1, $2}' >"$o/free"
uptime | sed 's/.*user/user/; s/load average.*/load average/' >"$o/uptime"
vmstat | head -2 >"$o/vmstat"
pgrep -a -f 'parity-sleep' | sort -n >"$o/pgrep"
pidof sleep | tr ' ' '\n' | sort -n >"$o/pidof"
pmap -x "$one" >"$o/pmap"
pstree -p "$holder" >"$o/pstree"
# a pipe stat()ed through procfilterfs is a FIFO, but of the FUSE device
# (st_dev is the mount's, a FUSE limit): docs/compat.md
lsof -n -P -p "$one" 2>&1 | awk '$NF == "pipe" {$6 = "dev"} {$7 = ""; print}' >"$o/lsof"
fuser /t/held 2>&1 | tr ' ' '\n' | grep . | sort >"$o/fuser"
# the reference run is in a copy of the mount namespace, whose table lists
# mounts in another order, with /proc bound from /kproc: sorted, /proc left out
findmnt -r -n -o TARGET,SOURCE,FSTYPE | grep -v '^/proc ' | sort >"$o/findmnt"
mount | grep -v ' on /proc ' | sort >"$o/mount"
df -a -P 2>&1 | grep -v ' /proc$' | awk '{print $1, $6}' | sort >"$o/df"
# values change between two native runs (entropy, dentry counts): the names
sysctl -a -N 2>/dev/null | sort >"$o/sysctl"
w | tail -n +2 >"$o/w"
TOOLS

SETUP='mkdir -p /t/A /t/B; : >/t/held
	bash -c "exec 3</t/held; for i in \$(seq 25); do bash -c \"exec -a parity-sleep sleep 1000\" & done;
		for i in \$(seq 25); do setpriv --reuid 1000 --regid 1000 --clear-groups bash -c \"exec -a parity-sleep sleep 1000\" & done;
		wait" & holder=$!
	# all 50 exec'"'"'d (a loaded machine starts them slowly), then stopped
	for i in $(seq 200); do [ "$(pgrep -c -f "^parity-sleep")" -ge 50 ] && break; sleep 0.05; done
	kids=$(ps -o pid= --ppid $holder | xargs)
	kill -STOP $kids; sleep 0.2
	echo "1 $holder $kids" >/t/stable; one=${kids%% *}'

case_tool_parity() {
	local out
	out=$(timeout 120 "$PFS" run --policy "$FILTERS/passthrough.policy" --unsafe-kernel-proc /kproc \
		--cap-add SYS_ADMIN --cap-add SETUID --cap-add SETGID --cap-add KILL --seccomp off --bind "$T:/t" -- \
		bash -c "$SETUP"'
		bash /t/tools.sh /t/A $holder $one
		unshare -m --propagation private sh -c "mount --bind /kproc /proc && exec bash /t/tools.sh /t/B $holder $one"
		kill -KILL $kids $holder' </dev/null 2>&1) || fail "run: $out" || return 1
	local f bad=0 n
	n=$(wc -l <"$T/A/ps_aux")
	[ "$n" -ge 52 ] || fail "only $n ps lines: $(cat "$T/A/ps_aux")" || return 1
	for f in "$T"/B/*; do
		f=$(basename "$f")
		if ! diff -u "$T/B/$f" "$T/A/$f" >"$T/$f.diff"; then
			log "$f differs (kernel vs procfilterfs):"
			head -20 "$T/$f.diff" >&2
			bad=1
		fi
	done
	return $bad
}

case_tools_default_policy() {
	local out
	out=$(timeout 120 "$PFS" run --bind "$T:/t" -- bash -c 'set -e; sleep 100 & p=$!
		for c in "ps aux" "ps -eLf" "ps -eo pid,ppid,comm,rss,vsz,stat,wchan" "top -b -n1" free uptime vmstat \
			"pgrep -a sleep" "pidof sleep" "pmap -x $$" "pstree -p" "lsof -p $$" "fuser -s /dev/null" findmnt mount "df -a" w; do
			$c >/dev/null 2>"/t/e" || { echo "FAILED: $c: $(cat /t/e)"; exit 1; }
			[ -s /t/e ] && echo "stderr from $c: $(cat /t/e)"; done
		sysctl -a >/dev/null 2>&1; kill $p; echo done' </dev/null 2>&1)
	assert_eq "tools under default.policy" "done" "$(grep -v "^pfs run: " <<<"$out")"
}

# htop in a pty, reading its screen: the init and the header are drawn
case_htop_screen() {
	local out
	out=$(timeout 60 "$PFS" run --policy "$FILTERS/passthrough.policy" -- bash -c 'TERM=xterm timeout -s INT 3 \
		script -qfec "htop -d 10" /dev/null >/tmp/h 2>&1; grep -c pfs-init /tmp/h; grep -o "Load average" /tmp/h | head -1' \
		</dev/null 2>/dev/null)
	assert_eq "htop screen" $'1\nLoad average' "$out"
}

case_runtimes() {
	mkdir -p "$T/j"
	cat >"$T/j/Compat.java" <<'JAVA'
public class Compat {
    public static void main(String[] a) throws Exception {
        ProcessHandle self = ProcessHandle.current();
        System.out.println(self.info().command().orElse("?") + " " + Runtime.getRuntime().availableProcessors());
        Process p = new ProcessBuilder("true").start();
        System.out.println("child " + p.waitFor());
        System.out.println(java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/status")).get(0));
    }
}
JAVA
	(cd "$T/j" && javac Compat.java) || fail "javac" || return 1
	chmod -R a+rX "$T/j"
	local out
	out=$(timeout 120 "$PFS" run --policy "$FILTERS/passthrough.policy" --bind "$T:/t" -- bash -c '
		java -version 2>&1 | head -1 | grep -q version && echo java-version
		java -cp /t/j Compat
		python3 -c "
import subprocess, multiprocessing, os
fds = [os.open(\"/dev/null\", os.O_RDONLY) for _ in range(100)]
print(subprocess.run([\"echo\", \"sub\"], close_fds=True, capture_output=True, check=True).stdout.decode().strip())
with multiprocessing.Pool(2) as p: print(sum(p.map(abs, range(-5, 5))))
try:
    import psutil
    me = psutil.Process()
    print(\"psutil\", me.name() == \"python3\", len(me.open_files()) >= 0, len(psutil.pids()) > 1,
          me.memory_maps()[0].path != \"\", all(c.pid for c in psutil.process_iter()))
except ImportError:
    print(\"psutil missing\")
"' </dev/null 2>&1)
	assert_eq "runtimes" "java-version
/usr/lib/jvm/java-17-openjdk-amd64/bin/java $(nproc)
child 0
Name:	java
sub
25
psutil True True True True True" "$(grep -v "^pfs run: " <<<"$out")"
}

run_case "tool parity with the kernel proc (50 processes, two uids)" case_tool_parity
run_case "tools run without errors under default.policy" case_tools_default_policy
run_case "htop in a pty draws the process list" case_htop_screen
run_case "runtimes: java, python subprocess/multiprocessing/psutil" case_runtimes
