/*
 * The procfilterfs daemon: found next to pfs (or --daemon / PFS_DAEMON),
 * started in the launcher's namespaces with the backing fd and the FUSE fd,
 * and waited for until it serves (ready_fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"

#define READY_TIMEOUT_MS 10000

static char daemon_buf[PATH_MAX];

/* Next to pfs (the build directory), else ../sbin (the installed layout). */
int pfs_daemon_find(struct pfs_run_opts *o, struct pfs_error *err)
{
	if (!o->daemon_path) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return pfs_err_set(err, errno, "readlink /proc/self/exe: %s",
					   strerror(errno));
		exe[n] = '\0';
		const char *dir = dirname(exe);
		snprintf(daemon_buf, sizeof(daemon_buf), "%s/../sbin/procfilterfs", dir);
		if (access(daemon_buf, X_OK) < 0)
			snprintf(daemon_buf, sizeof(daemon_buf), "%s/procfilterfs", dir);
		o->daemon_path = daemon_buf;
	}
	if (access(o->daemon_path, X_OK) < 0)
		return pfs_err_set(err, errno,
				   "procfilterfs not found at %s (%s); install it next to pfs, or "
				   "give --daemon PATH (env PFS_DAEMON)",
				   o->daemon_path, strerror(errno));
	return 0;
}

static void exec_daemon(const struct pfs_run_opts *o, int backing_fd, int userns_fd, int fuse_fd,
			int ready_fd, int standby_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* its own session: a Ctrl-C or Ctrl-Z at the terminal is for the workload */
	setsid();
	/* stdin and stdout belong to the workload; the daemon logs to stderr */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0 && (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0))
		_exit(127);
	/* fixed numbers 3, 4, 5, 6 (the user namespace) and 7 (the id table), when given; the rest closed */
	int tmp_b = fcntl(backing_fd, F_DUPFD_CLOEXEC, 10);
	int tmp_f = fcntl(fuse_fd, F_DUPFD_CLOEXEC, 10);
	int tmp_r = fcntl(ready_fd, F_DUPFD_CLOEXEC, 10);
	int tmp_u = userns_fd >= 0 ? fcntl(userns_fd, F_DUPFD_CLOEXEC, 10) : -1;
	int tmp_i = o->idtable_fd > 0 ? fcntl(o->idtable_fd, F_DUPFD_CLOEXEC, 10) : -1;
	int tmp_s = standby_fd >= 0 ? fcntl(standby_fd, F_DUPFD_CLOEXEC, 10) : -1;
	bool ref = o->ref_mnt_fd > 0 && o->ref_root_fd > 0;
	int tmp_m = ref ? fcntl(o->ref_mnt_fd, F_DUPFD_CLOEXEC, 10) : -1;
	int tmp_o = ref ? fcntl(o->ref_root_fd, F_DUPFD_CLOEXEC, 10) : -1;
	if (tmp_b < 0 || tmp_f < 0 || tmp_r < 0 || (userns_fd >= 0 && tmp_u < 0) ||
	    (o->idtable_fd > 0 && tmp_i < 0) || dup2(tmp_b, 3) < 0 || dup2(tmp_f, 4) < 0 ||
	    dup2(tmp_r, 5) < 0 || (tmp_u >= 0 && dup2(tmp_u, 6) < 0) ||
	    (tmp_i >= 0 && dup2(tmp_i, 7) < 0) || (standby_fd >= 0 && tmp_s < 0) ||
	    (tmp_s >= 0 && dup2(tmp_s, 8) < 0) || (ref && (tmp_m < 0 || tmp_o < 0)) ||
	    (ref && (dup2(tmp_m, 9) < 0 || dup2(tmp_o, 10) < 0)))
		_exit(127);
	syscall(SYS_close_range, 11, ~0U, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char opts[PATH_MAX + 128];
	char pm[48] = "", cg[32] = "";
	const char *it =
		tmp_i >= 0 ? (tmp_s >= 0 ? ",idtable_fd=7,standby_fd=8" : ",idtable_fd=7") : "";
	if (o->pidns_pid_max)
		snprintf(pm, sizeof(pm), ",pidns_pid_max=%lu", o->pidns_pid_max);
	if (o->cgroup_pid > 0)
		snprintf(cg, sizeof(cg), ",cgroup_pid=%d", (int)o->cgroup_pid);
	snprintf(opts, sizeof(opts), "backing_fd=3%s,policy=%s,ready_fd=5%s%s%s%s%s",
		 tmp_u >= 0 ? ",userns_fd=6" : "", o->policy_file, o->proc_rw ? ",writable" : "",
		 pm, cg, it, ref ? ",ref_mnt_fd=9,ref_root_fd=10" : "");
	char *argv[8];
	int i = 0;
	argv[i++] = (char *)"procfilterfs";
	argv[i++] = (char *)"-f";
	if (o->verbose > 1)
		argv[i++] = (char *)"-d";
	argv[i++] = (char *)"-o";
	argv[i++] = opts;
	argv[i++] = (char *)"/dev/fd/4";
	argv[i] = NULL;
	execv(o->daemon_path, argv);
	_exit(127);
}

