/*
 * Resource limits: "cpu=2s,wall=5s,mem=256M,procs=64,threads=256,fds=256,output=16M,cpus=0-1".
 * Shared by `pfs run --limit`, `limit` lines in policies and the monitor.
 */
#ifndef PFS_LIMITS_H
#define PFS_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfs/err.h"

struct pfs_limits {
	/* 0 = unlimited. Times in microseconds, sizes in bytes. */
	uint64_t cpu_us;
	uint64_t wall_us;
	uint64_t mem_bytes;
	uint64_t procs;
	uint64_t threads;
	uint64_t fds;
	uint64_t output_bytes;
	uint64_t cpuset; /* CPUs 0..63 the sandbox may use (cgroup cpuset); 0 = all */
};

/* What the monitor compares a limit with, at each sampling pass. */
enum pfs_limit_measure {
	PFS_MEASURE_NONE, /* the kernel alone enforces it (an rlimit) */
	PFS_MEASURE_CPU_US, /* CPU time of all processes, exited ones included */
	PFS_MEASURE_WALL_US, /* time since the start */
	PFS_MEASURE_RSS, /* resident bytes of all processes */
	PFS_MEASURE_PROCS,
	PFS_MEASURE_THREADS,
	PFS_MEASURE_PROC_FDS, /* open fds of the process that has most */
};

/*
 * One row per limit (limits.c), read by the parser, the monitor's checks, the
 * mechanisms it reports and the result JSON. A new limit is a row plus its
 * field above; a new kind of measure or a kernel mechanism is the monitor's.
 */
struct pfs_limit_def {
	const char *key; /* "cpu": in specs, events and the result */
	size_t off; /* its field in struct pfs_limits */
	int (*parse)(const char *v, uint64_t *out);
	const char *example; /* "cpu=2s" */
	const char *unit; /* of the value in the result: "us", "bytes", "count", "cpumask" */
	enum pfs_limit_measure measure;
	const char *status; /* the result status when it fires: "TLE", ...; NULL: never fires */
	const char *what; /* the measured value in the message: "of CPU used" */
	unsigned check; /* the monitor checks in this order; the first exceeded fires */
	bool rlimit; /* a kernel rlimit backs it (pfs_limits_apply_rlimits) */
	bool rlimit_if_as; /* ... only with PFS_RLIM_AS */
	const char *cgroup; /* the cgroup v2 file that backs it when set, or NULL */
	const char *cgroup_v1; /* the same on cgroup v1 (hybrid hosts), or NULL */
};
extern const struct pfs_limit_def pfs_limit_defs[];
extern const size_t pfs_n_limit_defs;

static inline uint64_t pfs_limit_get(const struct pfs_limits *l, const struct pfs_limit_def *d)
{
	return *(const uint64_t *)(const void *)((const char *)l + d->off);
}

/* Parses spec into *out, overriding only the keys spec names. */
int pfs_limits_parse(const char *spec, struct pfs_limits *out, struct pfs_error *err);

#endif
