/*
 * The sandbox's root, built inside its mount namespace:
 *   - host mode: a tmpfs holding read-only recursive binds of the host's
 *     top-level directories, except /proc, /sys, /dev and /tmp (so no host
 *     procfs or sysfs is attached anywhere in the sandbox);
 *   - --rootfs DIR: a read-only recursive bind of DIR;
 * then a fresh /tmp, --bind and --tmpfs mounts, and pivot_root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"

#define RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
			  unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static int set_attrs(int dfd, const char *path, unsigned flags, uint64_t set)
{
	struct mount_attr a = {.attr_set = set};
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, &a, sizeof(a));
}

static int clone_tree(const char *what, const char *src, int *out, struct pfs_error *err)
{
	int fd = sys_open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return pfs_err_set(err, errno, "%s '%s': %s; check that it exists and is readable",
				   what, src, strerror(errno));
	*out = fd;
	return 0;
}

int pfs_root_open_sources(struct pfs_run_opts *o, int *root_tree, struct pfs_error *err)
{
	*root_tree = -1;
	if (o->rootfs) {
		int r = clone_tree("--rootfs", o->rootfs, root_tree, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < o->n_mounts; i++) {
		struct pfs_mount_spec *m = &o->mounts[i];
		if (m->kind != PFS_MNT_BIND)
			continue;
		int r = clone_tree("--bind", m->src, &m->tree_fd, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* mkdir -p of path (absolute, under newroot); the last component a file if !dir. */
static int make_target(const char *path, bool dir, struct pfs_error *err)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return 0;
	cleanup_free char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (dir ? mkdir(p, 0755) < 0 && errno != EEXIST : mknod(p, S_IFREG | 0644, 0) < 0)
		goto fail;
	return 0;
fail:
	return pfs_err_set(err, errno,
			   "cannot create mount point %s: %s; inside a read-only directory the "
			   "destination must already exist (or mount somewhere under /tmp or a "
			   "--tmpfs)",
			   p, strerror(errno));
}

/* Mount types that must never be reachable from the sandbox. */
static bool revealing_fs(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return false;
	return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC;
}

/* A procfs or sysfs mounted below /NAME (beyond /proc and /sys themselves)? */
static bool has_revealing_submount(const char *name)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return true; /* cannot tell: fail closed */
	char line[4096];
	size_t nl = strlen(name);
	while (fgets(line, sizeof(line), f)) {
		char mp[4096], fstype[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0)
			continue;
		if (mp[0] == '/' && !strncmp(mp + 1, name, nl) &&
		    (mp[1 + nl] == '/' || !mp[1 + nl]))
			return true;
	}
	return false;
}

