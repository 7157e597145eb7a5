/* Per-request context: who is asking and under which policy. */
#include <errno.h>
#include <string.h>

#include "fs_i.h"
#include "pfs/log.h"

void pfs_req_caller(fuse_req_t req, struct pfs_caller *c)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	pfs_caller_init(c, ctx->pid, ctx->uid, ctx->gid);
}

/*
 * Every decision is made holding the policy, and on the reference root
 * (pfs_view_enter_reference): what a previous request left on this thread
 * cannot change it. A failure to get there is logged; the thread tries again
 * next time.
 */
void pfs_policy_rdlock(struct pfs_fs *fs)
{
	pthread_rwlock_rdlock(&fs->policy_lock);
	pfs_view_enter_reference(&fs->view);
}

void pfs_policy_unlock(struct pfs_fs *fs)
{
	pthread_rwlock_unlock(&fs->policy_lock);
}

/* Errors that are the expected answer of a filtered /proc, not worth a log line. */
static bool expected_errno(int e)
{
	return e == ENOENT || e == EACCES || e == EROFS || e == ESRCH || e == EINVAL ||
	       e == ENOTDIR || e == EPERM || e == ENXIO;
}

void pfs_log_failure(const char *op, const char *path, int err)
{
	if (expected_errno(-err))
		pfs_debug("%s %s: %s", op, path, strerror(-err));
	else
		pfs_err("%s %s: %s", op, path, strerror(-err));
}
