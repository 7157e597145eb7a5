/*
 * Seeing as the caller. Link text (fd/N, exe, cwd, root, maps pathnames) is
 * rendered by the kernel against the reader's root, and some sysctls against
 * the reader's uts, ipc and net namespaces. A worker thread therefore moves
 * into the caller's mount namespace and root (and the other namespaces a file
 * needs) before reading. Each thread keeps what it entered last, so callers
 * that share namespaces cost a few stat calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/log.h"
#include "pfs/nsview.h"

struct thread_ns {
	ino_t mnt, uts, ipc, net, cgroup;
	bool at_reference; /* mnt and root are the reference's */
};

static __thread struct thread_ns tns;

/*
 * The reference: the mount namespace and root of the backing's pid 1 (the
 * sandbox's init). Held by fds from the first use, so it stays enterable for
 * the daemon's life.
 */
static struct {
	pthread_mutex_t lock;
	bool tried;
	int mnt_fd, root_fd;
	ino_t mnt_ino;
} ref = {PTHREAD_MUTEX_INITIALIZER, false, -1, -1, 0};

static bool ref_open(int backing_fd)
{
	pthread_mutex_lock(&ref.lock);
	if (!ref.tried) {
		ref.tried = true;
		struct stat st;
		ref.mnt_fd = openat(backing_fd, "1/ns/mnt", O_RDONLY | O_CLOEXEC);
		ref.root_fd = openat(backing_fd, "1/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ref.mnt_fd < 0 || ref.root_fd < 0 || fstat(ref.mnt_fd, &st) < 0)
			pfs_err("no reference root (pid 1 of the backing): %s; decisions are made "
				"on the daemon's own root",
				strerror(errno));
		else
			ref.mnt_ino = st.st_ino;
	}
	bool ok = ref.mnt_ino != 0;
	pthread_mutex_unlock(&ref.lock);
	return ok;
}

/*
 * setns(CLONE_NEWNS) fails with EINVAL, and chroot would move other threads
 * too, while this thread shares its fs_struct. It shares it with every worker
 * libfuse starts from it, until that worker unshares in turn: so unshare right
 * before each change, not once per thread (a no-op when not shared).
 */
static int private_fs(void)
{
	if (unshare(CLONE_FS) < 0) {
		pfs_err("unshare(CLONE_FS) failed: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

int pfs_ns_reference_adopt(int mnt_fd, int root_fd)
{
	struct stat st;
	if (fstat(mnt_fd, &st) < 0)
		return -errno;
	pthread_mutex_lock(&ref.lock);
	bool fresh = !ref.tried;
	if (fresh) {
		ref.tried = true;
		ref.mnt_fd = mnt_fd;
		ref.root_fd = root_fd;
		ref.mnt_ino = st.st_ino;
	}
	pthread_mutex_unlock(&ref.lock);
	return fresh ? 0 : -EBUSY;
}

int pfs_ns_reference_open(int backing_fd)
{
	return ref_open(backing_fd) ? 0 : -ENOENT;
}

int pfs_ns_reference_stat(int backing_fd, struct stat *root, ino_t *mnt_ino)
{
	if (!ref_open(backing_fd) || fstat(ref.root_fd, root) < 0)
		return -ENOENT;
	*mnt_ino = ref.mnt_ino;
	return 0;
}

int pfs_ns_enter_reference(int backing_fd)
{
	if (tns.at_reference || !ref_open(backing_fd))
		return 0;
	int r = private_fs();
	if (r < 0)
		return r;
	if (tns.mnt != ref.mnt_ino && setns(ref.mnt_fd, CLONE_NEWNS) < 0) {
		pfs_err("setns into the reference mount namespace failed: %s", strerror(errno));
		return -EIO;
	}
	tns.mnt = ref.mnt_ino;
	if (fchdir(ref.root_fd) < 0 || chroot(".") < 0) {
		pfs_err("chroot to the reference root failed: %s", strerror(errno));
		return -EIO;
	}
	tns.at_reference = true;
	return 0;
}

static int enter_one(int backing_fd, pid_t tid, const char *type, int nstype, ino_t *cur)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/ns/%s", tid, type);
	struct stat st;
	if (fstatat(backing_fd, rel, &st, 0) < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	if (st.st_ino == *cur)
		return 0;
	cleanup_close int fd = openat(backing_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	int r = nstype == CLONE_NEWNS ? private_fs() : 0;
	if (r < 0)
		return r;
	if (nstype == CLONE_NEWNS)
		tns.at_reference = false;
	if (setns(fd, nstype) < 0) {
		int e = errno;
		pfs_err("setns(%s) into caller %d's namespace failed: %s", type, tid, strerror(e));
		return -EIO;
	}
	*cur = st.st_ino;
	return 0;
}

static int enter_root(int backing_fd, pid_t tid)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/root", tid);
	struct stat want, have;
	if (fstatat(backing_fd, rel, &want, 0) < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	if (stat("/", &have) == 0 && have.st_dev == want.st_dev && have.st_ino == want.st_ino)
		return 0;
	cleanup_close int fd = openat(backing_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	int r = private_fs();
	if (r < 0)
		return r;
	tns.at_reference = false;
	if (fchdir(fd) < 0 || chroot(".") < 0) {
		int e = errno;
		pfs_err("chroot to caller %d's root failed: %s", tid, strerror(e));
		return -EIO;
	}
	return 0;
}

int pfs_ns_enter(int backing_fd, const struct pfs_caller *c, unsigned needs)
{
	if (!needs)
		return 0;
	if (c->tid <= 0)
		return -ENOENT;
	int r = 0;
	if (needs & PFS_NS_ROOT) {
		r = enter_one(backing_fd, c->tid, "mnt", CLONE_NEWNS, &tns.mnt);
		if (r == 0)
			r = enter_root(backing_fd, c->tid);
	}
	if (r == 0 && (needs & PFS_NS_UTS))
		r = enter_one(backing_fd, c->tid, "uts", CLONE_NEWUTS, &tns.uts);
	if (r == 0 && (needs & PFS_NS_IPC))
		r = enter_one(backing_fd, c->tid, "ipc", CLONE_NEWIPC, &tns.ipc);
	if (r == 0 && (needs & PFS_NS_NET))
		r = enter_one(backing_fd, c->tid, "net", CLONE_NEWNET, &tns.net);
	if (r == 0 && (needs & PFS_NS_CGROUP))
		r = enter_one(backing_fd, c->tid, "cgroup", CLONE_NEWCGROUP, &tns.cgroup);
	return r;
}

int pfs_ns_save(struct pfs_ns_saved *s)
{
	s->mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	s->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->mnt < 0 || s->root < 0 || s->cwd < 0) {
		int e = errno;
		pfs_ns_restore(s);
		return -e;
	}
	return 0;
}

int pfs_ns_restore(struct pfs_ns_saved *s)
{
	int r = 0;
	if (s->mnt >= 0 && s->root >= 0 && s->cwd >= 0) {
		if (private_fs() < 0 || setns(s->mnt, CLONE_NEWNS) < 0 || fchdir(s->root) < 0 ||
		    chroot(".") < 0 || fchdir(s->cwd) < 0)
			r = -errno;
		else
			memset(&tns, 0, sizeof(tns));
	}
	int *fds[] = {&s->mnt, &s->root, &s->cwd};
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	return r;
}
