/*
 * The supervisor: a small host process per container, outside every
 * container namespace. It starts the procfilterfs daemon with the backing
 * and FUSE fds, tells the hook once the daemon serves, then watches the
 * container's init (a pidfd) and the daemon:
 *   - the container's init exits: the daemon is stopped (its worker threads
 *     may sit in the container's mount namespace and keep the FUSE mount, and
 *     so the daemon, alive otherwise), the state directory removed;
 *   - the daemon dies first: the container, whose /proc now fails with
 *     ENOTCONN, is killed, as `pfs run` ends its sandbox.
 * The daemon has a death signal towards the supervisor, so killing the
 * supervisor ends the daemon too. `pfs oci-hook poststop` waits for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "../launcher/launcher_i.h" /* the pieces pfs run shares with the hook */
#include "pfs/log.h"
#include "pfs/oci.h"

#define DAEMON_GRACE_MS 200
#define SUPERVISOR_COMM "pfs-oci-watch"

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(stderr, "%s pfs oci supervisor: ", when);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Removes the files this hook made in the container's state directory, then it. */
static void remove_state(const char *dir)
{
	static const char *const files[] = {"policy", "pids", "log"};
	char p[PATH_MAX];
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void watch(const struct pfs_oci_daemon_args *a, struct pfs_daemon *d)
{
	struct pollfd p[2] = {{.fd = a->ctr_pidfd, .events = POLLIN},
			      {.fd = d->pidfd, .events = POLLIN}};
	for (;;) {
		int n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents)
			break;
		if (p[1].revents) {
			note("procfilterfs died; killing the container, whose /proc no longer "
			     "answers");
			syscall(SYS_pidfd_send_signal, a->ctr_pidfd, SIGKILL, NULL, 0);
			break;
		}
	}
	pfs_daemon_stop(d, DAEMON_GRACE_MS);
}

static void report(int fd, const struct pfs_error *err)
{
	struct pfs_error e = *err;
	if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		note("cannot report to the hook: %s", strerror(errno));
	close(fd);
}

static int write_pids(const char *dir, pid_t daemon, struct pfs_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/pids", dir);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dprintf(fd, "%d %d\n", (int)getpid(), (int)daemon) < 0)
		return pfs_err_set(err, errno, "cannot write %s: %s", p, strerror(errno));
	return 0;
}

static int start_daemon(const struct pfs_oci_daemon_args *a, int backing_fd, int fuse_fd,
			struct pfs_daemon *d, struct pfs_error *err)
{
	struct pfs_run_opts o = {.daemon_path = a->daemon_path,
				 .policy_file = a->policy_file,
				 .proc_rw = a->rw,
				 .pidns_pid_max = a->pid_max,
				 .verbose = a->debug ? 2 : 0};
	int r = pfs_daemon_start(&o, backing_fd, -1, fuse_fd, d, err);
	if (r == 0)
		r = write_pids(a->state_dir, d->pid, err);
	if (r < 0)
		pfs_daemon_stop(d, 0);
	else
		note("procfilterfs %d serves the container's /proc", (int)d->pid);
	return r;
}

/*
 * runc: the init is traced now (the hook returns once it is), and the FUSE
 * /proc is mounted over the container's pivoted root when the workload's
 * exec stops it. Any failure then kills the container: the workload never
 * runs on the kernel's /proc.
 */
static int gated(const struct pfs_oci_daemon_args *a, struct pfs_daemon *d, int rep)
{
	struct pfs_error err = {0};
	pid_t pid = a->spec->pid;
	int r = pfs_oci_gate_seize(pid, &err);
	report(rep, &err);
	if (r < 0)
		return r;
	r = pfs_oci_gate_wait(pid);
	if (r <= 0) {
		note("the container ended before its workload started");
		return -ESRCH;
	}
	struct pfs_oci_made m = {.backing_fd = -1, .fuse_fd = -1};
	r = pfs_oci_enter_and_mount(a->spec, "/", a->ctr_pidfd, "/dev/fuse", &m, &err);
	if (r == 0) {
		r = start_daemon(a, m.backing_fd, m.fuse_fd, d, &err);
		close(m.backing_fd);
		close(m.fuse_fd);
	}
	if (r < 0) {
		note("%s; killing the container", err.msg);
		syscall(SYS_pidfd_send_signal, a->ctr_pidfd, SIGKILL, NULL, 0);
	}
	pfs_oci_gate_release(pid);
	return r;
}

