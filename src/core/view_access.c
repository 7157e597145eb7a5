#include <errno.h>

#include "pfs/become.h"
#include "view_internal.h"

static int run_as(const struct pfs_view *v, struct pfs_caller *c, bool full, pfs_as_fn fn,
		  void *arg)
{
	struct pfs_saved_creds saved;
	int r = pfs_become(c, &v->uidmap, &v->gidmap, full, &saved);
	if (r < 0)
		return r;
	r = fn(arg);
	pfs_unbecome(&saved);
	return r;
}

int view_as_caller(const struct pfs_view *v, struct pfs_caller *c, pfs_as_fn fn, void *arg)
{
	if (!v->as_caller)
		return fn(arg);
	int r = run_as(v, c, false, fn, arg);
	if (r != -EACCES && r != -EPERM)
		return r;
	int lr = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	if (lr < 0)
		return lr == -ENOENT ? r : lr;
	if (!c->ngroups && !c->cap_eff)
		return r; /* nothing more to try */
	return run_as(v, c, true, fn, arg);
}

pid_t view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c)
{
	if (!c->tgid && pfs_caller_tgid(v->backing_fd, c) < 0)
		return 0;
	return c->tgid;
}
