/*
 * Directories. The listing is taken at the first readdir at offset 0, not at
 * opendir: the caller's own fd of the directory exists only once open returns,
 * and a listing of /proc/self/fd must show it. Offsets index that listing, so
 * they stay stable while processes come and go; a rewind takes a new one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "pfs/cleanup.h"

struct dir_entry {
	size_t name; /* offset in the handle's names */
	ino_t ino;
	unsigned char type;
};

struct dir_handle {
	struct pfs_node *node;
	struct pfs_caller opener;
	pid_t owner; /* the opener's thread group: whose turn a listing takes */
	pthread_mutex_t lock;
	struct dir_entry *entries;
	size_t n, cap;
	struct pfs_buf names; /* every entry's name and its NUL, one allocation */
	bool listed;
	uint64_t fh; /* its id table record (handles.c), 0 until replied */
};

static const char *entry_name(const struct dir_handle *h, size_t i)
{
	return h->names.data + h->entries[i].name;
}

static void entries_free(struct dir_handle *h)
{
	pfs_buf_free(&h->names);
	free(h->entries);
	h->entries = NULL;
	h->n = h->cap = 0;
}

static int add_entry(void *opaque, const struct pfs_dirent *e)
{
	struct dir_handle *h = opaque;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct dir_entry *p = realloc(h->entries, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		h->entries = p;
		h->cap = cap;
	}
	size_t name = h->names.len;
	int r = pfs_buf_append(&h->names, e->name, strlen(e->name) + 1);
	if (r < 0)
		return r;
	h->entries[h->n++] = (struct dir_entry){name, e->ino, e->type};
	return 0;
}

static struct pfs_fh_served listing_served(const struct dir_handle *h);

static int list_dir(struct pfs_fs *fs, struct dir_handle *h, struct pfs_caller *c)
{
	entries_free(h);
	/* room for a /proc of a few hundred processes at once, not by doublings from 256 bytes */
	int rr = pfs_buf_reserve(&h->names, 4096);
	if (rr < 0)
		return rr;
	struct pfs_loc loc;
	pfs_node_loc(fs, h->node, &loc);
	if (pfs_node_gone(h->node))
		return -ENOENT;
	struct pfs_node *up = h->node->parent ? h->node->parent : h->node;
	ino_t self_ino = h->node == &fs->root ? 1 : h->node->backing_ino;
	ino_t up_ino = up == &fs->root ? 1 : up->backing_ino;
	int r = add_entry(h, &(struct pfs_dirent){".", self_ino, DT_DIR});
	if (r == 0)
		r = add_entry(h, &(struct pfs_dirent){"..", up_ino, DT_DIR});
	if (r < 0)
		return r;
	pfs_policy_rdlock(fs);
	struct pfs_path_decision d;
	r = pfs_view_reach(&fs->view, c, &loc, PFS_REACH_USE, &d);
	if (r == 0)
		r = pfs_view_list(&fs->view, c, &loc, add_entry, h, NULL);
	pfs_policy_unlock(fs);
	if (r < 0)
		entries_free(h);
	else if (h->fh)
		pfs_fh_note(fs, h->fh, listing_served(h));
	return r;
}

/* What a later daemon compares its own listing with (orphan.c). */
static struct pfs_fh_served listing_served(const struct dir_handle *h)
{
	uint64_t hash = 0;
	/* each name with its NUL, in order: its length is where the next one starts */
	for (size_t i = 0; i < h->n; i++) {
		size_t end = i + 1 < h->n ? h->entries[i + 1].name : h->names.len;
		hash = pfs_idt_hash(entry_name(h, i), end - h->entries[i].name, hash);
	}
	return (struct pfs_fh_served){h->n, hash};
}

static void dir_free(struct pfs_fs *fs, struct dir_handle *h)
{
	entries_free(h);
	pthread_mutex_destroy(&h->lock);
	pfs_node_unref(fs, h->node);
	if (h->fh)
		pfs_fh_free(fs, h->fh);
	free(h);
}

