/* The FUSE layer's shared state. Thin: requests map onto the core view. */
#ifndef PFS_FS_I_H
#define PFS_FS_I_H

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "pfs/budget.h"
#include "pfs/buf.h"
#include "pfs/idtable.h"
#include "pfs/policy.h"
#include "pfs/pool.h"
#include "pfs/view.h"

struct pfs_fs_options {
	char *backing; /* backing=DIR (default /proc) */
	int backing_fd; /* backing_fd=N (inherited), -1 if unset */
	char *policy; /* policy=FILE */
	char *tenant; /* tenant=NAME */
	char *policy_dir; /* policy_dir=DIR */
	int rw; /* rw: writable mount (writes still need a `writable` rule) */
	int ro;
	size_t snapshot_max; /* snapshot_max=BYTES: cap on snapshots and render buffers */
	unsigned threads; /* threads=N: max worker threads */
	unsigned renders; /* renders=N: threads of large renders (sched.c) */
	unsigned relays; /* relays=N: threads of blocked pipe and tty relays (magic.c) */
	unsigned rewind_fds; /* rewind_fds=N: backing fds kept for rewinds (ops_file.c) */
	int ready_fd; /* ready_fd=N: one byte written when serving */
	int userns_fd; /* userns_fd=N: the mount's user namespace, -1 if unset */
	int enter_ns; /* enter_ns=0 disables entering callers' namespaces */
	unsigned long pidns_pid_max; /* pidns_pid_max=N: kernel/pid_max of the backing's pid ns */
	int cgroup_pid; /* cgroup_pid=PID: `sysinfo virtual` from this process's cgroups */
	int idtable_fd; /* idtable_fd=N: the supervisor's id table (node_id.c), -1 if unset */
	int standby_fd; /* standby_fd=N: a spare, serving once a byte arrives (fuse_raw.c) */
	int ref_mnt_fd, ref_root_fd; /* the reference's mount ns and root, inherited; -1 */
};

/*
 * An inode. Nodes under /proc/<pid> are anchored on an fd of that pid's (or
 * tid's) backing directory, taken at lookup: it pins the process, so a reused
 * pid can never reach the old process's node. Its FUSE id is a record of the
 * id table (node_id.c), so a later daemon can resolve it again; root = 1.
 */
struct pfs_node {
	uint64_t id; /* the FUSE node id */
	struct pfs_node *parent;
	char *name;
	char *path; /* logical: "/proc/12/status" */
	const char *rel; /* relative to the anchor; points into path */
	int anchor_fd; /* owned when this node is a pid/tid directory, else -1 */
	struct pfs_node *anchor; /* nearest ancestor-or-self with anchor_fd; NULL: backing root */
	ino_t backing_ino; /* the backing's st_ino when looked up (pid dirs: identity) */
	mode_t type; /* S_IFDIR, S_IFLNK, S_IFREG */
	uint64_t nlookup; /* nodes_lock */
	/* children and open handles keep a node alive: changed atomically, and taken to 0
	 * only under nodes_lock (pfs_node_unref) */
	_Atomic unsigned refs;
	bool detached; /* removed from the parent's children (stale process); nodes_lock */
	bool per_caller; /* answers differ between callers: never cached */
	bool magic; /* a relative link text in fd/ or ns/ (magic.c) */
	_Atomic int cache_state; /* a /proc/<pid> node: is its process watched (cache.c) */
	int pidfd; /* owned: its process's pidfd while watched (cache.c), else -1; nodes_lock */
	_Atomic pid_t stale_tid; /* the last thread told ESTALE about this old process */
	struct stat *last_attr; /* a process file's last attributes (fstat once gone); nodes_lock */
	atomic_bool rendered_long; /* its file rendered long once: large renders (sched.c) */
	struct pfs_node *children; /* nodes_lock */
	UT_hash_handle hh;
};

/*
 * The daemon's state: the session's userdata (fuse_req_userdata), so nothing
 * in src/fs is global. Each field says what guards it.
 */
