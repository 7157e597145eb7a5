/*
 * Names that are relative link texts in fd/ and ns/ (`pipe:[N]`,
 * `socket:[N]`, `anon_inode:[eventfd]`, `net:[N]`): the kernel looks them up
 * when a program follows such a link. They are served with the identity of
 * the link's target (inode, mode bits), never as a FIFO: the kernel would
 * open a local FIFO of the FUSE inode and block. A socket keeps its type, so
 * an open gives ENXIO as natively. Anything else is a regular file; opening a
 * pipe relays reads and writes to the real pipe (opened as the caller through
 * the backing's magic link), and other objects give ENXIO: FUSE cannot hand
 * back the real file. Looking them up and their attributes are node.c's
 * (pfs_magic_name, pfs_magic_stat); this file is the relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"

struct relay {
	int fd;
	int flags;
	struct pfs_node *node;
};

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
	if (r == 0 && !S_ISFIFO(st.st_mode))
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
	rl->node = n;
	pfs_node_ref(fs, n);
	fi->fh = (uintptr_t)rl;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0) {
		close(rl->fd);
		pfs_node_unref(fs, n);
		free(rl);
	}
}

/* Waits for the real pipe; 0 to retry, else the errno to reply. */
static int wait_ready(fuse_req_t req, struct relay *rl, short events)
{
	if (rl->flags & O_NONBLOCK)
		return EAGAIN;
	if (fuse_req_interrupted(req))
		return EINTR;
	struct pollfd p = {.fd = rl->fd, .events = events};
	poll(&p, 1, 200);
	return 0;
}

void pfs_magic_read(fuse_req_t req, size_t size, struct fuse_file_info *fi)
{
	struct relay *rl = (struct relay *)(uintptr_t)fi->fh;
	cleanup_free char *buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (;;) {
		ssize_t n = read(rl->fd, buf, size);
		if (n >= 0) {
			fuse_reply_buf(req, buf, (size_t)n);
			return;
		}
		int e = errno == EAGAIN ? wait_ready(req, rl, POLLIN) : errno;
		if (e && e != EINTR) {
			fuse_reply_err(req, e);
			return;
		}
		if (e == EINTR) {
			fuse_reply_err(req, EINTR);
			return;
		}
	}
}

void pfs_magic_write(fuse_req_t req, const char *buf, size_t size, struct fuse_file_info *fi)
{
	struct relay *rl = (struct relay *)(uintptr_t)fi->fh;
	for (;;) {
		ssize_t n = write(rl->fd, buf, size);
		if (n >= 0) {
			fuse_reply_write(req, (size_t)n);
			return;
		}
		int e = errno == EAGAIN ? wait_ready(req, rl, POLLOUT) : errno;
		if (e) {
			fuse_reply_err(req, e);
			return;
		}
	}
}

void pfs_magic_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct relay *rl = (struct relay *)(uintptr_t)fi->fh;
	close(rl->fd);
	pfs_node_unref(fs, rl->node);
	free(rl);
	fuse_reply_err(req, 0);
}
