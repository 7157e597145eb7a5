/*
 * The id table's side of the node table (pfs/idtable.h): each node the
 * daemon hands to the kernel is recorded (parent id, name, type, and a
 * process directory's start time), its lookup count kept, its record freed
 * with it. A slot array maps the table's slots to this daemon's own nodes
 * and handles; node_id.c resolves the ids it does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"

#define TRIM_EVERY_FREES 4096

_Atomic(uintptr_t) *pfs_ids_slot(struct pfs_fs *fs, uint64_t id)
{
	uint32_t slot = pfs_id_slot(id);
	if (!fs->ids.t.h || slot >= fs->ids.t.h->capacity)
		return NULL;
	return &fs->ids.objs[slot];
}

/* This daemon's object of id (a node or a handle, as st says), or NULL. No lock. */
void *pfs_ids_obj(struct pfs_fs *fs, uint64_t id, int st)
{
	_Atomic(uintptr_t) *o = pfs_ids_slot(fs, id);
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
	if (p == MAP_FAILED || !p) {
		r = -errno;
		pfs_idtable_close(&ids->t);
		return r;
	}
	ids->objs = p;
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
uint64_t pfs_proc_start_time(int anchor_fd)
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
	uint64_t started = procdir ? pfs_proc_start_time(n->anchor_fd) : 0;
	pthread_mutex_lock(&ids->lock);
	uint64_t id = 0;
	int r = pfs_idtable_alloc(&ids->t, PFS_IDREC_NODE, &id);
	if (r == 0) {
		struct pfs_idrec *rec = pfs_idtable_get(&ids->t, id, PFS_IDREC_NODE);
		rec->parent = n->parent->id;
		rec->type = n->type;
		rec->ident = n->backing_ino;
		rec->ident2 = started;
		rec->flags = (uint16_t)((n->magic ? PFS_IDREC_MAGIC : 0) |
					(procdir ? PFS_IDREC_PROCDIR : 0));
		pfs_idrec_set_name(rec, n->name);
		n->id = id;
		atomic_store(pfs_ids_slot(fs, id), (uintptr_t)n);
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

/* The table gave back the records [from, to): so go this daemon's objects of them, whole pages. */
static void objs_gone(uint32_t from, uint32_t to, void *arg)
{
	struct pfs_ids *ids = arg;
	uintptr_t a = ((uintptr_t)&ids->objs[from] + 4095) & ~(uintptr_t)4095;
	uintptr_t b = (uintptr_t)&ids->objs[to] & ~(uintptr_t)4095;
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

/* With ids.lock. */
static void trim(struct pfs_ids *ids)
{
	ids->trimmed_at = ids->frees;
	uint32_t n = pfs_idtable_trim(&ids->t, objs_gone, ids);
	if (n)
		pfs_debug("id table: %u free records given back", n);
}

void pfs_ids_trim(struct pfs_fs *fs)
{
	pthread_mutex_lock(&fs->ids.lock);
	if (fs->ids.frees != fs->ids.trimmed_at)
		trim(&fs->ids);
	pthread_mutex_unlock(&fs->ids.lock);
}

/* With ids.lock: during a burst of frees too, not only after it (pfs_ids_trim). */
static void maybe_trim(struct pfs_ids *ids)
{
	if (++ids->frees % TRIM_EVERY_FREES == 0)
		trim(ids);
}

void pfs_node_id_release(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (n == &fs->ids.stale)
		return;
	_Atomic(uintptr_t) *o = pfs_ids_slot(fs, n->id);
	pthread_mutex_lock(&fs->ids.lock);
	if (o && atomic_load(o) == (uintptr_t)n)
		atomic_store(o, 0);
	pfs_idtable_free(&fs->ids.t, n->id);
	maybe_trim(&fs->ids);
	pthread_mutex_unlock(&fs->ids.lock);
}
