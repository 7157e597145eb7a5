/*
 * monitor_pidreuse: the monitor never signals a process that reused the pid of
 * one it sampled. On the host's /proc (needs root for clone3 set_tid):
 *   1. child A is sampled (the table keeps fds on A's /proc directory);
 *   2. A is killed and reaped, child B is created with A's pid;
 *   3. signalling A's stale entry must fail with ESRCH and leave B alive;
 *   4. the next pass must see a new entry (different starttime) for the pid,
 *      and signalling that entry must reach B.
 * Prints "ok" and exits 0, or names the failed step and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/monitor_parse_i.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "monitor_pidreuse: " __VA_ARGS__);                                 \
		fputc('\n', stderr);                                                               \
		return 1;                                                                          \
	} while (0)

static pid_t spawn(pid_t want)
{
	pid_t tid = want;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	if (want) {
		ca.set_tid = (uint64_t)(uintptr_t)&tid;
		ca.set_tid_size = 1;
	}
	pid_t p = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

int main(void)
{
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct pfs_sampler s;
	struct pfs_sample_totals tot;
	if (proc < 0 || pfs_sampler_open(&s, proc) < 0)
		FAIL("cannot open /proc");
	pid_t a = spawn(0);
	if (a < 0)
		FAIL("clone3: %s", strerror(errno));
	usleep(20000);
	pfs_sampler_pass(&s, &tot);
	struct pfs_proc *e = pfs_ptable_find(&s.t, a);
	if (!e)
		FAIL("A (%d) not sampled", (int)a);
	struct pfs_proc old = *e;
	old.dir_fd = dup(e->dir_fd);
	old.stat_fd = old.status_fd = old.fd_dir_fd = -1;

	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	usleep(50000);
	pid_t b = spawn(a);
	if (b != a)
		FAIL("could not reuse pid %d: %s", (int)a, b < 0 ? strerror(errno) : "other pid");

	int r = pfs_proc_signal(&old, SIGTERM);
	int st;
	if (r != -ESRCH)
		FAIL("signal via the stale entry returned %d, want -ESRCH", r);
	usleep(20000);
	if (waitpid(b, &st, WNOHANG) != 0)
		FAIL("B (reused pid %d) was hit by a signal meant for A", (int)b);

	pfs_sampler_pass(&s, &tot);
	e = pfs_ptable_find(&s.t, b);
	if (!e)
		FAIL("B not sampled");
	if (e->starttime == old.starttime)
		FAIL("B has A's starttime %llu: entry not renewed",
		     (unsigned long long)e->starttime);
	if (pfs_proc_signal(e, SIGTERM) != 0)
		FAIL("signal via B's own entry failed");
	if (waitpid(b, &st, 0) != b || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
		FAIL("B did not die of the SIGTERM sent through its entry");
	pfs_proc_close(&old);
	pfs_sampler_close(&s);
	close(proc);
	printf("ok\n");
	return 0;
}
