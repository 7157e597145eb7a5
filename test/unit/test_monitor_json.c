/* The monitor's result JSON, status names and summary line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/monitor.h"
#include "monitor/monitor_parse_i.h"

static char *render(const struct pfs_monitor_result *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	cr_assert(f);
	cr_assert_eq(pfs_result_write_json(r, f), 0);
	fclose(f);
	return out;
}

static size_t limit_row(const char *key)
{
	for (size_t i = 0; i < pfs_n_limit_defs; i++)
		if (!strcmp(pfs_limit_defs[i].key, key))
			return i;
	cr_assert_fail("no limit %s", key);
	return 0;
}

Test(monitor_json, status_names_match_the_issue_table)
{
	const char *want[] = {"OK", "RE", "SG", "TLE", "WLE", "MLE", "PLE", "FLE", "XX"};
	for (int s = PFS_ST_OK; s <= PFS_ST_XX; s++)
		cr_assert_str_eq(pfs_status_name((enum pfs_status)s), want[s]);
	cr_assert_str_eq(pfs_status_name((enum pfs_status)99), "XX");
	for (int s = PFS_ST_OK; s <= PFS_ST_XX; s++)
		cr_assert_eq(pfs_status_parse(want[s]), (enum pfs_status)s);
	cr_assert_eq(pfs_status_parse("nope"), PFS_ST_XX);
}

/* Every limit row names a status, a unit and a check rank of its own. */
Test(monitor_json, limit_rows_are_complete)
{
	cr_assert_leq(pfs_n_limit_defs, PFS_LIMITS_MAX);
	bool rank_used[PFS_LIMITS_MAX] = {false};
	for (size_t i = 0; i < pfs_n_limit_defs; i++) {
		const struct pfs_limit_def *d = &pfs_limit_defs[i];
		bool fires = d->measure != PFS_MEASURE_NONE || d->rlimit || d->rlimit_if_as;
		if (fires)
			cr_assert_neq(pfs_status_parse(d->status), PFS_ST_XX, "%s", d->key);
		else
			cr_assert_null(d->status, "%s is never exceeded", d->key);
		cr_assert(!strcmp(d->unit, "us") || !strcmp(d->unit, "bytes") ||
				  !strcmp(d->unit, "count") || !strcmp(d->unit, "cpumask"),
			  "%s", d->key);
		cr_assert_lt(d->check, pfs_n_limit_defs, "%s", d->key);
		cr_assert(!rank_used[d->check], "%s shares its check rank", d->key);
		rank_used[d->check] = true;
	}
}

Test(monitor_json, all_fields_and_values)
{
	struct pfs_monitor_result r = {
		.status = PFS_ST_MLE,
		.exit_code = 143,
		.signal = 15,
		.cpu_s = 1.25,
		.user_s = 1.0,
		.sys_s = 0.25,
		.wall_s = 2.5,
		.max_rss_bytes = 70000000,
		.peak_procs = 3,
		.peak_threads = 5,
		.peak_fds = 17,
		.killed_by = "mem",
		.killed_value = 70000000,
		.limits = {.mem_bytes = 64 << 20, .wall_us = 5000000},
	};
	r.mech[limit_row("mem")] = "monitor";
	r.mech[limit_row("wall")] = "monitor";
	snprintf(r.message, sizeof(r.message), "mem limit: \"quoted\"\\ and\nnewline\x01");
	char *j = render(&r);
	const char *want[] = {
		"\"status\": \"MLE\"",
		"\"exit_code\": 143",
		"\"signal\": 15",
		"\"cpu_s\": 1.250000",
		"\"user_s\": 1.000000",
		"\"sys_s\": 0.250000",
		"\"wall_s\": 2.500000",
		"\"max_rss_bytes\": 70000000",
		"\"peak_procs\": 3",
		"\"peak_threads\": 5",
		"\"peak_fds\": 17",
		"\"mem\": {\"value\": 67108864, \"unit\": \"bytes\", \"mechanism\": \"monitor\"}",
		"\"wall\": {\"value\": 5000000, \"unit\": \"us\", \"mechanism\": \"monitor\"}",
		"\"cpu\": {\"value\": null, \"unit\": \"us\", \"mechanism\": \"none\"}",
		"\"killed_by\": \"mem\"",
		"\"killed_value\": 70000000",
		"\"message\": \"mem limit: \\\"quoted\\\"\\\\ and\\nnewline\\u0001\"",
		"\"cgroup\": false",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(strstr(j, want[i]), "missing %s in\n%s", want[i], j);
	cr_assert_eq(j[0], '{');
	cr_assert_eq(j[strlen(j) - 2], '}');
	free(j);
}

Test(monitor_json, no_kill_gives_nulls)
{
	struct pfs_monitor_result r = {.status = PFS_ST_OK};
	char *j = render(&r);
	cr_assert(strstr(j, "\"killed_by\": null"));
	cr_assert(strstr(j, "\"killed_value\": null"));
	cr_assert(strstr(j, "\"message\": \"\""));
	free(j);
}

Test(monitor_json, write_error_is_reported)
{
	struct pfs_monitor_result r = {.status = PFS_ST_OK};
	FILE *f = fopen("/dev/full", "w");
	cr_assert(f);
	cr_assert_lt(pfs_result_write_json(&r, f), 0);
	fclose(f);
}

Test(monitor_json, summary_line)
{
	struct pfs_monitor_result r = {.status = PFS_ST_TLE,
				       .cpu_s = 1.0,
				       .wall_s = 1.5,
				       .max_rss_bytes = 3 << 20,
				       .peak_procs = 2,
				       .killed_by = "cpu"};
	char line[256];
	cr_assert_eq(pfs_result_summary(&r, line, sizeof(line)), 0);
	cr_assert_str_eq(line, "pfs: TLE exit=0 signal=0 cpu=1.000s wall=1.500s rss=3.0MiB "
			       "procs=2 threads=0 fds=0 killed_by=cpu");
	char tiny[8];
	cr_assert_eq(pfs_result_summary(&r, tiny, sizeof(tiny)), -ENOSPC);
}
