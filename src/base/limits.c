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

int pfs_limits_parse(const char *spec, struct pfs_limits *out, struct pfs_error *err)
{
	static const struct {
		const char *key;
		size_t off;
		int (*parse)(const char *, uint64_t *);
		const char *example;
	} keys[] = {
		{"cpu", offsetof(struct pfs_limits, cpu_us), parse_time_us, "cpu=2s"},
		{"wall", offsetof(struct pfs_limits, wall_us), parse_time_us, "wall=5s"},
		{"mem", offsetof(struct pfs_limits, mem_bytes), parse_size, "mem=256M"},
		{"procs", offsetof(struct pfs_limits, procs), parse_count, "procs=64"},
		{"threads", offsetof(struct pfs_limits, threads), parse_count, "threads=256"},
		{"fds", offsetof(struct pfs_limits, fds), parse_count, "fds=256"},
		{"output", offsetof(struct pfs_limits, output_bytes), parse_size, "output=16M"},
	};
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
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcmp(item, keys[i].key))
				break;
		if (i == ARRAY_SIZE(keys))
			return pfs_err_set(err, EINVAL,
					   "unknown limit '%s'; known: cpu, wall, mem, procs, "
					   "threads, fds, output",
					   item);
		uint64_t *slot = (uint64_t *)((char *)&next + keys[i].off);
		if (keys[i].parse(val, slot) < 0)
			return pfs_err_set(err, EINVAL, "bad value '%s' for limit %s; e.g. %s", val,
					   item, keys[i].example);
	}
	*out = next;
	return 0;
}
