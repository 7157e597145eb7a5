/* Lookup, attributes, links and the rest of the name-level operations. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/log.h"

/* A process's file: its attributes stay answerable while it is open (pfs_node_keep_attr). */
static void keep_attr(struct pfs_fs *fs, struct pfs_node *n, const struct stat *st)
{
	if (n->type == S_IFREG && n->anchor && !n->magic)
		pfs_node_keep_attr(fs, n, st);
}

void pfs_op_lookup(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *parent = pfs_node_get(fs, parent_ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	struct pfs_node *n = NULL;
	pfs_policy_rdlock(fs);
	int r = pfs_node_lookup(fs, parent, name, &n, &e.attr, &c);
	if (r == 0)
		pfs_cache_entry(fs, n, &e);
	pfs_policy_unlock(fs);
	if (r < 0) {
		r = pfs_cache_stale(fs, req, parent, r);
		if (fs->debug)
			pfs_log_failure("lookup", parent->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	keep_attr(fs, n, &e.attr);
	e.ino = pfs_node_ino(fs, n);
	if (fuse_reply_entry(req, &e) != 0)
		pfs_node_forget(fs, n, 1);
}

void pfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	pfs_node_forget(fs, pfs_node_get(fs, ino), nlookup);
	fuse_reply_none(req);
}

void pfs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	for (size_t i = 0; i < count; i++)
		pfs_node_forget(fs, pfs_node_get(fs, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

/* Visibility and attributes of an existing node, for this caller. */
static int node_stat(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, struct stat *st)
{
	if (n->magic)
		return pfs_magic_getattr(fs, n, c, st);
	struct pfs_loc loc;
	pfs_node_loc(fs, n, &loc);
	/*
	 * A pinned directory stats fine after reaping: its process is asked
	 * (cached entries), except by an fstat of an open directory fd, which
	 * natively still answers.
	 */
	if (pfs_node_gone(n) ||
	    (n == n->anchor && pfs_node_reaped(n) && !pfs_caller_stats_fd(fs, c)))
		return -ENOENT;
	struct pfs_path_decision d;
	int r = pfs_view_reach(&fs->view, c, &loc, PFS_REACH_SEE, &d);
	if (r < 0)
		return r;
	return pfs_view_stat(&fs->view, c, &loc, st);
}

void pfs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *n = pfs_node_get(fs, ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	struct stat st;
	pfs_policy_rdlock(fs);
	int r = node_stat(fs, n, &c, &st);
	double timeout = pfs_cache_timeout(fs, n);
	pfs_policy_unlock(fs);
	if (r == 0)
		keep_attr(fs, n, &st);
	/* an fstat of an open file whose process is gone; a stat by path stays ENOENT */
	else if ((r == -ENOENT || r == -ESRCH) && pfs_caller_stats_fd(fs, &c) &&
		 pfs_node_last_attr(fs, n, &st))
		r = 0;
	/* fi: an fstat of an open file, which the kernel does not retry */
	if (r < 0 && !fi)
		r = pfs_cache_stale(fs, req, n, r);
	if (r < 0) {
		pfs_log_failure("getattr", n->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	fuse_reply_attr(req, &st, timeout);
}

void pfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	/* O_TRUNC on a writable proc file arrives as a size change: proc ignores it. */
	struct pfs_node *n = pfs_node_get(fs, ino);
	if (n->magic) {
		pfs_magic_setattr(req, n, attr, to_set, fi);
		return;
	}
	if (to_set == FUSE_SET_ATTR_SIZE) {
		struct pfs_caller c;
		pfs_req_caller(req, &c);
		struct pfs_loc loc;
		pfs_node_loc(fs, n, &loc);
		struct pfs_path_decision d;
		pfs_policy_rdlock(fs);
		pfs_view_decide(&fs->view, &c, &loc, &d);
		int r = pfs_view_open_check(&fs->view, &loc, &d, O_WRONLY | O_TRUNC);
		pfs_policy_unlock(fs);
		if (r == 0 || fs->opt.rw) {
			pfs_op_getattr(req, ino, fi);
			return;
		}
	}
	pfs_debug("setattr %s refused", n->path);
	fuse_reply_err(req, fs->opt.rw ? EPERM : EROFS);
}

void pfs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *n = pfs_node_get(fs, ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	cleanup_buf struct pfs_buf out = PFS_BUF_INIT;
	int r;
	pfs_policy_rdlock(fs);
	if (n->parent == &fs->root && !strcmp(n->name, "self")) {
		r = pfs_view_self_link(&fs->view, &c, false, &out);
	} else if (n->parent == &fs->root && !strcmp(n->name, "thread-self")) {
		r = pfs_view_self_link(&fs->view, &c, true, &out);
	} else {
		struct pfs_loc loc;
		pfs_node_loc(fs, n, &loc);
		struct pfs_path_decision d;
		r = pfs_view_reach(&fs->view, &c, &loc, PFS_REACH_USE, &d);
		if (r == 0)
			r = pfs_view_readlink(&fs->view, &c, &loc, &out);
		if (r == 0)
			pfs_magic_follow(fs, &c, &loc, &out);
	}
	pfs_policy_unlock(fs);
	if (r < 0) {
		r = pfs_cache_stale(fs, req, n, r);
		pfs_log_failure("readlink", n->path, r);
		fuse_reply_err(req, -r);
		return;
	}
	fuse_reply_readlink(req, out.data ? out.data : "");
}

void pfs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	/* What procfs reports; the magic number is FUSE's and cannot be changed. */
	struct statvfs s;
	memset(&s, 0, sizeof(s));
	s.f_bsize = 4096;
	s.f_frsize = 4096;
	s.f_namemax = 255;
	fuse_reply_statfs(req, &s);
}

void pfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_node *n = pfs_node_get(fs, ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	struct stat st;
	pfs_policy_rdlock(fs);
	int r = node_stat(fs, n, &c, &st);
	if (r == 0 && !n->magic) {
		struct pfs_loc loc;
		pfs_node_loc(fs, n, &loc);
		struct pfs_path_decision d;
		pfs_view_decide(&fs->view, &c, &loc, &d);
		r = pfs_view_access(&fs->view, &c, &loc, &d, mask);
	} else if (r == 0 && (mask & W_OK) && !fs->opt.rw) {
		r = -EROFS;
	}
	pfs_policy_unlock(fs);
	if (r < 0)
		r = pfs_cache_stale(fs, req, n, r);
	fuse_reply_err(req, r < 0 ? -r : 0);
}
