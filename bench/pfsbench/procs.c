/* pfsbench: the processes the bench spawns (sleepers, the maps child) and CPU placement. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pfsbench.h"

/* ---- processes ---------------------------------------------------------- */

static void child_wait_forever(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

static long count_procs(void)
{
	long procs = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (is_pid_name(e->d_name))
			procs++;
	closedir(d);
	return procs;
}

pid_t *sleepers;
size_t nsleepers;

/* Spawns sleeping children until /proc lists `want` processes. */
void procs_to(long want)
{
	long have = count_procs();
	sleepers = realloc(sleepers,
			   sizeof(*sleepers) *
				   (nsleepers + (size_t)(want > have ? want - have : 0) + 1));
	if (!sleepers)
		die("out of memory");
	for (; have < want; have++) {
		pid_t p = fork();
		if (p < 0)
			die("fork: %s", strerror(errno));
		if (p == 0)
			child_wait_forever();
		sleepers[nsleepers++] = p;
	}
}

/* A child with ~n distinct mappings of a file (alternating protections, no merging). */
pid_t spawn_maps_child(int n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/maps%d.dat", tmpdir, n);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)n * 4096) < 0)
		die("maps file: %s", strerror(errno));
	int pipefd[2];
	if (pipe(pipefd) < 0)
		die("pipe: %s", strerror(errno));
	pid_t p = fork();
	if (p == 0) {
		close(pipefd[0]);
		for (int i = 0; i < n; i++) {
			int prot = i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
			if (mmap(NULL, 4096, prot, MAP_PRIVATE, fd, (off_t)i * 4096) == MAP_FAILED)
				_exit(1);
		}
		if (write(pipefd[1], "R", 1) != 1)
			_exit(1);
		child_wait_forever();
	}
	close(fd);
	close(pipefd[1]);
	char c;
	if (p < 0 || read(pipefd[0], &c, 1) != 1)
		die("maps child failed");
	close(pipefd[0]);
	return p;
}

/* ---- CPU placement ------------------------------------------------------ */

/*
 * Latency is measured with the bench and every daemon on one CPU: where the
 * scheduler happens to put a daemon's threads (same CPU as the reader or not,
 * idle CPU or not) otherwise changes a round trip by 2x for seconds at a time,
 * differently per daemon. Concurrency is measured unpinned.
 */
void set_affinity(pid_t pid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		for (int i = 0; i < CPU_SETSIZE && i < sysconf(_SC_NPROCESSORS_CONF); i++)
			CPU_SET(i, &set);
	}
	sched_setaffinity(pid, sizeof(set), &set);
}

/* Every thread of a process. */
void set_affinity_all(pid_t pid, int cpu)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (is_pid_name(e->d_name))
			set_affinity((pid_t)atoi(e->d_name), cpu);
	if (d)
		closedir(d);
}
