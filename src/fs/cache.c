/*
 * What the kernel may cache, and its exact invalidation (docs/compat.md,
 * "Caching in the kernel").
 *
 * The kernel's dentry and attribute caches are shared by every caller of the
 * mount: an entry or attribute given a timeout is served to the next caller
 * without asking us. So a timeout is given only to an answer that is the same
 * for every caller who can reach it, and only while an event tells us when it
 * stops being true.
 *
 * Global entries: one answer per policy; a reload invalidates them (setup.c).
 *
 * Process directories (/proc/<pid>) and the entries directly in them, when
 * the policy's pid visibility cannot depend on the caller or on what the
 * process does (shared_pids()):
 *  - `pids all`, no hide-pid rule: every process is visible to every caller.
 *    `pids same-uid` and `pids tree` depend on the caller, comm and exe rules
 *    on a name the process changes without telling anyone: never cached.
 *  - no {self} rule: the path decision is then a function of the path, the
 *    same for every caller (`process-memory deny` only turns an open into
 *    EACCES, and OPEN always reaches the daemon).
 *  - the lookup is an lstat of an entry in /proc or in /proc/<pid>, both
 *    searchable by everyone (0555): it succeeds for every caller alike, and
 *    the attributes it gives (owner, mode) are the process's, not the
 *    caller's.
 * Deeper entries (fd/N, task/T, ns/, net/) keep the old rules: their lookup
 * and attributes may depend on the caller (ptrace checks, fd rules).
 *
 * A cached /proc/<pid> entry stays true while its process lives. The node is
 * tied to the process, not to the number: its anchor fd pins the process
 * (node.c), and a pidfd of the same process, polled by a thread here, says
 * when it exits. At exit the entry is invalidated and the node is no longer
 * cached (a zombie is looked up every time, as it goes away at reaping).
 * A process whose pidfd cannot be had (a thread that is not a group leader,
 * no way to translate a sandbox pid) is never cached.
 *
 * Should a request still reach an old node after its pid was reused (the
 * kernel walked a cached entry before the exit's invalidation landed), it is
 * answered ESTALE, never with the old process: the kernel then walks the path
 * again, revalidating every entry (LOOKUP_REVAL), and reaches the new
 * process's node. Never a negative entry for a numeric name: failed lookups
 * are plain errors, which the kernel does not cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"
#include "pfs/pidns.h"
#include "pfs/ppath.h"

/* A process entry is kept this long at most; its exit invalidates it at once. */
#define PID_ENTRY_TIMEOUT 60.0
/* Attributes of the entries in a process directory (owner, mode): see attr_timeout(). */
#define PID_CHILD_ATTR_TIMEOUT 1.0
/* Global entries, the same for every caller under one policy. */
#define GLOBAL_TIMEOUT 1.0

enum { WATCH_NONE, WATCH_LIVE, WATCH_EXITED, WATCH_NEVER };

struct pfs_cache {
	int epfd; /* the pidfds of watched processes (owned by their nodes) */
	int stopfd;
	atomic_bool usable; /* pidfds can be had for backing pids */
	pthread_t thread;
	bool running;
};

/* Called with the policy read-locked. */
static bool shared_pids(const struct pfs_fs *fs)
{
	const struct pfs_policy *p = fs->view.policy;
	return fs->cache && atomic_load(&fs->cache->usable) && p->pids_mode == PFS_PIDS_ALL &&
	       p->n_pid_rules == 0 && !fs->view.policy_uses_self;
}

/* The /proc/<pid> directory n is or is directly in; NULL for anything else. */
static const struct pfs_node *pid_dir_of(const struct pfs_fs *fs, const struct pfs_node *n)
{
	const struct pfs_node *a = n->anchor;
	if (!a || a->parent != &fs->root || n->magic)
		return NULL;
	return n == a || n->parent == a ? a : NULL;
}

/* Whether n's answers may be cached as shared; policy read-locked. */
static bool shared_node(const struct pfs_fs *fs, const struct pfs_node *n)
{
	const struct pfs_node *a = pid_dir_of(fs, n);
	return a && shared_pids(fs) && atomic_load(&a->cache_state) == WATCH_LIVE;
}

