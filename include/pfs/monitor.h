/*
 * The monitor: samples the sandbox's processes through the backing proc,
 * enforces limits, and produces the result. It never reads the filtered view.
 */
#ifndef PFS_MONITOR_H
#define PFS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pfs/err.h"
#include "pfs/limits.h"

enum pfs_status { PFS_ST_OK, PFS_ST_RE, PFS_ST_SG, PFS_ST_TLE, PFS_ST_WLE, PFS_ST_MLE,
		  PFS_ST_PLE, PFS_ST_FLE, PFS_ST_XX };

const char *pfs_status_name(enum pfs_status s);

struct pfs_monitor_config {
	int backing_fd;	    /* dir fd of the sandbox's own procfs instance */
	int init_pidfd;	    /* pidfd of the sandbox's init (in the launcher's pid ns) */
	pid_t init_pid;	    /* host pid of that init, for waitid */
	struct pfs_limits limits;
	uint64_t interval_us; /* default 100 ms */
	uint64_t grace_us;    /* SIGTERM -> SIGKILL, default 500 ms */
	int cgroup_fd;	      /* the sandbox's cgroup v2 dir, or -1 */
	FILE *events;	      /* JSON lines, or NULL */
	uint64_t events_period_us;
	int daemon_pidfd;     /* procfilterfs; its death ends the sandbox (XX), or -1 */
};

struct pfs_monitor_result {
	enum pfs_status status;
	int exit_code;
	int signal;
	double cpu_s, user_s, sys_s, wall_s;
	uint64_t max_rss_bytes;
	uint64_t peak_procs, peak_threads, peak_fds;
	char killed_by[32]; /* the limit that fired, "" if none */
	char message[512];
	/* which mechanism enforced each limit: "rlimit", "cgroup", "monitor", "" */
	const char *mech_cpu, *mech_wall, *mech_mem, *mech_procs, *mech_threads, *mech_fds,
		*mech_output;
	struct pfs_limits limits;
};

/* Runs until the sandbox's init exits (or a limit ends it). */
int pfs_monitor_run(const struct pfs_monitor_config *cfg, struct pfs_monitor_result *res,
		    struct pfs_error *err);
/* Writes the result as JSON (docs/monitor.md has the schema). */
int pfs_result_write_json(const struct pfs_monitor_result *res, FILE *f);

#endif
