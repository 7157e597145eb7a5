/*
 * The object supervisor: a launcher thread answering the seccomp
 * notifications of run_notify.c. It looks at the caller's real fd and acts
 * only when that fd is a file of the sandbox's FUSE /proc:
 *
 * - sendfile, splice from it: EINVAL, the kernel proc's answer;
 * - pidfd_send_signal on a /proc/PID directory, setns on a /proc/PID/ns/TYPE
 *   file: the caller's fd is replaced by the real object (a pidfd, the
 *   namespace; SECCOMP_ADDFD_FLAG_SETFD), and the call continues.
 *
 * Every call continues in the kernel with the caller's credentials
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the kernel makes every permission check
 * (signal, setns capabilities), the supervisor none, so a changed fd table
 * between its look and the call can only change the caller's own outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"
#include "pfs/pidns.h"

struct supervisor {
	int listener;
	long proc_mnt_id;
	int backing; /* the sandbox's backing proc */
	int pidns; /* the sandbox's pid namespace */
};

/* What the caller's fd is, from its fdinfo and link (never a FUSE request). */
struct fd_look {
	unsigned long ino;
	bool cloexec;
	char path[256]; /* as the kernel renders it: "/proc/12", "/proc/12/ns/net:[4026531840]" */
};

/*
 * Whether fd of the notifying process is a file of the FUSE /proc: its mount
 * id, from fdinfo (the launcher may not stat a file of the sandbox's FUSE
 * mount: FUSE refuses processes outside the mounter's user namespace).
 */
static bool look(const struct supervisor *s, const struct seccomp_notif *req, int fd,
		 struct fd_look *l)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/fdinfo/%d", req->pid, fd);
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[128];
	long mnt_id = -1;
	*l = (struct fd_look){0};
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "mnt_id:", 7))
			mnt_id = strtol(line + 7, NULL, 10);
		else if (!strncmp(line, "ino:", 4))
			l->ino = strtoul(line + 4, NULL, 10);
		else if (!strncmp(line, "flags:", 6))
			l->cloexec = strtoul(line + 6, NULL, 8) & O_CLOEXEC;
	}
	snprintf(path, sizeof(path), "/proc/%u/fd/%d", req->pid, fd);
	ssize_t n = readlink(path, l->path, sizeof(l->path) - 1);
	if (n < 0)
		return false;
	l->path[n] = '\0';
	/* the pid is the caller's only while its notification is pending */
	return mnt_id == s->proc_mnt_id && seccomp_notify_id_valid(s->listener, req->id) == 0;
}

/* "/proc/<pid>" + rest: the pid, and rest after it ("" or "/ns/..."). */
static pid_t parse_pid(const char *path, const char **rest)
{
	if (strncmp(path, "/proc/", 6) != 0)
		return 0;
	char *end;
	long pid = strtol(path + 6, &end, 10);
	if (end == path + 6 || pid <= 0 || pid > 4194304)
		return 0;
	*rest = end;
	return (pid_t)pid;
}

/*
 * The real object behind a FUSE /proc/PID directory: a pidfd of the same
 * process (the daemon's node pins it, so the backing directory's inode is the
 * one fdinfo shows; another inode means the process is gone).
 */
static int real_pidfd(const struct supervisor *s, const struct fd_look *l, pid_t pid)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", (int)pid);
	struct stat st;
	if (fstatat(s->backing, name, &st, 0) < 0 || st.st_ino != l->ino)
		return -ESRCH;
	int host = ioctl(s->pidns, NS_GET_TGID_FROM_PIDNS, pid);
	if (host <= 0)
		return -ESRCH;
	int fd = (int)syscall(SYS_pidfd_open, host, 0);
	/* the same process still: its backing directory did not change */
	if (fd >= 0 && (fstatat(s->backing, name, &st, 0) < 0 || st.st_ino != l->ino)) {
		close(fd);
		return -ESRCH;
	}
	return fd < 0 ? -ESRCH : fd;
}

