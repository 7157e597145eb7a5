/* A minimal /dev: a tmpfs with bound device nodes, a new devpts, shm and links. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

static int bind_node(const char *dev, const char *name, struct pfs_error *err)
{
	char src[64], dst[PATH_MAX];
	if (pfs_path_join(src, sizeof(src), "/dev/", name) < 0 ||
	    pfs_path_join(dst, sizeof(dst), dev, name) < 0)
		return pfs_err_set(err, ENAMETOOLONG, "/dev/%s: path too long", name);
	struct stat st;
	if (stat(src, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0; /* absent on this host: absent inside too */
	cleanup_close int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return pfs_err_set(err, errno, "cannot create %s: %s", dst, strerror(errno));
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return pfs_err_set(err, errno, "cannot bind %s: %s", src, strerror(errno));
	return 0;
}

static int link_at(const char *dev, const char *target, const char *name, struct pfs_error *err)
{
	char dst[PATH_MAX];
	if (pfs_path_join(dst, sizeof(dst), dev, name) < 0)
		return pfs_err_set(err, ENAMETOOLONG, "/dev/%s: path too long", name);
	if (symlink(target, dst) < 0)
		return pfs_err_set(err, errno, "cannot create %s: %s", dst, strerror(errno));
	return 0;
}

static int sub_mount(const char *dev, const char *name, const char *fstype, unsigned long flags,
		     const char *data, struct pfs_error *err)
{
	char dst[PATH_MAX];
	if (pfs_path_join(dst, sizeof(dst), dev, name) < 0)
		return pfs_err_set(err, ENAMETOOLONG, "/dev/%s: path too long", name);
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return pfs_err_set(err, errno, "cannot create %s: %s", dst, strerror(errno));
	if (mount(fstype, dst, fstype, flags, data) < 0)
		return pfs_err_set(err, errno, "cannot mount %s on /dev/%s: %s", fstype, name,
				   strerror(errno));
	return 0;
}

int pfs_dev_build(const char *newroot, struct pfs_error *err)
{
	char dev[PATH_MAX];
	if (pfs_path_join(dev, sizeof(dev), newroot, "/dev/") < 0)
		return pfs_err_set(err, ENAMETOOLONG, "%s: path too long", newroot);
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return pfs_err_set(err, errno, "cannot mount /dev: %s", strerror(errno));
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(nodes) && r == 0; i++)
		r = bind_node(dev, nodes[i], err);
	if (r == 0)
		r = sub_mount(dev, "pts", "devpts", MS_NOSUID | MS_NOEXEC,
			      "newinstance,ptmxmode=0666,mode=0620", err);
	if (r == 0)
		r = link_at(dev, "pts/ptmx", "ptmx", err);
	if (r == 0)
		r = sub_mount(dev, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777",
			      err);
	static const char *const links[][2] = {{"/proc/self/fd", "fd"},
					       {"/proc/self/fd/0", "stdin"},
					       {"/proc/self/fd/1", "stdout"},
					       {"/proc/self/fd/2", "stderr"}};
	for (size_t i = 0; i < ARRAY_SIZE(links) && r == 0; i++)
		r = link_at(dev, links[i][0], links[i][1], err);
	return r;
}
