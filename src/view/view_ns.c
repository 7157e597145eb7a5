/*
 * Which of the caller's namespaces a read needs, and entering them. Link text
 * is rendered by the kernel against the reader's root, maps pathnames too, and
 * some sysctls (names and content) against the reader's uts, ipc, net and
 * cgroup namespaces: the view enters them before such reads, for the daemon
 * and for `pfs policy explain` alike.
 */
#include <string.h>

#include "pfs/filter.h"
#include "pfs/nsview.h"
#include "view_i.h"

/* Global sysctls answered per namespace: by exact name or by prefix. */
static const struct {
	const char *path; /* below /proc/ */
	bool prefix;
	unsigned ns;
} sysctls[] = {
	{"sys/net", true, PFS_NS_NET},
	{"sys/kernel/hostname", false, PFS_NS_UTS},
	{"sys/kernel/domainname", false, PFS_NS_UTS},
	{"sys/kernel/sem", true, PFS_NS_IPC},
	{"sys/kernel/shm", true, PFS_NS_IPC},
	{"sys/kernel/msg", true, PFS_NS_IPC},
	{"sys/fs/mqueue", true, PFS_NS_IPC},
};

unsigned view_ns_needs(const struct pfs_view *v, const struct pfs_loc *loc, bool is_link)
{
	if (is_link)
		return PFS_NS_ROOT;
	const struct pfs_ppath *pp = &loc->pp;
	if (pp->pid) {
		const struct pfs_filter_kind *k = pfs_filter_kind_of(pp);
		if (!k)
			return 0;
		/*
		 * The kinds whose pathnames are rendered against the reader's root
		 * are the maps family: with maps rules, which match the pathnames,
		 * they are rendered on the reference root instead.
		 */
		if ((k->ns & PFS_NS_ROOT) && v->policy->n_maps_rules)
			return k->ns & ~(unsigned)PFS_NS_ROOT;
		return k->ns;
	}
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		size_t n = strlen(sysctls[i].path);
		if (sysctls[i].prefix ? !strncmp(pp->rest, sysctls[i].path, n)
				      : !strcmp(pp->rest, sysctls[i].path))
			return sysctls[i].ns;
	}
	return 0;
}

int view_enter_ns(const struct pfs_view *v, const struct pfs_caller *c, unsigned needs)
{
	return v->enter_ns ? pfs_ns_enter(v->backing_fd, c, needs) : 0;
}

/*
 * Decisions that read link text (fd hide, hide-pid exe=, maps rules) are made
 * on the reference root (the sandbox init's), never on a root a caller chose
 * or a previous request left on the thread.
 */
int pfs_view_reference_open(const struct pfs_view *v)
{
	return v->enter_ns ? pfs_ns_reference_open(v->backing_fd) : 0;
}

int pfs_view_enter_reference(const struct pfs_view *v)
{
	return v->enter_ns ? pfs_ns_enter_reference(v->backing_fd) : 0;
}
