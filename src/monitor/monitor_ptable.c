/* The monitor's process table: one entry per (pid, starttime), with the fds
 * kept open on that process's backing directory between samples. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor_parse_i.h"

void pfs_ptable_init(struct pfs_ptable *t)
{
	memset(t, 0, sizeof(*t));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void pfs_proc_close(struct pfs_proc *p)
{
	close_fd(&p->stat_fd);
	close_fd(&p->status_fd);
	close_fd(&p->fd_dir_fd);
	close_fd(&p->dir_fd);
}

void pfs_ptable_free(struct pfs_ptable *t)
{
	for (size_t i = 0; i < t->n; i++)
		pfs_proc_close(&t->v[i]);
	free(t->v);
	pfs_ptable_init(t);
}

struct pfs_proc *pfs_ptable_find(struct pfs_ptable *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	return NULL;
}

struct pfs_proc *pfs_ptable_add(struct pfs_ptable *t, pid_t pid, uint64_t starttime)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct pfs_proc *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct pfs_proc *p = &t->v[t->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->starttime = starttime;
	p->dir_fd = p->stat_fd = p->status_fd = p->fd_dir_fd = -1;
	p->gen = t->gen;
	return p;
}

void pfs_ptable_remove(struct pfs_ptable *t, size_t i)
{
	if (i >= t->n)
		return;
	pfs_proc_close(&t->v[i]);
	t->v[i] = t->v[--t->n];
	/* keep memory flat: give back space after a burst of processes */
	if (t->cap > 256 && t->n < t->cap / 4) {
		struct pfs_proc *v = realloc(t->v, (t->cap / 2) * sizeof(*v));
		if (v) {
			t->v = v;
			t->cap /= 2;
		}
	}
}

int pfs_proc_signal(const struct pfs_proc *p, int sig)
{
	if (p->dir_fd < 0)
		return -EBADF;
	if (syscall(SYS_pidfd_send_signal, p->dir_fd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}