/* The thread that invalidates entries of reaped processes (reap.c). */
struct pfs_reaper {
	pthread_t thread;
	bool running; /* set by start and stop only */
	bool stop; /* lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Node ids and file handles: id table records (node_id.c, handles.c). */
struct pfs_ids {
	struct pfs_idtable t; /* its allocation: lock */
	pthread_mutex_t lock;
	_Atomic(uintptr_t) *objs; /* slot -> this daemon's node or handle, 0 if none */
	size_t objs_bytes;
	struct pfs_node stale; /* what an id that cannot be resolved again is */
	uint64_t frees; /* records freed: lock */
	uint64_t trimmed_at; /* frees at the last trim: lock */
};

struct pfs_fs {
	struct pfs_fs_options opt; /* set before serving, then read-only */
	struct fuse_session *se; /* set before serving */
	/* view.policy and view.policy_uses_self: policy_lock (written by reload);
	 * the rest of the view: set before serving, then read-only */
	struct pfs_view view;
	pthread_rwlock_t policy_lock;
	char *policy_path; /* resolved, for reload; set before serving */
	pthread_mutex_t nodes_lock;
	struct pfs_node root; /* the node tree (children, nlookup, refs, detached): nodes_lock */
	struct pfs_budget budget; /* snapshot_max: snapshots and render buffers; its own lock */
	struct pfs_budget relay_slots; /* relays waiting on a pipe (magic.c); its own lock */
	struct pfs_budget
		rewind_slots; /* rewind_fds: kept backing fds (ops_file.c); its own lock */
	struct pfs_pool *render_pool; /* renders in turns (sched.c); set while serving */
	struct pfs_pool *large_pool; /* large renders in turns (sched.c); set while serving */
	struct pfs_pool *relays; /* relays waiting on a pipe (magic.c); set while serving */
	atomic_uint_fast64_t nodes_freed; /* nodes freed since start: atomic */
	struct pfs_reaper reaper; /* reap.c; its own lock */
	struct pfs_ids ids; /* node_id.c; its own lock, under nodes_lock when both */
	struct pfs_poller *poller; /* ops_poll.c; its own lock; NULL: poll() reports no change */
	bool debug; /* set before serving */
	struct pfs_cache *cache; /* cache.c: set before serving; its own lock */
};

static inline struct pfs_fs *pfs_req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Node table (node.c). */
struct pfs_node *pfs_node_get(struct pfs_fs *fs, fuse_ino_t ino);
fuse_ino_t pfs_node_ino(struct pfs_fs *fs, const struct pfs_node *n);
/* Finds or creates parent/name for a lookup; takes one lookup reference. */
int pfs_node_lookup(struct pfs_fs *fs, struct pfs_node *parent, const char *name,
		    struct pfs_node **out, struct stat *st, struct pfs_caller *c);
void pfs_node_forget(struct pfs_fs *fs, struct pfs_node *n, uint64_t nlookup);
void pfs_node_ref(struct pfs_fs *fs, struct pfs_node *n);
void pfs_node_unref(struct pfs_fs *fs, struct pfs_node *n);
/* Location of node for the core view. */
void pfs_node_loc(struct pfs_fs *fs, const struct pfs_node *n, struct pfs_loc *loc);
void pfs_nodes_init(struct pfs_fs *fs);
struct pfs_node *pfs_node_new(struct pfs_node *parent, const char *name, char *path, int anchor_fd,
			      ino_t backing_ino, mode_t type);
/* Links a new node under parent (with nodes_lock): its children, or detached if taken. */
void pfs_node_attach(struct pfs_node *parent, struct pfs_node *n);

/* Node ids (ids.c; node_id.c resolves them). init: 0 or -errno; the table of fd, or a private one when fd < 0. */
int pfs_ids_init(struct pfs_fs *fs, int fd);
void pfs_ids_destroy(struct pfs_fs *fs);
/* With nodes_lock: records a new node (its id); -ENOSPC when the table is full. */
int pfs_node_id_assign(struct pfs_fs *fs, struct pfs_node *n);
/* With nodes_lock: the kernel's lookup count changed. */
void pfs_node_id_count(struct pfs_fs *fs, const struct pfs_node *n);
/* With nodes_lock: the node is freed; so is its id. */
void pfs_node_id_release(struct pfs_fs *fs, const struct pfs_node *n);
/* The node of id: this daemon's, or resolved again from the table; ids.stale if neither. */
struct pfs_node *pfs_node_id_find(struct pfs_fs *fs, uint64_t id);
/* Gives back the memory of free records, if any were freed since the last time (the reaper). */
void pfs_ids_trim(struct pfs_fs *fs);
/* This daemon's object of id (a node or handle, as the record's state st says), or NULL. */
void *pfs_ids_obj(struct pfs_fs *fs, uint64_t id, int st);
/* The slot of id in this daemon's object array, NULL when out of range (ids.c). */
_Atomic(uintptr_t) *pfs_ids_slot(struct pfs_fs *fs, uint64_t id);
/* Field 22 of the stat of the process directory dirfd: its start time; 0 if unknown. */
uint64_t pfs_proc_start_time(int dirfd);

/* File handles (handles.c): fh values that a later daemon recognises as not its own. */
/* What a handle served (bytes or entries, and their hash): a later daemon compares its own. */
struct pfs_fh_served {
	uint64_t size;
	uint64_t hash;
};
/* A handle of obj on n, its record already noting what it served (one ids.lock). */
int pfs_fh_new(struct pfs_fs *fs, void *obj, const struct pfs_node *n, unsigned flags,
	       struct pfs_fh_served served, uint64_t *fh);
/* This daemon's object of fh, or NULL: a handle of a previous daemon (an orphan). */
void *pfs_fh_obj(struct pfs_fs *fs, uint64_t fh);
/* Records what fh serves now, after a render or listing again. */
void pfs_fh_note(struct pfs_fs *fs, uint64_t fh, struct pfs_fh_served served);
void pfs_fh_free(struct pfs_fs *fs, uint64_t fh);
/*
 * Orphans: handles a dead daemon opened (orphan.c). ops_file.c and ops_dir.c
 * give what a handle of theirs is made and served with.
 */
struct pfs_orphan_kind {
	unsigned flags; /* PFS_IDREC_DIR for directories */
	/* A handle of n for c as open makes it: 0, and in *served and *hash what a
	 * read would give (bytes or entries), or -errno. *comparable: false when
	 * the content is not held (read in place, or an error at read). */
	int (*open)(struct pfs_fs *fs, struct pfs_node *n, struct pfs_caller *c, void **h,
		    uint64_t *served, uint64_t *hash, bool *comparable);
	void (*adopt)(struct pfs_fs *fs, void *h, uint64_t fh); /* h is now fh's */
	void (*close)(struct pfs_fs *fs, void *h);
	void (*serve)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi);
};
bool pfs_fh_orphan(struct pfs_fs *fs, const struct fuse_file_info *fi);
/* The first read (readdir) of an orphan: taken over, then served, EOF or ESTALE. Replies. */
void pfs_orphan_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi, const struct pfs_orphan_kind *kind);
void pfs_orphan_release(fuse_req_t req, struct fuse_file_info *fi);
void pfs_nodes_destroy(struct pfs_fs *fs);
/*
 * The attributes a process's file had at its last lookup or stat, so that an
 * fstat of an open file still answers once its process is reaped, as the
 * kernel does (FUSE's GETATTR names no file handle for fstat, and the kernel
 * keeps a proc inode's last attributes). false if none were kept.
 */
