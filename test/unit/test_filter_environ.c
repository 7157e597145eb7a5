/* environ filter. */
#include <criterion/criterion.h>
#include <string.h>

#include "test_filter_util.h"

static char *run(const struct pfs_policy *p, const char *in, size_t len, bool is_self,
		 size_t *out_len, struct tr_rec *rec)
{
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_trace t = rec ? tr_recorder(rec) : (struct pfs_trace){0};
	cr_assert_eq(pfs_filter_environ(p, in, len, is_self, &b, rec ? &t : NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	return pfs_buf_steal(&b, out_len);
}

#define ENV "HOME=/root\0AWS_SECRET_KEY=abc\0GH_TOKEN=t=1\0PATH=/bin\0"
#define ENV_LEN (sizeof(ENV) - 1)

static void expect_mem(const char *got, size_t got_len, const char *want, size_t want_len)
{
	cr_assert_eq(got_len, want_len, "length %zu != %zu", got_len, want_len);
	cr_assert_eq(memcmp(got, want, want_len), 0);
}

Test(filter_environ, redacts_value_keeps_name)
{
	struct pfs_policy *p = tp_new();
	tp_env(p, "AWS_*", PFS_ENV_ALL, NULL);
	tp_env(p, "*_TOKEN", PFS_ENV_OTHERS, "xxx");
	struct tr_rec rec;
	size_t n;
	char *out = run(p, ENV, ENV_LEN, false, &n, &rec);
	static const char want[] =
		"HOME=/root\0AWS_SECRET_KEY=[redacted]\0GH_TOKEN=xxx\0PATH=/bin\0";
	expect_mem(out, n, want, sizeof(want) - 1);
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REDACTED);
	cr_assert_str_eq(rec.ev[0].what, "AWS_SECRET_KEY=abc");
	cr_assert_eq(rec.ev[0].line, 1);
	cr_assert_str_eq(rec.ev[1].what, "GH_TOKEN=t=1");
	cr_assert_eq(rec.ev[1].line, 2);
	free(out);
	/* The process itself sees its own GH_TOKEN (scope others), not AWS_* (scope all). */
	out = run(p, ENV, ENV_LEN, true, &n, NULL);
	static const char self[] =
		"HOME=/root\0AWS_SECRET_KEY=[redacted]\0GH_TOKEN=t=1\0PATH=/bin\0";
	expect_mem(out, n, self, sizeof(self) - 1);
	free(out);
	tp_free(p);
}

Test(filter_environ, odd_shapes_kept_exactly)
{
	struct pfs_policy *p = tp_new();
	tp_env(p, "*", PFS_ENV_ALL, "R");
	size_t n;
	/* No '=', empty entries, no trailing NUL, a name-only "X=". */
	static const char in[] = "NOEQ\0\0A=1\0=v\0X=\0LAST=end";
	char *out = run(p, in, sizeof(in) - 1, false, &n, NULL);
	static const char want[] = "NOEQ\0\0A=R\0=R\0X=R\0LAST=R";
	expect_mem(out, n, want, sizeof(want) - 1);
	free(out);
	out = run(p, "", 0, false, &n, NULL);
	cr_assert_eq(n, 0);
	free(out);
	tp_free(p);
}

Test(filter_environ, identity_without_applying_rules)
{
	struct pfs_policy *p = tp_new();
	size_t len, n;
	char *live = tp_read_file("/proc/self/environ", &len);
	char *out = run(p, live, len, false, &n, NULL);
	expect_mem(out, n, live, len);
	free(out);
	tp_env(p, "*", PFS_ENV_OTHERS, NULL);
	out = run(p, live, len, true, &n, NULL);
	expect_mem(out, n, live, len);
	free(out);
	out = run(NULL, live, len, false, &n, NULL);
	expect_mem(out, n, live, len);
	free(out);
	tp_free(p);
	/* A rule that matches nothing runs the parser and still reproduces the input. */
	p = tp_new();
	tp_env(p, "NO_SUCH_VARIABLE_ANYWHERE", PFS_ENV_ALL, NULL);
	out = run(p, live, len, false, &n, NULL);
	expect_mem(out, n, live, len);
	free(out);
	free(live);
	tp_free(p);
}

Test(filter_environ, long_names)
{
	struct pfs_policy *p = tp_new();
	tp_env(p, "LONG*", PFS_ENV_ALL, NULL);
	char in[2048];
	memset(in, 'N', sizeof(in));
	memcpy(in, "LONG", 4);
	in[1000] = '=';
	in[sizeof(in) - 1] = '\0';
	size_t n;
	char *out = run(p, in, sizeof(in), false, &n, NULL);
	cr_assert_eq(n, 1001 + strlen("[redacted]") + 1);
	cr_assert_eq(memcmp(out + 1001, "[redacted]", 10), 0);
	free(out);
	tp_free(p);
}
