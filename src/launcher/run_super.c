/*
 * The daemon's supervisor, in the launcher (outside the sandbox). It keeps
 * a duplicate of the /dev/fuse fd, so the kernel does not abort the
 * connection when the daemon exits, and the id table (a memfd: node ids
 * and file handles that outlive the daemon, pfs/idtable.h). When the daemon
 * dies while the connection lives, it starts another on the same fd, which
 * takes the connection over (src/fs/fuse_raw.c); at most restarts_max times
 * within restarts_window_s, then the sandbox ends as before (exit 122, XX).
 * `pfs upgrade` replaces the daemon with another binary the same way
 * (its control socket, run_upgrade.c). Each gap in service is reported to
 * the monitor (struct pfs_daemon_gap): a `daemon_restart` event.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/idtable.h"
#include "pfs/log.h"
#include "launcher_i.h"

#define DAEMON_EXIT_GRACE_MS 20

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int pfs_super_init(struct pfs_super *s, struct pfs_run_opts *o, int backing_fd, int userns_fd,
		   int fuse_fd, struct pfs_error *err)
{
	*s = (struct pfs_super){.o = o};
	s->spare = (struct pfs_daemon){.pid = -1, .pidfd = -1};
	s->spare_ready = s->spare_go = -1;
	s->backing_fd = backing_fd;
	s->userns_fd = userns_fd;
	s->fuse_fd = -1;
	s->gap_r = s->gap_w = s->ctl_fd = -1;
	s->d = (struct pfs_daemon){.pid = -1, .pidfd = -1};
	int r = pfs_idtable_create(PFS_IDT_DEFAULT_CAP, &o->idtable_fd);
	if (r < 0)
		return pfs_err_set(err, -r, "cannot create the daemon's id table (memfd): %s",
				   strerror(-r));
	/* the init's mount ns and root, now, while it is dumpable: a daemon started
	 * later could not open them (rootless); without them each daemon tries */
	o->ref_mnt_fd = openat(backing_fd, "1/ns/mnt", O_RDONLY | O_CLOEXEC);
	o->ref_root_fd = openat(backing_fd, "1/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->fuse_fd = fcntl(fuse_fd, F_DUPFD_CLOEXEC, 3);
	int p[2];
	if (s->fuse_fd < 0 || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return pfs_err_set(err, errno, "cannot keep the FUSE connection: %s",
				   strerror(errno));
	s->gap_r = p[0];
	s->gap_w = p[1];
	s->deaths = calloc(o->restarts_max + 1, sizeof(*s->deaths));
	if (!s->deaths)
		return pfs_err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Ends the spare: EOF on its standby fd, then SIGKILL if it lingers. */
static void spare_drop(struct pfs_super *s)
{
	if (s->spare_go >= 0)
		close(s->spare_go);
	if (s->spare_ready >= 0)
		close(s->spare_ready);
	s->spare_go = s->spare_ready = -1;
	if (s->spare.pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, s->spare.pidfd, SIGKILL, NULL, 0);
		waitid(P_PIDFD, (id_t)s->spare.pidfd, &(siginfo_t){0}, WEXITED);
		close(s->spare.pidfd);
	}
	s->spare = (struct pfs_daemon){.pid = -1, .pidfd = -1};
}

/*
 * The next daemon, started ahead of time (pfs_raw_standby in the daemon): it
 * loads the policy, opens the backing, starts its oracle, then waits for our
 * byte. A death then costs its wake-up, not a start-up. None when restarts
 * are off; a failure only means the next restart starts one afresh.
 */
static void spare_spawn(struct pfs_super *s)
{
	if (s->o->restarts_max == 0 || s->spare.pidfd >= 0)
		return;
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return;
	struct pfs_error err = {0};
	int r = pfs_daemon_spawn(s->o, s->backing_fd, s->userns_fd, s->fuse_fd, go[0], &s->spare,
				 &s->spare_ready, &err);
	close(go[0]);
	if (r < 0) {
		close(go[1]);
		pfs_debug("run: no spare daemon: %s", err.msg);
		return;
	}
	s->spare_go = go[1];
}

/* Wakes the spare and waits until it serves: 0, it is the daemon now; or -errno. */
static int spare_promote(struct pfs_super *s)
{
	if (s->spare.pidfd < 0)
		return -ENOENT;
	struct pfs_error err = {0};
	/* 'P': set up (a spare still starting is waited for: still the faster way) */
	int r = pfs_daemon_wait(s->spare_ready, s->spare.pidfd, s->spare.pid, &err);
	if (r == 0 && write(s->spare_go, "G", 1) != 1)
		r = -errno;
	if (r == 0)
		r = pfs_daemon_wait(s->spare_ready, s->spare.pidfd, s->spare.pid, &err);
	if (r < 0) {
		pfs_warn("pfs run: the spare daemon failed (%s); starting another", err.msg);
		spare_drop(s);
		return r;
	}
	close(s->spare_ready);
	close(s->spare_go);
	s->spare_ready = s->spare_go = -1;
	s->d = s->spare;
	s->spare = (struct pfs_daemon){.pid = -1, .pidfd = -1};
	return 0;
}

void pfs_super_drop_spare(struct pfs_super *s)
{
	spare_drop(s);
}

void pfs_super_destroy(struct pfs_super *s)
{
	spare_drop(s);
	pfs_daemon_stop(&s->d, DAEMON_EXIT_GRACE_MS);
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->gap_r >= 0)
		close(s->gap_r);
	if (s->gap_w >= 0)
		close(s->gap_w);
	if (s->fuse_fd >= 0)
		close(s->fuse_fd);
	int *fds[] = {&s->o->idtable_fd, &s->o->ref_mnt_fd, &s->o->ref_root_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] > 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(s->deaths);
	s->deaths = NULL;
}

