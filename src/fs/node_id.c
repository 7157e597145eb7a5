/*
 * Node ids that outlive the daemon. Each node the daemon hands to the kernel
 * is a record of the id table (pfs/idtable.h): its parent's id, its name, its
 * type, and for a pid or tid directory the process's start time. The table
 * is a memfd of the launcher's supervisor; when the daemon dies, the kernel
 * keeps the ids, and the next daemon resolves an id it does not know from
 * the record, lazily, at its first use: the parent first, then the name
 * under it. A process directory whose process is gone (or whose pid now
 * belongs to another process: another start time) resolves to a node of a
 * gone process, which answers ENOENT as any stale process node does. An id
 * whose record is gone or reused resolves to a stale node (ESTALE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/log.h"

#define RESOLVE_DEPTH_MAX 64

static _Atomic(uintptr_t) *obj_slot(struct pfs_fs *fs, uint64_t id)
{
	uint32_t slot = pfs_id_slot(id);
	if (!fs->ids.t.h || slot >= fs->ids.t.h->capacity)
		return NULL;
	return &fs->ids.objs[slot];
}

/* This daemon's object of id (a node or a handle, as st says), or NULL. No lock. */
void *pfs_ids_obj(struct pfs_fs *fs, uint64_t id, int st)
{
	_Atomic(uintptr_t) *o = obj_slot(fs, id);
	if (!o || !pfs_idtable_get(&fs->ids.t, id, (enum pfs_idrec_state)st))
		return NULL;
	return (void *)atomic_load(o);
}

int pfs_ids_init(struct pfs_fs *fs, int fd)
{
	struct pfs_ids *ids = &fs->ids;
	int r = pfs_idtable_open(fd, PFS_IDT_DEFAULT_CAP, &ids->t);
	if (r < 0)
		return r;
	ids->objs_bytes = (size_t)ids->t.h->capacity * sizeof(*ids->objs);
	void *p = mmap(NULL, ids->objs_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		pfs_idtable_close(&ids->t);
		return r;
	}
	ids->objs = p;
	ids->t.h->epoch++;
	pthread_mutex_init(&ids->lock, NULL);
	/* never found in a table: anchored on itself, without an fd, so it is "gone" */
	struct pfs_node *s = &ids->stale;
	memset(s, 0, sizeof(*s));
	s->name = "";
	s->path = "/proc/(stale)";
	s->rel = "";
	s->anchor_fd = -1;
	s->anchor = s;
	s->parent = &fs->root;
	s->type = S_IFREG;
	s->per_caller = true;
	s->nlookup = 1; /* never freed */
	return 0;
}

void pfs_ids_destroy(struct pfs_fs *fs)
{
	struct pfs_ids *ids = &fs->ids;
	if (ids->objs)
		munmap((void *)ids->objs, ids->objs_bytes);
	ids->objs = NULL;
	pfs_idtable_close(&ids->t);
	pthread_mutex_destroy(&ids->lock);
}

/* Field 22 of a process's stat: its start time, in clock ticks since boot; 0 if unknown. */
static uint64_t start_time(int anchor_fd)
{
	char buf[1024];
	int fd = openat(anchor_fd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	/* fields 3.. follow ") "; the start time is the 20th of them */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

int pfs_node_id_assign(struct pfs_fs *fs, struct pfs_node *n)
{
	struct pfs_ids *ids = &fs->ids;
	bool procdir = n->anchor == n && n->anchor_fd >= 0;
	uint64_t started = procdir ? start_time(n->anchor_fd) : 0;
	pthread_mutex_lock(&ids->lock);
	uint64_t id = 0;
	int r = pfs_idtable_alloc(&ids->t, PFS_IDREC_NODE, &id);
	if (r == 0) {
		struct pfs_idrec *rec = pfs_idtable_get(&ids->t, id, PFS_IDREC_NODE);
		rec->parent = pfs_node_ino(fs, n->parent);
		rec->type = n->type;
		rec->ident = n->backing_ino;
		rec->ident2 = started;
		rec->flags = (uint16_t)((n->magic ? PFS_IDREC_MAGIC : 0) |
					(procdir ? PFS_IDREC_PROCDIR : 0));
		pfs_idrec_set_name(rec, n->name);
		n->id = id;
		atomic_store(obj_slot(fs, id), (uintptr_t)n);
	}
	pthread_mutex_unlock(&ids->lock);
	if (r == -ENOSPC)
		pfs_err("the id table is full (%u nodes and handles): lookup refused",
			ids->t.h->capacity);
	return r;
}

void pfs_node_id_count(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (n == &fs->root || n == &fs->ids.stale)
		return;
	pthread_mutex_lock(&fs->ids.lock);
	struct pfs_idrec *rec = pfs_idtable_get(&fs->ids.t, n->id, PFS_IDREC_NODE);
	if (rec)
		rec->nlookup = n->nlookup;
	pthread_mutex_unlock(&fs->ids.lock);
}

void pfs_node_id_release(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (n == &fs->ids.stale)
		return;
	_Atomic(uintptr_t) *o = obj_slot(fs, n->id);
	pthread_mutex_lock(&fs->ids.lock);
	if (o && atomic_load(o) == (uintptr_t)n)
		atomic_store(o, 0);
	pfs_idtable_free(&fs->ids.t, n->id);
	pthread_mutex_unlock(&fs->ids.lock);
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
	if (fd < 0 || !started || start_time(fd) != started)
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
	_Atomic(uintptr_t) *o = obj_slot(fs, id);
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