/* The real namespace behind a FUSE /proc/PID/ns/TYPE:[INODE] (its magic name). */
static int real_ns(const struct supervisor *s, const char *rest, pid_t pid)
{
	const char *type = rest + strlen("/ns/");
	const char *colon = strchr(type, ':');
	if (!colon || colon - type > 32 || strncmp(colon, ":[", 2) != 0)
		return -EINVAL;
	unsigned long ino = strtoul(colon + 2, NULL, 10);
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/ns/%.*s", (int)pid, (int)(colon - type), type);
	int fd = openat(s->backing, rel, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != ino)) {
		close(fd);
		return -ESRCH;
	}
	return fd < 0 ? -ESRCH : fd;
}

/*
 * Replaces the caller's fd by the real object; 0, or the errno to answer.
 * A FUSE file that is no such object is left alone: the kernel then gives
 * the native error (EBADF for a signal, EINVAL for setns).
 */
static int replace_fd(const struct supervisor *s, const struct seccomp_notif *req, int fd,
		      const struct fd_look *l)
{
	const char *rest = "";
	pid_t pid = parse_pid(l->path, &rest);
	int real;
	if (!pid)
		return 0;
	if (req->data.nr == __NR_pidfd_send_signal && !*rest)
		real = real_pidfd(s, l, pid);
	else if (req->data.nr == __NR_setns && !strncmp(rest, "/ns/", 4))
		real = real_ns(s, rest, pid);
	else
		return 0;
	if (real < 0)
		return -real;
	struct seccomp_notif_addfd a = {.id = req->id,
					.flags = SECCOMP_ADDFD_FLAG_SETFD,
					.srcfd = (unsigned)real,
					.newfd = (unsigned)fd,
					.newfd_flags = l->cloexec ? O_CLOEXEC : 0};
	int r = ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 ? errno : 0;
	close(real);
	return r == ENOENT ? 0 : r; /* ENOENT: the caller is gone, nothing to answer */
}

static void decide(const struct supervisor *s, const struct seccomp_notif *req,
		   struct seccomp_notif_resp *resp)
{
	resp->id = req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	int nr = req->data.nr;
	int fd = (int)req->data.args[nr == __NR_sendfile ? 1 : 0];
	struct fd_look l;
	if (fd < 0 || !look(s, req, fd, &l))
		return;
	int e = 0;
	if (nr == __NR_sendfile || nr == __NR_splice)
		/*
		 * A proc file has no splice: the kernel says EINVAL (and callers such
		 * as shutil.copyfile then read). Through FUSE the page cache would
		 * answer 0 bytes, a silent empty copy.
		 */
		e = EINVAL;
	else
		e = replace_fd(s, req, fd, &l);
	if (e) {
		resp->flags = 0;
		resp->error = -e;
	}
}

static void *supervise(void *arg)
{
	struct supervisor *s = arg;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		goto out;
	for (;;) {
		struct pollfd p = {.fd = s->listener, .events = POLLIN};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* every process of the filter is gone */
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(s->listener, req) < 0)
			continue; /* the caller went away, or a signal */
		decide(s, req, resp);
		seccomp_notify_respond(s->listener, resp); /* ENOENT: the caller went away */
	}
out:
	seccomp_notify_free(req, resp);
	close(s->listener);
	close(s->backing);
	close(s->pidns);
	free(s);
	return NULL;
}

int pfs_supervise_start(int listener, unsigned proc_mnt_id, int backing, struct pfs_error *err)
{
	struct supervisor *s = calloc(1, sizeof(*s));
	if (!s) {
		close(listener);
		return pfs_err_set(err, ENOMEM, "out of memory");
	}
	s->listener = listener;
	s->proc_mnt_id = (long)proc_mnt_id;
	s->backing = fcntl(backing, F_DUPFD_CLOEXEC, 3);
	s->pidns = openat(backing, "1/ns/pid", O_RDONLY | O_CLOEXEC);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* signals to the launcher are the main thread's to wait for and forward */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int r = pthread_create(&t, &a, supervise, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (r != 0) {
		close(listener);
		close(s->backing);
		close(s->pidns);
		free(s);
		return pfs_err_set(err, r, "cannot start the object supervisor: %s", strerror(r));
	}
	return 0;
}