int pfs_super_start(struct pfs_super *s, struct pfs_error *err)
{
	int r = pfs_daemon_start(s->o, s->backing_fd, s->userns_fd, s->fuse_fd, &s->d, err);
	if (r == 0)
		spare_spawn(s);
	return r;
}

/* The connection is still there: the kernel has not aborted it (unmount, abort). */
static bool connection_alive(const struct pfs_super *s)
{
	struct pollfd p = {.fd = s->fuse_fd, .events = POLLIN};
	return poll(&p, 1, 0) >= 0 && !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Another death within the window is allowed: deaths within it so far < max. */
static bool budget_allows(struct pfs_super *s, uint64_t t)
{
	uint64_t window = (uint64_t)s->o->restarts_window_s * 1000000u;
	size_t kept = 0;
	for (size_t i = 0; i < s->n_deaths; i++)
		if (t - s->deaths[i] < window)
			s->deaths[kept++] = s->deaths[i];
	s->n_deaths = kept;
	if (kept >= s->o->restarts_max)
		return false;
	s->deaths[s->n_deaths++] = t;
	return true;
}

static void report_gap(struct pfs_super *s, uint64_t t0, const siginfo_t *si, const char *cause)
{
	struct pfs_daemon_gap g = {.gap_us = now_us() - t0, .count = ++s->restarts};
	if (si && si->si_code == CLD_EXITED)
		g.status = si->si_status;
	else if (si)
		g.signal = si->si_status;
	snprintf(g.cause, sizeof(g.cause), "%s", cause);
	if (write(s->gap_w, &g, sizeof(g)) != (ssize_t)sizeof(g))
		pfs_warn("pfs run: a daemon restart was not reported (%s)", strerror(errno));
	pfs_debug("run: procfilterfs %s, pid %d serves after %.1f ms", cause, (int)s->d.pid,
		  (double)g.gap_us / 1000.0);
}

/* Reaps the dead daemon (*si: how it ended) and closes its pidfd. */
static void reap(struct pfs_super *s, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	waitid(P_PIDFD, (id_t)s->d.pidfd, si, WEXITED);
	close(s->d.pidfd);
	s->d = (struct pfs_daemon){.pid = -1, .pidfd = -1};
}

int pfs_super_replace(struct pfs_super *s, uint64_t t0, siginfo_t *si, const char *cause,
		      struct pfs_error *err)
{
	reap(s, si);
	int r = spare_promote(s);
	if (r < 0)
		r = pfs_daemon_start(s->o, s->backing_fd, s->userns_fd, s->fuse_fd, &s->d, err);
	if (r == 0) {
		report_gap(s, t0, si, cause);
		spare_spawn(s); /* after the gap: not part of it */
	}
	return r;
}

/* No daemon will serve again: our fd was the connection's last, so the kernel
 * aborts it and every waiting caller gets ENOTCONN, as without a supervisor. */
static int give_up(struct pfs_super *s, int r)
{
	spare_drop(s); /* it holds the connection too */
	if (s->fuse_fd >= 0)
		close(s->fuse_fd);
	s->fuse_fd = -1;
	return r;
}

int pfs_super_daemon_died(struct pfs_super *s, siginfo_t *si)
{
	uint64_t t0 = now_us();
	memset(si, 0, sizeof(*si));
	waitid(P_PIDFD, (id_t)s->d.pidfd, si, WEXITED | WNOHANG | WNOWAIT);
	/* exit 0: the connection went away (the sandbox ends); SIGTERM: pfs run stops it */
	bool normal = si->si_code == CLD_EXITED && si->si_status == 0;
	if (normal || !connection_alive(s) || s->o->restarts_max == 0)
		return give_up(s, 0);
	if (!budget_allows(s, t0)) {
		snprintf(s->reason, sizeof(s->reason),
			 "procfilterfs (the /proc daemon) died %u times within %u s "
			 "(--daemon-restarts %u/%u); the sandbox was ended. Check the daemon's "
			 "messages above, or the kernel log for an OOM kill",
			 s->o->restarts_max + 1, s->o->restarts_window_s, s->o->restarts_max,
			 s->o->restarts_window_s);
		return give_up(s, 0);
	}
	struct pfs_error err = {0};
	if (pfs_super_replace(s, t0, si, "died", &err) < 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "procfilterfs (the /proc daemon) died and could not be restarted: %.300s; "
			 "the sandbox was ended",
			 err.msg);
		return give_up(s, -1);
	}
	return 1;
}
