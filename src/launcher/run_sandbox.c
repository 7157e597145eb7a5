/*
 * The sandbox side of set-up, run by the clone child (pid 1 of the new pid
 * namespace) before it becomes the init. Failures go back to the launcher as
 * an ERROR message, which prints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#include "pfs/backing.h"

#include "pfs/cleanup.h"
#include "launcher_i.h"

/* The base tmpfs (over /tmp, in this mount namespace only) holds the new root. */
#define BASE "/tmp"
#define NEWROOT "/tmp/root"

/* Returns the message's code (>= 0), or -errno. */
static int expect(int sock, int type, struct pfs_error *err)
{
	struct pfs_msg m;
	int r = pfs_msg_recv(sock, &m, NULL, 0, NULL);
	if (r < 0)
		return pfs_err_set(err, -r, "lost the launcher: %s", strerror(-r));
	if (m.type != type)
		return pfs_err_set(err, EPROTO, "unexpected message %d from the launcher", m.type);
	return m.code > 0 ? m.code : 0;
}

static int become_root(struct pfs_error *err)
{
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return pfs_err_set(err, errno, "cannot become root in the user namespace: %s",
				   strerror(errno));
	if (geteuid() == 0 && setgroups(0, NULL) < 0 && errno != EPERM)
		return pfs_err_set(err, errno, "setgroups: %s", strerror(errno));
	/* credential changes clear the death signal: set it now, then check */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return pfs_err_set(err, errno, "PR_SET_PDEATHSIG: %s", strerror(errno));
	return 0;
}

/* The launcher is alive if its end of the socket is still open. */
static int launcher_alive(int sock, struct pfs_error *err)
{
	struct pollfd p = {.fd = sock, .events = 0};
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
		return pfs_err_set(err, ESRCH, "the launcher died during set-up");
	return 0;
}

static int setup(struct pfs_run_opts *o, int sock, struct pfs_error *err)
{
	int r = expect(sock, PFS_MSG_MAPPED, err);
	if (r < 0)
		return r;
	/* moved into its cgroup after the clone: root the cgroup namespace there now */
	if (r == PFS_MAPPED_UNSHARE_CGROUPNS && unshare(CLONE_NEWCGROUP) < 0)
		return pfs_err_set(err, errno, "cannot create the cgroup namespace: %s",
				   strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pfs_err_set(err, errno, "cannot make the mounts private: %s",
				   strerror(errno));
	/* host paths are opened with the launcher's file access, before becoming root */
	cleanup_close int root_tree = -1;
	r = pfs_root_open_sources(o, &root_tree, err);
	if (r < 0)
		return r;
	cleanup_close int fuse_fd = -1;
	if (!o->fallback_kernel) {
		r = pfs_proc_fuse_open(o, &fuse_fd, err);
		if (r < 0)
			return r;
	}
	r = become_root(err);
	if (r < 0)
		return r;
	r = launcher_alive(sock, err);
	if (r < 0)
		return r;
	/* the backing proc serves the daemon and the monitor */
	cleanup_close int backing = -1;
	r = pfs_proc_backing_open(&backing, err);
	if (r < 0)
		return r;
	if (mount("pfs-base", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0 ||
	    mkdir(NEWROOT, 0755) < 0)
		return pfs_err_set(err, errno, "cannot prepare the new root: %s", strerror(errno));
	r = pfs_root_build(o, root_tree, NEWROOT, err);
	if (r < 0)
		return r;
	if (o->fallback_kernel)
		r = pfs_proc_kernel_mount(o, NEWROOT, err);
	else
		r = pfs_proc_fuse_mount(o, NEWROOT, fuse_fd, err);
	if (r < 0)
		return r;
	if (o->unsafe_kernel_proc) {
		r = pfs_proc_unsafe_mount(NEWROOT, o->unsafe_kernel_proc, backing, err);
		if (r < 0)
			return r;
	}
	/*
	 * Run by an unprivileged user, the daemon holds capabilities in the outer
	 * user namespace only, while this init's memory was made in the initial
	 * one: the kernel lets it open the init's namespace links and root (its
	 * reference for decisions, docs/leaks.md) only while the init is dumpable.
	 * It is until the workload starts: the daemon opens them at start-up,
	 * before it says it is ready, and harden_init() clears it again.
	 */
	if (o->id_mode != PFS_IDS_HOST_ROOT && prctl(PR_SET_DUMPABLE, 1) < 0)
		return pfs_err_set(err, errno, "PR_SET_DUMPABLE: %s", strerror(errno));
	/* the daemon's oracle joins it; a rootless daemon cannot open our ns links */
	cleanup_close int userns = openat(backing, "self/ns/user", O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return pfs_err_set(err, errno, "cannot open the sandbox's user namespace: %s",
				   strerror(errno));
	/* hand the fds to the launcher (and the daemon), then forget them here */
	int fds[3] = {backing, userns, fuse_fd};
	struct pfs_msg m = {.type = PFS_MSG_FDS, .code = fuse_fd >= 0 ? 3 : 2};
	/* pid_max is per pid namespace and read as the reader's: only we can read ours */
	char pm[32] = "";
	if (pfs_read_small_at(backing, "sys/kernel/pid_max", pm, sizeof(pm)) > 0)
		m.err.code = (int)strtol(pm, NULL, 10);
	r = pfs_msg_send(sock, &m, fds, (size_t)m.code);
	if (r < 0)
		return pfs_err_set(err, -r, "cannot pass fds to the launcher: %s", strerror(-r));
	close(steal_fd(fuse_fd));
	close(steal_fd(userns));
	close(steal_fd(backing));
	r = pfs_root_pivot(NEWROOT, o->rootfs == NULL, err);
	if (r < 0)
		return r;
	if (sethostname(o->hostname, strlen(o->hostname)) < 0)
		return pfs_err_set(err, errno, "sethostname: %s", strerror(errno));
	if (!o->net_host) {
		r = pfs_net_lo_up(err);
		if (r < 0)
			return r;
	}
	/* /proc answers only once the daemon serves it */
	r = expect(sock, PFS_MSG_GO, err);
	return r < 0 ? r : 0;
}

int pfs_sandbox_main(void *arg)
{
	struct pfs_sandbox_ctx *c = arg;
	struct pfs_error err = {0};
	prctl(PR_SET_NAME, "pfs-init");
	/* nothing the launcher inherited may reach the sandbox: a directory fd
	 * from outside would be a way out of its root */
	if (c->sock > 3)
		syscall(SYS_close_range, 3, c->sock - 1, 0);
	syscall(SYS_close_range, c->sock + 1, ~0U, 0);
	int r = setup(c->o, c->sock, &err);
	if (r < 0) {
		if (!err.code)
			pfs_err_set(&err, -r, "sandbox set-up failed: %s", strerror(-r));
		pfs_msg_send_error(c->sock, PFS_RUN_EXIT_SETUP, &err);
		_exit(PFS_RUN_EXIT_SETUP);
	}
	_exit(pfs_init_run(c->o, c->sock, &err));
}
