/*
 * Nodes of reaped processes. The kernel keeps the dentries of /proc/<pid>
 * and everything looked up below it (60,000 fd/N entries of one process) until
 * memory pressure evicts them, and the daemon's node for each lives as long as
 * the kernel's lookup count (FORGET). Once a process is reaped its entries can
 * never be opened again: a thread here invalidates them, the kernel drops the
 * dentries and sends FORGETs, and the nodes are freed (node.c). Freed heap
 * goes back to the system once enough of it is free.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs_i.h"
#include "pfs/log.h"

/* Returns freed heap pages to the system after this many nodes were freed. */
#define TRIM_AFTER_FREED 256

int pfs_inval_push(struct pfs_fs *fs, struct pfs_inval_list *l, const struct pfs_node *parent,
		   const char *name)
{
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct pfs_inval *p = realloc(l->v, ncap * sizeof(*p));
		if (!p)
			return -1;
		l->v = p;
		l->cap = ncap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	l->v[l->len++] = (struct pfs_inval){pfs_node_ino(fs, parent), copy};
	return 0;
}

void pfs_inval_flush(struct pfs_fs *fs, struct pfs_inval_list *l)
{
	for (size_t i = 0; i < l->len; i++) {
		fuse_lowlevel_notify_inval_entry(fs->se, l->v[i].parent, l->v[i].name,
						 strlen(l->v[i].name));
		free(l->v[i].name);
	}
	free(l->v);
	*l = (struct pfs_inval_list){0};
}

/* With nodes_lock: dead pid directories, and dead threads of live ones. */
static int collect_dead(struct pfs_fs *fs, struct pfs_inval_list *l)
{
	struct pfs_node *p, *ptmp;
	HASH_ITER (hh, fs->root.children, p, ptmp) {
		if (p->anchor_fd < 0)
			continue;
		if (pfs_node_reaped(p)) {
			if (pfs_inval_push(fs, l, &fs->root, p->name) < 0)
				return -1;
			continue;
		}
		struct pfs_node *task = NULL, *t, *ttmp;
		HASH_FIND_STR(p->children, "task", task);
		if (!task)
			continue;
		HASH_ITER (hh, task->children, t, ttmp) {
			if (pfs_node_reaped(t) && pfs_inval_push(fs, l, task, t->name) < 0)
				return -1;
		}
	}
	return 0;
}

void pfs_nodes_reap(struct pfs_fs *fs)
{
	struct pfs_inval_list l = {0};
	pthread_mutex_lock(&fs->nodes_lock);
	collect_dead(fs, &l);
	pthread_mutex_unlock(&fs->nodes_lock);
	/* Outside the lock: the kernel may answer with FORGETs that take it. */
	pfs_inval_flush(fs, &l);
}

static void *reaper_main(void *arg)
{
	struct pfs_fs *fs = arg;
	struct pfs_reaper *rp = &fs->reaper;
	uint64_t trimmed_at = pfs_nodes_freed(fs);
	pthread_mutex_lock(&rp->lock);
	while (!rp->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&rp->cond, &rp->lock, &ts);
		if (rp->stop)
			break;
		pthread_mutex_unlock(&rp->lock);
		pfs_nodes_reap(fs);
		pfs_ids_trim(fs);
		uint64_t freed = pfs_nodes_freed(fs);
		if (freed - trimmed_at >= TRIM_AFTER_FREED) {
			malloc_trim(0);
			trimmed_at = freed;
		}
		pthread_mutex_lock(&rp->lock);
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

void pfs_fs_start_reaper(struct pfs_fs *fs)
{
	struct pfs_reaper *rp = &fs->reaper;
	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->cond, NULL);
	rp->stop = false;
	rp->running = pthread_create(&rp->thread, NULL, reaper_main, fs) == 0;
	if (!rp->running)
		pfs_err("cannot start the reaper thread: nodes of dead processes stay "
			"until the kernel forgets them");
}

void pfs_fs_stop_reaper(struct pfs_fs *fs)
{
	struct pfs_reaper *rp = &fs->reaper;
	if (!rp->running)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	rp->running = false;
	pthread_cond_destroy(&rp->cond);
	pthread_mutex_destroy(&rp->lock);
}
