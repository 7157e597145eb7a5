/*
 * Name-level changes: /proc has no creatable, removable or renamable entries.
 * The FUSE mount is writable (the daemon enforces --proc ro itself, so that
 * fd/N relays can write), so these requests reach the daemon: on a read-only
 * /proc (no `writable` option) they are EROFS, as on a read-only mount;
 * otherwise the kernel proc's own answers (no create operation: EACCES; no
 * mkdir, unlink, rename, link or mknod operation: EPERM; no xattrs).
 */
#include <errno.h>

#include "fs_i.h"
#include "pfs/log.h"

static void refuse(fuse_req_t req, const char *op, int native)
{
	pfs_debug("%s refused", op);
	fuse_reply_err(req, pfs_req_fs(req)->opt.rw ? native : EROFS);
}

void pfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi)
{
	refuse(req, "create", EACCES);
}

void pfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	refuse(req, "mknod", EPERM);
}

void pfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	refuse(req, "mkdir", EPERM);
}

void pfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "unlink", EPERM);
}

void pfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "rmdir", EPERM);
}

void pfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	refuse(req, "symlink", EPERM);
}

void pfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags)
{
	refuse(req, "rename", EPERM);
}

void pfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	refuse(req, "link", EPERM);
}

void pfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags)
{
	refuse(req, "setxattr", EOPNOTSUPP);
}

void pfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	refuse(req, "removexattr", EOPNOTSUPP);
}