/*
 * Attributes. The process directory's are never cached: `stat /proc/PID` is
 * how tools learn that a process lives and who owns it (procps reads the
 * euid from it), and each stat reaches the daemon, which answers from the
 * pinned process. The entries in it may keep theirs for a second: the same
 * for every caller; an owner change (setuid, dumpable) shows within that
 * second, as for global files.
 */
double pfs_cache_timeout(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (shared_node(fs, n))
		return n == n->anchor ? 0.0 : PID_CHILD_ATTR_TIMEOUT;
	return n->per_caller ? 0.0 : GLOBAL_TIMEOUT;
}

/*
 * Entries. Shared process entries: above. Otherwise a file or link directly
 * in a process directory may stay in the dentry cache for a second: its
 * directory is looked up every time (visibility, pid reuse), and OPEN and
 * READLINK always reach the daemon. Not with {self} rules, which make a
 * decision below a pid directory depend on the caller.
 */
double pfs_entry_timeout(struct pfs_fs *fs, const struct pfs_node *n)
{
	if (shared_node(fs, n))
		return PID_ENTRY_TIMEOUT;
	if (!n->per_caller)
		return GLOBAL_TIMEOUT;
	if (n->type != S_IFDIR && n->anchor && n->parent == n->anchor && !fs->view.policy_uses_self)
		return GLOBAL_TIMEOUT;
	return 0.0;
}

/* A pidfd of the process the anchor of a (a /proc/<pid> node) pins, or -errno. */
static int pidfd_of(const struct pfs_fs *fs, const struct pfs_node *a)
{
	pid_t pid = pfs_parse_pid(a->name, strlen(a->name));
	if (!pid)
		return -EINVAL;
	if (pfs_node_reaped(a))
		return -ESRCH;
	int r = pfs_pidns_to_ours(&fs->view.pidns, pid, &pid);
	if (r < 0)
		return r;
	/* A thread that does not lead its group: EINVAL, and it is not cached. */
	int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Alive now, so alive since the first check: the number named it when
	 * translated and when opened, and fd is its pidfd, not a successor's.
	 */
	if (pfs_node_reaped(a)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/*
 * Starts watching the process of pid directory a (once); policy read-locked.
 * The pidfd is the node's (node.c closes it with the node, which also takes
 * it out of the epoll set); the event names the pid and the fd.
 */
static void watch(struct pfs_fs *fs, struct pfs_node *a)
{
	struct pfs_cache *cc = fs->cache;
	if (atomic_load(&a->cache_state) != WATCH_NONE)
		return;
	int fd = pidfd_of(fs, a);
	pid_t pid = pfs_parse_pid(a->name, strlen(a->name));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
				 .data.u64 = (uint64_t)(uint32_t)fd << 32 | (uint32_t)pid};
	pthread_mutex_lock(&fs->nodes_lock);
	if (atomic_load(&a->cache_state) != WATCH_NONE) {
		pthread_mutex_unlock(&fs->nodes_lock);
		if (fd >= 0)
			close(fd);
		return;
	}
	int state = WATCH_NEVER; /* a thread that does not lead its group, or no pidfd */
	if (fd >= 0 && epoll_ctl(cc->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
		a->pidfd = fd;
		fd = -1;
		state = WATCH_LIVE;
	} else if (fd == -ESRCH) {
		state = WATCH_EXITED;
	}
	atomic_store(&a->cache_state, state);
	pthread_mutex_unlock(&fs->nodes_lock);
	if (fd >= 0)
		close(fd);
}

void pfs_cache_entry(struct pfs_fs *fs, struct pfs_node *n, struct fuse_entry_param *e)
{
	if (n == n->anchor && n->parent == &fs->root && shared_pids(fs))
		watch(fs, n);
	e->attr_timeout = pfs_cache_timeout(fs, n);
	e->entry_timeout = pfs_entry_timeout(fs, n);
}

/* A watched process exited: its entry goes, its node is no longer cached. */
static void exited(struct pfs_fs *fs, uint64_t data)
{
	int fd = (int)(data >> 32);
	char name[16];
	snprintf(name, sizeof(name), "%u", (unsigned)(uint32_t)data);
	struct pfs_inval_list l = {0};
	pthread_mutex_lock(&fs->nodes_lock);
	struct pfs_node *a = NULL;
	HASH_FIND_STR(fs->root.children, name, a);
	/*
	 * Only the node that holds this pidfd, and only if it has exited: a
	 * freed node's fd number may be another's now. A process replaced by
	 * a new one under the same name (a detached node) needs no invalidation.
	 */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (a && a->pidfd == fd && poll(&p, 1, 0) == 1) {
		atomic_store(&a->cache_state, WATCH_EXITED);
		close(a->pidfd);
		a->pidfd = -1;
		pfs_inval_push(fs, &l, &fs->root, a->name);
	}
	pthread_mutex_unlock(&fs->nodes_lock);
	/* Outside the lock: the kernel may answer with FORGETs that take it. */
	pfs_inval_flush(fs, &l);
}

static void *watcher_main(void *arg)
{
	struct pfs_fs *fs = arg;
	struct pfs_cache *cc = fs->cache;
	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(cc->epfd, ev, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == UINT64_MAX)
				return NULL; /* stopfd */
			exited(fs, ev[i].data.u64);
		}
	}
	pfs_err("the exit watcher stopped (%s): process entries are no longer cached",
		strerror(errno));
	atomic_store(&cc->usable, false);
	return NULL;
}

