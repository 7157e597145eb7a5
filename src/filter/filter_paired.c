/*
 * Filters of tables that mount rules decide with the same process's
 * mountinfo read alongside (mounts, mountstats, fdinfo): one adapter for all.
 */
#include "filter_paired_i.h"
#include "pfs/cleanup.h"

int pfs_fk_with_mountinfo(const struct pfs_filter_in *in, struct pfs_buf *out,
			  pfs_mountinfo_paired_fn *filter)
{
	if (!in->policy->n_mount_rules)
		return pfs_buf_append(out, in->data, in->len);
	cleanup_buf struct pfs_buf mi = PFS_BUF_INIT;
	int r = in->read_sibling(in->ctx, "mountinfo", &mi);
	if (r < 0)
		return r;
	return filter(in->policy, in->data, in->len, mi.data ? mi.data : "", mi.len, out,
		      in->trace);
}
