/* The monitor's loop: sample, check limits, signal, reap the init, result. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/log.h"
#include "pfs/monitor.h"
#include "monitor_parse_i.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum phase { RUNNING, TERMINATING, KILLED };

struct run {
	const struct pfs_monitor_config *cfg;
	struct pfs_monitor_result *res;
	struct pfs_sampler s;
	struct timespec t0;
	uint64_t interval, grace;
	enum phase phase;
	uint64_t term_at, next_sample, next_event;
	bool fired;
	enum pfs_status fired_status;
	long clk_tck;
	uint64_t peak_rss, peak_hwm, last_cpu_us, last_user_us, last_sys_us;
	uint64_t oom_at_start;
	struct pfs_cgdirs cg; /* borrowed fds: version 0 without a cgroup */
	siginfo_t si;
	struct rusage ru;
};

void pfs_monitor_config_init(struct pfs_monitor_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backing_fd = cfg->init_pidfd = cfg->cgroup_fd = cfg->daemon_pidfd = -1;
	cfg->signal_fd = -1;
	cfg->daemon_gap_fd = -1;
	cfg->interval_us = 100000;
	cfg->grace_us = 500000;
}

static uint64_t now_us(const struct run *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t d =
		(int64_t)(ts.tv_sec - r->t0.tv_sec) * 1000000 + (ts.tv_nsec - r->t0.tv_nsec) / 1000;
	return d < 0 ? 0 : (uint64_t)d;
}

static double clock_s(void *arg)
{
	return (double)now_us(arg) / 1e6;
}

__attribute__((format(printf, 2, 3))) static void event(struct run *r, const char *fmt, ...)
{
	FILE *f = r->cfg->events;
	if (!f)
		return;
	fprintf(f, "{\"t\": %.6f, ", clock_s(r));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputs("}\n", f);
}

static void signal_all(struct run *r, int sig)
{
	int n = pfs_sampler_signal_all(&r->s, sig);
	/* SIGKILL from outside the sandbox's pid ns is never ignored by its init,
	 * and the init's death ends every process of the namespace */
	if (sig == SIGKILL && r->cfg->init_pidfd >= 0 &&
	    !syscall(SYS_pidfd_send_signal, r->cfg->init_pidfd, SIGKILL, NULL, 0))
		n++;
	event(r, "\"event\": \"signal\", \"signal\": \"%s\", \"count\": %d",
	      sig == SIGKILL ? "SIGKILL" : "SIGTERM", n);
}

/* A limit fired: record it and start ending the sandbox. First one wins. */
__attribute__((format(printf, 6, 7))) static void fire(struct run *r, enum pfs_status st,
						       const char *name, uint64_t value,
						       uint64_t limit, const char *fmt, ...)
{
	if (r->fired)
		return;
	r->fired = true;
	r->fired_status = st;
	snprintf(r->res->killed_by, sizeof(r->res->killed_by), "%s", name);
	r->res->killed_value = value;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->res->message, sizeof(r->res->message), fmt, ap);
	va_end(ap);
	event(r,
	      "\"event\": \"limit\", \"limit\": \"%s\", \"status\": \"%s\", \"value\": %" PRIu64
	      ", \"max\": %" PRIu64,
	      name, pfs_status_name(st), value, limit);
	signal_all(r, SIGTERM);
	r->phase = TERMINATING;
	r->term_at = now_us(r);
}

static uint64_t measured(const struct pfs_limit_def *d, const struct pfs_sample_totals *t,
			 uint64_t cpu_us, uint64_t now)
{
	switch (d->measure) {
	case PFS_MEASURE_CPU_US:
		return cpu_us;
	case PFS_MEASURE_WALL_US:
		return now;
	case PFS_MEASURE_RSS:
		return t->rss_bytes;
	case PFS_MEASURE_PROCS:
		return t->procs;
	case PFS_MEASURE_THREADS:
		return t->threads;
	case PFS_MEASURE_PROC_FDS:
		return t->max_fds;
	case PFS_MEASURE_NONE:
		break;
	}
	return 0;
}

