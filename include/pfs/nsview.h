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

/*
 * Puts this thread on the reference mount namespace and root: those of the
 * backing's pid 1 (the sandbox's init), opened on first use and held. A no-op
 * when the thread is already there, or when there is no reference (logged
 * once). -errno on failure.
 */
int pfs_ns_enter_reference(int backing_fd);

/*
 * For a one-shot reader (pfs policy explain): the process's mount namespace,
 * root and cwd before entering, and going back to them afterwards.
 */
struct pfs_ns_saved {
	int mnt, root, cwd; /* -1: not saved */
};
int pfs_ns_save(struct pfs_ns_saved *s);
/* Goes back to what s saved and closes it. -errno on failure. */
int pfs_ns_restore(struct pfs_ns_saved *s);

#endif
