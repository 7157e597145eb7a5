/*
 * Node ids that outlive the daemon. Each node the daemon hands to the kernel
 * is a record of the id table (ids.c). The table is a memfd of the launcher's
 * supervisor; when the daemon dies, the kernel keeps the ids, and the next
 * daemon resolves an id it does not know from the record, lazily, at its
 * first use: the parent first, then the name under it. A process directory
 * whose process is gone (or whose pid now belongs to another process:
 * another start time) resolves to a node of a gone process, which answers
 * ENOENT as any stale process node does. An id whose record is gone or
 * reused resolves to a stale node (ESTALE).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/log.h"

#define RESOLVE_DEPTH_MAX 64

struct pfs_node *pfs_node_get(struct pfs_fs *fs, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &fs->root : pfs_node_id_find(fs, ino);
}

fuse_ino_t pfs_node_ino(struct pfs_fs *fs, const struct pfs_node *n)
{
	return n == &fs->root ? FUSE_ROOT_ID : n->id;
}

/* The record of a process directory, opened again: its anchor, if the same process. */
static int reopen_anchor(struct pfs_fs *fs, struct pfs_node *parent, const char *name,
			 uint64_t started)
{
	struct pfs_loc loc;
	pfs_node_loc(fs, parent, &loc);
	char rel[PATH_MAX];
	int len = loc.rel[0] ? snprintf(rel, sizeof(rel), "%s/%s", loc.rel, name)
			     : snprintf(rel, sizeof(rel), "%s", name);
	if (len < 0 || (size_t)len >= sizeof(rel) || pfs_node_gone(parent))
		return -1;
	cleanup_close int fd = openat(loc.dirfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !started || pfs_proc_start_time(fd) != started)
		return -1;
	return steal_fd(fd);
}

/* With nodes_lock: the node of id, made again from its record. NULL when it cannot be. */
static struct pfs_node *resolve(struct pfs_fs *fs, uint64_t id, int depth)
{
	if (id == FUSE_ROOT_ID)
		return &fs->root;
	struct pfs_node *known = pfs_ids_obj(fs, id, PFS_IDREC_NODE);
	if (known)
		return known;
	_Atomic(uintptr_t) *o = pfs_ids_slot(fs, id);
	pthread_mutex_lock(&fs->ids.lock);
	struct pfs_idrec *rec = pfs_idtable_get(&fs->ids.t, id, PFS_IDREC_NODE);
	struct pfs_idrec copy = rec ? *rec : (struct pfs_idrec){0};
	pthread_mutex_unlock(&fs->ids.lock);
	if (!rec || (copy.flags & PFS_IDREC_UNNAMED) || depth > RESOLVE_DEPTH_MAX)
		return NULL;
	struct pfs_node *parent = resolve(fs, copy.parent, depth + 1);
	if (!parent || parent == &fs->ids.stale)
		return NULL;
	char *path = NULL;
	if (asprintf(&path, "%s/%s", parent->path, copy.name) < 0)
		return NULL;
	bool procdir = copy.flags & PFS_IDREC_PROCDIR;
	int anchor = procdir ? reopen_anchor(fs, parent, copy.name, copy.ident2) : -1;
	struct pfs_node *n =
		pfs_node_new(parent, copy.name, path, anchor, (ino_t)copy.ident, (mode_t)copy.type);
	if (!n) {
		free(path);
		if (anchor >= 0)
			close(anchor);
		return NULL;
	}
	if (procdir && anchor < 0) {
		/* the process is gone, or its pid is another's: a gone process's node */
		n->anchor = n;
		n->rel = n->path + strlen(n->path);
	}
	n->magic = copy.flags & PFS_IDREC_MAGIC;
	n->id = id;
	n->nlookup = copy.nlookup;
	pfs_node_attach(parent, n);
	if (o)
		atomic_store(o, (uintptr_t)n);
	pfs_debug("resolved node id %#llx again: %s%s", (unsigned long long)id, n->path,
		  procdir && anchor < 0 ? " (process gone)" : "");
	return n;
}

struct pfs_node *pfs_node_id_find(struct pfs_fs *fs, uint64_t id)
{
	struct pfs_node *n = pfs_ids_obj(fs, id, PFS_IDREC_NODE);
	if (n)
		return n;
	pthread_mutex_lock(&fs->nodes_lock);
	n = resolve(fs, id, 0);
	pthread_mutex_unlock(&fs->nodes_lock);
	return n ? n : &fs->ids.stale;
}
