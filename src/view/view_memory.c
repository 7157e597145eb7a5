/*
 * `process-memory deny` (docs/policy.md): a process reads and writes no
 * other process's memory through /proc. mem, pagemap and map_files/ of
 * another thread group are denied (EACCES); the caller's own stay as the
 * kernel has them. The seccomp half (ptrace, process_vm_readv) is pfs run's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "view_i.h"

static bool memory_file(const char *rest)
{
	static const char mf[] = "map_files";
	return !strcmp(rest, "mem") || !strcmp(rest, "pagemap") ||
	       (!strncmp(rest, mf, strlen(mf)) && (!rest[strlen(mf)] || rest[strlen(mf)] == '/'));
}

/* Whether the process directory pid (a tgid or any thread id) is in the caller's thread group. */
static bool own_group(const struct pfs_view *v, struct pfs_caller *c, pid_t pid)
{
	pid_t tgid = view_caller_tgid(v, c);
	if (!tgid)
		return false;
	if (pid == tgid || pid == c->tid)
		return true;
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/task/%d", tgid, pid);
	struct stat st;
	return fstatat(v->backing_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void view_memory_decide(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			struct pfs_path_decision *d)
{
	const struct pfs_ppath *pp = &loc->pp;
	if (!pp->pid || d->action >= PFS_ACT_DENY || !memory_file(pp->rest) ||
	    !pfs_policy_memory_denied(v->policy) || own_group(v, c, pp->pid))
		return;
	const struct pfs_policy *p = v->policy;
	d->action = PFS_ACT_DENY;
	d->rule = p->process_memory != PFS_PROCMEM_UNSET ? &p->process_memory_src
							 : &p->environ_rules[0].src;
}