/* The handle opendir makes for caller c; listed at once when count is given (a takeover). */
static int dir_open_as(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, void **out,
		       uint64_t *count, uint64_t *hash)
{
	struct stat st;
	struct pfs_loc loc;
	pfs_node_loc(fs, n, &loc);
	pfs_policy_rdlock(fs);
	struct pfs_path_decision d;
	int r = pfs_view_reach(&fs->view, c, &loc, PFS_REACH_USE, &d);
	if (r == 0)
		r = pfs_view_stat(&fs->view, c, &loc, &st);
	if (r == 0 && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r == 0)
		r = pfs_view_opendir_check(&fs->view, c, &loc);
	pfs_policy_unlock(fs);
	struct dir_handle *h = r == 0 ? calloc(1, sizeof(*h)) : NULL;
	if (!h) {
		r = r < 0 ? r : -ENOMEM;
		pfs_log_failure("opendir", n->path, r);
		return r;
	}
	h->node = n;
	h->opener = *c;
	/* A caller the backing does not show (tid 0) shares the group 0. */
	pfs_view_caller_tgid(&fs->view, &h->opener);
	h->owner = h->opener.tgid;
	pthread_mutex_init(&h->lock, NULL);
	pfs_node_ref(fs, n);
	if (count) {
		r = list_dir(fs, h, c);
		h->listed = r == 0;
		if (r < 0) {
			dir_free(fs, h);
			return r;
		}
		*count = h->n;
		*hash = listing_served(h).hash;
	}
	*out = h;
	return 0;
}

static int orphan_open(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, void **out,
		       uint64_t *count, uint64_t *hash, bool *comparable)
{
	*comparable = true;
	return dir_open_as(fs, n, c, out, count, hash);
}

static void orphan_close(struct pfs_fs *fs, void *h)
{
	dir_free(fs, h);
}

static void orphan_adopt(struct pfs_fs *fs, void *opaque, uint64_t fh)
{
	struct dir_handle *h = opaque;
	h->fh = fh;
	pfs_fh_note(fs, fh, listing_served(h));
}

static const struct pfs_orphan_kind dir_orphans = {.flags = PFS_IDREC_DIR,
						   .open = orphan_open,
						   .adopt = orphan_adopt,
						   .close = orphan_close,
						   .serve = pfs_op_readdir};

void pfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *n = pfs_node_get(fs, ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	void *opaque = NULL;
	int r = dir_open_as(fs, n, &c, &opaque, NULL, NULL);
	struct dir_handle *h = opaque;
	if (r == 0) {
		r = pfs_fh_new(fs, h, n, PFS_IDREC_DIR, listing_served(h), &h->fh);
		if (r < 0)
			dir_free(fs, h);
	}
	if (r < 0) {
		fuse_reply_err(req, -pfs_cache_stale(fs, req, n, r));
		return;
	}
	fi->fh = h->fh;
	fi->cache_readdir = 0;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0)
		dir_free(fs, h);
}

static void serve_readdir(fuse_req_t req, struct pfs_fs *fs, struct dir_handle *h, size_t size,
			  off_t off)
{
	pthread_mutex_lock(&h->lock);
	int r = 0;
	if (off == 0 || !h->listed) {
		/* The reader of the listing is the opener (the fd may have been passed). */
		r = list_dir(fs, h, &h->opener);
		h->listed = r == 0;
	}
	if (r < 0) {
		pthread_mutex_unlock(&h->lock);
		pfs_log_failure("readdir", h->node->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	cleanup_free char *buf = malloc(size);
	if (!buf) {
		pthread_mutex_unlock(&h->lock);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (size_t i = (size_t)off; i < h->n; i++) {
		struct stat st = {.st_ino = h->entries[i].ino,
				  .st_mode = (mode_t)DTTOIF(h->entries[i].type)};
		size_t need = fuse_add_direntry(req, buf + used, size - used, entry_name(h, i), &st,
						(off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	pthread_mutex_unlock(&h->lock);
	pfs_pool_turn_end(); /* the listing is done: free its turn before the reply wakes the reader */
	fuse_reply_buf(req, buf, used);
}

static void serve_readdir_later(struct pfs_deferred *d, int err)
{
	if (err < 0)
		fuse_reply_err(d->req, -err);
	else
		serve_readdir(d->req, pfs_req_fs(d->req), d->arg, d->size, d->off);
}

void pfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	if (pfs_fh_orphan(fs, fi)) {
		pfs_orphan_read(req, ino, size, off, fi, &dir_orphans);
		return;
	}
	struct dir_handle *h = pfs_fh_obj(fs, fi->fh);
	/* a listing is a render: it takes the opener's turn on the render pool (sched.c) */
	pthread_mutex_lock(&h->lock);
	bool list = off == 0 || !h->listed;
	pthread_mutex_unlock(&h->lock);
	if (list &&
	    pfs_sched_defer(fs, false, h->owner, req, serve_readdir_later, h, NULL, size, off))
		return;
	serve_readdir(req, fs, h, size, off);
}

void pfs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	if (pfs_fh_orphan(fs, fi)) {
		pfs_orphan_release(req, fi);
		return;
	}
	dir_free(fs, pfs_fh_obj(fs, fi->fh));
	fuse_reply_err(req, 0);
}