/* Fires the first limit, in the rows' check order, that the sample exceeds. */
static void check_limits(struct run *r, const struct pfs_sample_totals *t, uint64_t cpu_us,
			 uint64_t now)
{
	for (unsigned rank = 0; rank < pfs_n_limit_defs; rank++) {
		for (size_t i = 0; i < pfs_n_limit_defs; i++) {
			const struct pfs_limit_def *d = &pfs_limit_defs[i];
			uint64_t max = pfs_limit_get(&r->cfg->limits, d);
			if (d->check != rank || d->measure == PFS_MEASURE_NONE || !max)
				continue;
			uint64_t v = measured(d, t, cpu_us, now);
			/* time limits fire when reached, the others when exceeded */
			if (d->measure == PFS_MEASURE_WALL_US ? v < max : v <= max)
				continue;
			char who[32] = "";
			if (d->measure == PFS_MEASURE_PROC_FDS)
				snprintf(who, sizeof(who), "pid %d has ", (int)t->max_fds_pid);
			if (!strcmp(d->unit, "us"))
				fire(r, pfs_status_parse(d->status), d->key, v, max,
				     "%s limit: %.3f s %s, limit %.3f s", d->key, (double)v / 1e6,
				     d->what, (double)max / 1e6);
			else
				fire(r, pfs_status_parse(d->status), d->key, v, max,
				     "%s limit: %s%" PRIu64 " %s, limit %" PRIu64, d->key, who, v,
				     d->what, max);
			return;
		}
	}
}

static void sample(struct run *r, uint64_t now)
{
	struct pfs_sample_totals t;
	int e = pfs_sampler_pass(&r->s, &t);
	if (e < 0)
		pfs_warn("monitor: sampling pass incomplete: %s", strerror(-e));
	r->res->samples++;
	uint64_t cpu_us = t.cpu_ticks * 1000000 / (uint64_t)r->clk_tck;
	struct pfs_cgroup_stats cs;
	if (!pfs_cgroup_read_stats(&r->cg, &cs) && cs.usage_us)
		cpu_us = cs.usage_us;
	if (cpu_us >= r->last_cpu_us) {
		r->last_cpu_us = cpu_us;
		r->last_user_us = t.user_ticks * 1000000 / (uint64_t)r->clk_tck;
		r->last_sys_us = t.sys_ticks * 1000000 / (uint64_t)r->clk_tck;
	}
	struct pfs_monitor_result *res = r->res;
	if (t.procs > res->peak_procs)
		res->peak_procs = t.procs;
	if (t.threads > res->peak_threads)
		res->peak_threads = t.threads;
	if (t.max_fds > res->peak_fds)
		res->peak_fds = t.max_fds;
	if (t.rss_bytes > r->peak_rss)
		r->peak_rss = t.rss_bytes;
	if (t.max_hwm > r->peak_hwm)
		r->peak_hwm = t.max_hwm;
	res->rlimit_diffs += t.rlimit_diffs;
	if (r->cfg->events && now >= r->next_event) {
		event(r,
		      "\"event\": \"sample\", \"procs\": %" PRIu64 ", \"threads\": %" PRIu64
		      ", \"rss_bytes\": %" PRIu64 ", \"cpu_s\": %.6f, \"max_fds\": %" PRIu64
		      ", \"max_hwm_bytes\": %" PRIu64 ", \"voluntary_ctxt\": %" PRIu64
		      ", \"nonvoluntary_ctxt\": %" PRIu64,
		      t.procs, t.threads, t.rss_bytes, (double)cpu_us / 1e6, t.max_fds, t.max_hwm,
		      t.vol_ctxt, t.nonvol_ctxt);
		r->next_event = now + r->cfg->events_period_us;
	}
	if (r->phase == RUNNING)
		check_limits(r, &t, cpu_us, now);
}

/* Reaps the init if it has exited; true once reaped. */
static int try_reap(struct run *r, bool block)
{
	memset(&r->si, 0, sizeof(r->si));
	int opts = WEXITED | __WALL | (block ? 0 : WNOHANG);
	long ret;
	if (r->cfg->init_pidfd >= 0)
		ret = syscall(SYS_waitid, P_PIDFD, r->cfg->init_pidfd, &r->si, opts, &r->ru);
	else
		ret = syscall(SYS_waitid, P_PID, r->cfg->init_pid, &r->si, opts, &r->ru);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	return r->si.si_pid != 0;
}

