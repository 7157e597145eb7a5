/*
 * Names that are relative link texts in fd/ and ns/ (`pipe:[N]`,
 * `socket:[N]`, `anon_inode:[eventfd]`, `net:[N]`), and relay names `fd:N`:
 * the kernel looks them up when a program follows such a link. They are
 * served with the identity of the link's target (inode, mode bits).
 *
 * The type depends on what the caller does (intent.c). For a stat it is the
 * target's own (a pipe is a FIFO, a tty a character device), so `test -p`,
 * `stat -L` and lsof see what they see natively. For anything else it is a
 * regular file, never a FIFO or a device: an open would make the kernel open
 * a local FIFO of the FUSE inode (and block) or a device node (refused on a
 * nodev mount). A socket keeps its type, so an open gives ENXIO as natively.
 * Each type is its own node, so a cached stat answer can never be opened.
 *
 * Opening a pipe, a tty or a file relays reads and writes to the real object,
 * opened as the caller through the backing's magic link (the kernel makes the
 * permission check): the same open file natively reached, on a mount that is
 * otherwise read-only. A namespace opens the same way (reads: EINVAL, as
 * natively); `pfs run`'s supervisor swaps it for the real one at setns.
 * Other objects give ENXIO: FUSE cannot hand back the real file. Looking
 * these names up and their attributes are node.c's (pfs_magic_name,
 * pfs_magic_stat); this file is the relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"

struct relay {
	int fd;
	int flags;
	bool seekable; /* a regular file: reads and writes at the caller's offset */
	pid_t owner; /* the opener's thread group */
	struct pfs_node *node;
};

/*
 * A relay read or write that must wait for the pipe waits on a thread of the
 * relay pool (relays=, sched.c), never on a FUSE worker. Slots bound them:
 * one per relay thread, each thread group half of them; past it a blocking
 * read or write fails with EAGAIN at once.
 */
void pfs_magic_init(struct pfs_fs *fs)
{
	unsigned relays = fs->opt.relays;
	pfs_budget_init(&fs->relay_slots, relays, relays > 1 ? 2 : 1);
}

void pfs_magic_destroy(struct pfs_fs *fs)
{
	pfs_budget_destroy(&fs->relay_slots);
}

/* Takes a slot for a wait: 0, or EAGAIN when none is free (or no relay pool runs). */
static int take_slot(struct pfs_fs *fs, struct relay *rl)
{
	if (fs->relays && pfs_budget_charge(&fs->relay_slots, rl->owner, 1) == 0)
		return 0;
	pfs_warn("relay of %s: no free relay slot (limit %zu, %zu per process): EAGAIN",
		 rl->node->path, fs->relay_slots.max, fs->relay_slots.share_max);
	return EAGAIN;
}

static void put_slot(struct pfs_fs *fs, struct relay *rl)
{
	pfs_budget_uncharge(&fs->relay_slots, rl->owner, 1);
}

void pfs_magic_follow(const struct pfs_fs *fs, struct pfs_caller *c, const struct pfs_loc *link,
		      struct pfs_buf *text)
{
	const char *t = text->data;
	if (strncmp(link->pp.rest, "fd/", 3) != 0 || !t)
		return;
	/* an object outside the reader's root (view.c): never reached by a path */
	bool outside = !strncmp(t, PFS_OUTSIDE_PREFIX, strlen(PFS_OUTSIDE_PREFIX));
	if (!outside && t[0] != '/')
		return;
	/* our own files: the kernel follows them by path into /proc, as natively */
	if (!outside && (!strcmp(t, "/proc") || !strncmp(t, "/proc/", 6)))
		return;
	if (!outside && pfs_view_link_reaches(link, t) != 0)
		return;
	if (pfs_caller_intent(fs, c) == PFS_INTENT_READLINK)
		return;
	pfs_view_relay_name(link->pp.rest + 3, text);
}

void pfs_magic_open(fuse_req_t req, struct pfs_node *n, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	char entry[32];
	struct stat st = {0};
	struct pfs_loc loc;
	pfs_node_loc(fs, n->parent, &loc);
	pfs_policy_rdlock(fs);
	int r = pfs_node_gone(n->parent) ? -ENOENT
					 : pfs_view_magic_lookup(&fs->view, &c, &loc, n->name,
								 entry, sizeof(entry), &st);
	bool relay = !strncmp(n->name, "fd:", 3);
	/* a namespace: opened as the caller (the kernel's check), read gives EINVAL as natively */
	bool ns = !strcmp(n->parent->name, "ns");
	if (r == 0 && !S_ISFIFO(st.st_mode) && !ns &&
	    !(relay && (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))))
		r = -ENXIO;
	if (r == 0)
		r = pfs_view_magic_open(&fs->view, &c, &loc, entry, fi->flags);
	pfs_policy_unlock(fs);
	struct relay *rl = r >= 0 ? calloc(1, sizeof(*rl)) : NULL;
	if (r >= 0 && !rl) {
		close(r);
		r = -ENOMEM;
	}
	if (r < 0) {
		pfs_log_failure("open", n->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	rl->fd = r;
	rl->flags = fi->flags;
	rl->seekable = S_ISREG(st.st_mode);
	pfs_view_caller_tgid(&fs->view, &c);
	rl->owner = c.tgid;
	rl->node = n;
	pfs_node_ref(fs, n);
	if (pfs_fh_new(fs, rl, n, PFS_IDREC_NOREOPEN, (struct pfs_fh_served){0}, &fi->fh) < 0) {
		close(rl->fd);
		pfs_node_unref(fs, n);
		free(rl);
		fuse_reply_err(req, ENFILE);
		return;
	}
	fi->direct_io = 1;
	fi->nonseekable = !rl->seekable;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0) {
		pfs_fh_free(fs, fi->fh);
		close(rl->fd);
		pfs_node_unref(fs, n);
		free(rl);
	}
}

