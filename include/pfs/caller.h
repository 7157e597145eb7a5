/*
 * Who is asking: the request's thread id, fs uid/gid, and (loaded only when
 * needed) its supplementary groups, capabilities and user namespace, all read
 * from the backing proc.
 */
#ifndef PFS_CALLER_H
#define PFS_CALLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfs/idmap.h"

#define PFS_MAX_GROUPS 64

struct pfs_caller {
	pid_t tid; /* request pid: a thread id in the backing's pid ns; 0 = not visible there */
	uid_t uid; /* fsuid, in the mount's user namespace */
	gid_t gid;
	pid_t tgid; /* 0 until resolved */
	bool status_read; /* tgid, groups and caps read from <tid>/status (once per request) */
	bool creds_loaded; /* and the caps checked against the mount's user namespace */
	int ngroups;
	gid_t groups[PFS_MAX_GROUPS]; /* outside ids */
	/* meaningful once creds_loaded: */
	uint64_t cap_eff; /* usable caps: 0 when the caller is in another user ns */
	uint64_t cap_prm; /* permitted caps, likewise */
};

void pfs_caller_init(struct pfs_caller *c, pid_t tid, uid_t uid, gid_t gid);
/* Resolves c->tgid from <tid>/status. -ENOENT when the caller is invisible or gone. */
int pfs_caller_tgid(int backing_fd, struct pfs_caller *c);
/* Loads groups and capabilities; caps count only if the caller shares userns_ino. */
int pfs_caller_load_creds(int backing_fd, struct pfs_caller *c, const struct pfs_idmap *gidmap,
			  uint64_t mount_userns_ino);

#endif
