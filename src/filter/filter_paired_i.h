#ifndef PFS_FILTER_PAIRED_I_H
#define PFS_FILTER_PAIRED_I_H

#include "pfs/filter.h"

/* A filter given the mountinfo of the same process, read at the same time. */
typedef int pfs_mountinfo_paired_fn(const struct pfs_policy *p, const char *in, size_t len,
				    const char *mountinfo, size_t mi_len, struct pfs_buf *out,
				    const struct pfs_trace *t);

/* Runs filter on in with its process's mountinfo; a copy when there are no mount rules. */
int pfs_fk_with_mountinfo(const struct pfs_filter_in *in, struct pfs_buf *out,
			  pfs_mountinfo_paired_fn *filter);

#endif
