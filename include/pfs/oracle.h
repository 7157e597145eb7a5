/*
 * The ptrace oracle: the kernel's own ptrace_may_access() decision for a
 * caller of another user namespace. The daemon lives in the host's user
 * namespace, and the kernel's capability rule (the target's permitted set
 * must be a subset of the reader's, in the same user namespace) fails for any
 * daemon thread acting as a sandbox uid. A helper process that has joined the
 * mount's user namespace takes the caller's ids and capabilities there and
 * asks the kernel, through the backing proc, on the daemon's behalf.
 */
#ifndef PFS_ORACLE_H
#define PFS_ORACLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "pfs/caller.h"

struct pfs_oracle;

enum pfs_ptrace_mode {
	PFS_PTRACE_READ, /* PTRACE_MODE_READ_FSCREDS: maps, environ, fd/, links... */
	PFS_PTRACE_ATTACH, /* PTRACE_MODE_ATTACH_FSCREDS: mem, stack, syscall */
};

/*
 * Starts the helper, joined to the user namespace of the backing's pid 1.
 * Call while the process is single-threaded. The helper exits when the
 * daemon does (EOF on its socket).
 */
int pfs_oracle_start(int backing_fd, struct pfs_oracle **out);
/* 0 when the kernel would grant the caller (ids inside the mount's user ns)
 * ptrace access of this mode to task tid; -EACCES/-EPERM when not. */
int pfs_oracle_ask(struct pfs_oracle *o, const struct pfs_caller *c, const struct pfs_idmap *gidmap,
		   pid_t tid, enum pfs_ptrace_mode mode);
/* The mode a per-process file is gated by (rest: below the pid dir). */
enum pfs_ptrace_mode pfs_ptrace_mode_of(const char *rest);

#endif
