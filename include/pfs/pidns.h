/*
 * The backing's pid namespace: translating its pids and thread ids with nsfs
 * ioctls (Linux 6.11), without reading a process's status.
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

/* The backing's pid namespace, as the daemon can use it (pfs_pidns_open). */
struct pfs_pidns {
	bool open; /* fd is its nsfs fd; false (zeroed): none (not a procfs, no access) */
	bool ours; /* it is the daemon's own: its pids are the daemon's */
	bool translates; /* the nsfs pid ioctls work on it (Linux 6.11) */
	int fd;
};

/*
 * The pid namespace of the procfs backing_fd: its init's, or the daemon's own
 * when the daemon cannot open its init's but is in it. 0 or -errno (why not).
 */
int pfs_pidns_open(int backing_fd, struct pfs_pidns *ns);
void pfs_pidns_close(struct pfs_pidns *ns);
/* Whether the daemon can tell its own number of every process of ns. */
bool pfs_pidns_maps_to_ours(const struct pfs_pidns *ns);
/* pid of ns as the daemon's pid namespace numbers it; -EOPNOTSUPP: cannot be known. */
int pfs_pidns_to_ours(const struct pfs_pidns *ns, pid_t pid, pid_t *out);
/*
 * The thread group of thread tid, both numbers of ns; -ESRCH: no such thread,
 * -EOPNOTSUPP: no ioctls (the caller reads <tid>/status instead).
 */
int pfs_pidns_tgid(const struct pfs_pidns *ns, pid_t tid, pid_t *tgid);

#endif