static void supervisor(const struct pfs_oci_daemon_args *a, int backing_fd, int fuse_fd, int rep)
{
	setsid();
	prctl(PR_SET_NAME, SUPERVISOR_COMM);
	/* the runtime reads the hook's stdout and stderr until they close */
	char logp[PATH_MAX];
	snprintf(logp, sizeof(logp), "%s/log", a->state_dir);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0)
		_exit(1);
	struct pfs_daemon d = {.pid = -1, .pidfd = -1};
	struct pfs_error err = {0};
	int r;
	if (a->gate) {
		if (backing_fd >= 0)
			close(backing_fd);
		r = gated(a, &d, rep);
	} else {
		r = start_daemon(a, backing_fd, fuse_fd, &d, &err);
		close(backing_fd);
		close(fuse_fd);
		if (r < 0)
			note("%s", err.msg);
		report(rep, &err);
	}
	if (r == 0) {
		watch(a, &d);
		note("the container ended; procfilterfs stopped");
	}
	remove_state(a->state_dir);
	_exit(r < 0);
}

int pfs_oci_supervise(const struct pfs_oci_daemon_args *a, int backing_fd, int fuse_fd,
		      struct pfs_error *err)
{
	int rp[2];
	if (pipe2(rp, O_CLOEXEC) < 0)
		return pfs_err_set(err, errno, "pipe: %s", strerror(errno));
	cleanup_close int rd = rp[0];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(rp[0]);
		supervisor(a, backing_fd, fuse_fd, rp[1]);
	}
	close(rp[1]);
	if (pid < 0)
		return pfs_err_set(err, errno, "fork: %s", strerror(errno));
	struct pfs_error got = {0};
	ssize_t n;
	do
		n = read(rd, &got, sizeof(got));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(got))
		return pfs_err_set(err, EIO, "the supervisor died while starting procfilterfs");
	got.msg[sizeof(got.msg) - 1] = '\0';
	if (got.code || got.msg[0]) {
		*err = got;
		return -(got.code ? got.code : EIO);
	}
	return 0;
}

static int wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -ETIMEDOUT;
}

/* A pidfd of pid if it still is a process of ours with that comm, else -1. */
static int open_ours(pid_t pid, const char *comm)
{
	if (pid <= 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	char p[64], c[32] = "";
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	if (pfs_read_small_at(AT_FDCWD, p, c, sizeof(c)) <= 0 ||
	    strncmp(c, comm, strlen(comm)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int pfs_oci_stop(const char *dir, int timeout_ms, struct pfs_error *err)
{
	char p[PATH_MAX], text[64] = "";
	snprintf(p, sizeof(p), "%s/pids", dir);
	int sup = 0, dmn = 0;
	if (pfs_read_small_at(AT_FDCWD, p, text, sizeof(text)) <= 0) {
		/* no daemon was started, or the supervisor already cleaned up */
		remove_state(dir);
		return 0;
	}
	char *end = NULL;
	sup = (int)strtol(text, &end, 10);
	dmn = (int)strtol(end, &end, 10);
	if (sup <= 0 || dmn <= 0)
		return pfs_err_set(err, EINVAL, "%s: unreadable", p);
	cleanup_close int sfd = open_ours(sup, SUPERVISOR_COMM);
	cleanup_close int dfd = open_ours(dmn, "procfilterfs");
	if (sfd >= 0 && wait_pidfd(sfd, timeout_ms) == 0)
		return 0;
	/* the supervisor should have seen the container's end: force it */
	if (dfd >= 0) {
		syscall(SYS_pidfd_send_signal, dfd, SIGKILL, NULL, 0);
		wait_pidfd(dfd, 2000);
	}
	if (sfd >= 0) {
		syscall(SYS_pidfd_send_signal, sfd, SIGKILL, NULL, 0);
		wait_pidfd(sfd, 2000);
	}
	remove_state(dir);
	return pfs_err_set(err, ETIMEDOUT,
			   "the supervisor of %s did not finish within %d ms; it and "
			   "procfilterfs were killed",
			   dir, timeout_ms);
}
