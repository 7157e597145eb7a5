/*
 * run_bypass [unshare] OP [ARGS]: tries one way around the sandbox's /proc and
 * prints OK or the errno's name (EPERM, EINVAL, ...). With "unshare" first, it
 * enters new user+mount namespaces (as `unshare -Urm`) before the attempt, and
 * prints "unshare:ERRNO" if that itself fails.
 *   mount_proc DIR      mount("proc", DIR, "proc")
 *   fsopen_proc         fsopen("proc") + FSCONFIG_CMD_CREATE + fsmount
 *   umount PATH         umount2(PATH, 0)
 *   umount_lazy PATH    umount2(PATH, MNT_DETACH)
 *   open_tree PATH      open_tree(PATH, OPEN_TREE_CLONE|AT_RECURSIVE)
 *   remount_rw PATH     mount(NULL, PATH, NULL, MS_REMOUNT|MS_BIND, NULL)
 *   bind_over PATH      mount("/tmp", PATH, NULL, MS_BIND)
 *   kill PID            kill(PID, SIGKILL)
 *   ptrace PID          ptrace(PTRACE_ATTACH, PID)
 *   tiocsti [FD]        ioctl(FD (0), TIOCSTI, "#"): push input into the terminal
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fsopen_proc(void)
{
	int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return errno;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return errno;
	int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (m < 0)
		return errno;
	return 0;
}

static int attempt(const char *op, const char *arg)
{
	if (!strcmp(op, "mount_proc"))
		return mount("proc", arg, "proc", 0, NULL) < 0 ? errno : 0;
	if (!strcmp(op, "fsopen_proc"))
		return fsopen_proc();
	if (!strcmp(op, "umount"))
		return umount2(arg, 0) < 0 ? errno : 0;
	if (!strcmp(op, "umount_lazy"))
		return umount2(arg, MNT_DETACH) < 0 ? errno : 0;
	if (!strcmp(op, "open_tree"))
		return syscall(SYS_open_tree, AT_FDCWD, arg, OPEN_TREE_CLONE | AT_RECURSIVE) < 0
			       ? errno
			       : 0;
	if (!strcmp(op, "remount_rw"))
		return mount(NULL, arg, NULL, MS_REMOUNT | MS_BIND, NULL) < 0 ? errno : 0;
	if (!strcmp(op, "bind_over"))
		return mount("/tmp", arg, NULL, MS_BIND, NULL) < 0 ? errno : 0;
	if (!strcmp(op, "kill"))
		return kill((pid_t)strtol(arg, NULL, 10), SIGKILL) < 0 ? errno : 0;
	if (!strcmp(op, "ptrace"))
		return ptrace(PTRACE_ATTACH, (pid_t)strtol(arg, NULL, 10), NULL, NULL) < 0 ? errno
											   : 0;
	if (!strcmp(op, "tiocsti")) {
		char c = '#';
		int fd = strcmp(arg, "/") != 0 ? (int)strtol(arg, NULL, 10) : 0;
		return ioctl(fd, TIOCSTI, &c) < 0 ? errno : 0;
	}
	fprintf(stderr, "run_bypass: unknown op %s\n", op);
	exit(2);
}

static void print_errno(const char *prefix, int e)
{
	const char *n = e ? strerrorname_np(e) : "OK";
	printf("%s%s\n", prefix, n ? n : "E?");
}

int main(int argc, char **argv)
{
	int i = 1;
	if (i < argc && !strcmp(argv[i], "unshare")) {
		i++;
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			print_errno("unshare:", errno);
			return 0;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: run_bypass [unshare] OP [ARG]\n");
		return 2;
	}
	print_errno("", attempt(argv[i], i + 1 < argc ? argv[i + 1] : "/"));
	return 0;
}
