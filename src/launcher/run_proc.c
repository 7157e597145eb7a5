/*
 * The sandbox's /proc: the detached backing procfs, the FUSE mount served by
 * procfilterfs, the kernel fallback, the unsafe testing mount; and loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* A procfs instance of the caller's pid namespace, attached nowhere. */
int pfs_proc_backing_open(int *backing_fd, struct pfs_error *err)
{
	cleanup_close int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return pfs_err_set(err, errno,
				   "fsopen(proc): %s; the kernel needs the new mount API "
				   "(Linux 5.2 or later)",
				   strerror(errno));
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return pfs_err_set(err, errno, "cannot create the backing procfs: %s",
				   strerror(errno));
	int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
			     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return pfs_err_set(err, errno,
				   "cannot mount the backing procfs: %s; the host's /proc must "
				   "be fully visible (not overmounted) for a new procfs in a user "
				   "namespace",
				   strerror(errno));
	*backing_fd = m;
	return 0;
}

static bool fuse_in_kernel(void)
{
	struct stat st;
	if (stat("/sys/module/fuse", &st) == 0)
		return true;
	cleanup_fclose FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\tfuse\n"))
			return true;
	return false;
}

int pfs_fuse_check(const struct pfs_run_opts *o, struct pfs_error *err)
{
	struct stat st;
	if (stat(o->dev_fuse, &st) < 0 || !S_ISCHR(st.st_mode))
		return pfs_err_set(err, ENODEV,
				   "FUSE is not available (%s is missing); load the fuse module "
				   "with `modprobe fuse`, or use --fallback kernel (weaker: no "
				   "filtering)",
				   o->dev_fuse);
	if (!fuse_in_kernel())
		return pfs_err_set(err, ENODEV,
				   "FUSE is not available (the fuse module is not loaded); load "
				   "it with `modprobe fuse`, or use --fallback kernel (weaker: no "
				   "filtering)");
	if (access(o->dev_fuse, R_OK | W_OK) < 0)
		return pfs_err_set(err, errno,
				   "FUSE is not usable: %s: %s; make it accessible (chmod 0666 %s, "
				   "as most distributions do), run as root, or use --fallback "
				   "kernel (weaker: no filtering)",
				   o->dev_fuse, strerror(errno), o->dev_fuse);
	return 0;
}

/* Opened with the launcher's file access, before becoming the sandbox's root. */
int pfs_proc_fuse_open(const struct pfs_run_opts *o, int *fuse_fd, struct pfs_error *err)
{
	*fuse_fd = open(o->dev_fuse, O_RDWR | O_CLOEXEC);
	if (*fuse_fd < 0)
		return pfs_err_set(err, errno,
				   "cannot open %s: %s; load the fuse module (modprobe fuse) or "
				   "use --fallback kernel",
				   o->dev_fuse, strerror(errno));
	return 0;
}

/* nosuid, nodev and noexec are always added: a /proc never needs them. */
int pfs_proc_fuse_mount_at(const char *target, int fd, unsigned long flags, struct pfs_error *err)
{
	char data[128];
	snprintf(data, sizeof(data), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("procfilterfs", target, "fuse.procfilterfs", flags | PROC_FLAGS, data) < 0)
		return pfs_err_set(err, errno,
				   "cannot mount FUSE on %s: %s; the kernel must allow FUSE "
				   "mounts in user namespaces",
				   target, strerror(errno));
	return 0;
}

int pfs_proc_fuse_mount(const struct pfs_run_opts *o, const char *newroot, int fd,
			struct pfs_error *err)
{
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/proc", newroot);
	/*
	 * Never MS_RDONLY: the daemon enforces --proc ro per path (EROFS for every
	 * write, create and change), so that writes through fd/N relays still
	 * reach the caller's own open files (docs/compat.md). The kernel's proc
	 * is a writable mount too.
	 */
	(void)o;
	int r = pfs_proc_fuse_mount_at(target, fd, 0, err);
	if (r < 0)
		return pfs_err_set(err, -r,
				   "cannot mount FUSE on /proc: %s; the kernel must allow FUSE "
				   "mounts in user namespaces, or use --fallback kernel",
				   strerror(-r));
	return 0;
}

int pfs_proc_kernel_mount(const struct pfs_run_opts *o, const char *newroot, struct pfs_error *err)
{
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/proc", newroot);
	unsigned long flags = PROC_FLAGS | (o->proc_rw ? 0 : MS_RDONLY);
	if (mount("proc", target, "proc", flags, "hidepid=invisible,subset=pid") < 0)
		return pfs_err_set(err, errno,
				   "--fallback kernel: cannot mount procfs with "
				   "hidepid=invisible,subset=pid: %s; the kernel needs Linux 5.8 "
				   "or later",
				   strerror(errno));
	return 0;
}

int pfs_proc_unsafe_mount(const char *newroot, const char *path, int backing_fd,
			  struct pfs_error *err)
{
	cleanup_close int root_fd = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int target = -1;
	int r = root_fd < 0 ? pfs_err_set(err, errno, "%s: %s", newroot, strerror(errno))
			    : pfs_root_open_target(root_fd, path, true, &target, err);
	if (r < 0)
		return pfs_err_prefix(err, "--unsafe-kernel-proc %s", path);
	/* attaches the backing instance itself: the fds on it stay valid */
	if (syscall(SYS_move_mount, backing_fd, "", target, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pfs_err_set(err, errno, "--unsafe-kernel-proc %s: %s", path,
				   strerror(errno));
	return 0;
}

int pfs_net_lo_up(struct pfs_error *err)
{
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pfs_err_set(err, errno, "socket: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return pfs_err_set(err, errno, "cannot read lo's flags: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return pfs_err_set(err, errno, "cannot bring lo up: %s", strerror(errno));
	return 0;
}
