/*
 * Files. Content is rendered at open, for the opener, into a per-open
 * snapshot, and reads are served from it: small reads are never torn, and an
 * fd passed to another process still shows what its opener may see. A read at
 * offset 0 after the first one renders afresh (lseek(fd, 0) + read, as procps
 * does); from the second rewind on it reads the backing through an fd the
 * first one kept (rewind_fds=), as a native rewind preads the open file.
 * Snapshot bytes are capped across all opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"

/* A snapshot this big makes its file's next renders large ones. */
#define PFS_LARGE_RENDER (256u << 10)

struct pfs_file_handle {
	struct pfs_node *node;
	struct pfs_caller opener;
	pthread_mutex_t lock;
	struct pfs_buf snap;
	size_t charged;
	pid_t owner; /* the opener's thread group: whose share the snapshot uses */
	bool readable;
	enum pfs_render_class rclass; /* where its renders run (sched.c) */
	bool served; /* a read happened: the next read at 0 is a rewind */
	bool render_owed; /* a read at 0 found it stale, and its render outgrew the cap */
	int read_err; /* an error the kernel gives at read, not open (ESRCH of a zombie) */
	int direct_fd; /* mem, pagemap: read in place (pfs_view_random_access), else -1 */
	int kept_fd; /* the backing's file for rewinds (pfs_view_render_kept), a rewind_slots slot; -1 */
	struct pfs_poll_watch *watch; /* mount tables: their change events (ops_poll.c) */
	uint64_t watch_seen; /* changes already in the snapshot; lock */
	uint64_t fh; /* its id table record (handles.c), 0 until replied */
};

/* What a later daemon needs to take the handle over (orphan.c): the snapshot's size and hash. */
static struct pfs_fh_served snapshot_served(const struct pfs_file_handle *h)
{
	return (struct pfs_fh_served){h->snap.len, pfs_idt_hash(h->snap.data, h->snap.len, 0)};
}

static void note_snapshot(struct pfs_fs *fs, const struct pfs_file_handle *h)
{
	if (h->fh)
		pfs_fh_note(fs, h->fh, snapshot_served(h));
}

/*
 * A rewind's render opened the backing's file and the view let it keep fd:
 * the handle keeps it while a slot of rewind_slots is free for the opener's
 * thread group. Only a rewind keeps one: an open read once holds no fd of
 * the daemon's.
 */
static void keep_rewind_fd(struct pfs_fs *fs, struct pfs_file_handle *h, int fd)
{
	if (pfs_budget_charge(&fs->rewind_slots, h->owner, 1) == 0)
		h->kept_fd = fd;
	else
		close(fd);
}

/* The file rendered long: its renders, and those of every later open of its node, are large. */
static void mark_long(struct pfs_file_handle *h)
{
	h->rclass = PFS_RENDER_LARGE;
	atomic_store(&h->node->rendered_long, true);
}

/*
 * Renders the node's content for the opener into h->snap. Every buffer the
 * render grows is charged to the opener's thread group as it grows (the raw
 * text as it is read from the backing): over the budget or the group's share
 * the render stops with ENOMEM before the memory is taken. The new snapshot
 * keeps its charge; the old one is given back.
 */
static int render(struct pfs_fs *fs, struct pfs_file_handle *h)
{
	struct pfs_loc loc;
	pfs_node_loc(fs, h->node, &loc);
	if (pfs_node_gone(h->node))
		return -ENOENT;
	struct pfs_buf fresh = PFS_BUF_INIT;
	struct pfs_charge_scope scope;
	pfs_charge_begin_capped(&scope, &fs->budget, h->owner,
				h->rclass == PFS_RENDER_CAPPED ? PFS_RENDER_CAP : 0);
	pfs_policy_rdlock(fs);
	struct pfs_path_decision d;
	int opened = -1; /* a rewind without a kept fd: the one this render may keep */
	int r = pfs_view_reach(&fs->view, &h->opener, &loc, PFS_REACH_SEE, &d);
	if (r == 0 && h->served)
		r = pfs_view_render_kept(&fs->view, &h->opener, &loc, &d,
					 h->kept_fd >= 0 ? &h->kept_fd : &opened, &fresh);
	else if (r == 0)
		r = pfs_view_render(&fs->view, &h->opener, &loc, &d, NULL, &fresh);
	pfs_policy_unlock(fs);
	if (opened >= 0)
		keep_rewind_fd(fs, h, opened);
	/* past the cap, whatever a filter made of the failed growth: nothing of it is served */
	if (r < 0 || scope.capped)
		pfs_buf_free(&fresh);
	pfs_charge_end(&scope, fresh.cap);
	if (scope.capped) {
		mark_long(h);
		return -EFBIG;
	}
	if (r < 0)
		return r;
	pfs_budget_uncharge(&fs->budget, h->owner, h->charged);
	pfs_buf_free(&h->snap);
	h->snap = fresh;
	h->charged = fresh.cap;
	note_snapshot(fs, h);
	/* a big file of any kind re-renders on the large render pool */
	if (fresh.len >= PFS_LARGE_RENDER)
		mark_long(h);
	return 0;
}