static bool daemon_died(const struct run *r)
{
	if (r->cfg->daemon_pidfd < 0)
		return false;
	struct pollfd p = {.fd = r->cfg->daemon_pidfd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* A gap in the daemon's service (pfs run's supervisor restarted or replaced it). */
static bool daemon_gap(struct run *r, int fd)
{
	struct pfs_daemon_gap g;
	if (read(fd, &g, sizeof(g)) != (ssize_t)sizeof(g))
		return false;
	g.cause[sizeof(g.cause) - 1] = '\0';
	struct pfs_monitor_result *res = r->res;
	uint32_t ms = (uint32_t)((g.gap_us + 999) / 1000);
	if (res->daemon_restarts < PFS_DAEMON_GAPS_MAX)
		res->daemon_gaps_ms[res->daemon_restarts] = ms;
	res->daemon_restarts++;
	event(r,
	      "\"event\": \"daemon_restart\", \"cause\": \"%s\", \"signal\": %d, \"status\": %d, "
	      "\"gap_ms\": %.3f, \"count\": %u",
	      g.cause, g.signal, g.status, (double)g.gap_us / 1000.0, g.count);
	return true;
}

static void wait_events(struct run *r, uint64_t now)
{
	uint64_t until = r->next_sample;
	const struct pfs_limits *l = &r->cfg->limits;
	if (r->phase == RUNNING && l->wall_us && l->wall_us < until)
		until = l->wall_us;
	if (r->phase == TERMINATING && r->term_at + r->grace < until)
		until = r->term_at + r->grace;
	uint64_t d = until > now ? until - now : 0;
	struct pollfd p[4];
	nfds_t n = 0;
	int gfd = r->cfg->daemon_gap_fd > 0 ? r->cfg->daemon_gap_fd : -1;
	if (gfd >= 0)
		p[n++] = (struct pollfd){.fd = gfd, .events = POLLIN};
	if (r->cfg->init_pidfd >= 0)
		p[n++] = (struct pollfd){.fd = r->cfg->init_pidfd, .events = POLLIN};
	if (r->cfg->daemon_pidfd >= 0)
		p[n++] = (struct pollfd){.fd = r->cfg->daemon_pidfd, .events = POLLIN};
	int sfd = r->cfg->signal_fd > 0 ? r->cfg->signal_fd : -1;
	if (sfd >= 0)
		p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
	struct timespec ts = {.tv_sec = (time_t)(d / 1000000),
			      .tv_nsec = (long)(d % 1000000) * 1000};
	if (ppoll(p, n, &ts, NULL) <= 0)
		return;
	if (gfd >= 0 && (p[0].revents & POLLIN))
		daemon_gap(r, gfd);
	if (sfd < 0 || !(p[n - 1].revents & POLLIN))
		return;
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (r->cfg->init_pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, r->cfg->init_pidfd, (int)si.ssi_signo, NULL,
			      0);
	else
		(void)kill(r->cfg->init_pid, (int)si.ssi_signo);
	event(r, "\"event\": \"forward\", \"signal\": %u", si.ssi_signo);
}

/* The controller a cgroup file belongs to: "memory.max" is memory's. */
static int cg_ctl_of(const char *file)
{
	for (int i = 0; i < PFS_CG_N; i++) {
		size_t n = strlen(pfs_cg_ctl_names[i]);
		if (!strncmp(file, pfs_cg_ctl_names[i], n) && file[n] == '.')
			return i;
	}
	return -1;
}

/* The limit's cgroup file (v1 or v2 name) holds a limit: not "max", empty or v1's ~2^63. */
static bool cg_file_set(const struct pfs_cgdirs *cg, const struct pfs_limit_def *d)
{
	const char *name = cg->version == 1 ? d->cgroup_v1 : cg->version == 2 ? d->cgroup : NULL;
	int ctl = name ? cg_ctl_of(name) : -1;
	if (ctl < 0 || cg->fd[ctl] < 0)
		return false;
	char buf[64] = "";
	cleanup_close int fd = openat(cg->fd[ctl], name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] == '\n' || !strncmp(buf, "max", 3))
		return false;
	char *end = NULL;
	uint64_t v = strtoull(buf, &end, 10);
	/* v1 spells "no limit" as the largest page-rounded value */
	return !(end != buf && (*end == '\n' || !*end) && v >= (UINT64_MAX >> 2));
}

/* The sandbox's cgroup as the config gives it: v1 or v2 dirs, or a v2 fd. */
static void borrow_cgroup(const struct pfs_monitor_config *cfg, struct pfs_cgdirs *d)
{
	*d = (struct pfs_cgdirs)PFS_CGDIRS_INIT;
	if (cfg->cgroup) {
		*d = *cfg->cgroup;
	} else if (cfg->cgroup_fd >= 0) {
		d->version = 2;
		for (int i = 0; i < PFS_CG_N; i++)
			d->fd[i] = cfg->cgroup_fd;
	}
}

