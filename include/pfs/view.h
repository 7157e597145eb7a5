/*
 * The view: what a caller sees of the backing proc under a policy. Pure core
 * (no FUSE); the FUSE layer maps each request onto one of these calls, and
 * `pfs policy explain` uses them on a live proc or a fixture tree.
 *
 * A location names a backing object twice: physically, as a path relative to
 * an anchor directory fd (the backing root, or a /proc/<pid> directory fd that
 * pins one process so that a reused pid can never reach it), and logically,
 * as the /proc path the policy and the classification see.
 */
#ifndef PFS_VIEW_H
#define PFS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pfs/buf.h"
#include "pfs/caller.h"
#include "pfs/oracle.h"
#include "pfs/pidns.h"
#include "pfs/policy.h"
#include "pfs/ppath.h"
#include "pfs/trace.h"

struct pfs_oracle;
struct pfs_sysinfo;
struct pfs_waits;

struct pfs_view {
	int backing_fd;
	struct pfs_pidns pidns; /* the backing's: callers' thread groups, pidfds of its processes */
	struct pfs_oracle *oracle; /* ptrace decisions in the mount's user ns; NULL: same ns */
	const struct pfs_policy *policy;
	struct pfs_idmap uidmap, gidmap; /* mount's user ns <-> daemon */
	uint64_t mount_userns_ino; /* 0: do not check callers' user ns */
	bool as_caller; /* make backing accesses with the caller's creds */
	bool pid_dirs_public; /* any uid may search the backing's process dirs (no hidepid) */
	bool enter_ns; /* enter the caller's namespaces for link text and sysctls */
	bool rw; /* mounted read-write */
	bool policy_uses_self; /* some rule has {self}: resolve caller tgids */
	unsigned long pidns_pid_max; /* kernel/pid_max of the backing's pid ns; 0: unknown */
	struct pfs_sysinfo *sysinfo; /* the sandbox's machine for `sysinfo virtual`; NULL: none */
	struct pfs_waits *waits; /* FUSE waits per thread (view_waits.c); NULL: not counted */
};

/*
 * FUSE waits per thread (view_waits.c): each request a thread sends the
 * daemon makes it sleep once; renders of its status and sched take them out.
 */
int pfs_waits_new(int backing_fd, struct pfs_waits **out);
void pfs_waits_free(struct pfs_waits *w);
/* Thread tid (of the backing's pid namespace) waits for one more answer. */
void pfs_waits_note(struct pfs_waits *w, pid_t tid);
uint64_t pfs_waits_of(struct pfs_waits *w, pid_t tid);

struct pfs_loc {
	int dirfd; /* anchor */
	const char *rel; /* relative to dirfd; "" is the anchor itself */
	const char *path; /* logical: "/proc/12/status" */
	struct pfs_ppath pp;
};

/* Fills loc->pp from loc->path. */
int pfs_loc_init(struct pfs_loc *loc, int dirfd, const char *rel, const char *path);
/* Call after setting v->policy. */
void pfs_view_policy_changed(struct pfs_view *v);

/* The policy's decision for this path and caller. */
void pfs_view_decide(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		     struct pfs_path_decision *d);
/* 0 when the caller may see loc at all; -ENOENT when hidden (policy, pid, fd, map). */
int pfs_view_visible(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		     const struct pfs_path_decision *d);
enum pfs_reach {
	PFS_REACH_SEE, /* look up, stat, open (open checks the action itself) */
	PFS_REACH_USE, /* read a link, list a directory, follow a relative link text */
};
/*
 * The decision for loc (d) and whether the caller can reach it: -ENOENT when
 * hidden; for PFS_REACH_USE also -EACCES when denied. The one check every
 * request makes before anything else.
 */
int pfs_view_reach(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		   enum pfs_reach how, struct pfs_path_decision *d);
/*
 * Puts this thread on the reference mount namespace and root (the sandbox
 * init's, v->enter_ns), where every decision is made. -errno on failure.
 */
int pfs_view_enter_reference(const struct pfs_view *v);
/*
 * Sets v->pid_dirs_public: whether an unprivileged uid can look into another
 * user's process directory of the backing (no hidepid), so that an lstat
 * there gives every caller the same answer. At start-up, before any thread.
 */
void pfs_view_probe_public(struct pfs_view *v);
/* Resolves c->tgid (nsfs ioctls, else <tid>/status); -ENOENT: the caller is not in the backing. */
int pfs_view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c);
/* Opens the reference at start-up (pfs_ns_reference_open); 0 without namespaces. */
int pfs_view_reference_open(const struct pfs_view *v);
/* Whether process pid is visible to the caller. */
int pfs_view_pid_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t pid);
/*
 * lstat of loc as the caller, ids mapped into the mount's user namespace;
 * sysctl entries in the caller's namespaces (v->enter_ns).
 */
int pfs_view_stat(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		  struct stat *st);
/* Text of /proc/self (thread=false) or /proc/thread-self for the caller. */
int pfs_view_self_link(const struct pfs_view *v, struct pfs_caller *c, bool thread,
		       struct pfs_buf *out);
