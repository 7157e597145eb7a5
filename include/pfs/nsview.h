/*
 * Seeing as the caller: a thread enters the caller's namespaces and root
 * before a read whose answer the kernel shapes by the reader's namespaces
 * (link text, some sysctls). The view decides what each path needs.
 */
#ifndef PFS_NSVIEW_H
#define PFS_NSVIEW_H

#include "pfs/caller.h"
#include "pfs/nsneed.h"

/*
 * Makes this thread see paths and sysctls as caller c does: enters the
 * namespaces in needs of c's thread, found through the backing proc. Each
 * thread keeps what it entered last. -errno on failure.
 */
int pfs_ns_enter(int backing_fd, const struct pfs_caller *c, unsigned needs);

#endif