void pfs_node_keep_attr(struct pfs_fs *fs, struct pfs_node *n, const struct stat *st);
bool pfs_node_last_attr(struct pfs_fs *fs, struct pfs_node *n, struct stat *st);
/* Nodes freed since start (the kernel forgot them). */
uint64_t pfs_nodes_freed(struct pfs_fs *fs);

/* Entries to invalidate in the kernel, collected under nodes_lock (reap.c). */
struct pfs_inval {
	fuse_ino_t parent;
	char *name;
};
struct pfs_inval_list {
	struct pfs_inval *v;
	size_t len, cap;
};
int pfs_inval_push(struct pfs_fs *fs, struct pfs_inval_list *l, const struct pfs_node *parent,
		   const char *name);
/* Sends the invalidations (without nodes_lock) and empties l. */
void pfs_inval_flush(struct pfs_fs *fs, struct pfs_inval_list *l);
/* Invalidates the entries of reaped processes and threads, so their nodes get forgotten. */
void pfs_nodes_reap(struct pfs_fs *fs);
void pfs_fs_start_reaper(struct pfs_fs *fs);
void pfs_fs_stop_reaper(struct pfs_fs *fs);

/* Each sender's FUSE waits are counted (waits.c): the table, before serving... */
void pfs_fs_count_waits(struct pfs_fs *fs);
/* ...and each request (n bytes read), as the session's read (fuse_raw.c) sees it. */
void pfs_waits_seen(struct pfs_fs *fs, const void *buf, ssize_t n);