static int bind_host_entry(const char *newroot, const char *name, struct pfs_error *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	snprintf(src, sizeof(src), "/%s", name);
	snprintf(dst, sizeof(dst), "%s/%s", newroot, name);
	struct stat st;
	if (lstat(src, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return 0;
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return pfs_err_set(err, errno, "cannot create %s: %s", dst,
					   strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;
	if (revealing_fs(src) || has_revealing_submount(name)) {
		pfs_warn("pfs run: /%s holds a procfs or sysfs mount; it is left out of the "
			 "sandbox",
			 name);
		return 0;
	}
	int r = make_target(dst, S_ISDIR(st.st_mode), err);
	if (r < 0)
		return r;
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return pfs_err_set(err, errno, "cannot bind %s into the sandbox: %s", src,
				   strerror(errno));
	if (set_attrs(AT_FDCWD, dst, AT_RECURSIVE, RO_ATTRS) < 0)
		return pfs_err_set(err, errno, "cannot make %s read-only: %s", dst,
				   strerror(errno));
	return 0;
}

static int build_host_root(const char *newroot, struct pfs_error *err)
{
	if (mount("pfs-root", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		return pfs_err_set(err, errno, "cannot mount the root tmpfs: %s", strerror(errno));
	cleanup_closedir DIR *d = opendir("/");
	if (!d)
		return pfs_err_set(err, errno, "cannot list /: %s", strerror(errno));
	static const char *const skip[] = {".", "..", "proc", "sys", "dev", "tmp"};
	struct dirent *e;
	while ((e = readdir(d))) {
		bool skipped = false;
		for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
			skipped |= !strcmp(e->d_name, skip[i]);
		if (skipped)
			continue;
		int r = bind_host_entry(newroot, e->d_name, err);
		if (r < 0)
			return r;
	}
	static const char *const dirs[] = {"proc", "dev", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", newroot, dirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return pfs_err_set(err, errno, "cannot create %s: %s", p, strerror(errno));
	}
	return 0;
}

static int attach_rootfs(const struct pfs_run_opts *o, int root_tree, const char *newroot,
			 struct pfs_error *err)
{
	if (set_attrs(root_tree, "", AT_EMPTY_PATH | AT_RECURSIVE, RO_ATTRS) < 0)
		return pfs_err_set(err, errno, "cannot make --rootfs %s read-only: %s", o->rootfs,
				   strerror(errno));
	if (sys_move_mount(root_tree, "", AT_FDCWD, newroot, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pfs_err_set(err, errno, "cannot attach --rootfs %s: %s", o->rootfs,
				   strerror(errno));
	static const char *const dirs[] = {"proc", "dev", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[PATH_MAX];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", newroot, dirs[i]);
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			return pfs_err_set(err, ENOENT,
					   "--rootfs %s has no /%s directory (a symlink is not "
					   "taken); create it (mkdir %s/%s)",
					   o->rootfs, dirs[i], o->rootfs, dirs[i]);
	}
	return 0;
}

static int openat2_in_root(int root_fd, const char *rel, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
}

/*
 * An O_PATH fd on path (absolute, inside the sandbox's root root_fd), created
 * as a directory or an empty file when missing. Symlinks resolve inside the
 * root, as the sandbox will see them: nothing outside can be reached.
 */
int pfs_root_open_target(int root_fd, const char *path, bool dir, int *out, struct pfs_error *err)
{
	while (*path == '/')
		path++;
	if (!*path) {
		*out = openat2_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
		return *out < 0 ? pfs_err_set(err, errno, "cannot open the root: %s",
					      strerror(errno))
				: 0;
	}
	int fd = openat2_in_root(root_fd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT) {
		*out = fd;
		return fd >= 0 ? 0
			       : pfs_err_set(err, errno, "mount point /%s: %s", path,
					     strerror(errno));
	}
	/* create it: the parent first */
	cleanup_free char *parent = strdup(path);
	if (!parent)
		return -ENOMEM;
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = '\0';
	cleanup_close int pfd = -1;
	int r = pfs_root_open_target(root_fd, slash ? parent : "", true, &pfd, err);
	if (r < 0)
		return r;
	/* O_PATH fds cannot be used with mkdirat: reopen the directory */
	cleanup_close int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (dir ? mkdirat(dfd, base, 0755) < 0 && errno != EEXIST
			    : mknodat(dfd, base, S_IFREG | 0644, 0) < 0 && errno != EEXIST))
		return pfs_err_set(err, errno,
				   "cannot create mount point /%s: %s; inside a read-only "
				   "directory the destination must already exist (or mount "
				   "somewhere under /tmp or a --tmpfs)",
				   path, strerror(errno));
	fd = openat2_in_root(root_fd, path, O_PATH);
	if (fd < 0)
		return pfs_err_set(err, errno, "mount point /%s: %s", path, strerror(errno));
	*out = fd;
	return 0;
}

static int new_tmpfs(int *out, struct pfs_error *err)
{
	cleanup_close int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "1777", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return pfs_err_set(err, errno, "cannot create a tmpfs: %s", strerror(errno));
	*out = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	return *out < 0 ? pfs_err_set(err, errno, "cannot mount a tmpfs: %s", strerror(errno)) : 0;
}

static int add_user_mount(struct pfs_mount_spec *m, int root_fd, struct pfs_error *err)
{
	const char *what = m->kind == PFS_MNT_TMPFS ? "--tmpfs" : "--bind";
	cleanup_close int tmpfs = -1;
	int tree = m->tree_fd;
	int r = 0;
	if (m->kind == PFS_MNT_TMPFS) {
		r = new_tmpfs(&tmpfs, err);
		tree = tmpfs;
	} else {
		uint64_t attrs =
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->ro ? MOUNT_ATTR_RDONLY : 0);
		if (set_attrs(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, attrs) < 0)
			r = pfs_err_set(err, errno, "cannot set flags: %s", strerror(errno));
	}
	struct stat st;
	if (r == 0 && fstat(tree, &st) < 0)
		r = pfs_err_set(err, errno, "%s", strerror(errno));
	cleanup_close int target = -1;
	if (r == 0)
		r = pfs_root_open_target(root_fd, m->dst, S_ISDIR(st.st_mode), &target, err);
	if (r == 0 && sys_move_mount(tree, "", target, "",
				     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = pfs_err_set(err, errno, "%s", strerror(errno));
	if (r < 0)
		return pfs_err_prefix(err, "%s %s%s%s", what, m->src ? m->src : "",
				      m->src ? ":" : "", m->dst);
	if (m->tree_fd >= 0) {
		close(m->tree_fd);
		m->tree_fd = -1;
	}
	return 0;
}

int pfs_root_build(struct pfs_run_opts *o, int root_tree, const char *newroot,
		   struct pfs_error *err)
{
	int r = root_tree >= 0 ? attach_rootfs(o, root_tree, newroot, err)
			       : build_host_root(newroot, err);
	if (r < 0)
		return r;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/tmp", newroot);
	if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return pfs_err_set(err, errno, "cannot mount /tmp: %s", strerror(errno));
	r = pfs_dev_build(newroot, err);
	if (r < 0)
		return r;
	cleanup_close int root_fd = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return pfs_err_set(err, errno, "%s: %s", newroot, strerror(errno));
	for (size_t i = 0; i < o->n_mounts; i++) {
		r = add_user_mount(&o->mounts[i], root_fd, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int pfs_root_pivot(const char *newroot, bool root_ro, struct pfs_error *err)
{
	if (chdir(newroot) < 0)
		return pfs_err_set(err, errno, "chdir %s: %s", newroot, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return pfs_err_set(err, errno, "pivot_root: %s", strerror(errno));
	/* the old root is stacked on the new one: detach it */
	if (umount2(".", MNT_DETACH) < 0)
		return pfs_err_set(err, errno, "cannot detach the old root: %s", strerror(errno));
	if (chdir("/") < 0)
		return pfs_err_set(err, errno, "chdir /: %s", strerror(errno));
	if (root_ro && set_attrs(AT_FDCWD, "/", 0, RO_ATTRS) < 0)
		return pfs_err_set(err, errno, "cannot make the root read-only: %s",
				   strerror(errno));
	return 0;
}
