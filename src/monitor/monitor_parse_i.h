/*
 * Internals of the monitor, exposed for unit tests: parsers of the proc files
 * it samples, the rlimit plan, the process table and the JSON helpers.
 */
#ifndef PFS_MONITOR_PARSE_I_H
#define PFS_MONITOR_PARSE_I_H

#include "pfs/json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pfs/limits.h"

/* /proc/<pid>/stat. Times in clock ticks, rss in pages. */
struct pfs_proc_stat {
	pid_t pid, ppid;
	char state;
	char comm[17];
	uint64_t utime, stime, cutime, cstime; /* fields 14-17 */
	uint64_t num_threads; /* field 20 */
	uint64_t starttime; /* field 22 */
	uint64_t vsize; /* field 23, bytes */
	uint64_t rss_pages; /* field 24 */
};
int pfs_parse_proc_stat(const char *buf, size_t len, struct pfs_proc_stat *out);

/* /proc/<pid>/status. Sizes in bytes. Missing Vm* lines (kernel threads,
 * zombies) stay 0. */
struct pfs_proc_status {
	char state;
	uint64_t vm_rss, vm_hwm, vm_size;
	uint64_t threads;
	uint64_t vol_ctxt, nonvol_ctxt;
};
int pfs_parse_proc_status(const char *buf, size_t len, struct pfs_proc_status *out);

/* /proc/<pid>/limits. Indexed by RLIMIT_*; UINT64_MAX = unlimited. */
#define PFS_NRLIMITS 16
struct pfs_rlim_pair {
	uint64_t soft, hard;
	bool present;
};
int pfs_parse_proc_limits(const char *buf, size_t len, struct pfs_rlim_pair out[PFS_NRLIMITS]);
const char *pfs_rlimit_name(int resource); /* "cpu", "nofile", ... */

/* The rlimits pfs_limits_apply_rlimits() sets (present = set by it). */
void pfs_rlimit_plan(const struct pfs_limits *l, unsigned flags,
		     struct pfs_rlim_pair plan[PFS_NRLIMITS]);
/* Number of resources whose soft limit in `seen` differs from `plan`;
 * their indexes go to diff[] (up to PFS_NRLIMITS). */
int pfs_rlimit_compare(const struct pfs_rlim_pair plan[PFS_NRLIMITS],
		       const struct pfs_rlim_pair seen[PFS_NRLIMITS], int diff[PFS_NRLIMITS]);

/* Counts entries of a getdents64 buffer other than "." and "..". */
size_t pfs_count_dirents(const char *buf, size_t len);

/*
 * The process table. A process is keyed by pid AND starttime: a pid that is
 * reused is a different entry. Each entry keeps fds on the process's own
 * backing directory, so reads and signals through them can never reach a
 * later process with the same pid (they fail with ESRCH instead).
 */
struct pfs_proc {
	pid_t pid;
	uint64_t starttime;
	int dir_fd, stat_fd, status_fd, fd_dir_fd;
	unsigned long gen; /* last pass that saw it */
	struct pfs_proc_stat st;
	uint64_t fds;
	uint64_t hwm, vol_ctxt, nonvol_ctxt; /* from status, at the last slow pass */
	bool limits_checked;
	bool fresh; /* not yet given its first full read */
};

struct pfs_ptable {
	struct pfs_proc *v;
	size_t n, cap;
	unsigned long gen;
};

void pfs_ptable_init(struct pfs_ptable *t);
void pfs_ptable_free(struct pfs_ptable *t); /* closes every entry's fds */
struct pfs_proc *pfs_ptable_find(struct pfs_ptable *t, pid_t pid);
/* Adds (pid, starttime); the entry's fds start at -1. NULL on ENOMEM. */
struct pfs_proc *pfs_ptable_add(struct pfs_ptable *t, pid_t pid, uint64_t starttime);
/* Removes the entry at index i (closes its fds). */
void pfs_ptable_remove(struct pfs_ptable *t, size_t i);
void pfs_proc_close(struct pfs_proc *p);

/* Signals the exact process of p through its backing directory fd
 * (pidfd_send_signal accepts a /proc/<pid> dir fd). -ESRCH once it is gone. */
int pfs_proc_signal(const struct pfs_proc *p, int sig);

/*
 * One sampling pass over every process of a backing proc. Existing entries are
 * re-read with pread through their kept fds (a gone process fails with ESRCH
 * and leaves the table); the pid directory is then listed for new processes.
 */
struct pfs_sample_totals {
	uint64_t procs, threads;
	uint64_t rss_bytes; /* sum of RSS */
	uint64_t max_hwm; /* largest VmHWM of a single process */
	uint64_t max_fds; /* largest fd count of a single process */
	pid_t max_fds_pid;
	uint64_t cpu_ticks; /* sum of utime+stime+cutime+cstime */
	uint64_t user_ticks, sys_ticks;
	uint64_t vol_ctxt, nonvol_ctxt; /* sums, as of each process's last status read */
	uint64_t started, exited; /* processes new / gone in this pass */
	bool slow; /* this pass re-read status (and fd/ when not every pass) */
	uint64_t rlimit_diffs; /* new processes whose rlimits differ from the plan */
};

struct pfs_sampler {
	int proc_fd; /* readable directory fd of the backing proc's root */
	struct pfs_ptable t;
	char *buf;
	size_t bufsz;
	bool check_rlimits;
	struct pfs_rlim_pair plan[PFS_NRLIMITS];
	FILE *events; /* start/exit/rlimit events, or NULL */
	double (*clock)(void *arg); /* event timestamps */
	void *clock_arg;
	bool read_fds; /* count fd/ entries (default true) */
	/* stat is re-read every pass; status (VmHWM, a high-water mark, and the
	 * context switches) every slow_every passes and at a process's first
	 * sighting; fd/ every pass when fds_every_pass, else with status. */
	unsigned slow_every; /* default 10 */
	bool fds_every_pass;
	unsigned long passes;
};

/* Does not take backing_fd: it opens its own readable fd on it. */
int pfs_sampler_open(struct pfs_sampler *s, int backing_fd);
void pfs_sampler_close(struct pfs_sampler *s);
int pfs_sampler_pass(struct pfs_sampler *s, struct pfs_sample_totals *tot);
/* Signals every known process; returns how many were signalled. */
int pfs_sampler_signal_all(struct pfs_sampler *s, int sig);

#endif
