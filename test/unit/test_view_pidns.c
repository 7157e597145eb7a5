/*
 * Thread groups of callers by nsfs ioctls (pfs/pidns.h), on real procfs
 * instances: the daemon's own pid namespace, and a child one seen from its
 * parent (pfs run's case). Needs root and Linux 6.11.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/pidns.h"

static int pipe_tid[2];

static void *report_tid(void *arg)
{
	(void)arg;
	pid_t tid = gettid();
	if (write(pipe_tid[1], &tid, sizeof(tid)) != sizeof(tid))
		_exit(3);
	pause();
	return NULL;
}

static pid_t thread_of_mine(pthread_t *t)
{
	cr_assert_eq(pipe(pipe_tid), 0);
	cr_assert_eq(pthread_create(t, NULL, report_tid, NULL), 0);
	pid_t tid = 0;
	cr_assert_eq(read(pipe_tid[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	return tid;
}

Test(pidns, own_namespace_gives_thread_groups)
{
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(proc, 0);
	struct pfs_pidns ns;
	cr_assert_eq(pfs_pidns_open(proc, &ns), 0, "Linux 6.11 nsfs ioctls on this kernel");
	cr_assert(ns.open);
	cr_assert(ns.ours, "/proc here is the test's own pid namespace");
	cr_assert(ns.translates);
	pid_t mine = 0;
	cr_assert_eq(pfs_pidns_to_ours(&ns, getpid(), &mine), 0);
	cr_assert_eq(mine, getpid(), "our own numbers need no translation");
	pthread_t t;
	pid_t tid = thread_of_mine(&t);
	cr_assert_neq(tid, getpid());
	pid_t tgid = 0;
	cr_assert_eq(pfs_pidns_tgid(&ns, tid, &tgid), 0);
	cr_assert_eq(tgid, getpid(), "a thread's group is its process");
	cr_assert_eq(pfs_pidns_tgid(&ns, getpid(), &tgid), 0);
	cr_assert_eq(tgid, getpid());
	cr_assert_eq(pfs_pidns_tgid(&ns, 0, &tgid), -ESRCH);
	cr_assert_eq(pfs_pidns_tgid(&ns, 4194303 + 1, &tgid), -ESRCH, "no such thread");
	pfs_pidns_close(&ns);
	cr_assert_not(ns.open);
	cr_assert_eq(pfs_pidns_tgid(&ns, tid, &tgid), -EOPNOTSUPP, "closed: read the status");
	close(proc);
}

Test(pidns, zeroed_is_not_open)
{
	struct pfs_pidns ns = {0};
	pid_t tgid = 0;
	cr_assert_eq(pfs_pidns_tgid(&ns, getpid(), &tgid), -EOPNOTSUPP, "fd 0 is never used");
	cr_assert_eq(pfs_pidns_to_ours(&ns, getpid(), &tgid), -EOPNOTSUPP);
	cr_assert_not(pfs_pidns_maps_to_ours(&ns));
}

/*
 * A child pid namespace with its own procfs, seen by the test from outside:
 * its thread's number and its group are the child namespace's, not ours.
 */
Test(pidns, child_namespace_from_its_parent)
{
	char dir[] = "/tmp/pfs-pidns-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	int up[2], gup[2]; /* from the child: the init's number; from the init: what it saw */
	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(gup), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(2);
		pid_t g = fork();
		if (g == 0) { /* pid 1 of the child namespace */
			if (mount("proc", dir, "proc", 0, NULL) < 0)
				_exit(2);
			/* seen from inside, the same procfs is the reader's own namespace */
			struct pfs_pidns own;
			int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			char inside = fd >= 0 && pfs_pidns_open(fd, &own) == 0 && own.ours &&
						      own.translates
					      ? 'y'
					      : 'n';
			if (write(gup[1], &inside, 1) != 1)
				_exit(2);
			pipe_tid[1] = gup[1];
			pthread_t t;
			if (pthread_create(&t, NULL, report_tid, NULL) != 0)
				_exit(2);
			pause();
			_exit(0);
		}
		if (g < 0 || write(up[1], &g, sizeof(g)) != sizeof(g))
			_exit(2);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	pid_t g = 0, tid = 0;
	char inside = 0;
	cr_assert_eq(read(up[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	cr_assert_eq(read(gup[0], &inside, 1), 1);
	cr_assert_eq(read(gup[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/root%s", g, dir);
	int proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(proc, 0, "the child's procfs through its root");
	struct pfs_pidns ns;
	int r = pfs_pidns_open(proc, &ns);
	pid_t tgid = 0;
	int tr = r == 0 ? pfs_pidns_tgid(&ns, tid, &tgid) : r;
	pid_t host_tgid = 0;
	int hr = r == 0 ? pfs_pidns_tgid(&ns, getpid(), &host_tgid) : r;
	bool ours = ns.ours;
	pid_t init_here = 0;
	int ir = r == 0 ? pfs_pidns_to_ours(&ns, 1, &init_here) : r;
	pfs_pidns_close(&ns);
	close(proc);
	kill(g, SIGKILL);
	waitpid(c, NULL, 0);
	rmdir(dir);
	cr_assert_eq(r, 0);
	cr_assert_not(ours);
	cr_assert_eq(inside, 'y', "its own procfs is ours to the child's init");
	cr_assert_eq(ir, 0);
	cr_assert_eq(init_here, g, "the child's pid 1 is the init we forked");
	cr_assert_neq(tid, 1, "the init's second thread");
	cr_assert_eq(tr, 0);
	cr_assert_eq(tgid, 1, "the thread's group in the child namespace: its init");
	cr_assert(hr == -ESRCH || (hr == 0 && host_tgid != getpid()),
		  "a number of the child namespace is not ours");
}
