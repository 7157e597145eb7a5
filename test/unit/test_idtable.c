#include <criterion/criterion.h>
#include <errno.h>
#include <unistd.h>

#include "pfs/idtable.h"

Test(idtable, ids_survive_a_second_mapping)
{
	int fd = -1;
	cr_assert_eq(pfs_idtable_create(64, &fd), 0);
	struct pfs_idtable a, b;
	cr_assert_eq(pfs_idtable_open(fd, 0, &a), 0);
	uint64_t id = 0;
	cr_assert_eq(pfs_idtable_alloc(&a, PFS_IDREC_NODE, &id), 0);
	cr_assert_gt(id >> 32, 0, "never 0 or the root id 1");
	struct pfs_idrec *r = pfs_idtable_get(&a, id, PFS_IDREC_NODE);
	cr_assert_not_null(r);
	r->parent = PFS_ID_ROOT;
	r->nlookup = 3;
	pfs_idrec_set_name(r, "status");
	a.h->epoch++;
	pfs_idtable_close(&a);
	/* another daemon maps the same memfd */
	cr_assert_eq(pfs_idtable_open(fd, 0, &b), 0);
	r = pfs_idtable_get(&b, id, PFS_IDREC_NODE);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->name, "status");
	cr_assert_eq(r->nlookup, 3);
	cr_assert_eq(b.h->epoch, 1);
	cr_assert_null(pfs_idtable_get(&b, id, PFS_IDREC_HANDLE), "a node id is not a handle");
	pfs_idtable_close(&b);
	close(fd);
}

Test(idtable, reused_slot_never_matches_the_old_id)
{
	struct pfs_idtable t;
	cr_assert_eq(pfs_idtable_open(-1, 4, &t), 0);
	uint64_t old = 0, fresh = 0;
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &old), 0);
	pfs_idtable_free(&t, old);
	cr_assert_null(pfs_idtable_get(&t, old, PFS_IDREC_NODE), "freed");
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_HANDLE, &fresh), 0);
	cr_assert_eq(pfs_id_slot(fresh), pfs_id_slot(old), "the slot is reused");
	cr_assert_neq(fresh, old);
	cr_assert_null(pfs_idtable_get(&t, old, PFS_IDREC_HANDLE), "the old id is stale");
	cr_assert_not_null(pfs_idtable_get(&t, fresh, PFS_IDREC_HANDLE));
	pfs_idtable_free(&t, old); /* a stale free leaves the new record alone */
	cr_assert_not_null(pfs_idtable_get(&t, fresh, PFS_IDREC_HANDLE));
	pfs_idtable_close(&t);
}

Test(idtable, full_and_bad_input)
{
	struct pfs_idtable t;
	cr_assert_eq(pfs_idtable_open(-1, 2, &t), 0);
	uint64_t id;
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &id), 0);
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &id), 0);
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &id), -ENOSPC);
	cr_assert_null(pfs_idtable_get(&t, 1, PFS_IDREC_NODE), "the root is not in the table");
	cr_assert_null(pfs_idtable_get(&t, pfs_id_make(7, 1), PFS_IDREC_NODE), "out of range");
	pfs_idtable_close(&t);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(pfs_idtable_open(fds[0], 0, &t), -EINVAL, "not a table");
	close(fds[0]);
	close(fds[1]);
}

Test(idtable, long_names_are_not_resolvable)
{
	struct pfs_idrec r = {0};
	char name[PFS_IDT_NAME_MAX + 2];
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	pfs_idrec_set_name(&r, name);
	cr_assert(r.flags & PFS_IDREC_UNNAMED);
	cr_assert_str_eq(r.name, "");
	cr_assert_neq(pfs_idt_hash("a", 1, 0), pfs_idt_hash("b", 1, 0));
}

/* A private table of 8192 records with n of them allocated, their ids in ids. */
static void open_full(struct pfs_idtable *t, uint64_t *ids, int n)
{
	cr_assert_eq(pfs_idtable_open(-1, 8192, t), 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(pfs_idtable_alloc(t, PFS_IDREC_NODE, &ids[i]), 0);
}

Test(idtable, lowest_slot_first_and_the_free_tail_is_trimmed)
{
	struct pfs_idtable t;
	static uint64_t ids[4096];
	open_full(&t, ids, 4096);
	pfs_idtable_free(&t, ids[5]);
	uint64_t again = 0;
	cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &again), 0);
	cr_assert_eq(pfs_id_slot(again), 5, "the lowest free slot is used first");
	cr_assert_eq(pfs_idtable_trim(&t, NULL, NULL), 0, "nothing free at the end");
	for (int i = 10; i < 4096; i++)
		pfs_idtable_free(&t, ids[i]);
	uint32_t trimmed = pfs_idtable_trim(&t, NULL, NULL);
	cr_assert_eq(trimmed, 4096 - 32, "whole pages after the last used record");
	cr_assert_eq(t.h->used_hw, 32);
	cr_assert_null(pfs_idtable_get(&t, ids[4000], PFS_IDREC_NODE));
	/* a trimmed slot used again never matches an id it had */
	uint64_t fresh[40];
	for (int i = 0; i < 40; i++)
		cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &fresh[i]), 0);
	for (int i = 0; i < 40; i++) {
		cr_assert_lt(pfs_id_slot(fresh[i]), 50);
		cr_assert_neq(fresh[i], ids[pfs_id_slot(fresh[i])]);
	}
	pfs_idtable_close(&t);
}

Test(idtable, free_pages_inside_are_trimmed_once)
{
	struct pfs_idtable t;
	static uint64_t ids[4096];
	open_full(&t, ids, 4096);
	/* a burst's records freed while the ones after it live on */
	for (int i = 64; i < 64 + 512; i++)
		pfs_idtable_free(&t, ids[i]);
	pfs_idtable_free(&t, ids[1000]); /* one free record: never a whole page */
	cr_assert_eq(pfs_idtable_trim(&t, NULL, NULL), 512, "the run of whole free pages");
	cr_assert_eq(t.h->used_hw, 4096, "records after the run still in use");
	cr_assert_eq(pfs_idtable_trim(&t, NULL, NULL), 0, "given back once");
	for (int i = 0; i < 4096; i++) {
		bool freed = (i >= 64 && i < 64 + 512) || i == 1000;
		if (freed)
			cr_assert_null(pfs_idtable_get(&t, ids[i], PFS_IDREC_NODE));
		else
			cr_assert_not_null(pfs_idtable_get(&t, ids[i], PFS_IDREC_NODE), "slot %d",
					   i);
	}
	/* slots given back are used again, never with an id they had */
	for (int i = 0; i < 513; i++) {
		uint64_t id = 0;
		cr_assert_eq(pfs_idtable_alloc(&t, PFS_IDREC_NODE, &id), 0);
		uint32_t slot = pfs_id_slot(id);
		cr_assert(slot == 1000 || (slot >= 64 && slot < 64 + 512), "slot %u", slot);
		cr_assert_neq(id, ids[slot]);
	}
	cr_assert_eq(pfs_idtable_trim(&t, NULL, NULL), 0, "nothing free");
	pfs_idtable_close(&t);
}
