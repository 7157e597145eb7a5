/*
 * Seeing as the caller: a thread enters the caller's namespaces and root
 * before a read whose answer the kernel shapes by the reader's namespaces
 * (link text, some sysctls). The view decides what each path needs.
 */
#ifndef PFS_NSVIEW_H
#define PFS_NSVIEW_H

#include "pfs/caller.h"

enum pfs_ns_need {
	PFS_NS_ROOT = 1, /* mount namespace and root: link text, maps pathnames */
	PFS_NS_UTS = 2,
	PFS_NS_IPC = 4,
	PFS_NS_NET = 8,
	PFS_NS_CGROUP = 16
};
/* The namespaces whose sysctl entries differ in name, not only in content. */
#define PFS_NS_SYSCTL (PFS_NS_UTS | PFS_NS_IPC | PFS_NS_NET)

/*
 * Makes this thread see paths and sysctls as caller c does: enters the
 * namespaces in needs of c's thread, found through the backing proc. Each
 * thread keeps what it entered last. -errno on failure.
 */
int pfs_ns_enter(int backing_fd, const struct pfs_caller *c, unsigned needs);

#endif
