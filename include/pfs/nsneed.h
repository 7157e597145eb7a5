/* The caller's namespaces a read needs: what the kernel shapes by the reader's. */
#ifndef PFS_NSNEED_H
#define PFS_NSNEED_H

enum pfs_ns_need {
	PFS_NS_ROOT = 1, /* mount namespace and root: link text, maps pathnames */
	PFS_NS_UTS = 2,
	PFS_NS_IPC = 4,
	PFS_NS_NET = 8,
	PFS_NS_CGROUP = 16
};
/* The namespaces whose sysctl entries differ in name, not only in content. */
#define PFS_NS_SYSCTL (PFS_NS_UTS | PFS_NS_IPC | PFS_NS_NET)

#endif
