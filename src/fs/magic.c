/*
 * Names that are relative link texts in fd/ and ns/ (`pipe:[N]`,
 * `socket:[N]`, `anon_inode:[eventfd]`, `net:[N]`): the kernel looks them up
 * when a program follows such a link. They are served with the identity of
 * the link's target (inode, mode bits), never as a FIFO: the kernel would
 * open a local FIFO of the FUSE inode and block. A socket keeps its type, so
 * an open gives ENXIO as natively. Anything else is a regular file; opening a
 * pipe relays reads and writes to the real pipe (opened as the caller through
 * the backing's magic link), and other objects give ENXIO: FUSE cannot hand
 * back the real file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

struct relay {
	int fd;
	int flags;
	struct pfs_node *node;
};

/* Called with the policy lock held. */
static int resolve(struct pfs_node *dir, const char *name, struct pfs_caller *c, char *entry,
		   size_t entry_len, struct stat *st)
{
	if (dir->anchor && dir->anchor->anchor_fd < 0)
		return -ENOENT;
	struct pfs_loc loc;
	pfs_node_loc(dir, &loc);
	struct pfs_path_decision d;
	pfs_view_decide(&pfs_fs.view, c, &loc, &d);
	int r = pfs_view_visible(&pfs_fs.view, c, &loc, &d);
	if (r == 0 && d.action == PFS_ACT_DENY)
		r = -EACCES;
	/* a target the fd rules hide is as absent by name as by number */
	if (r == 0 && !strcmp(loc.pp.rest, "fd") && pfs_fs.view.policy->n_fd_rules &&
	    pfs_fd_target_hidden(pfs_fs.view.policy, name, NULL))
		r = -ENOENT;
	if (r == 0)
		r = pfs_view_magic_resolve(&pfs_fs.view, c, &loc, name, entry, entry_len, st);
	return r;
}

bool pfs_magic_name(const struct pfs_node *dir, const char *name)
{
	if (!dir->anchor)
		return false;
	struct pfs_loc loc;
	pfs_node_loc(dir, &loc);
	return pfs_view_is_magic_name(&loc, name);
}

int pfs_magic_stat(struct pfs_node *dir, const char *name, struct pfs_caller *c, struct stat *st)
{
	char entry[32];
	int r = resolve(dir, name, c, entry, sizeof(entry), st);
	if (r < 0)
		return r;
	if (!S_ISSOCK(st->st_mode))
		st->st_mode = S_IFREG | (st->st_mode & 07777);
	st->st_nlink = 1;
	st->st_size = 0;
	st->st_rdev = 0;
	return 0;
}

void pfs_magic_open(fuse_req_t req, struct pfs_node *n, struct fuse_file_info *fi)
{
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	char entry[32];
	struct stat st = {0};
	pfs_policy_rdlock();
	int r = resolve(n->parent, n->name, &c, entry, sizeof(entry), &st);
	if (r == 0 && !S_ISFIFO(st.st_mode))
		r = -ENXIO;
	if (r == 0) {
		struct pfs_loc loc;
		pfs_node_loc(n->parent, &loc);
		r = pfs_view_magic_open(&pfs_fs.view, &c, &loc, entry, fi->flags);
	}
	pfs_policy_unlock();
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
	pfs_node_ref(n);
	fi->fh = (uintptr_t)rl;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0) {
		close(rl->fd);
		pfs_node_unref(n);
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
	struct relay *rl = (struct relay *)(uintptr_t)fi->fh;
	close(rl->fd);
	pfs_node_unref(rl->node);
	free(rl);
	fuse_reply_err(req, 0);
}