/* How each limit is enforced: a cgroup file if set, else a kernel rlimit, and the monitor. */
static void set_mechanisms(struct run *r)
{
	struct pfs_monitor_result *res = r->res;
	bool rl = !(r->cfg->rlimit_flags & PFS_RLIM_NONE);
	res->cgroup_used = r->cg.version != 0;
	for (size_t i = 0; i < pfs_n_limit_defs && i < PFS_LIMITS_MAX; i++) {
		const struct pfs_limit_def *d = &pfs_limit_defs[i];
		bool monitor = d->measure != PFS_MEASURE_NONE;
		bool cgroup = cg_file_set(&r->cg, d);
		bool rlimit =
			!cgroup && rl &&
			(d->rlimit || (d->rlimit_if_as && (r->cfg->rlimit_flags & PFS_RLIM_AS)));
		const char *m = cgroup	  ? (monitor ? "cgroup+monitor" : "cgroup")
				: rlimit  ? (monitor ? "rlimit+monitor" : "rlimit")
				: monitor ? "monitor"
					  : "";
		res->mech[i] = pfs_limit_get(&r->cfg->limits, d) ? m : "";
	}
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* After the init is reaped: exit status, final accounting, the status. */
static void finish(struct run *r)
{
	struct pfs_monitor_result *res = r->res;
	const struct pfs_limits *l = &r->cfg->limits;
	res->wall_s = (double)now_us(r) / 1e6;
	int ws =
		r->cfg->workload_status ? r->cfg->workload_status(r->cfg->workload_status_arg) : -1;
	if (ws >= 0 && r->si.si_code == CLD_EXITED) {
		/* the launcher knows the workload's own wait status */
		if (WIFSIGNALED(ws)) {
			res->signal = WTERMSIG(ws);
			res->exit_code = 128 + res->signal;
		} else {
			res->exit_code = WEXITSTATUS(ws);
		}
	} else if (r->si.si_code == CLD_EXITED) {
		res->exit_code = r->si.si_status;
		/* the init reports a workload killed by signal N as 128 + N */
		if (res->exit_code > 128 && res->exit_code <= 128 + 64)
			res->signal = res->exit_code - 128;
	} else {
		res->signal = r->si.si_status;
		res->exit_code = 128 + r->si.si_status;
	}
	res->user_s = tv_s(r->ru.ru_utime);
	res->sys_s = tv_s(r->ru.ru_stime);
	uint64_t max_rss = r->peak_rss > r->peak_hwm ? r->peak_rss : r->peak_hwm;
	if ((uint64_t)r->ru.ru_maxrss * 1024 > max_rss)
		max_rss = (uint64_t)r->ru.ru_maxrss * 1024;
	struct pfs_cgroup_stats cs = {0};
	if (!pfs_cgroup_read_stats(&r->cg, &cs)) {
		if (cs.usage_us) {
			res->user_s = (double)cs.user_us / 1e6;
			res->sys_s = (double)cs.system_us / 1e6;
		}
		if (cs.mem_peak > max_rss)
			max_rss = cs.mem_peak;
	}
	res->cpu_s = res->user_s + res->sys_s;
	/* processes still alive when the init exits are killed and autoreaped
	 * by the kernel: their CPU never reaches the init's rusage. The last
	 * sample saw them. */
	if ((double)r->last_cpu_us / 1e6 > res->cpu_s) {
		res->cpu_s = (double)r->last_cpu_us / 1e6;
		res->user_s = (double)r->last_user_us / 1e6;
		res->sys_s = res->cpu_s - res->user_s;
	}
	res->max_rss_bytes = max_rss;
	uint64_t cpu_us = (uint64_t)(res->cpu_s * 1e6);

	if (r->fired) {
		res->status = r->fired_status;
		return;
	}
	if (res->signal == SIGXCPU || (l->cpu_us && cpu_us > l->cpu_us)) {
		res->status = PFS_ST_TLE;
		snprintf(res->killed_by, sizeof(res->killed_by), "cpu");
		res->killed_value = cpu_us;
		snprintf(res->message, sizeof(res->message),
			 "cpu limit: %.3f s of CPU used, limit %.3f s%s", res->cpu_s,
			 (double)l->cpu_us / 1e6, res->signal == SIGXCPU ? " (RLIMIT_CPU)" : "");
	} else if (res->signal == SIGXFSZ) {
		res->status = PFS_ST_FLE;
		snprintf(res->killed_by, sizeof(res->killed_by), "output");
		res->killed_value = l->output_bytes;
		snprintf(res->message, sizeof(res->message),
			 "output limit: a file reached %" PRIu64 " bytes (RLIMIT_FSIZE)",
			 l->output_bytes);
	} else if (res->signal == SIGKILL && cs.oom_kills > r->oom_at_start) {
		res->status = PFS_ST_MLE;
		snprintf(res->killed_by, sizeof(res->killed_by), "mem");
		res->killed_value = max_rss;
		snprintf(res->message, sizeof(res->message),
			 "mem limit: the cgroup's memory limit was reached (OOM kill)");
	} else if (res->signal) {
		res->status = PFS_ST_SG;
		snprintf(res->message, sizeof(res->message), "killed by signal %d (%s)",
			 res->signal, strsignal(res->signal));
	} else {
		res->status = res->exit_code ? PFS_ST_RE : PFS_ST_OK;
		snprintf(res->message, sizeof(res->message), "exited with status %d",
			 res->exit_code);
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int pfs_monitor_run(const struct pfs_monitor_config *cfg, struct pfs_monitor_result *res,
		    struct pfs_error *err)
{
	memset(res, 0, sizeof(*res));
	res->limits = cfg->limits;
	if (cfg->backing_fd < 0)
		return pfs_err_set(err, EBADF, "the monitor needs the backing proc's fd");
	if (cfg->init_pidfd < 0 && cfg->init_pid <= 0)
		return pfs_err_set(err, EINVAL, "the monitor needs the init's pidfd or pid");
	struct run r = {.cfg = cfg, .res = res, .phase = RUNNING};
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.interval = cfg->interval_us ? cfg->interval_us : 100000;
	r.grace = cfg->grace_us ? cfg->grace_us : 500000;
	r.clk_tck = sysconf(_SC_CLK_TCK);
	if (r.clk_tck <= 0)
		r.clk_tck = 100;
	borrow_cgroup(cfg, &r.cg);
	set_mechanisms(&r);
	raise_nofile(); /* a kept fd set per process: 4 fds each */
	int e = pfs_sampler_open(&r.s, cfg->backing_fd);
	if (e < 0)
		return pfs_err_set(err, -e, "cannot open the backing proc: %s", strerror(-e));
	r.s.events = cfg->events;
	r.s.clock = clock_s;
	r.s.clock_arg = &r;
	r.s.check_rlimits = !(cfg->rlimit_flags & PFS_RLIM_NONE);
	r.s.fds_every_pass = cfg->limits.fds != 0;
	pfs_rlimit_plan(&cfg->limits, cfg->rlimit_flags, r.s.plan);
	struct pfs_cgroup_stats cs;
	if (!pfs_cgroup_read_stats(&r.cg, &cs))
		r.oom_at_start = cs.oom_kills;

	/* the first sample comes before the first reap: even an init that has
	 * already exited is still listed (as a zombie) until it is reaped */
	int reaped = 0;
	for (;;) {
		uint64_t now = now_us(&r);
		if (r.phase == RUNNING && daemon_died(&r))
			fire(&r, PFS_ST_XX, "daemon", 0, 0, "%s",
			     "procfilterfs died; the sandbox was ended");
		if (now >= r.next_sample) {
			sample(&r, now);
			r.next_sample = now + r.interval;
		} else if (r.phase == RUNNING && cfg->limits.wall_us &&
			   now >= cfg->limits.wall_us) {
			sample(&r, now);
		}
		if (r.phase == TERMINATING && now >= r.term_at + r.grace) {
			struct pfs_sample_totals t;
			(void)pfs_sampler_pass(&r.s, &t); /* catch late forks */
			signal_all(&r, SIGKILL);
			r.phase = KILLED;
		}
		if ((reaped = try_reap(&r, false)))
			break;
		wait_events(&r, now_us(&r));
	}
	if (reaped < 0) {
		/* cannot wait for the init: end the sandbox and report XX */
		e = reaped;
		signal_all(&r, SIGKILL);
		pfs_sampler_close(&r.s);
		res->status = PFS_ST_XX;
		snprintf(res->message, sizeof(res->message), "cannot wait for the init: %s",
			 strerror(-e));
		return pfs_err_set(err, -e, "cannot wait for the sandbox's init: %s", strerror(-e));
	}
	/* gaps reported while the sandbox ended */
	int gfd = cfg->daemon_gap_fd;
	while (gfd > 0 && poll(&(struct pollfd){.fd = gfd, .events = POLLIN}, 1, 0) == 1 &&
	       daemon_gap(&r, gfd))
		;
	finish(&r);
	event(&r, "\"event\": \"end\", \"status\": \"%s\", \"exit_code\": %d, \"signal\": %d",
	      pfs_status_name(res->status), res->exit_code, res->signal);
	if (cfg->events)
		fflush(cfg->events);
	pfs_sampler_close(&r.s);
	return 0;
}
