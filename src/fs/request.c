/* Per-request context: who is asking, under which policy, and what may be cached. */
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

/*
 * The one place that decides caching. Anything under a process directory,
 * the process directories themselves and self/thread-self differ between
 * callers (visibility, ownership, link text): never cached. Global entries
 * are the same for every caller under one policy, so the kernel may keep them
 * for a second; a policy reload invalidates them.
 */
double pfs_cache_timeout(const struct pfs_node *n)
{
	if (n->per_caller)
		return 0.0;
	return 1.0;
}

/*
 * Entry timeout: a file or link directly in a process directory may stay in
 * the dentry cache. The process directory itself is looked up every time
 * (visibility, pid reuse), OPEN and READLINK always reach the daemon, and
 * attributes are not cached (pfs_cache_timeout). Not when the policy has
 * {self} rules: then a decision below a pid directory depends on the caller.
 */
double pfs_entry_timeout(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (!n->per_caller)
		return 1.0;
	if (n->type != S_IFDIR && n->anchor && n->parent == n->anchor && !fs->view.policy_uses_self)
		return 1.0;
	return 0.0;
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
