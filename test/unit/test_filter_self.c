/* A task reading its own stat, status and wchan sees itself running. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/filter.h"

static char *run(const char *name, const char *in, int want_r)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_buf_append(&b, in, strlen(in)), 0);
	cr_assert_eq(pfs_filter_running_self(name, &b), want_r);
	cr_assert_eq(pfs_buf_append(&b, "", 1), 0);
	size_t n;
	return pfs_buf_steal(&b, &n);
}

Test(filter_self, stat_state_after_the_last_paren)
{
	char *out = run("stat", "12 (a) S (b)) S 1 12 12 0 -1", 0);
	cr_assert_str_eq(out, "12 (a) S (b)) R 1 12 12 0 -1");
	free(out);
}

/* A stat line of fields 1..52: field 35 is the kernel's "sleeping in wchan" flag. */
static char *stat_line(const char *comm, char state, const char *f35)
{
	char *line = NULL;
	char *tail = NULL;
	cr_assert_geq(asprintf(&tail, "%s", ""), 0);
	for (int f = 4; f <= 52; f++) {
		char *t = NULL;
		cr_assert_geq(asprintf(&t, "%s %s", tail, f == 35 ? f35 : "7"), 0);
		free(tail);
		tail = t;
	}
	cr_assert_geq(asprintf(&line, "12 (%s) %c%s\n", comm, state, tail), 0);
	free(tail);
	return line;
}

Test(filter_self, stat_running_task_shows_no_wchan)
{
	char *in = stat_line("a) 1 1", 'S', "1"), *want = stat_line("a) 1 1", 'R', "0");
	char *out = run("stat", in, 0);
	cr_assert_str_eq(out, want, "field 35 is 0 for a running task");
	free(out);
	free(in);
	in = stat_line("b", 'S', "0");
	free(want);
	want = stat_line("b", 'R', "0");
	out = run("stat", in, 0);
	cr_assert_str_eq(out, want, "0 (not permitted, or many threads) stays 0");
	free(out);
	free(in);
	free(want);
}

Test(filter_self, status_state_line)
{
	char *out = run("status", "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t12\n", 0);
	cr_assert_str_eq(out, "Name:\tx\nUmask:\t0022\nState:\tR (running)\nTgid:\t12\n");
	free(out);
}

Test(filter_self, wchan_is_zero)
{
	char *out = run("wchan", "request_wait_answer", 0);
	cr_assert_str_eq(out, "0");
	free(out);
}

Test(filter_self, other_files_unchanged_and_garbage_refused)
{
	char *out = run("environ", "A=1", 0);
	cr_assert_str_eq(out, "A=1");
	free(out);
	free(run("stat", "12 no paren S", -EBADMSG));
	free(run("status", "Name:\tx\n", -EBADMSG));
}

static char *waits(const char *name, const char *in, uint64_t n, bool self, int want_r)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_buf_append(&b, in, strlen(in)), 0);
	cr_assert_eq(pfs_filter_fuse_waits(name, n, self, &b), want_r);
	cr_assert_eq(pfs_buf_append(&b, "", 1), 0);
	size_t len;
	return pfs_buf_steal(&b, &len);
}

#define STATUS(state, v)                                                                           \
	"Name:\tx\nState:\t" state "\nvoluntary_ctxt_switches:\t" v                                \
	"\nnonvoluntary_ctxt_switches:\t7\n"

Test(filter_self, status_without_fuse_waits)
{
	char *out = waits("status", STATUS("S (sleeping)", "120"), 20, false, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "100"));
	free(out);
	/* the reader itself, asleep in the request being answered: its wait counts */
	out = waits("status", STATUS("S (sleeping)", "120"), 20, true, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "100"));
	free(out);
	/* not asleep yet: this request's wait is not in the kernel's count */
	out = waits("status", STATUS("R (running)", "120"), 20, true, 0);
	cr_assert_str_eq(out, STATUS("R (running)", "101"));
	free(out);
	/* never below zero; no waits: unchanged */
	out = waits("status", STATUS("S (sleeping)", "3"), 20, false, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "0"));
	free(out);
	/* the largest counter, and one past it (strtoull's saturation) */
	out = waits("status", STATUS("S (sleeping)", "18446744073709551615"), 5, false, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "18446744073709551610"));
	free(out);
	out = waits("status", STATUS("S (sleeping)", "99999999999999999999999"), 5, false, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "18446744073709551610"));
	free(out);
	out = waits("status", STATUS("S (sleeping)", "x"), 0, false, 0);
	cr_assert_str_eq(out, STATUS("S (sleeping)", "x"));
	free(out);
}

Test(filter_self, sched_counts_stay_aligned)
{
	const char *in = "x (12, #threads: 1)\n"
			 "nr_switches                                  :                 1005\n"
			 "nr_voluntary_switches                        :                 1000\n"
			 "nr_involuntary_switches                      :                    5\n";
	char *out = waits("sched", in, 998, false, 0);
	cr_assert_str_eq(out,
			 "x (12, #threads: 1)\n"
			 "nr_switches                                  :                    7\n"
			 "nr_voluntary_switches                        :                    2\n"
			 "nr_involuntary_switches                      :                    5\n");
	free(out);
}

Test(filter_self, waits_garbage_refused_other_files_unchanged)
{
	free(waits("status", STATUS("S (sleeping)", "12a"), 1, false, -EBADMSG));
	free(waits("sched", "x\nnr_switches     no colon\n", 1, false, -EBADMSG));
	/* a field wider than any of the kernel's */
	free(waits(
		"sched",
		"x\nnr_switches :                                                            5\n",
		2, false, -EBADMSG));
	char *out = waits("stat", "12 (a) S 1", 5, true, 0);
	cr_assert_str_eq(out, "12 (a) S 1");
	free(out);
	out = waits("status", "Name:\tx\n", 5, false, 0);
	cr_assert_str_eq(out, "Name:\tx\n");
	free(out);
}
