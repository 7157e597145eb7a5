/*
 * File handles as id table records (pfs/idtable.h): the fh the kernel keeps
 * for an open file is a record id, not a pointer, so a later daemon can tell
 * a handle of a dead daemon (an orphan: orphan.c) from its own, and knows
 * which node it was of and what it served.
 */
#include <errno.h>

#include "fs_i.h"

int pfs_fh_new(struct pfs_fs *fs, void *obj, const struct pfs_node *n, unsigned flags,
	       struct pfs_fh_served served, uint64_t *fh)
{
	struct pfs_ids *ids = &fs->ids;
	pthread_mutex_lock(&ids->lock);
	uint64_t id = 0;
	int r = pfs_idtable_alloc(&ids->t, PFS_IDREC_HANDLE, &id);
	if (r == 0) {
		struct pfs_idrec *rec = pfs_idtable_get(&ids->t, id, PFS_IDREC_HANDLE);
		rec->parent = pfs_node_ino(fs, n);
		rec->flags = (uint16_t)flags;
		rec->ident = served.size;
		rec->ident2 = served.hash;
		atomic_store(&ids->objs[pfs_id_slot(id)], (uintptr_t)obj);
		*fh = id;
	}
	pthread_mutex_unlock(&ids->lock);
	return r == -ENOSPC ? -ENFILE : r;
}

void *pfs_fh_obj(struct pfs_fs *fs, uint64_t fh)
{
	return pfs_ids_obj(fs, fh, PFS_IDREC_HANDLE);
}

void pfs_fh_note(struct pfs_fs *fs, uint64_t fh, struct pfs_fh_served served)
{
	pthread_mutex_lock(&fs->ids.lock);
	struct pfs_idrec *rec = pfs_idtable_get(&fs->ids.t, fh, PFS_IDREC_HANDLE);
	if (rec) {
		rec->ident = served.size;
		rec->ident2 = served.hash;
	}
	pthread_mutex_unlock(&fs->ids.lock);
}

void pfs_fh_free(struct pfs_fs *fs, uint64_t fh)
{
	pthread_mutex_lock(&fs->ids.lock);
	if (pfs_idtable_get(&fs->ids.t, fh, PFS_IDREC_HANDLE)) {
		atomic_store(&fs->ids.objs[pfs_id_slot(fh)], 0);
		pfs_idtable_free(&fs->ids.t, fh);
	}
	pthread_mutex_unlock(&fs->ids.lock);
}
