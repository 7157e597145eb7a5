/*
 * pfsbench: `stress-ng --procfs 2` inside `pfs run` (default.policy) against
 * the same stressor on the kernel's proc (issue 16), in rounds, alternating,
 * unpinned (two stressor instances, like the concurrency phase).
 *
 * "Native" is the kernel's proc of the same kind of namespaces as the
 * sandbox's, not the bench's own: new pid, mount, net, ipc and uts
 * namespaces with a fresh proc, stress-ng as pid 2 under a waiting pid 1, as
 * host uid/gid 100000 (the sandbox's root is that host id: the same files are
 * readable). So both runs see a handful of processes and a loopback-only
 * network; the bench's 50 sleepers, its daemons and the host's processes
 * are in neither. What differs is /proc (and the sandbox's seccomp filters,
 * whose cost on these system calls is the BPF program's).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfsbench.h"

#define SANDBOX_ROOT_ID 100000 /* pfs run's default --uid-map-base */

/* A number from stress-ng's --yaml report ("    key: value"), or NAN. */
static double yaml_number(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NAN;
	char line[256];
	size_t len = strlen(key);
	double v = NAN;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");
		if (!strncmp(p, key, len) && p[len] == ':') {
			v = strtod(p + len + 1, NULL);
			break;
		}
	}
	fclose(f);
	return v;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static int wait_status(pid_t p)
{
	int status;
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The bare FUSE proxy (bench/nullproxy.c) over the fresh proc, mounted on
 * /proc: what any FUSE daemon costs stress-ng, doing no work (memo: not even
 * the backing's system calls, the FUSE floor). 0 once it serves.
 */
static int null_proxy_on_proc(const char *dir, bool memo)
{
	char kproc[PATH_MAX + 16], bin[PATH_MAX], opts[PATH_MAX + 64];
	snprintf(kproc, sizeof(kproc), "%s/kproc", dir);
	snprintf(bin, sizeof(bin), "%s/bench/nullproxy", cfg.build);
	snprintf(opts, sizeof(opts), "backing=%s,allow_other%s", kproc, memo ? ",memo" : "");
	if ((mkdir(kproc, 0755) < 0 && errno != EEXIST) ||
	    mount("/proc", kproc, NULL, MS_BIND, NULL) < 0)
		return -1;
	struct statfs before;
	if (statfs("/proc", &before) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin, bin, "-f", "-o", opts, "/proc", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; p > 0 && i < 400; i++) {
		struct statfs now;
		if (statfs("/proc", &now) == 0 && now.f_type != before.f_type)
			return 0;
		usleep(5000);
	}
	return -1;
}

static const char *const side_key[NSNG] = {"native", "pfs", "null", "floor"};

/*
 * pid 1 of the native run's pid namespace: a fresh proc (under the null
 * proxy for SNG_NULL and SNG_FLOOR), the ids, stress-ng as pid 2.
 */
static _Noreturn void native_init(const char *dir, int side, char *const argv[])
{
	char log[PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/%s.out", dir, side_key[side]);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	bool via_null = side == SNG_NULL || side == SNG_FLOOR;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    (via_null && null_proxy_on_proc(dir, side == SNG_FLOOR) < 0) || chdir(dir) < 0 ||
	    setgroups(0, NULL) < 0 ||
	    setresgid(SANDBOX_ROOT_ID, SANDBOX_ROOT_ID, SANDBOX_ROOT_ID) < 0 ||
	    setresuid(SANDBOX_ROOT_ID, SANDBOX_ROOT_ID, SANDBOX_ROOT_ID) < 0 || fd < 0)
		_exit(126);
	pid_t w = fork();
	if (w == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	_exit(w < 0 ? 126 : wait_status(w));
}

/* stress-ng on the kernel's proc of fresh namespaces (through a null proxy but for SNG_NATIVE); its exit status. */
static int native_round(const char *dir, int side, char *const argv[])
{
	fflush(NULL);
	pid_t c = fork();
	if (c < 0)
		return -1;
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
			    CLONE_NEWUTS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(126);
		pid_t init = fork();
		if (init == 0)
			native_init(dir, side, argv);
		_exit(init < 0 ? 126 : wait_status(init));
	}
	return wait_status(c);
}

/*
 * stress-ng inside `pfs run`; its exit status. The workload says "go" before
 * it starts stress-ng and "done" after, and waits for a line each time: the
 * daemon's CPU is sampled in between.
 */
static int pfs_round(const char *dir, unsigned secs, double *cpu_ms)
{
	char script[512];
	snprintf(script, sizeof(script),
		 "echo go; read x; cd /t && stress-ng --procfs 2 -t %us --metrics-brief "
		 "--yaml /t/pfs.yaml >/t/pfs.out 2>&1; echo \"done $?\"; read x",
		 secs);
	char *workload[] = {"/bin/sh", "-c", script, NULL};
	struct sandbox sb = {.in = -1};
	int r = sandbox_start(&sb, dir, false, workload);
	if (r < 0) {
		snprintf(ex.sng.note, sizeof(ex.sng.note), "pfs run: %s", strerror(-r));
		return -1;
	}
	char line[64];
	uint64_t t0 = 0;
	int rc = -1;
	long hz = sysconf(_SC_CLK_TCK);
	while (fgets(line, sizeof(line), sb.out)) {
		if (!strcmp(line, "go\n")) {
			t0 = sandbox_daemon_ticks(&sb);
		} else if (sscanf(line, "done %d", &rc) == 1) {
			*cpu_ms = (double)(sandbox_daemon_ticks(&sb) - t0) * 1000.0 / (double)hz;
		} else {
			continue;
		}
		if (write(sb.in, "\n", 1) != 1)
			break;
	}
	int st = sandbox_finish(&sb);
	if (st != 0 && rc == 0)
		rc = st;
	if (rc != 0) {
		char what[64];
		snprintf(what, sizeof(what), "stress-ng in pfs run: exit %d", rc);
		sandbox_error(&sb, what, ex.sng.note, sizeof(ex.sng.note));
	}
	return rc;
}

static double median(double *v, size_t n)
{
	struct stats st = {0};
	summarize(v, n, &st);
	return n ? st.p50 : NAN;
}

void measure_stressng(void)
{
	struct sng_result *r = &ex.sng;
	if (!in_path("stress-ng")) {
		snprintf(r->note, sizeof(r->note),
			 "stress-ng not installed (scripts/install-deps.sh bench): not measured");
		return;
	}
	r->rounds = cfg.smoke ? 1 : cfg.quick ? 3 : 5;
	r->secs = cfg.smoke ? 1 : cfg.quick ? 3 : 5;
	char dir[PATH_MAX], yaml[NSNG][PATH_MAX + 16], secs[16];
	sandbox_dir(dir, sizeof(dir), "stress-ng");
	snprintf(secs, sizeof(secs), "%us", r->secs);
	char *argv[NSNG][9];
	for (int side = 0; side < NSNG; side++) {
		snprintf(yaml[side], sizeof(yaml[side]), "%s/%s.yaml", dir, side_key[side]);
		char *a[9] = {"stress-ng",	 "--procfs", "2",	 "-t", secs,
			      "--metrics-brief", "--yaml",   yaml[side], NULL};
		memcpy(argv[side], a, sizeof(a));
	}
	double bops_s[NSNG][8], cpu[8];
	size_t n[NSNG] = {0}, ncpu = 0;
	pin_everything(-1);
	for (unsigned round = 0; round < r->rounds; round++)
		for (int k = 0; k < NSNG; k++) {
			int side = (int)((round + (unsigned)k) % NSNG);
			unlink(yaml[side]);
			double cpu_ms = NAN;
			int rc = side == SNG_PFS ? pfs_round(dir, r->secs, &cpu_ms)
						 : native_round(dir, side, argv[side]);
			if (rc != 0 && side != SNG_PFS)
				snprintf(r->note, sizeof(r->note),
					 "%s stress-ng: exit %d (its output: %.160s/%s.out)",
					 side_key[side], rc, dir, side_key[side]);
			double v = yaml_number(yaml[side], "bogo-ops-per-second-real-time");
			double ops = yaml_number(yaml[side], "bogo-ops");
			if (rc != 0 || isnan(v))
				continue;
			bops_s[side][n[side]++] = v;
			if (side == SNG_PFS && ops > 0 && !isnan(cpu_ms))
				cpu[ncpu++] = cpu_ms / ops * 1000.0;
		}
	pin_everything(cfg.cpu);
	for (int side = 0; side < NSNG; side++)
		r->bops_s[side] = median(bops_s[side], n[side]);
	r->cpu_ms_per_k = median(cpu, ncpu);
}
