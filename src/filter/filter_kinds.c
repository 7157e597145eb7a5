/*
 * The registry of filtered files: one row per kind, read by the view for
 * rendering and for the namespaces a read needs. A new kind is a row here plus
 * its own file (its filter and the pfs_fk_* adapter declared below).
 */
#include <string.h>

#include "pfs/filter.h"
#include "pfs/nsneed.h"

typedef int pfs_fk_fn(const struct pfs_filter_in *in, struct pfs_buf *out);
pfs_fk_fn pfs_fk_mountinfo, pfs_fk_mounts, pfs_fk_mountstats, pfs_fk_maps, pfs_fk_smaps,
	pfs_fk_smaps_rollup, pfs_fk_numa_maps, pfs_fk_environ, pfs_fk_status, pfs_fk_fdinfo;

/* fdinfo/N: its mnt_id names a mount of the filtered mountinfo */
static const struct pfs_filter_kind fdinfo_kind = {"fdinfo", 0, pfs_fk_fdinfo, NULL, false, false};

static const struct pfs_filter_kind kinds[] = {
	/* whole tables: a dropped mount's children are re-parented (docs/policy.md) */
	{"mountinfo", 0, pfs_fk_mountinfo, NULL, true, true},
	{"mounts", 0, pfs_fk_mounts, NULL, true, true},
	{"mountstats", 0, pfs_fk_mountstats, NULL, true, true},
	/* pathnames are rendered against the reader's root; filtered as read */
	{"maps", PFS_NS_ROOT, pfs_fk_maps, pfs_filter_maps_piece, true, false},
	{"smaps", PFS_NS_ROOT, pfs_fk_smaps, pfs_filter_smaps_piece, true, false},
	/* one line, but the kernel walks every mapping for it */
	{"smaps_rollup", 0, pfs_fk_smaps_rollup, NULL, true, false},
	{"numa_maps", PFS_NS_ROOT, pfs_fk_numa_maps, pfs_filter_numa_maps_piece, true, false},
	{"environ", 0, pfs_fk_environ, NULL, false, false},
	{"status", 0, pfs_fk_status, NULL, false, false},
	/* paths relative to the reader's cgroup namespace root; not filtered */
	{"cgroup", PFS_NS_CGROUP, NULL, NULL, false, false},
};

const struct pfs_filter_kind *pfs_filter_kind_of(const struct pfs_ppath *pp)
{
	if (!pp->pid)
		return NULL; /* /proc/mounts is a link to self/mounts */
	if (pp->fd_entry && !strncmp(pp->rest, "fdinfo/", strlen("fdinfo/")))
		return &fdinfo_kind;
	/* the first byte before strcmp: asked several times per request, mostly for no row */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].name[0] == pp->rest[0] && !strcmp(pp->rest, kinds[i].name))
			return &kinds[i];
	return NULL;
}