static int pfs_fs_open_probe(struct pfs_fs *fs, struct pfs_file_handle *h,
			     const struct pfs_loc *loc)
{
	pfs_policy_rdlock(fs);
	int r = pfs_view_open_probe(&fs->view, &h->opener, loc);
	pfs_policy_unlock(fs);
	return r;
}

static void handle_free(struct pfs_fs *fs, struct pfs_file_handle *h)
{
	pfs_budget_uncharge(&fs->budget, h->owner, h->charged);
	pfs_buf_free(&h->snap);
	if (h->direct_fd >= 0)
		close(h->direct_fd);
	if (h->kept_fd >= 0) {
		close(h->kept_fd);
		pfs_budget_uncharge(&fs->rewind_slots, h->owner, 1);
	}
	pfs_poll_unwatch(fs, h->watch);
	pthread_mutex_destroy(&h->lock);
	pfs_node_unref(fs, h->node);
	if (h->fh)
		pfs_fh_free(fs, h->fh);
	free(h);
}

/*
 * The render at open; a zombie's files open fine and fail at read (ESRCH),
 * and so do files whose content the kernel refuses only at read: keep that shape.
 */
static int open_render(struct pfs_fs *fs, struct pfs_file_handle *h)
{
	int r = render(fs, h);
	struct pfs_loc loc;
	pfs_node_loc(fs, h->node, &loc);
	if (r == -ESRCH || (r < 0 && r != -ENOENT && r != -ENOMEM && r != -EFBIG &&
			    pfs_fs_open_probe(fs, h, &loc) == 0)) {
		h->read_err = -r;
		r = 0;
	}
	return r;
}

/* open_render where no render pool takes it: a render past the cap is done again, uncapped. */
static int open_render_here(struct pfs_fs *fs, struct pfs_file_handle *h)
{
	int r = open_render(fs, h);
	return r == -EFBIG ? open_render(fs, h) : r;
}

/*
 * The handle open makes for caller c (also when a later daemon takes one
 * over), short of its first render: *render is set when it needs one.
 */
static int file_open_as(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, int flags,
			struct pfs_file_handle **out, bool *need_render)
{
	*need_render = false;
	struct pfs_file_handle *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->node = n;
	h->direct_fd = h->kept_fd = -1;
	h->opener = *c;
	/* A caller the backing does not show (tid 0) shares the group 0. */
	pfs_view_caller_tgid(&fs->view, &h->opener);
	h->owner = h->opener.tgid;
	pthread_mutex_init(&h->lock, NULL);
	pfs_node_ref(fs, n);
	h->readable = (flags & O_ACCMODE) != O_WRONLY;

	struct pfs_loc loc;
	pfs_node_loc(fs, n, &loc);
	h->rclass = pfs_sched_class(&loc, atomic_load(&n->rendered_long));
	pfs_policy_rdlock(fs);
	struct pfs_path_decision d;
	int r = pfs_view_reach(&fs->view, &h->opener, &loc, PFS_REACH_SEE, &d);
	if (r == 0)
		r = pfs_view_open_check(&fs->view, &loc, &d, flags);
	pfs_policy_unlock(fs);
	/* before the render: a change after it is reported, as after a native open */
	if (r == 0 && h->readable)
		h->watch = pfs_poll_watch(fs, &h->opener, &loc);
	if (r == 0 && h->readable && pfs_view_random_access(&loc)) {
		pfs_policy_rdlock(fs);
		r = pfs_view_open_fd(&fs->view, &h->opener, &loc);
		pfs_policy_unlock(fs);
		if (r >= 0) {
			h->direct_fd = r;
			r = 0;
		}
	} else if (r == 0 && h->readable) {
		*need_render = true;
	}
	*out = h;
	return r;
}

