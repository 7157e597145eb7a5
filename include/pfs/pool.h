/*
 * A fixed pool of threads that runs jobs in turns between owners (thread
 * groups): each owner has its own queue, the next turn goes to the owner with
 * queued jobs whose jobs held a thread the least time (fair queueing: a process
 * that asks little is served first), and one owner runs at most owner_cap
 * jobs at once. One owner's burst queues behind itself; it never holds every
 * thread.
 */
#ifndef PFS_POOL_H
#define PFS_POOL_H

#include <stdbool.h>
#include <sys/types.h>

struct pfs_pool;

/* Embedded in the submitter's own job; run once, on a pool thread or at stop. */
struct pfs_pool_job {
	/* cancelled: the pool is stopping and the job did not start; it only cleans up */
	void (*run)(struct pfs_pool_job *j, bool cancelled);
	pid_t owner;
	struct pfs_pool_job *next; /* the pool's */
};

/*
 * Starts threads threads named name; an owner runs at most owner_cap jobs at
 * once (0: threads). nice: the threads' niceness (0: the process's own).
 * NULL with errno set on failure.
 */
struct pfs_pool *pfs_pool_new(const char *name, unsigned threads, unsigned owner_cap, int nice);
/* Queues j for its owner's turn. */
void pfs_pool_submit(struct pfs_pool *p, struct pfs_pool_job *j);
/*
 * Runs j on the calling thread at once when no job waits, a thread is free
 * and its owner is under its cap (the turn it would get anyway, without the
 * hand-over; it counts as one of the pool's jobs meanwhile); else queues it.
 */
void pfs_pool_run(struct pfs_pool *p, struct pfs_pool_job *j);
/*
 * Ends the turn of the job the calling thread runs (no-op outside one): its
 * thread counts as free and its time stops. A job calls it once its work is
 * done and before it wakes whoever waits for it: on a busy CPU the woken
 * reader runs first, and a turn still open meanwhile would hold the owner's
 * cap and push its next job to another thread.
 */
void pfs_pool_turn_end(void);
/* True once pfs_pool_free began: long jobs end early. */
bool pfs_pool_stopping(const struct pfs_pool *p);
/* Stops and joins the threads (running jobs finish), then cancels the queued ones. */
void pfs_pool_free(struct pfs_pool *p);

#endif
