/*
 * The launcher's wait for the sandbox: the init's exit, the workload's status
 * (from the init), the daemon's death, and signals to forward. This is the one
 * function to swap for pfs_monitor_run() when the monitor lands.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/launcher.h"
#include "pfs/log.h"

#define DAEMON_GRACE_MS 1000

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Ends the sandbox: SIGTERM to the init (forwarded to the workload), then SIGKILL. */
static void end_sandbox(int init_pidfd)
{
	pidfd_signal(init_pidfd, SIGTERM);
	struct pollfd p = {.fd = init_pidfd, .events = POLLIN};
	if (poll(&p, 1, DAEMON_GRACE_MS) <= 0)
		pidfd_signal(init_pidfd, SIGKILL);
}

/* Drains queued messages: the workload's status may be among them. */
static void drain(int sock, struct pfs_run_outcome *out)
{
	struct pollfd q = {.fd = sock, .events = POLLIN};
	struct pfs_msg m;
	while (sock >= 0 && poll(&q, 1, 0) == 1 && (q.revents & POLLIN) &&
	       pfs_msg_recv(sock, &m, NULL, 0, NULL) == 0)
		if (m.type == PFS_MSG_STATUS)
			out->status = m.code;
}

/*
 * True when the sandbox is ending by itself: the workload's status arrived,
 * or the init exits soon (its namespaces, and so the FUSE mount, go first).
 */
static bool sandbox_ending(int sock, int init_pidfd, struct pfs_run_outcome *out)
{
	drain(sock, out);
	if (out->status >= 0)
		return true;
	struct pollfd p = {.fd = init_pidfd, .events = POLLIN};
	return poll(&p, 1, 200) == 1;
}

static void daemon_died(const struct pfs_daemon *d, int init_pidfd, struct pfs_run_outcome *out)
{
	siginfo_t dsi = {0};
	waitid(P_PIDFD, (id_t)d->pidfd, &dsi, WEXITED | WNOHANG);
	out->daemon_died = true;
	snprintf(out->message, sizeof(out->message),
		 "procfilterfs (the /proc daemon) died (%s %d) during the run; the sandbox was "
		 "ended. Check the daemon's messages above, or the kernel log for an OOM kill",
		 dsi.si_code == CLD_EXITED ? "exit status" : "signal", dsi.si_status);
	end_sandbox(init_pidfd);
}

static int make_signalfd(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	if (!isatty(STDIN_FILENO)) {
		/* from a terminal, the workload gets these from the tty itself */
		sigaddset(set, SIGINT);
		sigaddset(set, SIGQUIT);
	} else {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	sigprocmask(SIG_BLOCK, set, NULL);
	return signalfd(-1, set, SFD_CLOEXEC);
}

int pfs_run_wait(const struct pfs_run_opts *o, pid_t init_pid, int init_pidfd, int sock,
		 int backing_fd, const struct pfs_daemon *d, struct pfs_run_outcome *out,
		 struct pfs_error *err)
{
	(void)o;
	(void)backing_fd;
	memset(out, 0, sizeof(*out));
	out->status = -1;
	sigset_t set;
	cleanup_close int sfd = make_signalfd(&set);
	enum { P_INIT, P_SOCK, P_DAEMON, P_SIG };
	struct pollfd p[4] = {
		{.fd = init_pidfd, .events = POLLIN},
		{.fd = sock, .events = POLLIN},
		{.fd = d ? d->pidfd : -1, .events = POLLIN},
		{.fd = sfd, .events = POLLIN},
	};
	for (;;) {
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return pfs_err_set(err, errno, "poll: %s", strerror(errno));
		}
		if (p[P_SOCK].revents) {
			struct pfs_msg m;
			if (pfs_msg_recv(sock, &m, NULL, 0, NULL) == 0 && m.type == PFS_MSG_STATUS)
				out->status = m.code;
			else
				p[P_SOCK].fd = -1; /* EOF or noise: stop listening */
		}
		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				pidfd_signal(init_pidfd, (int)si.ssi_signo);
		}
		if (p[P_DAEMON].revents && !out->daemon_died) {
			p[P_DAEMON].fd = -1;
			/* the daemon also exits when the sandbox ends on its own */
			if (!sandbox_ending(sock, init_pidfd, out))
				daemon_died(d, init_pidfd, out);
		}
		if (p[P_INIT].revents) {
			siginfo_t si = {0};
			if (waitid(P_PIDFD, (id_t)init_pidfd, &si, WEXITED) < 0)
				return pfs_err_set(err, errno, "waitid: %s", strerror(errno));
			(void)init_pid;
			if (p[P_SOCK].fd >= 0)
				drain(sock, out);
			if (out->daemon_died)
				out->exit_code = PFS_RUN_EXIT_DAEMON;
			else if (out->status >= 0)
				out->exit_code = status_code(out->status);
			else if (si.si_code == CLD_EXITED)
				out->exit_code = si.si_status;
			else
				out->exit_code = 128 + si.si_status;
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			return 0;
		}
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int pfs_run_write_result(const struct pfs_run_opts *o, const struct pfs_run_outcome *out,
			 struct pfs_error *err)
{
	if (!o->result_file)
		return 0;
	cleanup_fclose FILE *f = fopen(o->result_file, "we");
	if (!f)
		return pfs_err_set(err, errno, "--result %s: %s; check the directory exists",
				   o->result_file, strerror(errno));
	int st = out->status;
	const char *status = out->daemon_died	    ? "XX"
			     : st < 0		    ? "XX"
			     : WIFSIGNALED(st)	    ? "SG"
			     : WEXITSTATUS(st) == 0 ? "OK"
						    : "RE";
	fprintf(f, "{\"status\": \"%s\", \"exit_code\": %d, \"signal\": %d, \"message\": ", status,
		st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : out->exit_code,
		st >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	json_str(f, out->message);
	fprintf(f, "}\n");
	if (fflush(f) != 0)
		return pfs_err_set(err, errno, "--result %s: %s", o->result_file, strerror(errno));
	return 0;
}
