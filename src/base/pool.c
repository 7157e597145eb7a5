#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "pfs/pool.h"

/* An owner with queued or running jobs; in the ring while it has queued ones. */
struct pool_owner {
	pid_t tgid;
	uint64_t vtime; /* time its jobs held a thread (ns), from the pool's floor when it came */
	struct pfs_pool_job *head, *tail;
	unsigned running;
	bool in_ring;
	struct pool_owner *ring_prev, *ring_next;
	UT_hash_handle hh;
};

struct pfs_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool stop;
	unsigned owner_cap;
	uint64_t floor; /* vtime of the last owner given a turn: where newcomers start */
	int nice;
	char name[16];
	struct pool_owner *owners; /* by tgid */
	struct pool_owner ring; /* sentinel: owners with queued jobs, next turn first */
	unsigned nthreads;
	unsigned busy; /* jobs running, on the pool's threads or their callers' */
	pthread_t *threads;
};

static void ring_remove(struct pool_owner *o)
{
	o->ring_prev->ring_next = o->ring_next;
	o->ring_next->ring_prev = o->ring_prev;
	o->in_ring = false;
}

static void ring_append(struct pfs_pool *p, struct pool_owner *o)
{
	o->ring_prev = p->ring.ring_prev;
	o->ring_next = &p->ring;
	p->ring.ring_prev->ring_next = o;
	p->ring.ring_prev = o;
	o->in_ring = true;
}

static void owner_put(struct pfs_pool *p, struct pool_owner *o)
{
	if (o->running || o->head)
		return;
	HASH_DEL(p->owners, o);
	free(o);
}

/*
 * The next job in turn: of the owners under their cap, the one whose jobs
 * held a thread the least time (the first in the ring on a tie); it goes to the
 * back of the ring. An owner that came late starts at the floor, not at 0: it
 * cannot take every turn for what it did not use before it came.
 */
static struct pfs_pool_job *next_job(struct pfs_pool *p, struct pool_owner **owner)
{
	struct pool_owner *best = NULL;
	if (p->busy >= p->nthreads)
		return NULL;
	for (struct pool_owner *o = p->ring.ring_next; o != &p->ring; o = o->ring_next)
		if (o->running < p->owner_cap && (!best || o->vtime < best->vtime))
			best = o;
	if (!best)
		return NULL;
	struct pfs_pool_job *j = best->head;
	best->head = j->next;
	if (!best->head)
		best->tail = NULL;
	best->running++;
	p->busy++;
	ring_remove(best);
	if (best->head)
		ring_append(p, best);
	if (best->vtime > p->floor)
		p->floor = best->vtime;
	*owner = best;
	return j;
}

/*
 * The turns' currency is the time a job holds a thread, the pool's resource
 * (a job blocked in the kernel holds it as much as one computing), read from
 * the vDSO: CLOCK_THREAD_CPUTIME_ID is a system call, two per render, which
 * cost a tenth of a small file's open+read+close through FUSE on a guest
 * where a system call costs a microsecond.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A job's hold on a thread, from its start until it ends (pfs_pool_turn_end). */
struct pool_turn {
	struct pfs_pool *p;
	struct pool_owner *o;
	uint64_t t0;
};

/* The turn the calling thread runs, if any: a job ends it before it replies. */
static _Thread_local struct pool_turn *current_turn;

void pfs_pool_turn_end(void)
{
	struct pool_turn *t = current_turn;
	if (!t)
		return;
	current_turn = NULL;
	uint64_t used = now_ns() - t->t0;
	struct pfs_pool *p = t->p;
	pthread_mutex_lock(&p->lock);
	t->o->vtime += used;
	t->o->running--;
	p->busy--;
	/* a thread or the owner's cap came free */
	if (p->ring.ring_next != &p->ring)
		pthread_cond_signal(&p->cond);
	owner_put(p, t->o);
	pthread_mutex_unlock(&p->lock);
}

