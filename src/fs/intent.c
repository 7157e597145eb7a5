/*
 * What the caller is doing. A FUSE READLINK or LOOKUP does not say whether
 * the kernel is reading a link for readlink(2), following it for an open, or
 * following it for a stat; natively proc's magic links behave the same in
 * each case, but a FUSE symlink is followed by its text and a FUSE inode's
 * type decides how an open treats it. The caller is blocked in its system
 * call while the request is served, so the backing's <tid>/syscall names the
 * call (read as the daemon: it is an identity, never shown to the caller).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"

/* The caller's current system call number and its first arguments, or -errno. */
static long caller_syscall_args(int backing_fd, const struct pfs_caller *c, unsigned long *args,
				int nargs)
{
	if (c->tid <= 0)
		return -ENOENT;
	char rel[32];
	snprintf(rel, sizeof(rel), "%d/syscall", (int)c->tid);
	cleanup_close int fd = openat(backing_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char text[256];
	ssize_t n = read(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	text[n] = '\0';
	char *end;
	long nr = strtol(text, &end, 10);
	if (end == text)
		return -EIO;
	for (int i = 0; i < nargs; i++) {
		char *p = end;
		args[i] = strtoul(p, &end, 16);
		if (end == p)
			return -EIO;
	}
	return nr;
}

static long caller_syscall(int backing_fd, const struct pfs_caller *c)
{
	return caller_syscall_args(backing_fd, c, NULL, 0);
}

bool pfs_caller_stats_fd(const struct pfs_fs *fs, const struct pfs_caller *c)
{
	unsigned long a[4] = {0};
	switch (caller_syscall_args(fs->view.backing_fd, c, a, 4)) {
#ifdef __NR_fstat
	case __NR_fstat:
		return true;
#endif
#ifdef __NR_newfstatat
	case __NR_newfstatat:
		return a[3] & AT_EMPTY_PATH;
#endif
	case __NR_statx:
		return a[2] & AT_EMPTY_PATH;
	default:
		return false;
	}
}

enum pfs_intent pfs_caller_intent(const struct pfs_fs *fs, const struct pfs_caller *c)
{
	switch (caller_syscall(fs->view.backing_fd, c)) {
#ifdef __NR_readlink
	case __NR_readlink:
#endif
	case __NR_readlinkat:
		return PFS_INTENT_READLINK;
#ifdef __NR_stat
	case __NR_stat:
#endif
#ifdef __NR_lstat
	case __NR_lstat:
#endif
#ifdef __NR_newfstatat
	case __NR_newfstatat:
#endif
	case __NR_statx:
		return PFS_INTENT_STAT;
	default:
		/* open, exec, an unknown call, or an unreadable state: the safe reading */
		return PFS_INTENT_OTHER;
	}
}
