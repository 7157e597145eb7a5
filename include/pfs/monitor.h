/*
 * The monitor: samples the sandbox's processes through the backing proc,
 * enforces limits, and produces the result. It never reads the filtered view.
 * docs/monitor.md describes the result schema, the events and the mechanisms.
 *
 * The whole monitor lives in the core library (src/monitor/monitor_*.c): it has
 * no FUSE dependency, and so the unit tests and test helpers can link it.
 *
 * Launcher sequence:
 *   1. pfs_cgroup_create() (optional; -EOPNOTSUPP means "no usable cgroup v2").
 *   2. fork the init; in the child, before exec: pfs_limits_apply_rlimits().
 *      Put the init into the cgroup (pfs_cgroup_add_pid or CLONE_INTO_CGROUP).
 *   3. pfs_monitor_run() in the launcher (the init's parent): it reaps the init.
 *   4. pfs_result_write_json(), pfs_cgroup_destroy().
 */
#ifndef PFS_MONITOR_H
#define PFS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pfs/err.h"
#include "pfs/limits.h"
#include "pfs/sysinfo.h"

enum pfs_status {
	PFS_ST_OK,
	PFS_ST_RE,
	PFS_ST_SG,
	PFS_ST_TLE,
	PFS_ST_WLE,
	PFS_ST_MLE,
	PFS_ST_PLE,
	PFS_ST_FLE,
	PFS_ST_XX
};

const char *pfs_status_name(enum pfs_status s);
/* The status named name ("TLE"); PFS_ST_XX when unknown. */
enum pfs_status pfs_status_parse(const char *name);

/* Room for the rows of pfs_limit_defs (limits.h) in a result. */
#define PFS_LIMITS_MAX 16

/* Flags of pfs_limits_apply_rlimits() and pfs_monitor_config.rlimit_flags. */
#define PFS_RLIM_AS 0x1 /* also set RLIMIT_AS and RLIMIT_DATA to limits.mem_bytes */
#define PFS_RLIM_NONE 0x2 /* (config only) no rlimits were applied: monitor alone */

struct pfs_monitor_config {
	int backing_fd; /* dir fd of the sandbox's own procfs instance */
	int init_pidfd; /* pidfd of the sandbox's init (in the launcher's pid ns), or -1 */
	pid_t init_pid; /* host pid of that init, for waitid */
	struct pfs_limits limits;
	uint64_t interval_us; /* default 100 ms (0 = default) */
	uint64_t grace_us; /* SIGTERM -> SIGKILL, default 500 ms (0 = default) */
	int cgroup_fd; /* the sandbox's cgroup v2 dir, or -1 (ignored when cgroup is set) */
	FILE *events; /* JSON lines, or NULL */
	uint64_t events_period_us; /* sample events; 0 = every sample */
	int daemon_pidfd; /* procfilterfs; its death ends the sandbox (XX), or -1 */
	/* Added fields (zero = default): */
	unsigned rlimit_flags; /* what the launcher passed to pfs_limits_apply_rlimits */
	/* A signalfd (0 or -1 = none): each signal read from it is forwarded to
	 * the init (not "sent by the monitor": a death by it is SG). */
	int signal_fd;
	/* Called once after the init is reaped: returns the workload's raw wait
	 * status (as from waitpid) when the launcher knows it, else -1. Without
	 * it, the init's exit status N > 128 is read as "killed by signal N-128". */
	int (*workload_status)(void *arg);
	void *workload_status_arg;
	const struct pfs_cgdirs *cgroup; /* the sandbox's cgroup, v1 or v2; NULL: cgroup_fd */
	/* Records of struct pfs_daemon_gap, one per gap in the daemon's service (a
	 * restart or an upgrade: pfs run's supervisor), or -1 (0: none) */
	int daemon_gap_fd;
};

/* A gap in service: the daemon died (or was replaced) and another took over. */
struct pfs_daemon_gap {
	uint64_t gap_us; /* from the old daemon's death to the new one serving */
	int32_t signal; /* what ended the old one: a signal, or */
	int32_t status; /* its exit status when signal is 0 */
	uint32_t count; /* restarts so far, upgrades included */
	char cause[12]; /* "died" or "upgrade" */
};
#define PFS_DAEMON_GAPS_MAX 64

/* Fills cfg with the defaults: no limits, no fds (-1), 100 ms, 500 ms. */
void pfs_monitor_config_init(struct pfs_monitor_config *cfg);

struct pfs_monitor_result {
	enum pfs_status status;
	int exit_code;
	int signal;
	double cpu_s, user_s, sys_s, wall_s;
	uint64_t max_rss_bytes;
	uint64_t peak_procs, peak_threads, peak_fds;
	char killed_by[32]; /* the limit that fired, "" if none */
	char message[512];
	/* which mechanism enforced each limit: "rlimit", "cgroup", "monitor", a
	 * '+'-joined combination such as "rlimit+monitor", or "" when unlimited */
	const char *mech[PFS_LIMITS_MAX]; /* per row of pfs_limit_defs */
	struct pfs_limits limits;
	/* Added fields: */
	uint64_t killed_value; /* the value seen when killed_by fired (us, bytes, count) */
	uint64_t samples; /* sampling passes made */
	uint64_t rlimit_diffs; /* processes whose effective rlimits differed from the plan */
	bool cgroup_used;
	uint32_t daemon_restarts; /* gaps in the daemon's service (pfs_daemon_gap) */
	uint32_t daemon_gaps_ms[PFS_DAEMON_GAPS_MAX]; /* the first PFS_DAEMON_GAPS_MAX of them */
};

