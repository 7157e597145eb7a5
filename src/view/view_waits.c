/*
 * FUSE waits per thread. Every request a thread sends to the daemon blocks
 * it until the answer: one voluntary context switch that the kernel counts
 * in the thread's status and sched, and that natively (a proc read does not
 * sleep) is not there. The FUSE layer notes each request here under the
 * sender's thread id; the render takes them out again (render.c).
 *
 * Threads that have gone are swept at most once per SWEEP_SECONDS, by the
 * thread that notes a wait then: an entry of a thread id reused within that
 * time is wrong for the new thread (the count is then too low by at most
 * the old thread's waits, never below zero).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <uthash.h>

#include "pfs/view.h"

#define SWEEP_SECONDS 2

struct pfs_wait_count {
	pid_t tid;
	uint64_t n;
	UT_hash_handle hh;
};

struct pfs_waits {
	pthread_mutex_t lock;
	struct pfs_wait_count *by_tid; /* lock */
	time_t swept; /* lock */
	int backing_fd;
};

int pfs_waits_new(int backing_fd, struct pfs_waits **out)
{
	struct pfs_waits *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->backing_fd = backing_fd;
	*out = w;
	return 0;
}

void pfs_waits_free(struct pfs_waits *w)
{
	if (!w)
		return;
	struct pfs_wait_count *e, *tmp;
	HASH_ITER (hh, w->by_tid, e, tmp) {
		HASH_DEL(w->by_tid, e);
		free(e);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static bool thread_gone(int backing_fd, pid_t tid)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", (int)tid);
	struct stat st;
	return fstatat(backing_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* With lock: forgets the threads that have gone, once per SWEEP_SECONDS. */
static void sweep(struct pfs_waits *w)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - w->swept < SWEEP_SECONDS)
		return;
	w->swept = now.tv_sec;
	struct pfs_wait_count *e, *tmp;
	HASH_ITER (hh, w->by_tid, e, tmp) {
		if (thread_gone(w->backing_fd, e->tid)) {
			HASH_DEL(w->by_tid, e);
			free(e);
		}
	}
}

void pfs_waits_note(struct pfs_waits *w, pid_t tid)
{
	if (!w || tid <= 0)
		return;
	pthread_mutex_lock(&w->lock);
	sweep(w);
	struct pfs_wait_count *e = NULL;
	HASH_FIND_INT(w->by_tid, &tid, e);
	if (!e && (e = calloc(1, sizeof(*e)))) {
		e->tid = tid;
		HASH_ADD_INT(w->by_tid, tid, e);
	}
	if (e)
		e->n++;
	pthread_mutex_unlock(&w->lock);
}

uint64_t pfs_waits_of(struct pfs_waits *w, pid_t tid)
{
	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	struct pfs_wait_count *e = NULL;
	HASH_FIND_INT(w->by_tid, &tid, e);
	uint64_t n = e ? e->n : 0;
	pthread_mutex_unlock(&w->lock);
	return n;
}
