/*
 * Pid translation between pid namespaces with nsfs ioctls (Linux 6.11):
 * a process's numbers in another namespace, without reading its status.
 */
#ifndef PFS_PIDNS_H
#define PFS_PIDNS_H

#include <linux/nsfs.h>
#include <stdbool.h>
#include <sys/types.h>

/* linux/nsfs.h of Linux 6.11; Debian 12's headers are older. */
#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS _IOR(0xb7, 0x6, int) /* ns's pid -> the caller's */
#endif
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(0xb7, 0x7, int) /* ns's tid -> its tgid, the caller's */
#endif
#ifndef NS_GET_PID_IN_PIDNS
#define NS_GET_PID_IN_PIDNS _IOR(0xb7, 0x8, int) /* the caller's pid -> ns's */
#endif

/* A pid namespace the daemon can translate thread ids of (pfs_pidns_open). */
struct pfs_pidns {
	bool open; /* false (zeroed): no ioctls (older kernel, no access, not a procfs) */
	bool ours; /* it is the daemon's own: one ioctl gives the answer */
	int fd; /* nsfs fd of the namespace, when open */
};

/*
 * The pid namespace of the procfs backing_fd (its pid 1's), if the kernel can
 * translate its thread ids to thread groups; else ns is not open and the
 * caller reads <tid>/status instead. Returns 0 or -errno (why not).
 */
int pfs_pidns_open(int backing_fd, struct pfs_pidns *ns);
void pfs_pidns_close(struct pfs_pidns *ns);
/* The thread group of thread tid, both numbers of ns; -errno (ESRCH: gone). */
int pfs_pidns_tgid(const struct pfs_pidns *ns, pid_t tid, pid_t *tgid);

#endif
