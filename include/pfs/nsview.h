/*
 * Seeing as the caller: a thread enters the caller's namespaces and root
 * before a read whose answer the kernel shapes by the reader's namespaces
 * (link text, some sysctls). The view decides what each path needs.
 */
#ifndef PFS_NSVIEW_H
#define PFS_NSVIEW_H

#include <sys/stat.h>

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
 * Opens the reference now: a daemon does it at start-up, while it may still
 * open pid 1's links (a rootless daemon may only while the init is dumpable,
 * before the workload exists). 0, or -ENOENT when there is none (logged).
 */
int pfs_ns_reference_open(int backing_fd);
/* The reference as fds opened by someone else (pfs run, while the init was still
 * dumpable: a daemon started later could not open them); before any use. */
int pfs_ns_reference_adopt(int mnt_fd, int root_fd);
/* The reference root's identity and the mount namespace's inode. */
int pfs_ns_reference_stat(int backing_fd, struct stat *root, ino_t *mnt_ino);

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
