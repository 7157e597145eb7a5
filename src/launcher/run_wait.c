/*
 * The launcher's wait for the sandbox, through the monitor (pfs_monitor_run):
 * limits, signals forwarded from a signalfd, the result. A watcher thread
 * reads the init's messages (the workload's own wait status) and tells the
 * monitor about the daemon's death, but only a real one: the daemon also
 * exits, normally, when the sandbox ends and the FUSE connection goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"
#include "pfs/monitor.h"

struct watcher {
	struct pfs_super *super; /* NULL without a daemon */
	int sock;
	int init_pidfd;
	int daemon_pidfd; /* -1: none */
	int died_w; /* written when the daemon died during the run */
	int status; /* the workload's wait status, -1 until known */
	siginfo_t daemon_si;
	bool daemon_died;
	pthread_t thread;
	bool joined;
};

static void recv_status(struct watcher *w, int timeout_ms)
{
	struct pollfd q = {.fd = w->sock, .events = POLLIN};
	struct pfs_msg m;
	while (w->sock >= 0 && poll(&q, 1, timeout_ms) == 1) {
		if (pfs_msg_recv(w->sock, &m, NULL, 0, NULL) < 0) {
			w->sock = -1; /* EOF: the init is gone */
			break;
		}
		if (m.type == PFS_MSG_STATUS)
			w->status = m.code;
		timeout_ms = 0;
	}
}

/*
 * True when the sandbox is ending by itself: the workload's status arrived,
 * or the init exits soon (its namespaces, and so the FUSE mount, go first).
 */
static bool sandbox_ending(struct watcher *w)
{
	recv_status(w, 0);
	if (w->status >= 0 || w->sock < 0)
		return true;
	struct pollfd p = {.fd = w->init_pidfd, .events = POLLIN};
	return poll(&p, 1, 200) == 1;
}

/* The daemon ended for good: the monitor ends the sandbox (XX). */
static void daemon_lost(struct watcher *w, bool reaped)
{
	if (!reaped)
		waitid(P_PIDFD, (id_t)w->daemon_pidfd, &w->daemon_si, WEXITED | WNOHANG | WNOWAIT);
	w->daemon_died = true;
	if (write(w->died_w, "x", 1) < 0)
		pfs_warn("pfs run: cannot tell the monitor of the daemon's death");
}

static void *watch(void *arg)
{
	struct watcher *w = arg;
	struct pfs_super *s = w->super;
	struct pollfd p[3] = {{.fd = w->sock, .events = POLLIN},
			      {.fd = w->daemon_pidfd, .events = POLLIN},
			      {.fd = s ? s->ctl_fd : -1, .events = POLLIN}};
	while (p[0].fd >= 0) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			recv_status(w, 0);
			p[0].fd = w->sock;
		}
		if (s && p[2].fd >= 0 && p[2].revents && p[1].fd >= 0) {
			pfs_upgrade_serve(s); /* pfs upgrade: maybe another daemon */
			w->daemon_pidfd = p[1].fd = s->d.pidfd;
			if (p[1].fd < 0) /* none could be started: s->reason */
				daemon_lost(w, true);
			continue;
		}
		if (p[1].fd >= 0 && p[1].revents) {
			/* the supervisor restarts it when the connection lives on */
			int r = s ? pfs_super_daemon_died(s, &w->daemon_si) : 0;
			w->daemon_pidfd = p[1].fd = s ? s->d.pidfd : -1;
			if (r == 1)
				continue;
			p[1].fd = -1;
			if (r < 0 || (s && s->reason[0]))
				daemon_lost(w, r < 0);
			else if (!sandbox_ending(w))
				daemon_lost(w, false);
			p[0].fd = w->sock;
		}
	}
	return NULL;
}

/* The init is reaped, so its end of the socket is closed: the watcher ends. */
static void join_watcher(struct watcher *w)
{
	if (!w->joined)
		pthread_join(w->thread, NULL);
	w->joined = true;
}