/* Runs until the sandbox's init exits (or a limit ends it). Returns 0 when a
 * result was produced (whatever its status), -errno on a setup failure.
 * It reaps the init itself (nobody else may wait for it), and raises this
 * process's soft RLIMIT_NOFILE to the hard limit: it keeps 4 fds per
 * sandbox process. Single-threaded; no signal handlers are installed. */
int pfs_monitor_run(const struct pfs_monitor_config *cfg, struct pfs_monitor_result *res,
		    struct pfs_error *err);
/* Writes the result as JSON (docs/monitor.md has the schema). */
int pfs_result_write_json(const struct pfs_monitor_result *res, FILE *f);
/* One line for -v: "pfs: OK exit=0 cpu=0.01s wall=0.02s rss=1.2MiB procs=1". */
int pfs_result_summary(const struct pfs_monitor_result *res, char *out, size_t size);

/*
 * For benchmarks: makes `passes` full sampling passes over backing_fd (a
 * procfs instance, e.g. /proc) exactly as the monitor does, keeping per-process
 * fds between passes. Returns 0 and the CPU time spent (this thread, in ns)
 * and the number of processes seen in the last pass.
 */
int pfs_monitor_sample_once(int backing_fd, unsigned passes, uint64_t *cpu_ns,
			    uint64_t *procs_seen);

/*
 * Rlimits, in the child before exec: RLIMIT_CPU = ceil(cpu) s, RLIMIT_NOFILE
 * = fds + 1 (the monitor reports FLE above fds; the kernel caps at fds + 1),
 * RLIMIT_FSIZE = output, RLIMIT_CORE = 0, RLIMIT_AS/DATA = mem with PFS_RLIM_AS.
 * Async-signal-safe apart from err formatting on failure.
 */
int pfs_limits_apply_rlimits(const struct pfs_limits *l, unsigned flags, struct pfs_error *err);

/* The sandbox's cgroup, v2 or (hybrid hosts) v1, one per sandbox. */
struct pfs_cgroup {
	int dir_fd; /* v2: the sandbox's cgroup directory; -1 on v1 or when none */
	int parent_fd;
	char name[64];
	bool has_memory, has_pids, has_cpu; /* controllers enabled for it */
	struct pfs_cgdirs dirs; /* version 0: none; v2: every fd is dir_fd */
	int v1_parent[PFS_CG_N]; /* v1: the parent of each controller's directory */
};
#define PFS_CGROUP_INIT                                                                            \
	{                                                                                          \
		.dir_fd = -1, .parent_fd = -1, .dirs = PFS_CGDIRS_INIT,                            \
		.v1_parent = {-1, -1, -1, -1, -1, -1, -1},                                         \
	}

static inline bool pfs_cgroup_exists(const struct pfs_cgroup *cg)
{
	return cg->dirs.version != 0;
}

/*
 * Creates `name` for a sandbox with limits l: on cgroup v2 (the hierarchy at
 * `root`, else /sys/fs/cgroup or /sys/fs/cgroup/unified) when it has the
 * memory controller; else, on a hybrid host, on the v1 hierarchies of
 * memory, cpu, cpuacct, cpuset and pids, under this process's own cgroups,
 * and, when they can be made, blkio (I/O counted per disk) and a group in the
 * controller-less unified hierarchy (the sandbox's pressure files).
 * Writes the memory limit (no swap beyond it) and pids.max = threads.
 * -EOPNOTSUPP when neither is usable.
 */
int pfs_cgroup_create(const char *root, const char *name, const struct pfs_limits *l,
		      struct pfs_cgroup *cg, struct pfs_error *err);
int pfs_cgroup_add_pid(const struct pfs_cgroup *cg, pid_t pid);
/* Kills what is left, removes the directories, closes the fds. */
int pfs_cgroup_destroy(struct pfs_cgroup *cg);
/*
 * Removes the empty "pfs-run-PID" groups under parent_fd whose launcher is
 * gone and that are min_age_s old (a launcher in another pid namespace may
 * have just made one): a pfs run killed by SIGKILL cannot
 * remove its own. rmdir(2) refuses a group that still has tasks.
 */
void pfs_cgroup_sweep_stale(int parent_fd, int min_age_s);
/* The v1 halves of the above (monitor_cgroup_v1.c). */
int pfs_cgroup_v1_create(const char *name, const struct pfs_limits *l, struct pfs_cgroup *cg,
			 struct pfs_error *err);
int pfs_cgroup_v1_add_pid(const struct pfs_cgroup *cg, pid_t pid);
int pfs_cgroup_v1_destroy(struct pfs_cgroup *cg);

struct pfs_cgroup_stats {
	uint64_t usage_us, user_us, system_us; /* cpu */
	uint64_t mem_current, mem_peak; /* 0 when not available */
	uint64_t oom_kills;
	uint64_t pids_current;
	bool mem_limited, pids_limited; /* the cgroup enforces a limit */
};
/* -ENOENT without a cgroup (version 0). */
int pfs_cgroup_read_stats(const struct pfs_cgdirs *d, struct pfs_cgroup_stats *st);

#endif
