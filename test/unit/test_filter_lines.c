/* Line filters (REPLACE, HIDE_LINES) and fd target visibility. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "test_filter_util.h"

static int run(const struct pfs_policy *p, const char *path, const char *in, char **out,
	       struct tr_rec *rec)
{
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_trace t = rec ? tr_recorder(rec) : (struct pfs_trace){0};
	struct pfs_match_ctx m = {.self_tgid = 42};
	int r = pfs_filter_lines(p, path, &m, in, strlen(in), &b, rec ? &t : NULL);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	*out = pfs_buf_steal(&b, NULL);
	return r;
}

#define CPUINFO "processor\t: 0\nmodel name\t: X\nSerial\t\t: 0000abcd\nflags\t: fpu\n"

Test(filter_lines, hide_lines_by_regex)
{
	struct pfs_policy *p = tp_new();
	tp_hide_lines(p, "/proc/cpuinfo", "^Serial");
	tp_hide_lines(p, "/proc/cpuinfo", "fpu$");
	tp_hide_lines(p, "/proc/meminfo", ".*");
	struct tr_rec rec;
	char *out;
	cr_assert_eq(run(p, "/proc/cpuinfo", CPUINFO, &out, &rec), 0);
	cr_assert_str_eq(out, "processor\t: 0\nmodel name\t: X\n");
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_DROPPED);
	cr_assert_str_eq(rec.ev[0].what, "Serial\t\t: 0000abcd");
	cr_assert_eq(rec.ev[0].line, 1);
	cr_assert_eq(rec.ev[1].line, 2);
	free(out);
	/* Other paths are untouched. */
	cr_assert_eq(run(p, "/proc/version", CPUINFO, &out, NULL), 0);
	cr_assert_str_eq(out, CPUINFO);
	free(out);
	tp_free(p);
}

Test(filter_lines, last_line_without_newline_and_long_lines)
{
	struct pfs_policy *p = tp_new();
	tp_hide_lines(p, "/proc/x", "^drop");
	char *out;
	cr_assert_eq(run(p, "/proc/x", "keep\ndrop me", &out, NULL), 0);
	cr_assert_str_eq(out, "keep\n");
	free(out);
	cr_assert_eq(run(p, "/proc/x", "keep\nkeep too", &out, NULL), 0);
	cr_assert_str_eq(out, "keep\nkeep too");
	free(out);
	char big[3000];
	memset(big, 'k', sizeof(big));
	memcpy(big, "drop", 4);
	big[1500] = '\n';
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(run(p, "/proc/x", big, &out, NULL), 0);
	cr_assert_str_eq(out, big + 1501);
	free(out);
	tp_free(p);
}

Test(filter_lines, replace_then_hide)
{
	struct pfs_policy *p = tp_new();
	tp_replace(p, "/proc/version", "Linux version 1\nsecret line\n");
	tp_replace(p, "/proc/version", "Linux version 2\nsecret line\n");
	tp_hide_lines(p, "/proc/version", "secret");
	struct tr_rec rec;
	char *out;
	cr_assert_eq(run(p, "/proc/version", "Linux version 6.1 (host@build)\n", &out, &rec), 0);
	cr_assert_str_eq(out, "Linux version 2\n");
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REPLACED);
	cr_assert_str_eq(rec.ev[0].what, "Linux version 6.1 (host@build)");
	cr_assert_eq(rec.ev[0].line, 2);
	cr_assert_eq(rec.ev[1].action, PFS_TR_DROPPED);
	cr_assert_eq(rec.ev[1].line, 3);
	free(out);
	tp_free(p);
}

Test(filter_lines, self_placeholder_and_identity)
{
	struct pfs_policy *p = tp_new();
	tp_hide_lines(p, "/proc/{self}/status", "^Uid");
	char *out;
	cr_assert_eq(run(p, "/proc/42/status", "Name: a\nUid: 0\n", &out, NULL), 0);
	cr_assert_str_eq(out, "Name: a\n");
	free(out);
	cr_assert_eq(run(p, "/proc/43/status", "Name: a\nUid: 0\n", &out, NULL), 0);
	cr_assert_str_eq(out, "Name: a\nUid: 0\n");
	free(out);
	cr_assert_eq(run(NULL, "/proc/42/status", "x", &out, NULL), 0);
	cr_assert_str_eq(out, "x");
	free(out);
	tp_free(p);
}

Test(filter_lines, nul_in_content_fails_closed)
{
	struct pfs_policy *p = tp_new();
	tp_hide_lines(p, "/proc/x", "^secret");
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_match_ctx m = {0};
	cr_assert_eq(pfs_filter_lines(p, "/proc/x", &m, "ok\nab\0secret\n", 13, &b, NULL),
		     -EBADMSG);
	pfs_buf_free(&b);
	tp_free(p);
}

Test(filter_fd, hides_by_target_glob)
{
	struct pfs_policy *p = tp_new();
	tp_fd(p, "socket:*");
	tp_fd(p, "/home/**");
	tp_fd(p, "anon_inode:*");
	const struct pfs_rule_src *rule = NULL;
	cr_assert(pfs_fd_target_hidden(p, "socket:[123]", &rule));
	cr_assert_not_null(rule);
	cr_assert_eq(rule->line, 1);
	cr_assert(pfs_fd_target_hidden(p, "/home/alice/.ssh/id_rsa", &rule));
	cr_assert_eq(rule->line, 2);
	cr_assert(pfs_fd_target_hidden(p, "anon_inode:[eventfd]", &rule));
	cr_assert_eq(rule->line, 3);
	cr_assert_not(pfs_fd_target_hidden(p, "pipe:[45]", &rule));
	cr_assert_null(rule);
	cr_assert_not(pfs_fd_target_hidden(p, "/dev/null", NULL));
	cr_assert(pfs_fd_target_hidden(p, NULL, NULL), "unknown target with fd rules: hidden");
	struct pfs_policy *empty = tp_new();
	cr_assert_not(pfs_fd_target_hidden(empty, "socket:[1]", &rule));
	cr_assert_not(pfs_fd_target_hidden(NULL, "socket:[1]", &rule));
	tp_free(empty);
	tp_free(p);
}

Test(filter_trace, action_names)
{
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_DROPPED), "dropped");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_REWRITTEN), "rewritten");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_REDACTED), "redacted");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_REPARENTED), "reparented");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_HIDDEN), "hidden");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_DENIED), "denied");
	cr_assert_str_eq(pfs_trace_action_name(PFS_TR_REPLACED), "replaced");
	cr_assert_str_eq(pfs_trace_action_name((enum pfs_trace_action)99), "unknown");
}
