/* A task reading its own stat, status and wchan sees itself running. */
#include <criterion/criterion.h>
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
