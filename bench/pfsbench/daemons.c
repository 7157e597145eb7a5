/* pfsbench: starting, watching and stopping the FUSE daemons under test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfsbench.h"

#define FUSE_MAGIC 0x65735546

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/*
 * The CPU time of every thread of pid, ns (schedstat: exact, where utime+stime
 * come in 10 ms ticks). A thread that exits takes its time along: libfuse's
 * workers and the daemon's pools live as long as the daemon.
 */
uint64_t daemon_cpu_ns(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	uint64_t sum = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char rel[300], buf[128];
		snprintf(rel, sizeof(rel), "%s/schedstat", e->d_name);
		int fd = openat(dirfd(d), rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			sum += strtoull(buf, NULL, 10);
		}
	}
	closedir(d);
	return sum;
}

uint64_t daemon_cpu_ticks(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long kib = -1;
	size_t len = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* VmRSS in KiB, or -1. */
long daemon_rss_kib(pid_t pid)
{
	return status_kib(pid, "VmRSS");
}

long daemon_hwm_kib(pid_t pid)
{
	return status_kib(pid, "VmHWM");
}

static bool is_fuse_mounted(const char *mnt)
{
	struct statfs sf;
	return statfs(mnt, &sf) == 0 && sf.f_type == FUSE_MAGIC;
}

static void log_head(const struct target *t, char *text, size_t size);

static void start_daemon(struct target *t, char *const argv[])
{
	if (mkdir(t->mnt, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", t->mnt, strerror(errno));
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, t->key);
	pid_t p = fork();
	if (p < 0)
		die("fork: %s", strerror(errno));
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	t->pid = p;
	for (int i = 0; i < 500; i++) {
		if (is_fuse_mounted(t->mnt)) {
			t->ok = true;
			return;
		}
		if (waitpid(p, NULL, WNOHANG) == p)
			break;
		sleep_ms(10);
	}
	char text[256];
	log_head(t, text, sizeof(text));
	snprintf(t->note, sizeof(t->note), "did not mount: %.120s", text);
	fprintf(stderr, "pfsbench: %s %s\n", t->label, t->note);
	kill(p, SIGKILL);
	t->pid = 0;
}

void start_targets(void)
{
	snprintf(tg[T_NATIVE].prefix, sizeof(tg[T_NATIVE].prefix), "/proc");
	tg[T_NATIVE].ok = true;
	for (int t = T_NULL; t < NT; t++) {
		snprintf(tg[t].mnt, sizeof(tg[t].mnt), "%s/%s", tmpdir, tg[t].key);
		/* From the same parts, not from tg[t].mnt: no overlapping snprintf. */
		snprintf(tg[t].prefix, sizeof(tg[t].prefix), "%s/%s%s", tmpdir, tg[t].key,
			 t == T_LXCFS ? "/proc" : "");
	}
	char bin[PATH_MAX], opts[3][PATH_MAX + 64];
	snprintf(bin, sizeof(bin), "%s/bench/nullproxy", cfg.build);
	char *null_argv[] = {bin, "-f", "-o", "backing=/proc", tg[T_NULL].mnt, NULL};
	start_daemon(&tg[T_NULL], null_argv);
	char *floor_argv[] = {bin, "-f", "-o", "backing=/proc,memo", tg[T_FLOOR].mnt, NULL};
	start_daemon(&tg[T_FLOOR], floor_argv);

	char daemon[PATH_MAX];
	snprintf(daemon, sizeof(daemon), "%s/procfilterfs", cfg.build);
	const char *policies[3] = {"passthrough.policy", "default.policy", NULL};
	int which[3] = {T_PASS, T_DEFAULT, T_R200};
	for (int i = 0; i < 3; i++) {
		/* `sysinfo virtual` reads the cgroups of this process, as LXCFS
		 * reads its caller's */
		if (policies[i])
			snprintf(opts[i], sizeof(opts[i]),
				 "backing=/proc,policy=%s/%s,cgroup_pid=%d", cfg.filters,
				 policies[i], (int)getpid());
		else
			snprintf(opts[i], sizeof(opts[i]), "backing=/proc,policy=%s,cgroup_pid=%d",
				 cfg.policy200, (int)getpid());
		char *argv[] = {daemon, "-f", "-o", opts[i], tg[which[i]].mnt, NULL};
		start_daemon(&tg[which[i]], argv);
	}

	if (cfg.alt) {
		char alt_opts[PATH_MAX + 64];
		snprintf(alt_opts, sizeof(alt_opts),
			 "backing=/proc,policy=%s/default.policy,cgroup_pid=%d", cfg.filters,
			 (int)getpid());
		char *argv[] = {(char *)cfg.alt, "-f", "-o", alt_opts, tg[T_ALT].mnt, NULL};
		start_daemon(&tg[T_ALT], argv);
	}

	const char *lx = NULL;
	static const char *const lx_paths[] = {"/usr/bin/lxcfs", "/usr/local/bin/lxcfs",
					       "/bin/lxcfs"};
	for (size_t i = 0; i < 3 && !lx; i++)
		if (access(lx_paths[i], X_OK) == 0)
			lx = lx_paths[i];
	if (!lx) {
		snprintf(tg[T_LXCFS].note, sizeof(tg[T_LXCFS].note),
			 "lxcfs not installed (apt-get install lxcfs): column skipped");
		return;
	}
	char pidfile[PATH_MAX + 16];
	snprintf(pidfile, sizeof(pidfile), "%s/lxcfs.pid", tmpdir);
	char *lx_argv[] = {(char *)lx, "-f", "-p", pidfile, tg[T_LXCFS].mnt, NULL};
	start_daemon(&tg[T_LXCFS], lx_argv);
}

/* The first bytes of a daemon's log, on one line. */
static void log_head(const struct target *t, char *text, size_t size)
{
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, t->key);
	text[0] = '\0';
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, text, size - 1);
		text[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '|')
			*c = ' ';
}

/* Records a daemon that died during the run (a crash is a finding). */
static void check_alive(struct target *t)
{
	int status;
	if (!t->pid || waitpid(t->pid, &status, WNOHANG) != t->pid)
		return;
	char text[200];
	log_head(t, text, sizeof(text));
	if (WIFSIGNALED(status))
		snprintf(t->note, sizeof(t->note),
			 "daemon died during the run (signal %d). Log: %.100s", WTERMSIG(status),
			 text);
	else
		snprintf(t->note, sizeof(t->note),
			 "daemon exited during the run (status %d). Log: %.100s",
			 WEXITSTATUS(status), text);
	fprintf(stderr, "pfsbench: %s: %s\n", t->label, t->note);
	t->pid = 0;
}

void stop_targets(void)
{
	for (int t = T_NULL; t < NT; t++) {
		check_alive(&tg[t]);
		if (!tg[t].pid)
			continue;
		kill(tg[t].pid, SIGTERM);
		for (int i = 0; i < 200 && waitpid(tg[t].pid, NULL, WNOHANG) == 0; i++)
			sleep_ms(10);
		kill(tg[t].pid, SIGKILL);
		waitpid(tg[t].pid, NULL, 0);
		umount2(tg[t].mnt, MNT_DETACH);
	}
}
