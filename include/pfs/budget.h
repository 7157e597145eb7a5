/*
 * A byte budget for content the daemon holds: open snapshots and the buffers
 * a render builds on the way (raw backing text, filtered copies). Charged
 * before the memory is taken, so the bound holds whatever the number of
 * threads rendering at once; each thread group may hold at most a share of
 * it, so one process cannot starve the others.
 */
#ifndef PFS_BUDGET_H
#define PFS_BUDGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pfs_budget_share;

struct pfs_budget {
	pthread_mutex_t lock;
	size_t max; /* whole budget */
	size_t share_max; /* per thread group */
	size_t used;
	struct pfs_budget_share *shares; /* by tgid; present while it holds bytes */
};

/* share_div: each thread group may hold max / share_div. */
void pfs_budget_init(struct pfs_budget *b, size_t max, unsigned share_div);
void pfs_budget_destroy(struct pfs_budget *b);
/* Charges bytes to tgid: -ENOMEM past the whole budget or tgid's share. */
int pfs_budget_charge(struct pfs_budget *b, pid_t tgid, size_t bytes);
void pfs_budget_uncharge(struct pfs_budget *b, pid_t tgid, size_t bytes);
/* Bytes tgid holds. */
size_t pfs_budget_held(struct pfs_budget *b, pid_t tgid);

/*
 * A charge scope: while one is open on a thread, every pfs_buf growth on that
 * thread is charged to it first (a growth over the budget fails with ENOMEM
 * before allocating) and every pfs_buf_free gives back what it charged. A
 * streaming cap: a backing file is refused as it is read, not after.
 */
struct pfs_charge_scope {
	struct pfs_budget *b;
	pid_t tgid;
	size_t charged;
	size_t cap; /* 0, or the most the scope may hold: past it a growth fails (EFBIG) */
	bool capped; /* a growth failed for the cap */
	struct pfs_charge_scope *prev;
};
void pfs_charge_begin(struct pfs_charge_scope *s, struct pfs_budget *b, pid_t tgid);
/* As pfs_charge_begin, holding at most cap bytes at once (0: no cap of its own). */
void pfs_charge_begin_capped(struct pfs_charge_scope *s, struct pfs_budget *b, pid_t tgid,
			     size_t cap);
/* Closes the scope; keep bytes (what outlives it: a snapshot's capacity) stay charged. */
void pfs_charge_end(struct pfs_charge_scope *s, size_t keep);
/* Called by pfs_buf: 0, -ENOMEM or -EFBIG (the cap); no-ops without an open scope. */
int pfs_charge_grow(size_t bytes);
void pfs_charge_shrink(size_t bytes);

#endif
