/*
 * Inside the container, as `pfs run`'s init does inside its sandbox: a
 * process in the container's user, mount and pid namespaces makes the
 * backing procfs (attached nowhere) and mounts the FUSE /proc over the
 * runtime's procfs at <rootfs>/proc. It must be in the container's pid
 * namespace: the FUSE connection numbers its callers in the mounter's pid
 * namespace, and the daemon reads them in the backing's.
 *
 * At createRuntime (crun) the container's mount namespace still has the
 * host's root: <rootfs> is the bundle's root path there, and the mounts the
 * runtime makes later (pivot, masks) land on top of ours. At the exec of the
 * workload (runc: oci_gate.c) the root is "/" and the masks lie below.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "../launcher/launcher_i.h" /* the pieces pfs run shares with the hook */
#include "pfs/oci.h"

/* <rootfs>/proc, its last component not a symlink (the image controls it). */
static int open_target(const char *rootfs, int *out, struct pfs_error *err)
{
	cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return pfs_err_set(err, errno, "container root %s: %s", rootfs, strerror(errno));
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
	*out = (int)syscall(SYS_openat2, root, "proc", &how, sizeof(how));
	if (*out < 0)
		return pfs_err_set(err, errno, "container /proc at %s/proc: %s", rootfs,
				   strerror(errno));
	return 0;
}

/* The runtime's procfs of this pid namespace must be there: else we are too early or late. */
static int check_target(int fd, const char *rootfs, struct pfs_error *err)
{
	struct statfs sf;
	char self[32] = "", want[32];
	ssize_t n = readlinkat(fd, "self", self, sizeof(self) - 1);
	if (n > 0)
		self[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC || strcmp(self, want) != 0)
		return pfs_err_set(err, EPROTO,
				   "%s/proc is not the container's procfs at this hook stage; run "
				   "pfs oci-hook at createRuntime (or prestart), with runc or crun",
				   rootfs);
	return 0;
}

/* root: where the container's root is in its mount namespace; NULL: no mount. */
static int make(const struct pfs_oci_spec *s, const char *root, int fuse_fd, int sock,
		struct pfs_error *err)
{
	cleanup_close int target = -1;
	int r = root ? open_target(root, &target, err) : 0;
	if (r == 0 && root)
		r = check_target(target, root, err);
	cleanup_close int backing = -1;
	if (r == 0)
		r = pfs_proc_backing_open(&backing, err);
	if (r < 0)
		return r;
	if (root) {
		char at[64];
		snprintf(at, sizeof(at), "/proc/self/fd/%d", target);
		/* no MS_RDONLY, as pfs run: the daemon refuses writes when not writable */
		r = pfs_proc_fuse_mount_at(at, fuse_fd, 0, err);
		if (r < 0)
			return pfs_err_prefix(err, "container %s", s->id);
	}
	int fds[2] = {backing, fuse_fd};
	struct pfs_msg m = {.type = PFS_MSG_FDS, .code = root ? 2 : 1};
	/* pid_max is per pid namespace, read as the reader's: only an insider reads it */
	char pm[32] = "";
	if (pfs_read_small_at(backing, "sys/kernel/pid_max", pm, sizeof(pm)) > 0)
		m.err.code = (int)strtol(pm, NULL, 10);
	r = pfs_msg_send(sock, &m, fds, (size_t)m.code);
	return r < 0 ? pfs_err_set(err, -r, "cannot pass fds to the hook: %s", strerror(-r)) : 0;
}

static bool same_userns(pid_t pid)
{
	char p[64];
	struct stat a, b;
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* The child: joins the namespaces; its child, in the pid namespace, makes the mounts. */
static int enter(const struct pfs_oci_spec *s, const char *root, int ctr_pidfd, int fuse_fd,
		 int sock)
{
	struct pfs_error err = {0};
	int flags = CLONE_NEWNS | CLONE_NEWPID | (same_userns(s->pid) ? 0 : CLONE_NEWUSER);
	if (setns(ctr_pidfd, flags) < 0) {
		pfs_err_set(&err, errno, "cannot enter the namespaces of container %s: %s", s->id,
			    strerror(errno));
		pfs_msg_send_error(sock, 1, &err);
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int r = make(s, root, fuse_fd, sock, &err);
		if (r < 0) {
			if (!err.msg[0])
				pfs_err_set(&err, -r, "%s", strerror(-r));
			pfs_msg_send_error(sock, 1, &err);
		}
		_exit(r < 0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int pfs_oci_enter_and_mount(const struct pfs_oci_spec *s, const char *root, int ctr_pidfd,
			    const char *dev_fuse, struct pfs_oci_made *m, struct pfs_error *err)
{
	struct pfs_run_opts fo = {.dev_fuse = dev_fuse};
	cleanup_close int fuse_fd = -1;
	int r = root ? pfs_proc_fuse_open(&fo, &fuse_fd, err) : 0;
	if (r < 0)
		return r;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pfs_err_set(err, errno, "socketpair: %s", strerror(errno));
	cleanup_close int sock = sv[0];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(enter(s, root, ctr_pidfd, fuse_fd, sv[1]));
	}
	close(sv[1]);
	if (pid < 0)
		return pfs_err_set(err, errno, "fork: %s", strerror(errno));
	struct pfs_msg msg;
	int fds[2] = {-1, -1};
	size_t n = 0;
	r = pfs_msg_recv(sock, &msg, fds, 2, &n);
	waitpid(pid, NULL, 0);
	if (r == 0 && msg.type == PFS_MSG_FDS && n == (root ? 2u : 1u)) {
		m->backing_fd = fds[0];
		m->fuse_fd = root ? fds[1] : -1;
		m->pid_max = msg.err.code > 0 ? (unsigned long)msg.err.code : 0;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	if (r == 0 && msg.type == PFS_MSG_ERROR) {
		*err = msg.err;
		return -(err->code ? err->code : EIO);
	}
	return pfs_err_set(err, EIO, "the process entering container %s died", s->id);
}
