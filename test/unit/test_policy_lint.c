/* Lint findings: dead globs, shadowed rules, writable under readonly, useless expose. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/policy.h"

struct lint_result {
	struct pfs_lint_finding *v;
	size_t n;
};

static struct lint_result lint(const char *text)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_load_string("l.policy", text, &p, &err), 0, "%s", err.msg);
	struct lint_result r = {0};
	cr_assert_eq(pfs_policy_lint(p, &r.v, &r.n), 0);
	/* findings point into the policy's file names: copy what we check */
	for (size_t i = 0; i < r.n; i++)
		r.v[i].src.file = "l.policy";
	pfs_policy_free(p);
	return r;
}

static void one(const char *text, unsigned line, unsigned col, const char *msg)
{
	struct lint_result r = lint(text);
	cr_assert_eq(r.n, 1, "[%s]: %zu findings, first: %s", text, r.n, r.n ? r.v[0].msg : "");
	cr_assert_eq(r.v[0].src.line, line, "line %u", r.v[0].src.line);
	cr_assert_eq(r.v[0].src.col, col, "col %u", r.v[0].src.col);
	cr_assert_str_eq(r.v[0].msg, msg);
	free(r.v);
}

static void clean(const char *text)
{
	struct lint_result r = lint(text);
	cr_assert_eq(r.n, 0, "[%s]: unexpected finding: %s", text, r.n ? r.v[0].msg : "");
	free(r.v);
}

Test(policy_lint, clean_policies)
{
	clean("");
	clean("hide /proc/kcore\nreadonly /proc/sys/**\nempty /proc/sys/kernel/x\n"
	      "hide /proc/*/environ\nexpose /proc/{self}/environ\n"
	      "readonly /proc/sys/**\nexpose /proc/sys/vm/x\nwritable /proc/sys/vm/x\n"
	      "fd hide socket:* pipe:*\nenviron redact *_TOKEN\nenviron redact AWS_*\n");
}

Test(policy_lint, dead_glob)
{
	one("hide /sys/kernel\n", 1, 6,
	    "'/sys/kernel' can never match a /proc path; path globs start with /proc");
	one("replace /etc/x \"y\"\n", 1, 9,
	    "'/etc/x' can never match a /proc path; path globs start with /proc");
}

Test(policy_lint, duplicate_and_shadowed)
{
	one("hide /proc/kcore\n\nhide /proc/kcore\n", 3, 6,
	    "duplicate of 'hide /proc/kcore' at l.policy:1; remove one");
	one("hide /proc/sys/**\nempty /proc/sys/kernel/x\n", 2, 7,
	    "'empty /proc/sys/kernel/x' has no effect: 'hide /proc/sys/**' at l.policy:1 "
	    "already matches these paths and is at least as restrictive");
	one("deny /proc/*/mem\nreadonly /proc/{self}/mem\n", 2, 10,
	    "'readonly /proc/{self}/mem' has no effect: 'deny /proc/*/mem' at l.policy:1 "
	    "already matches these paths and is at least as restrictive");
	/* a narrower earlier rule does not shadow a broader later one */
	clean("hide /proc/sys/kernel/x\nhide /proc/sys/**\n");
	/* an expose in between lifts the earlier rule: not shadowed */
	clean("hide /proc/kcore\nexpose /proc/kcore\nhide /proc/kcore\n");
}

Test(policy_lint, writable_under_readonly)
{
	one("readonly /proc/sys/**\nwritable /proc/sys/kernel/ns_last_pid\n", 2, 10,
	    "writable '/proc/sys/kernel/ns_last_pid' has no effect: 'readonly /proc/sys/**' at "
	    "l.policy:1 also matches and is more restrictive; add 'expose "
	    "/proc/sys/kernel/ns_last_pid' after that rule and before this one");
	/* a later readonly kills it too: expose cannot help an earlier writable */
	struct lint_result r =
		lint("writable /proc/sys/vm/x\nexpose /proc/sys/vm/x\nreadonly /proc/sys/**\n");
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.v[0].src.line, 1);
	cr_assert(strstr(r.v[0].msg, "writable '/proc/sys/vm/x' has no effect"), "%s", r.v[0].msg);
	free(r.v);
}

