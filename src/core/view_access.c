#include <errno.h>
#include <string.h>
#include <linux/capability.h>

#include "pfs/become.h"
#include "pfs/oracle.h"
#include "view_internal.h"

/*
 * The kernel lets a process inspect its own thread group whatever its
 * dumpability (ptrace checks), and always lets it search its own fd/ and
 * fdinfo/ directories. Those exceptions, and nothing more, as capabilities.
 */
static uint64_t own_group_caps(const struct pfs_caller *c, const struct pfs_ppath *pp)
{
	pid_t target = pp ? pp->pid : 0;
	if (!target || !c->tgid || (target != c->tgid && target != c->tid))
		return 0;
	uint64_t caps = 1ull << CAP_SYS_PTRACE;
	if (!strncmp(pp->rest, "fd", 2) &&
	    (pp->rest[2] == '\0' || pp->rest[2] == '/' || !strncmp(pp->rest + 2, "info", 4)))
		caps |= 1ull << CAP_DAC_READ_SEARCH;
	return caps;
}

/* Files of another process that no ptrace check gates: no question to ask. */
static bool ungated(const char *rest)
{
	static const char *const names[] = {"", "status", "cmdline", "comm", "statm", "cgroup"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(rest, names[i]))
			return true;
	return false;
}

/*
 * The kernel's ptrace decision for a caller of the mount's user namespace,
 * which a daemon thread of another user namespace cannot reproduce by itself
 * (pfs/oracle.h): when the oracle says yes, CAP_SYS_PTRACE stands for it.
 */
static uint64_t ptrace_caps(const struct pfs_view *v, const struct pfs_caller *c,
			    const struct pfs_ppath *pp)
{
	if (!v->oracle || !pp || !pp->pid || ungated(pp->rest))
		return 0;
	pid_t t = pp->tid ? pp->tid : pp->pid;
	int r = pfs_oracle_ask(v->oracle, c, &v->gidmap, t, pfs_ptrace_mode_of(pp->rest));
	return r == 0 ? 1ull << CAP_SYS_PTRACE : 0;
}

static int run_as(const struct pfs_view *v, struct pfs_caller *c, bool full,
		  const struct pfs_ppath *target, pfs_as_fn fn, void *arg)
{
	struct pfs_saved_creds saved;
	uint64_t extra = 0;
	if (full) {
		extra = own_group_caps(c, target);
		if (!extra)
			extra = ptrace_caps(v, c, target);
	}
	int r = pfs_become(c, &v->uidmap, &v->gidmap, full, extra, &saved);
	if (r < 0)
		return r;
	r = fn(arg);
	pfs_unbecome(&saved);
	return r;
}

int view_as_caller(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_ppath *target,
		   pfs_as_fn fn, void *arg)
{
	if (!v->as_caller)
		return fn(arg);
	int r = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	if (r < 0)
		return r;
	return run_as(v, c, true, target, fn, arg);
}

int view_as_caller_cheap(const struct pfs_view *v, struct pfs_caller *c,
			 const struct pfs_ppath *target, pfs_as_fn fn, void *arg)
{
	if (!v->as_caller)
		return fn(arg);
	int r = c->creds_loaded ? -EACCES : run_as(v, c, false, target, fn, arg);
	if (r != -EACCES && r != -EPERM)
		return r;
	int lr = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	if (lr < 0)
		return lr == -ENOENT ? r : lr;
	return run_as(v, c, true, target, fn, arg);
}

pid_t view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c)
{
	if (!c->tgid && pfs_caller_tgid(v->backing_fd, c) < 0)
		return 0;
	return c->tgid;
}
