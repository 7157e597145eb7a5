/*
 * The exec gate, for runc. runc's init checks that /proc is a procfs before
 * it closes its inherited fds and reopens its exec fifo through
 * /proc/self/fd (libcontainer/utils.EnsureProcHandle): a FUSE /proc at
 * createRuntime makes it fail ("/proc/self/fd is not on procfs"). So the
 * supervisor traces every thread of the init (it is a Go program: any thread
 * may call execve) with PTRACE_O_TRACEEXEC. The workload's execve stops in
 * PTRACE_EVENT_EXEC, after the new image is loaded and before its first
 * instruction: the FUSE /proc is mounted then, and the tracee released. The
 * workload never runs with the kernel's /proc. PTRACE_O_EXITKILL: if the
 * supervisor dies first, the container dies with it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "pfs/cleanup.h"
#include "pfs/oci.h"

#define GATE_OPTS (PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL)

/* runc's init names itself "runc:[2:INIT]" (nsexec.c). */
bool pfs_oci_gate_wanted(pid_t pid)
{
	char p[64], comm[32] = "";
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	cleanup_fclose FILE *f = fopen(p, "re");
	return f && fgets(comm, sizeof(comm), f) && !strncmp(comm, "runc:[2:INIT]", 13);
}

#define MAX_THREADS 1024

struct seized {
	pid_t tid[MAX_THREADS];
	size_t n;
};

static bool known(const struct seized *s, pid_t tid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->tid[i] == tid)
			return true;
	return false;
}

/* Seizes the threads of pid not yet traced; returns how many were new. */
static int seize_new(pid_t pid, struct seized *s, struct pfs_error *err)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/task", (int)pid);
	cleanup_closedir DIR *d = opendir(p);
	if (!d)
		return pfs_err_set(err, errno, "%s: %s", p, strerror(errno));
	int added = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)strtol(e->d_name, NULL, 10);
		if (tid <= 0 || known(s, tid))
			continue;
		if (s->n == MAX_THREADS)
			return pfs_err_set(err, E2BIG, "runc's init has too many threads");
		if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)GATE_OPTS) < 0) {
			if (errno == ESRCH)
				continue; /* gone meanwhile */
			/* a thread made by a traced one is already ours (TRACECLONE) */
			if (errno == EPERM && tid != pid)
				continue;
			return pfs_err_set(err, errno,
					   "cannot trace runc's init %d (thread %d): %s; the hook "
					   "needs CAP_SYS_PTRACE (and Yama ptrace_scope below 3)",
					   (int)pid, (int)tid, strerror(errno));
		}
		s->tid[s->n++] = tid;
		added++;
	}
	return added;
}

int pfs_oci_gate_seize(pid_t pid, struct pfs_error *err)
{
	static struct seized s;
	s.n = 0;
	/* until a listing finds no thread that was not traced yet */
	for (int round = 0; round < 100; round++) {
		int r = seize_new(pid, &s, err);
		if (r <= 0)
			return r;
	}
	return pfs_err_set(err, EAGAIN, "runc's init keeps creating threads");
}

int pfs_oci_gate_wait(pid_t pid)
{
	for (;;) {
		int st = 0;
		pid_t t = waitpid(-1, &st, __WALL);
		if (t < 0 && errno == EINTR)
			continue;
		if (t < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (t == pid)
				return 0;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		int event = st >> 16;
		if (event == PTRACE_EVENT_EXEC && t == pid)
			return 1;
		/* clone, exec of a non-leader (reported as the leader), group stops: go on;
		 * a signal-delivery stop re-injects its signal */
		int sig = event ? 0 : WSTOPSIG(st);
		if (sig == SIGTRAP)
			sig = 0;
		ptrace(PTRACE_CONT, t, NULL, (void *)(long)sig);
	}
}

void pfs_oci_gate_release(pid_t pid)
{
	/* after the exec only the leader is left */
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
}