/* poll() on mount tables (ops_poll.c). */
struct pfs_poll_watch;
void pfs_poller_start(struct pfs_fs *fs);
void pfs_poller_stop(struct pfs_fs *fs);
/* At open: a watch of loc's backing for change events, or NULL when it has none. */
struct pfs_poll_watch *pfs_poll_watch(struct pfs_fs *fs, struct pfs_caller *opener,
				      const struct pfs_loc *loc);
void pfs_poll_unwatch(struct pfs_fs *fs, struct pfs_poll_watch *w);
/*
 * Whether the watched table changed since *seen (a snapshot of it is stale:
 * natively a read shows the table of the moment); updates *seen.
 */
bool pfs_poll_stale(struct pfs_fs *fs, struct pfs_poll_watch *w, uint64_t *seen);
/* Answers a FUSE_POLL of a file with watch w (NULL: none, always ready); takes ph. */
void pfs_poll_reply(fuse_req_t req, struct pfs_poll_watch *w, struct fuse_pollhandle *ph);

/* Request context (request.c). */
void pfs_req_caller(fuse_req_t req, struct pfs_caller *c);
void pfs_policy_rdlock(struct pfs_fs *fs);
void pfs_policy_unlock(struct pfs_fs *fs);

/*
 * What the kernel may cache (cache.c). Timeouts: zero for anything that may
 * differ between callers. Call with the policy read-locked.
 */
double pfs_cache_timeout(struct pfs_fs *fs, const struct pfs_node *n);
double pfs_entry_timeout(struct pfs_fs *fs, const struct pfs_node *n);
/* Both timeouts of a lookup's reply; starts watching a process directory's process. */
void pfs_cache_entry(struct pfs_fs *fs, struct pfs_node *n, struct fuse_entry_param *e);
/* r, or -ESTALE when n's process is gone and its number reused (a path walk retries). */
int pfs_cache_stale(struct pfs_fs *fs, fuse_req_t req, const struct pfs_node *n, int r);
void pfs_cache_start(struct pfs_fs *fs);
void pfs_cache_stop(struct pfs_fs *fs);

/* Logs a failed operation: expected denials at debug level, the rest as errors. */
void pfs_log_failure(const char *op, const char *path, int err);

/* The process of n's anchor was reaped: its directory has no entries left (a zombie's has). */
bool pfs_node_reaped(const struct pfs_node *n);
/* The process n's node belongs to has gone: its anchor fd was closed. */
bool pfs_node_gone(const struct pfs_node *n);

/* What the blocked caller is doing (intent.c). */
enum pfs_intent { PFS_INTENT_OTHER, PFS_INTENT_READLINK, PFS_INTENT_STAT };
enum pfs_intent pfs_caller_intent(const struct pfs_fs *fs, const struct pfs_caller *c);
/* The caller stats an open fd (fstat, AT_EMPTY_PATH), not a path (intent.c). */
bool pfs_caller_stats_fd(const struct pfs_fs *fs, const struct pfs_caller *c);

/* Relative link texts and relay names as names (node.c): what a lookup and a stat see. */
bool pfs_magic_name(struct pfs_fs *fs, const struct pfs_node *dir, const char *name);
/* Identity of dir/name; the target's own type only if real_type, else as opened. */
int pfs_magic_stat(struct pfs_fs *fs, const struct pfs_node *dir, const char *name,
		   struct pfs_caller *c, bool real_type, struct stat *st);
int pfs_magic_lookup_stat(struct pfs_fs *fs, const struct pfs_node *dir, const char *name,
			  struct pfs_caller *c, struct stat *st);
int pfs_magic_getattr(struct pfs_fs *fs, const struct pfs_node *n, struct pfs_caller *c,
		      struct stat *st);
