#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <uthash.h>

#include "pfs/budget.h"

struct pfs_budget_share {
	pid_t tgid;
	size_t held;
	UT_hash_handle hh;
};

static _Thread_local struct pfs_charge_scope *current;

void pfs_budget_init(struct pfs_budget *b, size_t max, unsigned share_div)
{
	pthread_mutex_init(&b->lock, NULL);
	b->max = max;
	b->share_max = share_div > 1 ? max / share_div : max;
	b->used = 0;
	b->shares = NULL;
}

void pfs_budget_destroy(struct pfs_budget *b)
{
	struct pfs_budget_share *s, *tmp;
	HASH_ITER (hh, b->shares, s, tmp) {
		HASH_DEL(b->shares, s);
		free(s);
	}
	pthread_mutex_destroy(&b->lock);
}

/* force: the memory is already taken; record it even past the bounds. */
static int charge(struct pfs_budget *b, pid_t tgid, size_t bytes, bool force)
{
	if (!bytes)
		return 0;
	pthread_mutex_lock(&b->lock);
	struct pfs_budget_share *s = NULL;
	HASH_FIND_INT(b->shares, &tgid, s);
	size_t held = s ? s->held : 0;
	int r = 0;
	if ((!force && (bytes > b->max - b->used || bytes > b->share_max - held)) ||
	    (!s && !(s = calloc(1, sizeof(*s)))))
		r = -ENOMEM;
	if (r == 0) {
		if (!held) {
			s->tgid = tgid;
			HASH_ADD_INT(b->shares, tgid, s);
		}
		s->held += bytes;
		b->used += bytes;
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

int pfs_budget_charge(struct pfs_budget *b, pid_t tgid, size_t bytes)
{
	return charge(b, tgid, bytes, false);
}

void pfs_budget_uncharge(struct pfs_budget *b, pid_t tgid, size_t bytes)
{
	if (!bytes)
		return;
	pthread_mutex_lock(&b->lock);
	struct pfs_budget_share *s = NULL;
	HASH_FIND_INT(b->shares, &tgid, s);
	if (s) {
		size_t n = bytes < s->held ? bytes : s->held;
		s->held -= n;
		b->used -= n;
		if (!s->held) {
			HASH_DEL(b->shares, s);
			free(s);
		}
	}
	pthread_mutex_unlock(&b->lock);
}

size_t pfs_budget_held(struct pfs_budget *b, pid_t tgid)
{
	pthread_mutex_lock(&b->lock);
	struct pfs_budget_share *s = NULL;
	HASH_FIND_INT(b->shares, &tgid, s);
	size_t held = s ? s->held : 0;
	pthread_mutex_unlock(&b->lock);
	return held;
}

void pfs_charge_begin_capped(struct pfs_charge_scope *s, struct pfs_budget *b, pid_t tgid,
			     size_t cap)
{
	s->b = b;
	s->tgid = tgid;
	s->charged = 0;
	s->cap = cap;
	s->capped = false;
	s->prev = current;
	current = s;
}

void pfs_charge_begin(struct pfs_charge_scope *s, struct pfs_budget *b, pid_t tgid)
{
	pfs_charge_begin_capped(s, b, tgid, 0);
}

void pfs_charge_end(struct pfs_charge_scope *s, size_t keep)
{
	current = s->prev;
	/* Reconcile: whatever the scope counted, exactly keep stays charged. */
	if (s->charged > keep)
		pfs_budget_uncharge(s->b, s->tgid, s->charged - keep);
	else if (keep > s->charged)
		charge(s->b, s->tgid, keep - s->charged, true);
}

int pfs_charge_grow(size_t bytes)
{
	struct pfs_charge_scope *s = current;
	if (!s)
		return 0;
	if (s->cap && bytes > s->cap - s->charged) {
		s->capped = true;
		return -EFBIG;
	}
	int r = pfs_budget_charge(s->b, s->tgid, bytes);
	if (r == 0)
		s->charged += bytes;
	return r;
}

void pfs_charge_shrink(size_t bytes)
{
	struct pfs_charge_scope *s = current;
	if (!s)
		return;
	size_t n = bytes < s->charged ? bytes : s->charged;
	pfs_budget_uncharge(s->b, s->tgid, n);
	s->charged -= n;
}