/* Called with the lock, returns without it: the time j held the thread goes to its owner. */
static void run_counted(struct pfs_pool *p, struct pool_owner *o, struct pfs_pool_job *j)
{
	pthread_mutex_unlock(&p->lock);
	struct pool_turn turn = {p, o, now_ns()}, *outer = current_turn;
	current_turn = &turn;
	j->run(j, false);
	pfs_pool_turn_end(); /* unless the job ended it */
	current_turn = outer;
}

static void *worker(void *arg)
{
	struct pfs_pool *p = arg;
	if (p->nice)
		setpriority(PRIO_PROCESS, (id_t)gettid(), p->nice);
	for (;;) {
		struct pool_owner *o = NULL;
		struct pfs_pool_job *j = NULL;
		pthread_mutex_lock(&p->lock);
		while (!atomic_load(&p->stop) && !(j = next_job(p, &o)))
			pthread_cond_wait(&p->cond, &p->lock);
		if (!j) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		run_counted(p, o, j);
	}
	return NULL;
}

struct pfs_pool *pfs_pool_new(const char *name, unsigned threads, unsigned owner_cap, int nice)
{
	struct pfs_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->threads = calloc(threads ? threads : 1, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->owner_cap = owner_cap && owner_cap < threads ? owner_cap : threads;
	p->nice = nice;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ring.ring_next = p->ring.ring_prev = &p->ring;
	for (unsigned i = 0; i < threads; i++) {
		int e = pthread_create(&p->threads[i], NULL, worker, p);
		if (e) {
			pfs_pool_free(p);
			errno = e;
			return NULL;
		}
		pthread_setname_np(p->threads[i], p->name);
		/* the started workers read it (next_job) */
		pthread_mutex_lock(&p->lock);
		p->nthreads++;
		pthread_mutex_unlock(&p->lock);
	}
	return p;
}

/* With the lock: j's owner, created at the floor; NULL out of memory. */
static struct pool_owner *owner_of(struct pfs_pool *p, pid_t tgid)
{
	struct pool_owner *o = NULL;
	HASH_FIND_INT(p->owners, &tgid, o);
	if (!o && (o = calloc(1, sizeof(*o)))) {
		o->tgid = tgid;
		o->vtime = p->floor;
		HASH_ADD_INT(p->owners, tgid, o);
	}
	return o;
}

void pfs_pool_submit(struct pfs_pool *p, struct pfs_pool_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->lock);
	struct pool_owner *o = owner_of(p, j->owner);
	if (o) {
		if (o->tail)
			o->tail->next = j;
		else
			o->head = j;
		o->tail = j;
		if (!o->in_ring)
			ring_append(p, o);
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	/* no memory for the owner's queue: run it here, unfairly but not lost */
	if (!o)
		j->run(j, false);
}

void pfs_pool_run(struct pfs_pool *p, struct pfs_pool_job *j)
{
	pthread_mutex_lock(&p->lock);
	struct pool_owner *o = NULL;
	/* nobody waits, a thread is free: a turn now, here, saves the hand-over */
	if (p->ring.ring_next == &p->ring && p->busy < p->nthreads && !atomic_load(&p->stop))
		o = owner_of(p, j->owner);
	if (o && o->running < p->owner_cap) {
		o->running++;
		p->busy++;
		run_counted(p, o, j);
		return;
	}
	if (o)
		owner_put(p, o);
	pthread_mutex_unlock(&p->lock);
	pfs_pool_submit(p, j);
}

bool pfs_pool_stopping(const struct pfs_pool *p)
{
	return atomic_load(&p->stop);
}

void pfs_pool_free(struct pfs_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	struct pool_owner *o, *tmp;
	HASH_ITER (hh, p->owners, o, tmp) {
		HASH_DEL(p->owners, o);
		for (struct pfs_pool_job *j = o->head, *next; j; j = next) {
			next = j->next;
			j->run(j, true);
		}
		free(o);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
