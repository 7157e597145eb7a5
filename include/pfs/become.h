/*
 * Acting as the caller. The daemon reads the backing proc with more privilege
 * than the caller, so every backing access made on a caller's behalf runs with
 * the caller's fs ids, groups and (namespace-safe) capabilities on the current
 * thread only. The kernel then makes its own decision for the caller: mode
 * bits, ptrace checks, dumpability.
 */
#ifndef PFS_BECOME_H
#define PFS_BECOME_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfs/caller.h"

struct pfs_saved_creds {
	bool active;
	uid_t fsuid; /* the thread's euid/egid before (fs ids follow them) */
	gid_t fsgid;
	int ngroups;
	gid_t groups[PFS_MAX_GROUPS];
	struct __user_cap_data_struct caps[2];
};

/*
 * Switches this thread to the caller's credentials. full=false uses only the
 * fs ids (the least privilege the caller surely has); full=true adds groups
 * and the capabilities whose checks are relative to the target's namespace.
 * extra_caps are added on top: CAP_SYS_PTRACE stands for the kernel's rule
 * that a process may always inspect its own thread group.
 */
int pfs_become(const struct pfs_caller *c, const struct pfs_idmap *uidmap,
	       const struct pfs_idmap *gidmap, bool full, uint64_t extra_caps,
	       struct pfs_saved_creds *saved);
void pfs_unbecome(struct pfs_saved_creds *saved);

#endif
