/*
 * pfsbench: a workload inside `pfs run` (default.policy, the sandbox's kernel
 * proc at /kproc for comparison, a directory of the bench at /t), talked to
 * through its stdin and stdout, and the CPU time of that sandbox's daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfsbench.h"

void copy_file(const char *src, const char *path, mode_t mode)
{
	FILE *in = fopen(src, "re"), *out = fopen(path, "we");
	if (!in || !out)
		die("copy %s to %s: %s", src, path, strerror(errno));
	size_t n;
	while ((n = fread(rbuf, 1, RBUF_SIZE, in)) > 0)
		if (fwrite(rbuf, 1, n, out) != n)
			die("write %s: %s", path, strerror(errno));
	fclose(in);
	if (fchmod(fileno(out), mode) < 0 || fclose(out) != 0)
		die("write %s: %s", path, strerror(errno));
}

/*
 * default.policy under a path of its own: the daemon's command line names its
 * policy, which tells this sandbox's daemon from the bench's own daemons.
 */
static const char *sandbox_policy(void)
{
	static char path[PATH_MAX];
	if (path[0])
		return path;
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s/default.policy", cfg.filters);
	snprintf(path, sizeof(path), "%s/sandbox-default.policy", tmpdir);
	copy_file(src, path, 0644);
	return path;
}

int sandbox_start(struct sandbox *sb, const char *dir, bool kproc, char *const workload[])
{
	char pfs[PATH_MAX], bind[PATH_MAX + 8];
	snprintf(pfs, sizeof(pfs), "%s/pfs", cfg.build);
	snprintf(bind, sizeof(bind), "%s:/t", dir);
	snprintf(sb->log, sizeof(sb->log), "%s/pfs-run.log", dir);
	const char *policy = sandbox_policy();
	/* a sanitized pfsbench inside: no leak check (no ptrace there) */
	char *argv[32] = {pfs,	    "run", "--policy", (char *)policy,
			  "--bind", bind,  "--env",    "ASAN_OPTIONS=detect_leaks=0"};
	size_t n = 8;
	if (kproc) {
		argv[n++] = "--unsafe-kernel-proc";
		argv[n++] = "/kproc";
	}
	argv[n++] = "--";
	for (size_t i = 0; workload[i] && n < 31; i++)
		argv[n++] = workload[i];
	argv[n] = NULL;
	snprintf(sb->match, sizeof(sb->match), "policy=%s", policy);

	int to[2], from[2];
	if (pipe2(to, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(from, O_CLOEXEC) < 0) {
		int e = errno;
		close(to[0]);
		close(to[1]);
		return -e;
	}
	fflush(NULL);
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return -e;
	}
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int log = open(sb->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0 || log < 0 || dup2(log, 2) < 0)
			_exit(127);
		execv(pfs, argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	sb->pid = p;
	sb->in = to[1];
	sb->out = fdopen(from[0], "re");
	if (!sb->out)
		die("fdopen: %s", strerror(errno));
	return 0;
}

int sandbox_finish(struct sandbox *sb)
{
	if (sb->in >= 0)
		close(sb->in);
	sb->in = -1;
	if (sb->out)
		fclose(sb->out);
	sb->out = NULL;
	int status;
	while (waitpid(sb->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void sandbox_error(const struct sandbox *sb, const char *what, char *note, size_t size)
{
	char text[1024] = "";
	int fd = open(sb->log, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	/* past --unsafe-kernel-proc's warning */
	char *start = text, *nl = strchr(text, '\n');
	if (!strncmp(text, "pfs run: WARNING: --unsafe-kernel-proc", 38) && nl)
		start = nl + 1;
	for (char *c = start; *c; c++)
		if (*c == '\n' || *c == '|')
			*c = ' ';
	snprintf(note, size, "%s: %.150s", what, start);
	fprintf(stderr, "pfsbench: %s\n", note);
}

/* Whether /proc/PID/cmdline holds needle (the arguments joined by spaces). */
static bool cmdline_has(const char *pid, const char *needle)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, "procfilterfs") && strstr(buf, needle);
}

/* utime + stime of the sandbox's daemon and its helper (same command line), in ticks. */
uint64_t sandbox_daemon_ticks(const struct sandbox *sb)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	uint64_t sum = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (is_pid_name(e->d_name) && cmdline_has(e->d_name, sb->match))
			sum += daemon_cpu_ticks((pid_t)atoi(e->d_name));
	closedir(d);
	return sum;
}

/* A directory of the bench that the sandbox's root (another host uid) can write. */
void sandbox_dir(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "%s/%s", tmpdir, name);
	if (mkdir(dir, 01777) < 0 && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	chmod(dir, 01777);
}