/* A handle of a dead daemon, opened again for its reader (orphan.c). */
static int orphan_open(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, void **out,
		       uint64_t *served, uint64_t *hash, bool *comparable)
{
	struct pfs_file_handle *h = NULL;
	bool need_render = false;
	int r = file_open_as(fs, n, c, O_RDONLY, &h, &need_render);
	if (!h)
		return r;
	if (r == 0 && need_render)
		r = open_render_here(fs, h);
	if (r < 0) {
		pfs_log_failure("open", n->path, r);
		handle_free(fs, h);
		return r;
	}
	*comparable = !h->read_err && h->direct_fd < 0;
	*served = h->snap.len;
	*hash = pfs_idt_hash(h->snap.data, h->snap.len, 0);
	*out = h;
	return 0;
}

static void orphan_close(struct pfs_fs *fs, void *h)
{
	handle_free(fs, h);
}

static void orphan_adopt(struct pfs_fs *fs, void *opaque, uint64_t fh)
{
	struct pfs_file_handle *h = opaque;
	h->fh = fh;
	note_snapshot(fs, h);
}

static const struct pfs_orphan_kind file_orphans = {
	.open = orphan_open, .adopt = orphan_adopt, .close = orphan_close, .serve = pfs_op_read};

/* Replies to an open: with h as the file (its id table record made), or r's error (h freed). */
static void open_reply(fuse_req_t req, struct pfs_fs *fs, struct pfs_file_handle *h,
		       struct fuse_file_info *fi, int r)
{
	pfs_pool_turn_end(); /* the render is done: free its turn before the reply wakes the reader */
	if (r == 0)
		r = pfs_fh_new(fs, h, h->node, 0, snapshot_served(h), &h->fh);
	if (r < 0) {
		r = pfs_cache_stale(fs, req, h->node, r);
		pfs_log_failure("open", h->node->path, r);
		handle_free(fs, h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = h->fh;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->nonseekable = 0;
	if (fuse_reply_open(req, fi) != 0)
		handle_free(fs, h);
}

static void serve_read(fuse_req_t req, struct pfs_fs *fs, struct pfs_file_handle *h, size_t size,
		       off_t off);

static bool defer_render(fuse_req_t req, struct pfs_fs *fs, struct pfs_file_handle *h,
			 const struct fuse_file_info *fi, size_t size, off_t off);

static void serve_open_later(struct pfs_deferred *d, int err)
{
	struct pfs_fs *fs = pfs_req_fs(d->req);
	struct pfs_file_handle *h = d->arg;
	int r = err < 0 ? err : open_render(fs, h);
	/* past the cap: again, in the large renders' turns (here if none takes it) */
	if (r == -EFBIG && defer_render(d->req, fs, h, &d->fi, 0, 0))
		return;
	open_reply(d->req, fs, h, &d->fi, r == -EFBIG ? open_render(fs, h) : r);
}

static void serve_read_later(struct pfs_deferred *d, int err)
{
	if (err < 0)
		fuse_reply_err(d->req, -err);
	else
		serve_read(d->req, pfs_req_fs(d->req), d->arg, d->size, d->off);
}

/*
 * Hands the open (fi) or read to a render pool (the large one for a large
 * file), where processes take turns by the time their renders held a thread;
 * false: no pool runs, serve it here.
 */
static bool defer_render(fuse_req_t req, struct pfs_fs *fs, struct pfs_file_handle *h,
			 const struct fuse_file_info *fi, size_t size, off_t off)
{
	return pfs_sched_defer(fs, h->rclass == PFS_RENDER_LARGE, h->owner, req,
			       fi ? serve_open_later : serve_read_later, h, fi, size, off);
}

void pfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *n = pfs_node_get(fs, ino);
	if (n->magic) {
		pfs_magic_open(req, n, fi);
		return;
	}
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	struct pfs_file_handle *h = NULL;
	bool need_render = false;
	int r = file_open_as(fs, n, &c, fi->flags, &h, &need_render);
	if (!h) {
		fuse_reply_err(req, -r);
		return;
	}
	if (r == 0 && need_render) {
		if (defer_render(req, fs, h, fi, 0, 0))
			return;
		r = open_render_here(fs, h);
	}
	open_reply(req, fs, h, fi, r);
}

void pfs_op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		 struct fuse_pollhandle *ph)
{
	/* a relay's handle is magic.c's, an orphan's no longer watched: always ready, as before */
	struct pfs_fs *fs = pfs_req_fs(req);
	const struct pfs_file_handle *h =
		pfs_node_get(fs, ino)->magic ? NULL : pfs_fh_obj(fs, fi->fh);
	pfs_poll_reply(req, h ? h->watch : NULL, ph);
}