/* Replaces the text of an fd/N link that a non-readlink caller follows but cannot reach (magic.c). */
void pfs_magic_follow(const struct pfs_fs *fs, struct pfs_caller *c, const struct pfs_loc *link,
		      struct pfs_buf *text);
/* Opening one: a relay to the real object (magic.c). */
void pfs_magic_open(fuse_req_t req, struct pfs_node *n, struct fuse_file_info *fi);
void pfs_magic_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi);
void pfs_magic_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi);
void pfs_magic_setattr(fuse_req_t req, struct pfs_node *n, struct stat *attr, int to_set,
		       struct fuse_file_info *fi);
void pfs_magic_release(fuse_req_t req, struct fuse_file_info *fi);
/* Relay slots: blocked relay reads and writes, bounded by the worker count. */
void pfs_magic_init(struct pfs_fs *fs);
void pfs_magic_destroy(struct pfs_fs *fs);

/*
 * The render and relay pools (sched.c): started once serving (after the
 * daemon forked), stopped when the session ends.
 */
int pfs_sched_start(struct pfs_fs *fs);
void pfs_sched_stop(struct pfs_fs *fs);
/* A request answered later, from a pool's thread. */
struct pfs_deferred;
/* Serves d->req; err: -EINTR when it must not (interrupted, or the daemon stops). */
typedef void pfs_serve_fn(struct pfs_deferred *d, int err);
struct pfs_deferred {
	struct pfs_pool_job job; /* first: the job is the allocation */
	fuse_req_t req;
	pfs_serve_fn *serve;
	void *arg; /* the file or directory handle */
	struct fuse_file_info fi; /* open: a copy of the request's */
	size_t size; /* read, readdir */
	off_t off;
};
/*
 * Serves req in owner's turn on the render pool (large: the large render
 * pool), at once on this thread when nobody waits; false when it cannot (no
 * pool): serve it now.
 */
bool pfs_sched_defer(struct pfs_fs *fs, bool large, pid_t owner, fuse_req_t req,
		     pfs_serve_fn *serve, void *arg, const struct fuse_file_info *fi, size_t size,
		     off_t off);
/* Where loc's renders run (sched.c). */
enum pfs_render_class {
	PFS_RENDER_SMALL, /* on the render pool, or at once on the FUSE worker */
	PFS_RENDER_CAPPED, /* as a small one, under PFS_RENDER_CAP: past it, as a large one */
	PFS_RENDER_LARGE, /* on the large render pool */
};
/* The bytes a capped render may hold (its backing text and its output). */
#define PFS_RENDER_CAP (512u << 10)
/* rendered_long: a render of the node's file outgrew the cap, or its snapshot was big. */
enum pfs_render_class pfs_sched_class(const struct pfs_loc *loc, bool rendered_long);

/* Each thread group may hold this fraction of the snapshot budget. */
#define PFS_SNAPSHOT_SHARE_DIV 2

/* Handlers. */
void pfs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void pfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void pfs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void pfs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi);
void pfs_op_readlink(fuse_req_t req, fuse_ino_t ino);
void pfs_op_statfs(fuse_req_t req, fuse_ino_t ino);
void pfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask);
void pfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void pfs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void pfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi);
void pfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		 struct fuse_pollhandle *ph);

/* Name-level changes, refused (ops_refuse.c). */
void pfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void pfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void pfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void pfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void pfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void pfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void pfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags);
void pfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void pfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags);
void pfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* Serving a connection another daemon may have served (fuse_raw.c). */
int pfs_raw_attach(struct pfs_fs *fs, const char *mountpoint);
int pfs_raw_takeover(struct pfs_fs *fs, int fd);
/* A spare daemon: says 'P' on ready_fd, waits for a byte on standby_fd (exits at EOF). */
void pfs_raw_standby(struct pfs_fs *fs);

/* Startup (setup.c). */
int pfs_fs_setup(struct pfs_fs *fs, struct pfs_error *err);
int pfs_fs_load_policy(struct pfs_fs *fs, struct pfs_policy **out, struct pfs_error *err);
void pfs_fs_start_reload_thread(struct pfs_fs *fs);
/* Loads the policy file again; a bad one leaves the old policy active. */
void pfs_fs_reload(struct pfs_fs *fs);

#endif
