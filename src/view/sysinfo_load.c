/*
 * The sandbox's load average: the kernel's exponential averages over the
 * runnable and uninterruptible tasks of the backing proc (the sandbox's pid
 * namespace: a sibling sandbox's tasks are never in it), sampled every 5 s
 * by a thread of the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/sysinfo.h"

#define LOAD_FREQ_S 5

/* The state letter of a task's stat, or 0. */
static char task_state(int dir, const char *name)
{
	char path[300], buf[512];
	snprintf(path, sizeof(path), "%s/stat", name);
	cleanup_close int fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

static DIR *opendir_at(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int pfs_load_count(int backing_fd, unsigned *running, unsigned *blocked, unsigned *threads,
		   long *max_pid)
{
	*running = *blocked = *threads = 0;
	*max_pid = 0;
	DIR *d = opendir_at(backing_fd, ".");
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end = NULL;
		long pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end)
			continue;
		char tpath[64];
		snprintf(tpath, sizeof(tpath), "%ld/task", pid);
		DIR *t = opendir_at(backing_fd, tpath);
		if (!t)
			continue;
		struct dirent *te;
		while ((te = readdir(t))) {
			long tid = strtol(te->d_name, &end, 10);
			if (tid <= 0 || *end)
				continue;
			(*threads)++;
			if (tid > *max_pid)
				*max_pid = tid;
			char st = task_state(dirfd(t), te->d_name);
			*running += st == 'R';
			*blocked += st == 'D';
		}
		closedir(t);
	}
	closedir(d);
	return 0;
}

void pfs_load_fold(double load[3], unsigned active)
{
	/* exp(-5 s / 1, 5, 15 min), the kernel's EXP_1, EXP_5, EXP_15 */
	static const double e[3] = {0.920044414629323, 0.983471453821617, 0.994459848162428};
	for (int i = 0; i < 3; i++)
		load[i] = load[i] * e[i] + (double)active * (1 - e[i]);
}

static void sample(struct pfs_load *l)
{
	unsigned running = 0, blocked = 0, threads = 0;
	long max_pid = 0;
	if (pfs_load_count(l->backing_fd, &running, &blocked, &threads, &max_pid) < 0)
		return;
	pthread_mutex_lock(&l->lock);
	pfs_load_fold(l->load, running + blocked);
	l->nr_running = running;
	l->nr_blocked = blocked;
	l->nr_threads = threads;
	if (max_pid > l->last_pid)
		l->last_pid = max_pid;
	pthread_mutex_unlock(&l->lock);
}

static void *sampler(void *arg)
{
	struct pfs_load *l = arg;
	struct pollfd p = {.fd = l->stop_pipe[0], .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, LOAD_FREQ_S * 1000);
		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		if (r == 0)
			sample(l);
	}
	return NULL;
}

void pfs_load_init(struct pfs_load *l, int backing_fd)
{
	memset(l, 0, sizeof(*l));
	l->backing_fd = backing_fd;
	pthread_mutex_init(&l->lock, NULL);
	l->stop_pipe[0] = l->stop_pipe[1] = -1;
	(void)pfs_load_count(backing_fd, &l->nr_running, &l->nr_blocked, &l->nr_threads,
			     &l->last_pid);
}

int pfs_load_start(struct pfs_load *l)
{
	if (l->started)
		return 0;
	if (pipe2(l->stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	int r = pthread_create(&l->thread, NULL, sampler, l);
	if (r) {
		close(l->stop_pipe[0]);
		close(l->stop_pipe[1]);
		return -r;
	}
	l->started = true;
	return 0;
}

void pfs_load_free(struct pfs_load *l)
{
	if (l->started) {
		(void)!write(l->stop_pipe[1], "x", 1);
		pthread_join(l->thread, NULL);
		close(l->stop_pipe[0]);
		close(l->stop_pipe[1]);
		l->started = false;
	}
	pthread_mutex_destroy(&l->lock);
}
