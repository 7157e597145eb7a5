/*
 * pfsbench: the daemon under attack (issue 14). For each attack, run by
 * processes other than the victim against one procfilterfs (default.policy,
 * and the --alt-daemon build beside it), the daemon's peak RSS (VmHWM, reset
 * before each attack through clear_refs) and the p99 of a victim's
 * open+read+close of self/status every 10 ms. Unpinned, like the concurrency
 * phase: an attack is several processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfsbench.h"

const char *const hostile_names[NATTACKS] = {
	"idle",
	"12 threads reading smaps (2000 mappings)",
	"12 threads reading smaps (27000 mappings, ~20 MiB)",
	"12 relays blocked on empty pipes",
	"4 processes looking up 4000 fd entries each",
	"fork storm + ps walks + stress-ng --procfs",
};

#define ATTACK_THREADS 12
#define FD_PROCS 4
#define FD_PIPES 2000

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* open + read to EOF + close into buf; -errno or the bytes. */
static long drain(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, size)) > 0)
		total += n;
	close(fd);
	return n < 0 ? -1 : total;
}

/* The smaps readers' count of whole reads and failed ones, shared with the bench. */
static long *smaps_counts;

static void *smaps_reader(void *arg)
{
	static char buf[ATTACK_THREADS][64 << 10];
	static int next;
	char *mine = buf[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % ATTACK_THREADS];
	for (;;)
		__atomic_fetch_add(&smaps_counts[drain(arg, mine, sizeof(buf[0])) < 0], 1,
				   __ATOMIC_RELAXED);
	return NULL;
}

static void *relay_reader(void *arg)
{
	char c;
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, &c, 1) < 0)
		sleep_ms(100000); /* EAGAIN past the limit: stay, as a blocked reader would */
	return NULL;
}

static _Noreturn void run_threads(void *(*fn)(void *), char paths[][PATH_MAX])
{
	pthread_t th[ATTACK_THREADS];
	for (int i = 0; i < ATTACK_THREADS; i++)
		pthread_create(&th[i], NULL, fn, paths[i]);
	for (;;)
		pause();
}

/* Looks up every fd/N of its own through the target, over and over. */
static _Noreturn void fd_flood(const struct target *t)
{
	for (int i = 0; i < FD_PIPES; i++) {
		int p[2];
		if (pipe(p) < 0)
			break;
	}
	char path[PATH_MAX];
	pid_t me = getpid();
	for (;;)
		for (int fd = 3; fd < 3 + 2 * FD_PIPES; fd++) {
			struct stat st;
			snprintf(path, sizeof(path), "%s/%d/fd/%d", t->prefix, (int)me, fd);
			lstat(path, &st);
		}
}

static _Noreturn void fork_storm(void)
{
	for (;;) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
}

static _Noreturn void ps_loop(const struct target *t)
{
	long seen;
	for (;;)
		do_op(OP_WALK, t->prefix, -1, &seen);
}

/* stress-ng's procfs stressor reads /proc: the target is bound there, in a mount namespace of its own. */
static _Noreturn void stress_procfs(const struct target *t)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(t->mnt, "/proc", NULL, MS_BIND, NULL) < 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	if (chdir(tmpdir) < 0)
		_exit(1);
	execlp("stress-ng", "stress-ng", "--procfs", "2", "--quiet", NULL);
	_exit(127);
}

