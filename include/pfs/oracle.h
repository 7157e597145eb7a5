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

#include "pfs/buf.h"
#include "pfs/caller.h"

struct pfs_oracle;

enum pfs_ptrace_mode {
	PFS_PTRACE_READ, /* PTRACE_MODE_READ_FSCREDS: maps, environ, fd/, links... */
	PFS_PTRACE_ATTACH, /* PTRACE_MODE_ATTACH_FSCREDS: mem, stack, syscall */
};

/*
 * Starts the helper, joined to the user namespace userns_fd, or (-1) that of
 * the backing's pid 1. Call while the process is single-threaded. The helper
 * exits when the daemon does (EOF on its socket).
 */
int pfs_oracle_start(int backing_fd, int userns_fd, struct pfs_oracle **out);
/* Ends the helper (EOF on its socket) and frees o; NULL is a no-op. */
void pfs_oracle_stop(struct pfs_oracle *o);
/* The access the daemon is about to make for the caller. */
enum pfs_access_op {
	PFS_OP_NONE,
	PFS_OP_OPEN_R,
	PFS_OP_OPEN_W,
	PFS_OP_OPENDIR, /* open and read the first entries */
	PFS_OP_READLINK,
	PFS_OP_LSTAT,
	PFS_OP_WRITE, /* pfs_oracle_io only: one write */
	PFS_OP_READ_AS, /* pfs_oracle_io only: one read, in the caller's user namespace */
	PFS_OP_RENDER, /* open and read, for pfs_oracle_render */
};

/* The largest write the helper makes (the kernel's limit for an id map). */
#define PFS_ORACLE_WRITE_MAX 4096

struct pfs_oracle_answer {
	int access; /* 0 or -errno of op on rel, as the caller */
	bool ptrace; /* the caller may ptrace task tid in the mode of rel */
};

/*
 * Makes op on rel (relative to the backing root) as the caller (ids inside
 * the mount's user ns) and asks the kernel whether the caller has ptrace
 * access of the mode rel is gated by to task tid. Fails closed.
 */
void pfs_oracle_ask(struct pfs_oracle *o, const struct pfs_caller *c,
		    const struct pfs_idmap *gidmap, pid_t tid, const char *rel,
		    enum pfs_access_op op, struct pfs_oracle_answer *ans);
/*
 * Writes data[0..len) to rel (an id map or setgroups) in one write, or reads
 * up to len bytes of it into data, as the caller entirely (its ids, its user
 * namespace, its capabilities there): bytes or -errno, the kernel's answer.
 */
int pfs_oracle_io(struct pfs_oracle *o, const struct pfs_caller *c, const struct pfs_idmap *gidmap,
		  const char *rel, enum pfs_access_op op, char *data, size_t len);
/*
 * Content the kernel renders for the reader's user namespace (the opener's,
 * or at read time the reader's: uid columns, per-userns sysctls, keys) and,
 * per ns (PFS_ORACLE_NS_*), the caller's IPC, net or UTS namespace and the
 * sandbox's pid namespace: opened
 * and read by the helper, in the mount's user namespace, as the caller, so
 * that the kernel renders it as for a reader in the sandbox. rel is relative
 * to dirfd (passed along: a process directory fd pins its process). Appends
 * to out.
 */
enum {
	PFS_ORACLE_NS_IPC = 1,
	PFS_ORACLE_NS_NET = 2,
	PFS_ORACLE_NS_UTS = 4,
	PFS_ORACLE_NS_PID = 8, /* pid columns: read from the sandbox's pid namespace */
	PFS_ORACLE_NS_LAST_PID = 16, /* with _PID: the content ends with the last pid */
};
int pfs_oracle_render(struct pfs_oracle *o, const struct pfs_caller *c,
		      const struct pfs_idmap *gidmap, int dirfd, const char *rel, unsigned ns,
		      struct pfs_buf *out);
/* The mode a per-process file is gated by (rest: below the pid dir). */
enum pfs_ptrace_mode pfs_ptrace_mode_of(const char *rest);

#endif
