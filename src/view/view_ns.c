/*
 * Which of the caller's namespaces a read needs, and entering them. Link text
 * is rendered by the kernel against the reader's root, maps pathnames too, and
 * some sysctls (names and content) against the reader's uts, ipc, net and
 * cgroup namespaces: the view enters them before such reads, for the daemon
 * and for `pfs policy explain` alike.
 */
#include <string.h>

#include "pfs/nsview.h"
#include "view_i.h"

unsigned view_ns_needs(const struct pfs_loc *loc, bool is_link)
{
	if (is_link)
		return PFS_NS_ROOT;
	const struct pfs_ppath *pp = &loc->pp;
	if (pp->pid) {
		switch (pfs_file_kind(pp)) {
		case PFS_FK_MAPS:
		case PFS_FK_SMAPS:
		case PFS_FK_NUMA_MAPS:
			return PFS_NS_ROOT;
		default:
			break;
		}
		return !strcmp(pp->rest, "cgroup") ? PFS_NS_CGROUP : 0;
	}
	const char *r = pp->rest;
	if (!strncmp(r, "sys/net", 7))
		return PFS_NS_NET;
	if (!strcmp(r, "sys/kernel/hostname") || !strcmp(r, "sys/kernel/domainname"))
		return PFS_NS_UTS;
	if (!strncmp(r, "sys/kernel/sem", 14) || !strncmp(r, "sys/kernel/shm", 14) ||
	    !strncmp(r, "sys/kernel/msg", 14) || !strncmp(r, "sys/fs/mqueue", 13))
		return PFS_NS_IPC;
	return 0;
}

int view_enter_ns(const struct pfs_view *v, const struct pfs_caller *c, unsigned needs)
{
	return v->enter_ns ? pfs_ns_enter(v->backing_fd, c, needs) : 0;
}