Test(policy_lint, expose_that_cancels_nothing)
{
	one("hide /proc/kcore\nexpose /proc/keys\n", 2, 8,
	    "expose '/proc/keys' cancels nothing: no earlier rule matches these paths (expose "
	    "only lifts rules above it, including those of included files)");
	one("expose /proc/kcore\nhide /proc/kcore\n", 1, 8,
	    "expose '/proc/kcore' cancels nothing: no earlier rule matches these paths (expose "
	    "only lifts rules above it, including those of included files)");
}

Test(policy_lint, list_rules)
{
	one("fd hide socket:*\nfd hide socket:[1]*\n", 2, 9,
	    "fd hide 'socket:[1]*' has no effect: 'socket:*' at l.policy:1 already covers it");
	one("environ redact AWS_* all\nenviron redact AWS_*\n", 2, 16,
	    "environ redact 'AWS_*' has no effect: 'AWS_*' at l.policy:1 already covers it");
	clean("environ redact AWS_*\nenviron redact AWS_* all\n");
	one("maps drop /home/*\nmaps redact /home/x*\n", 2, 13,
	    "maps rule '/home/x*' has no effect: '/home/*' at l.policy:1 already covers it");
	clean("maps redact /home/*\nmaps drop /home/x*\n");
	one("hide-pid comm=a*\nhide-pid comm=a\n", 2, 10,
	    "hide-pid 'a' has no effect: 'a*' at l.policy:1 already covers it");
	clean("hide-pid comm=a*\nhide-pid exe=a\n");
}

Test(policy_lint, shipped_policies_load_and_are_clean)
{
	const char *files[] = {"filters/default.policy", "filters/strict.policy",
			       "filters/passthrough.policy", "filters/tenants/judge.policy",
			       "filters/tenants/ci-runner.policy"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pfs_policy *p = NULL;
		struct pfs_error err = {0};
		cr_assert_eq(pfs_policy_load(files[i], &p, &err), 0, "%s: %s", files[i], err.msg);
		struct lint_result r = {0};
		cr_assert_eq(pfs_policy_lint(p, &r.v, &r.n), 0);
		cr_assert_eq(r.n, 0, "%s: %s:%u: %s", files[i], r.n ? r.v[0].src.file : "",
			     r.n ? r.v[0].src.line : 0, r.n ? r.v[0].msg : "");
		free(r.v);
		pfs_policy_free(p);
	}
}

Test(policy_lint, shipped_default_masks_what_oci_masks)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_load("filters/tenants/judge.policy", &p, &err), 0, "%s", err.msg);
	struct pfs_match_ctx m = {.self_tgid = 5};
	struct {
		const char *path;
		enum pfs_path_action act;
	} want[] = {
		{"/proc/kcore", PFS_ACT_EMPTY},
		{"/proc/acpi", PFS_ACT_NONE},
		{"/proc/acpi/wakeup", PFS_ACT_HIDE},
		{"/proc/sys/kernel/hostname", PFS_ACT_READONLY},
		{"/proc/sys/kernel/core_pattern", PFS_ACT_EMPTY},
		{"/proc/sysrq-trigger", PFS_ACT_READONLY},
		{"/proc/kpagecount", PFS_ACT_EMPTY},
		{"/proc/net/tcp", PFS_ACT_NONE}, /* judge exposes it again */
		{"/proc/7/task/8/net/tcp", PFS_ACT_NONE}, /* and per process */
		{"/proc/meminfo", PFS_ACT_NONE},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct pfs_path_decision d;
		pfs_policy_decide_path(p, want[i].path, &m, &d);
		cr_assert_eq(d.action, want[i].act, "%s: %d", want[i].path, d.action);
	}
	cr_assert_eq(p->pids_mode, PFS_PIDS_TREE);
	cr_assert(p->rw_forbidden);
	cr_assert_str_eq(p->limits, "cpu=2s,wall=5s,mem=256M,procs=64,fds=256,output=16M");
	pfs_policy_free(p);

	cr_assert_eq(pfs_policy_load("filters/strict.policy", &p, &err), 0, "%s", err.msg);
	struct pfs_path_decision d;
	pfs_policy_decide_path(p, "/proc/7/task/8/net/tcp", &m, &d);
	cr_assert_eq(d.action, PFS_ACT_HIDE);
	pfs_policy_decide_path(p, "/proc/net", &m, &d);
	cr_assert_eq(d.action, PFS_ACT_HIDE);
	cr_assert_eq(p->pids_mode, PFS_PIDS_SAME_UID);
	pfs_policy_free(p);
}