/* Waits for one byte on ready_fd, or the daemon's death, or the timeout. */
int pfs_daemon_wait(int ready_fd, int pidfd, pid_t pid, struct pfs_error *err)
{
	struct pollfd p[2] = {{.fd = ready_fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
	for (;;) {
		int n = poll(p, 2, READY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return pfs_err_set(err, ETIMEDOUT,
					   "procfilterfs did not become ready within %d s; run "
					   "with -vv to see its log",
					   READY_TIMEOUT_MS / 1000);
		if (p[0].revents) {
			char c;
			if (read(ready_fd, &c, 1) == 1)
				return 0;
		}
		/* EOF on ready_fd without a byte, or the daemon exited */
		int st = 0;
		waitpid(pid, &st, 0);
		return pfs_err_set(err, EIO,
				   "procfilterfs exited during start-up (%s %d); check the "
				   "policy with `pfs policy check` and its messages above",
				   WIFSIGNALED(st) ? "signal" : "status",
				   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

int pfs_daemon_spawn(const struct pfs_run_opts *o, int backing_fd, int userns_fd, int fuse_fd,
		     int standby_fd, struct pfs_daemon *d, int *ready_rd, struct pfs_error *err)
{
	int rp[2];
	if (pipe2(rp, O_CLOEXEC) < 0)
		return pfs_err_set(err, errno, "pipe: %s", strerror(errno));
	cleanup_close int rd = rp[0];
	pid_t pid = fork();
	if (pid < 0) {
		close(rp[1]);
		return pfs_err_set(err, errno, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		exec_daemon(o, backing_fd, userns_fd, fuse_fd, rp[1], standby_fd);
	close(rp[1]);
	d->pid = pid;
	d->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (d->pidfd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return pfs_err_set(err, errno, "pidfd_open: %s; Linux 5.3 or later is needed",
				   strerror(errno));
	}
	pfs_debug("run: procfilterfs started, pid %d%s", (int)pid,
		  standby_fd >= 0 ? " (spare)" : "");
	*ready_rd = steal_fd(rd);
	return 0;
}

int pfs_daemon_start(const struct pfs_run_opts *o, int backing_fd, int userns_fd, int fuse_fd,
		     struct pfs_daemon *d, struct pfs_error *err)
{
	int ready = -1;
	int r = pfs_daemon_spawn(o, backing_fd, userns_fd, fuse_fd, -1, d, &ready, err);
	if (r < 0)
		return r;
	r = pfs_daemon_wait(ready, d->pidfd, d->pid, err);
	close(ready);
	if (r < 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, WNOHANG);
		close(d->pidfd);
		d->pidfd = -1;
	}
	return r;
}

/*
 * The daemon exits when the FUSE connection goes away with the sandbox; if it
 * still runs after a grace period (something kept the connection), stop it.
 */
void pfs_daemon_stop(struct pfs_daemon *d, int grace_ms)
{
	if (d->pidfd < 0)
		return;
	static const int sigs[] = {0, SIGTERM, SIGKILL};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (sigs[i])
			syscall(SYS_pidfd_send_signal, d->pidfd, sigs[i], NULL, 0);
		struct pollfd p = {.fd = d->pidfd, .events = POLLIN};
		if (poll(&p, 1, i == 0 ? grace_ms : 2000) == 1)
			break;
	}
	waitid(P_PIDFD, (id_t)d->pidfd, &(siginfo_t){0}, WEXITED);
	close(d->pidfd);
	d->pidfd = -1;
}