/* A child of an attack: its own process group, so the stop kills what it forked too. */
static pid_t attack_fork(void)
{
	pid_t p = fork();
	if (p == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	return p;
}

/* Starts attack a on t: the pids of its processes in pids (0-terminated). */
static void start_attack(int a, const struct target *t, pid_t maps_pid, pid_t big_pid, pid_t *pids)
{
	static char paths[ATTACK_THREADS][PATH_MAX];
	int n = 0;
	int pipes[ATTACK_THREADS][2];
	pid_t p;
	switch (a) {
	case A_SMAPS:
	case A_SMAPS_BIG:
		for (int i = 0; i < ATTACK_THREADS; i++)
			snprintf(paths[i], PATH_MAX, "%s/%d/smaps", t->prefix,
				 (int)(a == A_SMAPS ? maps_pid : big_pid));
		if ((p = attack_fork()) == 0)
			run_threads(smaps_reader, paths);
		pids[n++] = p;
		break;
	case A_RELAYS:
		if ((p = attack_fork()) == 0) {
			for (int i = 0; i < ATTACK_THREADS; i++) {
				if (pipe(pipes[i]) < 0)
					_exit(1);
				snprintf(paths[i], PATH_MAX, "%s/self/fd/%d", t->prefix,
					 pipes[i][0]);
			}
			run_threads(relay_reader, paths);
		}
		pids[n++] = p;
		break;
	case A_FDS:
		for (int i = 0; i < FD_PROCS; i++)
			if ((pids[n++] = attack_fork()) == 0)
				fd_flood(t);
		break;
	case A_STORM:
		for (int i = 0; i < 2; i++)
			if ((pids[n++] = attack_fork()) == 0)
				fork_storm();
		if ((pids[n++] = attack_fork()) == 0)
			ps_loop(t);
		if ((pids[n++] = attack_fork()) == 0)
			stress_procfs(t);
		break;
	default:
		break;
	}
	pids[n] = 0;
}

static void stop_attack(pid_t *pids)
{
	for (int i = 0; pids[i]; i++)
		if (pids[i] > 0) {
			kill(-pids[i], SIGKILL);
			kill(pids[i], SIGKILL);
		}
	for (int i = 0; pids[i]; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

static void reset_peak(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "5", 1) != 1)
			fprintf(stderr, "pfsbench: cannot reset the peak RSS of %d\n", (int)pid);
		close(fd);
	}
}

/* The victim: open+read+close of self/status every 10 ms for dur_ms; its p99 in ms. */
static double victim(const struct target *t, unsigned dur_ms, int *err)
{
	char path[PATH_MAX];
	make_path(path, sizeof(path), t, "self/status", 0);
	size_t cap = dur_ms / 10 + 16, n = 0;
	double *v = calloc(cap, sizeof(*v));
	if (!v)
		die("out of memory");
	uint64_t end = now_ns() + (uint64_t)dur_ms * 1000000u;
	while (now_ns() < end && n < cap) {
		uint64_t t0 = now_ns();
		long r = read_file(path);
		if (r < 0 && !*err)
			*err = (int)-r;
		v[n++] = (double)(now_ns() - t0) / 1e6;
		sleep_ms(10);
	}
	struct stats st;
	summarize(v, n, &st);
	free(v);
	return st.p99;
}

void measure_hostile(pid_t maps_pid)
{
	static const int who[] = {T_DEFAULT, T_ALT};
	unsigned dur = cfg.smoke ? 300 : cfg.quick ? 2000 : 4000;
	pid_t big_pid = spawn_maps_child(NMAPS_BIG);
	smaps_counts = mmap(NULL, 2 * sizeof(long), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (smaps_counts == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pin_everything(-1);
	for (int a = 0; a < NATTACKS; a++) {
		for (size_t k = 0; k < sizeof(who) / sizeof(*who); k++) {
			struct target *t = &tg[who[k]];
			if (!t->ok)
				continue;
			pid_t pids[16];
			reset_peak(t->pid);
			smaps_counts[0] = smaps_counts[1] = 0;
			start_attack(a, t, maps_pid, big_pid, pids);
			sleep_ms(a == A_IDLE ? 0 : 300);
			int err = 0;
			ex.hostile[who[k]].p99_ms[a] = victim(t, dur, &err);
			ex.hostile[who[k]].err[a] = err;
			ex.hostile[who[k]].hwm_kib[a] = daemon_hwm_kib(t->pid);
			stop_attack(pids);
			ex.hostile[who[k]].served[a] = smaps_counts[0];
			ex.hostile[who[k]].refused[a] = smaps_counts[1];
			sleep_ms(cfg.smoke ? 100 : 1000); /* the daemon settles */
		}
	}
	pin_everything(cfg.cpu);
	kill(big_pid, SIGKILL);
	waitpid(big_pid, NULL, 0);
}
