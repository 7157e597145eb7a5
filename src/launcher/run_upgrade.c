/*
 * The supervisor's control socket: `pfs upgrade --sandbox PID` (cmd_upgrade.c)
 * asks the `pfs run` whose pid is PID to replace its daemon with another
 * binary (a live upgrade), or to make the daemon reload its policy. An
 * abstract unix socket named after the launcher's pid; only the launcher's
 * own user (or root) is served, by its peer credentials. The new binary is
 * tried first (`--version`), then the daemon is killed and the new one takes
 * the connection over exactly as after a crash (run_super.c); when it does
 * not start, the old binary is started again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/log.h"
#include "launcher_i.h"

#define VERSION_TIMEOUT_MS 5000

int pfs_upgrade_addr(pid_t launcher, struct sockaddr_un *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "pfs-run-%d/upgrade",
			 (int)launcher);
	if (n < 0 || (size_t)n >= sizeof(a->sun_path) - 1)
		return -ENAMETOOLONG;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	return 0;
}

void pfs_upgrade_listen(struct pfs_super *s)
{
	struct sockaddr_un a;
	socklen_t len;
	if (pfs_upgrade_addr(getpid(), &a, &len) < 0)
		return;
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 4) < 0) {
		pfs_warn("pfs run: no control socket for `pfs upgrade` (%s)", strerror(errno));
		return;
	}
	s->ctl_fd = steal_fd(fd);
}

/* `PATH --version` says procfilterfs: the binary runs here at all. */
static int try_binary(const char *path, struct pfs_error *err)
{
	if (path[0] != '/' || access(path, X_OK) < 0)
		return pfs_err_set(err, EINVAL, "%s: %s; give the absolute path of an executable",
				   path, path[0] != '/' ? "not absolute" : strerror(errno));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return pfs_err_set(err, errno, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(path, "procfilterfs", "--version", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	cleanup_close int rd = p[0];
	if (pid < 0)
		return pfs_err_set(err, errno, "fork: %s", strerror(errno));
	char out[256] = "";
	size_t got = 0;
	struct pollfd q = {.fd = rd, .events = POLLIN};
	while (got < sizeof(out) - 1 && poll(&q, 1, VERSION_TIMEOUT_MS) == 1) {
		ssize_t n = read(rd, out + got, sizeof(out) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	kill(pid, SIGKILL);
	int st = 0;
	waitpid(pid, &st, 0);
	if (strncmp(out, "procfilterfs ", 13) != 0)
		return pfs_err_set(err, ENOEXEC,
				   "%s --version did not answer as procfilterfs; the daemon was "
				   "left as it was",
				   path);
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Kills the daemon and starts path on its connection; the old binary again on failure. */
static int upgrade(struct pfs_super *s, const char *path, struct pfs_error *err)
{
	int r = try_binary(path, err);
	if (r < 0)
		return r;
	const char *old = s->o->daemon_path;
	char old_copy[sizeof(s->daemon_buf)];
	snprintf(old_copy, sizeof(old_copy), "%s", old);
	pfs_super_drop_spare(s); /* the old binary's */
	uint64_t t0 = now_us();
	syscall(SYS_pidfd_send_signal, s->d.pidfd, SIGKILL, NULL, 0);
	memcpy(s->daemon_buf, path, strnlen(path, sizeof(s->daemon_buf) - 1) + 1);
	s->daemon_buf[sizeof(s->daemon_buf) - 1] = '\0';
	s->o->daemon_path = s->daemon_buf;
	siginfo_t si;
	r = pfs_super_replace(s, t0, &si, "upgrade", err);
	if (r == 0)
		return 0;
	pfs_warn("pfs run: the upgraded daemon did not start (%s); starting %s again", err->msg,
		 old_copy);
	snprintf(s->daemon_buf, sizeof(s->daemon_buf), "%s", old_copy);
	struct pfs_error again = {0};
	if (pfs_super_start(s, &again) < 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "the upgraded procfilterfs did not start, nor the old one again (%.300s); "
			 "the sandbox was ended",
			 again.msg);
		close(s->fuse_fd); /* the connection's last fd: callers get ENOTCONN */
		s->fuse_fd = -1;
	}
	return r;
}

static void answer(int c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void answer(int c, int code, const char *fmt, ...)
{
	char msg[600];
	int n = snprintf(msg, sizeof(msg), "%d ", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (send(c, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		pfs_debug("run: upgrade: no answer sent (%s)", strerror(errno));
}

void pfs_upgrade_serve(struct pfs_super *s)
{
	cleanup_close int c = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		answer(c, EPERM, "only the user who runs the sandbox may upgrade its daemon");
		return;
	}
	struct pollfd q = {.fd = c, .events = POLLIN};
	char req[4200] = "";
	if (poll(&q, 1, 2000) != 1 || recv(c, req, sizeof(req) - 1, 0) <= 0)
		return;
	struct pfs_error err = {0};
	if (!strcmp(req, "reload")) {
		int r = (int)syscall(SYS_pidfd_send_signal, s->d.pidfd, SIGHUP, NULL, 0);
		if (r < 0)
			answer(c, errno, "cannot signal the daemon: %s", strerror(errno));
		else
			answer(c, 0, "%d", (int)s->d.pid);
		return;
	}
	if (strncmp(req, "upgrade ", 8) != 0 || strlen(req + 8) >= sizeof(s->daemon_buf)) {
		answer(c, EINVAL, "unknown request");
		return;
	}
	if (upgrade(s, req + 8, &err) < 0)
		answer(c, err.code ? err.code : EIO, "%s", err.msg);
	else
		answer(c, 0, "%d", (int)s->d.pid);
}