static int workload_status(void *arg)
{
	struct watcher *w = arg;
	join_watcher(w);
	return w->status;
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

static void describe_daemon_death(const struct watcher *w, struct pfs_run_outcome *out)
{
	const siginfo_t *s = &w->daemon_si;
	snprintf(out->message, sizeof(out->message),
		 "procfilterfs (the /proc daemon) died (%s %d) during the run; the sandbox was "
		 "ended. Check the daemon's messages above, or the kernel log for an OOM kill",
		 s->si_code == CLD_EXITED ? "exit status" : "signal", s->si_status);
}

int pfs_run_wait(const struct pfs_run_opts *o, const struct pfs_run_target *t,
		 struct pfs_run_outcome *out, struct pfs_error *err)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	int died[2];
	if (pipe2(died, O_CLOEXEC) < 0)
		return pfs_err_set(err, errno, "pipe: %s", strerror(errno));
	cleanup_close int died_r = died[0];
	cleanup_close int died_w = died[1];
	struct watcher w = {.super = t->super,
			    .sock = t->sock,
			    .init_pidfd = t->init_pidfd,
			    .daemon_pidfd = t->daemon_pidfd,
			    .died_w = died_w,
			    .status = -1};
	/* signals blocked first, so that the thread inherits the mask */
	sigset_t set;
	cleanup_close int sfd = make_signalfd(&set);
	int r = pthread_create(&w.thread, NULL, watch, &w);
	if (r) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return pfs_err_set(err, r, "pthread_create: %s", strerror(r));
	}
	cleanup_fclose FILE *events = NULL;
	if (o->events_file) {
		events = fopen(o->events_file, "we");
		if (!events)
			pfs_warn("pfs run: --events %s: %s; no events are written", o->events_file,
				 strerror(errno));
	}
	struct pfs_monitor_config cfg;
	pfs_monitor_config_init(&cfg);
	cfg.backing_fd = t->backing_fd;
	cfg.init_pidfd = t->init_pidfd;
	cfg.init_pid = t->init_pid;
	cfg.limits = o->limits;
	cfg.cgroup = t->cgroup;
	cfg.events = events;
	cfg.daemon_pidfd = t->daemon_pidfd >= 0 ? died_r : -1;
	cfg.signal_fd = sfd;
	cfg.daemon_gap_fd = t->super ? t->super->gap_r : -1;
	cfg.workload_status = workload_status;
	cfg.workload_status_arg = &w;
	r = pfs_monitor_run(&cfg, &out->res, err);
	join_watcher(&w);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	out->status = w.status;
	out->daemon_died = w.daemon_died;
	if (r < 0)
		return r;
	if (w.daemon_died && t->super && t->super->reason[0]) {
		snprintf(out->message, sizeof(out->message), "%s", t->super->reason);
		out->exit_code = PFS_RUN_EXIT_DAEMON;
	} else if (w.daemon_died) {
		describe_daemon_death(&w, out);
		out->exit_code = PFS_RUN_EXIT_DAEMON;
	} else {
		out->exit_code = out->res.exit_code;
		if (out->res.killed_by[0])
			snprintf(out->message, sizeof(out->message), "%s", out->res.message);
	}
	return 0;
}

int pfs_run_write_result(const struct pfs_run_opts *o, struct pfs_run_outcome *out,
			 struct pfs_error *err)
{
	if (!o->result_file)
		return 0;
	if (out->message[0] && (out->daemon_died || out->res.status == PFS_ST_XX)) {
		out->res.status = PFS_ST_XX;
		snprintf(out->res.message, sizeof(out->res.message), "%s", out->message);
	}
	cleanup_fclose FILE *f = fopen(o->result_file, "we");
	if (!f)
		return pfs_err_set(err, errno, "--result %s: %s; check the directory exists",
				   o->result_file, strerror(errno));
	int r = pfs_result_write_json(&out->res, f);
	if (r < 0 || fflush(f) != 0)
		return pfs_err_set(err, r < 0 ? -r : errno, "--result %s: %s", o->result_file,
				   strerror(r < 0 ? -r : errno));
	return 0;
}