void pfs_cache_start(struct pfs_fs *fs)
{
	struct pfs_cache *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return;
	cc->epfd = epoll_create1(EPOLL_CLOEXEC);
	cc->stopfd = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
	int r = cc->epfd < 0 || cc->stopfd < 0 ? -errno : 0;
	/* pidfds are opened by the daemon's numbers of the backing's processes */
	if (r == 0 && !pfs_pidns_maps_to_ours(&fs->view.pidns))
		r = -EOPNOTSUPP;
	if (r == 0 && epoll_ctl(cc->epfd, EPOLL_CTL_ADD, cc->stopfd, &ev) < 0)
		r = -errno;
	fs->cache = cc;
	if (r == 0)
		r = -pthread_create(&cc->thread, NULL, watcher_main, fs);
	cc->running = r == 0;
	atomic_store(&cc->usable, r == 0);
	if (r < 0)
		pfs_info("process entries are not cached: no exit watcher (%s)", strerror(-r));
}

void pfs_cache_stop(struct pfs_fs *fs)
{
	struct pfs_cache *cc = fs->cache;
	if (!cc)
		return;
	if (cc->running) {
		uint64_t one = 1;
		if (write(cc->stopfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(cc->thread, NULL);
	}
	const int fds[] = {cc->epfd, cc->stopfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(cc);
	fs->cache = NULL;
}

/*
 * An error on a node whose process is gone while its number names another
 * process now: the kernel reached an old node through a cached entry. ESTALE
 * makes it walk the path again with every entry revalidated (LOOKUP_REVAL),
 * to the new process. Only for requests of a path walk (lookup, stat by
 * name, open, opendir, readlink, access): there the kernel retries, once. A
 * walk that starts at a directory fd of the old process (openat) reaches it
 * again on the retry: the second answer to the same thread is the native
 * ENOENT.
 */
int pfs_cache_stale(struct pfs_fs *fs, fuse_req_t req, const struct pfs_node *n, int r)
{
	if (r != -ENOENT && r != -ESRCH)
		return r;
	struct pfs_node *a = n->anchor;
	while (a && a->parent != &fs->root)
		a = a->parent->anchor;
	if (!a || a->anchor_fd < 0)
		return r;
	if (!pfs_node_reaped(a))
		return r; /* still there: the error is its own */
	struct stat st;
	if (fstatat(fs->view.backing_fd, a->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_ino == a->backing_ino)
		return r;
	pid_t tid = fuse_req_ctx(req)->pid;
	if (atomic_exchange(&a->stale_tid, tid) == tid)
		return r;
	return -ESTALE;
}
