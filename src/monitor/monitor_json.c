/* The monitor's result: status names, JSON and the one-line summary. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pfs/monitor.h"
#include "monitor_parse_i.h"

static const char *const names[] = {
	[PFS_ST_OK] = "OK",   [PFS_ST_RE] = "RE",   [PFS_ST_SG] = "SG",
	[PFS_ST_TLE] = "TLE", [PFS_ST_WLE] = "WLE", [PFS_ST_MLE] = "MLE",
	[PFS_ST_PLE] = "PLE", [PFS_ST_FLE] = "FLE", [PFS_ST_XX] = "XX",
};

const char *pfs_status_name(enum pfs_status s)
{
	if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "XX";
}

enum pfs_status pfs_status_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && !strcmp(names[i], name))
			return (enum pfs_status)i;
	return PFS_ST_XX;
}

static void limit_json(FILE *f, const char *name, uint64_t value, const char *unit,
		       const char *mech, bool last)
{
	fprintf(f, "    ");
	pfs_json_str(f, name);
	fprintf(f, ": {\"value\": ");
	if (value)
		fprintf(f, "%" PRIu64, value);
	else
		fputs("null", f);
	fprintf(f, ", \"unit\": ");
	pfs_json_str(f, unit);
	fprintf(f, ", \"mechanism\": ");
	pfs_json_str(f, mech && *mech ? mech : "none");
	fprintf(f, "}%s\n", last ? "" : ",");
}

int pfs_result_write_json(const struct pfs_monitor_result *r, FILE *f)
{
	const struct pfs_limits *l = &r->limits;
	fprintf(f, "{\n  \"status\": ");
	pfs_json_str(f, pfs_status_name(r->status));
	fprintf(f, ",\n  \"exit_code\": %d,\n  \"signal\": %d,\n", r->exit_code, r->signal);
	fprintf(f, "  \"cpu_s\": %.6f,\n  \"user_s\": %.6f,\n  \"sys_s\": %.6f,\n", r->cpu_s,
		r->user_s, r->sys_s);
	fprintf(f, "  \"wall_s\": %.6f,\n", r->wall_s);
	fprintf(f, "  \"max_rss_bytes\": %" PRIu64 ",\n", r->max_rss_bytes);
	fprintf(f, "  \"peak_procs\": %" PRIu64 ",\n  \"peak_threads\": %" PRIu64 ",\n",
		r->peak_procs, r->peak_threads);
	fprintf(f, "  \"peak_fds\": %" PRIu64 ",\n", r->peak_fds);
	fprintf(f, "  \"limits\": {\n");
	for (size_t i = 0; i < pfs_n_limit_defs && i < PFS_LIMITS_MAX; i++) {
		const struct pfs_limit_def *d = &pfs_limit_defs[i];
		limit_json(f, d->key, pfs_limit_get(l, d), d->unit, r->mech[i],
			   i + 1 == pfs_n_limit_defs);
	}
	fprintf(f, "  },\n  \"killed_by\": ");
	if (r->killed_by[0])
		pfs_json_str(f, r->killed_by);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"killed_value\": ");
	if (r->killed_by[0])
		fprintf(f, "%" PRIu64, r->killed_value);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"message\": ");
	pfs_json_str(f, r->message);
	fprintf(f, ",\n  \"samples\": %" PRIu64 ",\n  \"rlimit_diffs\": %" PRIu64 ",\n", r->samples,
		r->rlimit_diffs);
	fprintf(f, "  \"daemon_restarts\": %" PRIu32 ",\n  \"daemon_gaps_ms\": [",
		r->daemon_restarts);
	for (uint32_t i = 0; i < r->daemon_restarts && i < PFS_DAEMON_GAPS_MAX; i++)
		fprintf(f, "%s%" PRIu32, i ? ", " : "", r->daemon_gaps_ms[i]);
	fprintf(f, "],\n");
	fprintf(f, "  \"cgroup\": %s\n}\n", r->cgroup_used ? "true" : "false");
	if (fflush(f) == EOF || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}

int pfs_result_summary(const struct pfs_monitor_result *r, char *out, size_t size)
{
	int n = snprintf(out, size,
			 "pfs: %s exit=%d signal=%d cpu=%.3fs wall=%.3fs rss=%.1fMiB procs=%" PRIu64
			 " threads=%" PRIu64 " fds=%" PRIu64 "%s%s",
			 pfs_status_name(r->status), r->exit_code, r->signal, r->cpu_s, r->wall_s,
			 (double)r->max_rss_bytes / (1024.0 * 1024.0), r->peak_procs,
			 r->peak_threads, r->peak_fds, r->killed_by[0] ? " killed_by=" : "",
			 r->killed_by);
	return n < 0 ? -EINVAL : ((size_t)n >= size ? -ENOSPC : 0);
}
