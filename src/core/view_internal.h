/* Shared between the view's source files; not a public interface. */
#ifndef PFS_VIEW_INTERNAL_H
#define PFS_VIEW_INTERNAL_H

#include "pfs/view.h"

typedef int (*pfs_as_fn)(void *arg);
/*
 * Runs fn as the caller: with the least privilege first, then, if the kernel
 * refuses with EACCES or EPERM, with the caller's groups and namespace-safe
 * capabilities. fn returns 0 or -errno.
 */
int view_as_caller(const struct pfs_view *v, struct pfs_caller *c, pfs_as_fn fn, void *arg);

/* The caller's tgid if the policy or the file needs it; 0 if unknown. */
pid_t view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c);

#endif