static void read_in_place(fuse_req_t req, struct pfs_file_handle *h, size_t size, off_t off)
{
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ssize_t n = pread(h->direct_fd, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno == ESRCH ? ENOENT : errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* Serves a read from the snapshot; a read at 0 after the first renders afresh. */
static void serve_read(fuse_req_t req, struct pfs_fs *fs, struct pfs_file_handle *h, size_t size,
		       off_t off)
{
	pthread_mutex_lock(&h->lock);
	int r = h->read_err ? -h->read_err : 0;
	if (r == 0 && off == 0 &&
	    (h->served || h->render_owed || pfs_poll_stale(fs, h->watch, &h->watch_seen)))
		r = render(fs, h);
	h->render_owed = r == -EFBIG; /* the staleness is consumed: the retry renders anyway */
	if (r == -EFBIG) { /* past the cap: again, in the large renders' turns */
		pthread_mutex_unlock(&h->lock);
		if (!defer_render(req, fs, h, NULL, size, off))
			serve_read(req, fs, h, size, off);
		return;
	}
	if (r < 0) {
		pthread_mutex_unlock(&h->lock);
		pfs_log_failure("read", h->node->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	h->served = true;
	size_t avail = (size_t)off < h->snap.len ? h->snap.len - (size_t)off : 0;
	size_t n = avail < size ? avail : size;
	/*
	 * Reply from a copy, after unlocking: once the reply is delivered the
	 * reader may close, and a RELEASE on another thread frees h at once.
	 */
	char small[16384];
	char *copy = n <= sizeof(small) ? small : malloc(n);
	if (copy && n)
		memcpy(copy, h->snap.data + off, n);
	pthread_mutex_unlock(&h->lock);
	pfs_pool_turn_end();
	if (!copy)
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_buf(req, n ? copy : NULL, n);
	if (copy != small)
		free(copy);
}

void pfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	if (pfs_fh_orphan(fs, fi)) {
		pfs_orphan_read(req, ino, size, off, fi, &file_orphans);
		return;
	}
	if (pfs_node_get(fs, ino)->magic) {
		pfs_magic_read(req, size, off, fi);
		return;
	}
	struct pfs_file_handle *h = pfs_fh_obj(fs, fi->fh);
	if (h->direct_fd >= 0) {
		read_in_place(req, h, size, off);
		return;
	}
	/* a rewind renders on a render pool */
	pthread_mutex_lock(&h->lock);
	bool rewind = off == 0 && h->served && !h->read_err;
	pthread_mutex_unlock(&h->lock);
	if (rewind && defer_render(req, fs, h, NULL, size, off))
		return;
	serve_read(req, fs, h, size, off);
}

void pfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	if (pfs_fh_orphan(fs, fi)) {
		fuse_reply_err(req, ESTALE); /* a write is not redone on another daemon's behalf */
		return;
	}
	if (pfs_node_get(fs, ino)->magic) {
		pfs_magic_write(req, buf, size, off, fi);
		return;
	}
	struct pfs_file_handle *h = pfs_fh_obj(fs, fi->fh);
	struct pfs_loc loc;
	pfs_node_loc(fs, h->node, &loc);
	pfs_policy_rdlock(fs);
	struct pfs_path_decision d;
	int r = pfs_view_reach(&fs->view, &h->opener, &loc, PFS_REACH_SEE, &d);
	ssize_t w = r < 0 ? r : pfs_view_write(&fs->view, &h->opener, &loc, &d, buf, size, off);
	pfs_policy_unlock(fs);
	if (w < 0) {
		pfs_log_failure("write", h->node->path, (int)w);
		fuse_reply_err(req, (int)-w);
		return;
	}
	fuse_reply_write(req, (size_t)w);
}

void pfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* Nothing to flush; ENOSYS makes the kernel stop sending FLUSH at all. */
	fuse_reply_err(req, ENOSYS);
}

void pfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	if (pfs_fh_orphan(fs, fi)) {
		pfs_orphan_release(req, fi);
		return;
	}
	if (pfs_node_get(fs, ino)->magic) {
		pfs_magic_release(req, fi);
		return;
	}
	handle_free(fs, pfs_fh_obj(fs, fi->fh));
	fuse_reply_err(req, 0);
}
