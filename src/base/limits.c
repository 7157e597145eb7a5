#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/limits.h"

/* "2s", "1500ms", "2" (seconds), "1m" (minutes), "250us". */
static int parse_time_us(const char *v, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v || x < 0)
		return -EINVAL;
	double mul = 1e6;
	if (!*end || !strcmp(end, "s"))
		mul = 1e6;
	else if (!strcmp(end, "ms"))
		mul = 1e3;
	else if (!strcmp(end, "us"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60e6;
	else
		return -EINVAL;
	double us = x * mul;
	if (us > 1e18)
		return -ERANGE;
	*out = (uint64_t)us;
	return 0;
}

/* "256M", "1G", "4096", "64K"; binary multiples. */
static int parse_size(const char *v, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -EINVAL;
	unsigned shift = 0;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		end++;
		if (*end == 'i' || *end == 'B')
			end++;
		if (*end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (shift && x > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)x << shift;
	return 0;
}

static int parse_count(const char *v, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end || *v == '-')
		return -EINVAL;
	*out = x;
	return 0;
}

/* "0", "2-3": the CPUs the sandbox may run on (a cpuset), as a mask of CPUs 0..63. */
static int parse_cpus(const char *v, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long a = strtoul(v, &end, 10), b = a;
	if (errno || end == v || *v == '-')
		return -EINVAL;
	if (*end == '-') {
		const char *s = end + 1;
		b = strtoul(s, &end, 10);
		if (end == s || *s == '-')
			return -EINVAL;
	}
	if (*end || b < a || b > 63)
		return -EINVAL;
	uint64_t m = 0;
	for (unsigned long i = a; i <= b; i++)
		m |= 1ull << i;
	*out = m;
	return 0;
}

static int unknown_limit(const char *item, struct pfs_error *err)
{
	char known[256] = "";
	size_t n = 0;
	for (size_t i = 0; i < pfs_n_limit_defs && n < sizeof(known); i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "",
				      pfs_limit_defs[i].key);
	return pfs_err_set(err, EINVAL, "unknown limit '%s'; known: %s", item, known);
}

#define FIELD(f) offsetof(struct pfs_limits, f)
/* In the order of the result JSON and of the parser's list of known keys. */
const struct pfs_limit_def pfs_limit_defs[] = {
	{
		.key = "cpu",
		.off = FIELD(cpu_us),
		.parse = parse_time_us,
		.example = "cpu=2s",
		.unit = "us",
		.measure = PFS_MEASURE_CPU_US,
		.status = "TLE",
		.what = "of CPU used",
		.check = 0,
		.rlimit = true,
	},
	{
		.key = "wall",
		.off = FIELD(wall_us),
		.parse = parse_time_us,
		.example = "wall=5s",
		.unit = "us",
		.measure = PFS_MEASURE_WALL_US,
		.status = "WLE",
		.what = "elapsed",
		.check = 5,
	},
	{
		.key = "mem",
		.off = FIELD(mem_bytes),
		.parse = parse_size,
		.example = "mem=256M",
		.unit = "bytes",
		.measure = PFS_MEASURE_RSS,
		.status = "MLE",
		.what = "bytes resident",
		.check = 1,
		.rlimit_if_as = true,
		.cgroup = "memory.max",
		.cgroup_v1 = "memory.limit_in_bytes",
	},
	{
		.key = "procs",
		.off = FIELD(procs),
		.parse = parse_count,
		.example = "procs=64",
		.unit = "count",
		.measure = PFS_MEASURE_PROCS,
		.status = "PLE",
		.what = "processes",
		.check = 2,
	},
	{
		.key = "threads",
		.off = FIELD(threads),
		.parse = parse_count,
		.example = "threads=256",
		.unit = "count",
		.measure = PFS_MEASURE_THREADS,
		.status = "PLE",
		.what = "threads",
		.check = 3,
		.cgroup = "pids.max",
		.cgroup_v1 = "pids.max",
	},
	{
		.key = "fds",
		.off = FIELD(fds),
		.parse = parse_count,
		.example = "fds=256",
		.unit = "count",
		.measure = PFS_MEASURE_PROC_FDS,
		.status = "FLE",
		.what = "open fds",
		.check = 4,
		.rlimit = true,
	},
	{
		.key = "output",
		.off = FIELD(output_bytes),
		.parse = parse_size,
		.example = "output=16M",
		.unit = "bytes",
		.measure = PFS_MEASURE_NONE,
		.status = "FLE",
		.what = "bytes written to a file",
		.check = 6,
		.rlimit = true,
	},
	{
		.key = "cpus",
		.off = FIELD(cpuset),
		.parse = parse_cpus,
		.example = "cpus=0 or cpus=0-1",
		.unit = "cpumask",
		.measure = PFS_MEASURE_NONE,
		.status = NULL, /* a placement, never exceeded */
		.what = "CPUs",
		.check = 7,
		.cgroup = "cpuset.cpus",
		.cgroup_v1 = "cpuset.cpus",
	},
};
const size_t pfs_n_limit_defs = ARRAY_SIZE(pfs_limit_defs);

int pfs_limits_parse(const char *spec, struct pfs_limits *out, struct pfs_error *err)
{
	const struct pfs_limit_def *keys = pfs_limit_defs;
	if (!spec || !*spec)
		return pfs_err_set(err, EINVAL,
				   "empty limit list; write e.g. cpu=2s,wall=5s,mem=256M");
	cleanup_free char *copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	struct pfs_limits next = *out;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return pfs_err_set(err, EINVAL,
					   "limit '%s' has no value; write KEY=VALUE, e.g. cpu=2s",
					   item);
		*eq = '\0';
		const char *val = eq + 1;
		size_t i;
		for (i = 0; i < pfs_n_limit_defs; i++)
			if (!strcmp(item, keys[i].key))
				break;
		if (i == pfs_n_limit_defs)
			return unknown_limit(item, err);
		uint64_t *slot = (uint64_t *)((char *)&next + keys[i].off);
		if (keys[i].parse(val, slot) < 0)
			return pfs_err_set(err, EINVAL, "bad value '%s' for limit %s; e.g. %s", val,
					   item, keys[i].example);
	}
	*out = next;
	return 0;
}