/* readlink of loc as the caller, against the caller's root (v->enter_ns). */
int pfs_view_readlink(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		      struct pfs_buf *out);

/*
 * access(2) of loc for the caller (mask of R_OK, W_OK, X_OK): the policy's
 * answer (EROFS for a write it refuses, EACCES for denied) and then the
 * kernel's, asked with the caller's credentials on the backing object.
 */
int pfs_view_access(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		    const struct pfs_path_decision *d, int mask);
/* Checks an open of loc with flags (O_ACCMODE etc.): ENOENT, EACCES or EROFS. */
/* uid_map, gid_map or setgroups of a process: writable without a rule (nested namespaces). */
bool pfs_view_is_idmap(const struct pfs_loc *loc);
/*
 * Writes or reads an id map or setgroups through the oracle, as the caller in
 * its own user namespace (the kernel's checks and rendering are the opener's).
 */
int pfs_view_idmap_io(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		      enum pfs_access_op op, char *data, size_t len);
int pfs_view_open_check(const struct pfs_view *v, const struct pfs_loc *loc,
			const struct pfs_path_decision *d, int flags);
/*
 * Renders the content a read of loc returns: read as the caller, in the
 * namespaces the file needs (v->enter_ns), filtered.
 */
int pfs_view_render(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		    const struct pfs_path_decision *d, const struct pfs_trace *t,
		    struct pfs_buf *out);
/*
 * A render again for the same open, as pfs_view_render, that reads loc's file
 * through *kept: an fd of it opened as c by an earlier call (read from offset
 * 0, as the kernel renders a rewind of an open fd), or -1, and the fd this
 * render opens is left there for the next one; the caller closes it. Files
 * that bind more than their process at open (the mount tables) and files
 * read otherwise (siblings, the oracle, pieces) are opened afresh each time.
 */
int pfs_view_render_kept(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			 const struct pfs_path_decision *d, int *kept, struct pfs_buf *out);
/*
 * Whether the kernel lets the caller open loc for reading. After a failed
 * render: the kernel gives some errors at read (mem EIO, stack EACCES), and
 * the open must then succeed as it does natively.
 */
int pfs_view_open_probe(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc);
/*
 * Files read at offsets that are addresses (mem, pagemap) cannot be
 * snapshots: they are opened as the caller (an fd, read-only) and read in place.
 */
bool pfs_view_random_access(const struct pfs_loc *loc);
/*
 * Files whose backing reports changes with POLLPRI (the mount tables mounts
 * and mountinfo): an fd of it (pfs_view_open_fd) is polled for them.
 */
bool pfs_view_change_events(const struct pfs_loc *loc);
int pfs_view_open_fd(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc);
/* Writes to loc as the caller; only rw mounts and `writable` paths. */
ssize_t pfs_view_write(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		       const struct pfs_path_decision *d, const char *data, size_t len, off_t off);

/* Whether the caller may open directory loc (as opendir would). */
int pfs_view_opendir_check(const struct pfs_view *v, struct pfs_caller *c,
			   const struct pfs_loc *loc);

/*
 * Relative link texts (`pipe:[N]`, `socket:[N]`, `anon_inode:[eventfd]`,
 * `net:[N]`) come back as names in the fd/ or ns/ directory they were read
 * from (dir). Whether name is one of those; which entry has it as its link
 * text (entry) and the identity the kernel's stat through that link gives.
 */
bool pfs_view_is_magic_name(const struct pfs_loc *dir, const char *name);
/* The link text of an object outside the reader's root: "outside:[INODE]". */
#define PFS_OUTSIDE_PREFIX "outside:["
/*
 * Looks name up in dir for the caller: dir must be reachable (PFS_REACH_USE)
 * and a target the fd rules hide is as absent by name as by number. Relay
 * names `fd:N` resolve to fd N.
 */
int pfs_view_magic_lookup(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *dir,
			  const char *name, char *entry, size_t entry_len, struct stat *st);
/*
 * The relay name `fd:N` for the entry fd/N, as a link text (see view_magic.c).
 * Whether an absolute link text, resolved from the current thread's root,
 * reaches the object the link stands for: 1, 0, or -errno.
 */
int pfs_view_relay_name(const char *entry, struct pfs_buf *out);
int pfs_view_link_reaches(const struct pfs_loc *link, const char *text);
/*
 * Opens the object behind dir/entry as the caller (access mode, O_APPEND and
 * O_TRUNC of flags, non-blocking): an fd.
 */
int pfs_view_magic_open(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *dir,
			const char *entry, int flags);

struct pfs_dirent {
	const char *name;
	ino_t ino;
	unsigned char type; /* DT_* */
};
typedef int (*pfs_dirent_fn)(void *opaque, const struct pfs_dirent *e);
/* Lists loc (a directory) as the caller, without what the caller may not see. */
int pfs_view_list(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		  pfs_dirent_fn fn, void *opaque, const struct pfs_trace *t);

#endif