/* One read or write of the real object: the bytes moved, or -errno. */
static ssize_t relay_once(const struct relay *rl, bool wr, char *buf, size_t size, off_t off)
{
	ssize_t n;
	if (wr)
		n = rl->seekable && !(rl->flags & O_APPEND) ? pwrite(rl->fd, buf, size, off)
							    : write(rl->fd, buf, size);
	else
		n = rl->seekable ? pread(rl->fd, buf, size, off) : read(rl->fd, buf, size);
	return n < 0 ? -errno : n;
}

static void relay_reply(fuse_req_t req, bool wr, const char *buf, ssize_t n)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (wr)
		fuse_reply_write(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* A read or write that waits for the real object, on the relay pool. */
struct relay_job {
	struct pfs_pool_job job; /* first: the job is the allocation */
	fuse_req_t req;
	struct relay *rl;
	bool write;
	size_t size;
	off_t off;
	char buf[]; /* what to write, or what was read */
};

static void relay_wait_run(struct pfs_pool_job *job, bool cancelled)
{
	struct relay_job *j = (struct relay_job *)job;
	struct pfs_fs *fs = pfs_req_fs(j->req);
	struct relay *rl = j->rl;
	ssize_t n = -EINTR;
	while (!cancelled && !pfs_pool_stopping(fs->relays)) {
		n = relay_once(rl, j->write, j->buf, j->size, j->off);
		if (n != -EAGAIN)
			break;
		n = -EINTR;
		if (fuse_req_interrupted(j->req))
			break;
		struct pollfd p = {.fd = rl->fd, .events = j->write ? POLLOUT : POLLIN};
		poll(&p, 1, 200);
	}
	relay_reply(j->req, j->write, j->buf, n);
	put_slot(fs, rl);
	free(j);
}

/*
 * One try on the FUSE worker (the real fd is non-blocking); a blocking read
 * or write that would wait goes to the relay pool, with a slot, or fails with
 * EAGAIN when the caller's or everyone's slots are taken.
 */
static void relay_io(fuse_req_t req, struct fuse_file_info *fi, bool wr, const char *in,
		     size_t size, off_t off)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct relay *rl = pfs_fh_obj(fs, fi->fh);
	struct relay_job *j = malloc(sizeof(*j) + (size ? size : 1));
	if (!j) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (wr && size)
		memcpy(j->buf, in, size);
	ssize_t n = relay_once(rl, wr, j->buf, size, off);
	if (n == -EAGAIN && !(rl->flags & O_NONBLOCK)) {
		int e = take_slot(fs, rl);
		if (e == 0) {
			j->req = req;
			j->rl = rl;
			j->write = wr;
			j->size = size;
			j->off = off;
			j->job.run = relay_wait_run;
			j->job.owner = rl->owner;
			pfs_pool_submit(fs->relays, &j->job);
			return;
		}
		n = -e;
	}
	relay_reply(req, wr, j->buf, n);
	free(j);
}

void pfs_magic_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	relay_io(req, fi, false, NULL, size, off);
}

void pfs_magic_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	relay_io(req, fi, true, buf, size, off);
}

/* A size change (O_TRUNC without atomic truncation, ftruncate) of a relayed file. */
void pfs_magic_setattr(fuse_req_t req, struct pfs_node *n, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct relay *rl = fi ? pfs_fh_obj(pfs_req_fs(req), fi->fh) : NULL;
	int r = 0;
	if (!(to_set & FUSE_SET_ATTR_SIZE))
		r = -EPERM;
	else if (!rl)
		r = -EACCES; /* a truncate by name is not relayed */
	else if (rl->seekable && ftruncate(rl->fd, attr->st_size) < 0)
		r = -errno;
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	struct stat st = {0};
	if (r == 0) {
		struct pfs_fs *fs = pfs_req_fs(req);
		pfs_policy_rdlock(fs);
		r = pfs_magic_getattr(fs, n, &c, &st);
		pfs_policy_unlock(fs);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, 0.0);
}

void pfs_magic_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct relay *rl = pfs_fh_obj(fs, fi->fh);
	pfs_fh_free(fs, fi->fh);
	close(rl->fd);
	pfs_node_unref(fs, rl->node);
	free(rl);
	fuse_reply_err(req, 0);
}
