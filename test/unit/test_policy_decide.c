/* Decisions: precedence, expose, task/ folding, content rules, pid visibility. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pfs/policy.h"

static struct pfs_policy *P;
static const struct pfs_match_ctx M = {.self_tgid = 42};

static void use(const char *text)
{
	struct pfs_error err = {0};
	pfs_policy_free(P);
	P = NULL;
	cr_assert_eq(pfs_policy_load_string("d.policy", text, &P, &err), 0, "%s", err.msg);
}

static void fini(void)
{
	pfs_policy_free(P);
	P = NULL;
}

TestSuite(policy_decide, .fini = fini);

/* Asserts the action for path, and the deciding rule's line (0: no rule). */
static void want(const char *path, enum pfs_path_action act, unsigned line)
{
	struct pfs_path_decision d;
	pfs_policy_decide_path(P, path, &M, &d);
	cr_assert_eq(d.action, act, "%s: action %d, want %d", path, d.action, act);
	if (line == 0) {
		cr_assert_null(d.rule, "%s: unexpected rule", path);
	} else {
		cr_assert_not_null(d.rule, "%s: no rule", path);
		cr_assert_eq(d.rule->line, line, "%s: rule line %u, want %u", path, d.rule->line,
			     line);
	}
}

Test(policy_decide, no_rules)
{
	use("");
	want("/proc/meminfo", PFS_ACT_NONE, 0);
	want("/proc", PFS_ACT_NONE, 0);
}

Test(policy_decide, most_restrictive_wins_regardless_of_order)
{
	use("readonly /proc/sys/**\n" /* 1 */
	    "hide /proc/sys/kernel/x\n" /* 2 */
	    "empty /proc/sys/kernel/*\n" /* 3 */
	    "deny /proc/sys/kernel/y\n" /* 4 */
	    "writable /proc/sys/vm/*\n"); /* 5 */
	want("/proc/sys", PFS_ACT_READONLY, 1);
	want("/proc/sys/net/core/somaxconn", PFS_ACT_READONLY, 1);
	want("/proc/sys/kernel/x", PFS_ACT_HIDE, 2);
	want("/proc/sys/kernel/y", PFS_ACT_DENY, 4);
	want("/proc/sys/kernel/z", PFS_ACT_EMPTY, 3);
	want("/proc/sys/vm/swappiness", PFS_ACT_READONLY, 1);
	want("/proc/meminfo", PFS_ACT_NONE, 0);
}

Test(policy_decide, expose_cancels_only_earlier_rules)
{
	use("hide /proc/*/environ\n" /* 1 */
	    "readonly /proc/sys/**\n" /* 2 */
	    "expose /proc/{self}/environ\n" /* 3 */
	    "expose /proc/sys/kernel/ns_*\n" /* 4 */
	    "writable /proc/sys/kernel/ns_last_pid\n" /* 5 */
	    "deny /proc/{pid}/environ\n"); /* 6 */
	want("/proc/7/environ", PFS_ACT_HIDE, 1);
	want("/proc/42/environ", PFS_ACT_DENY, 6); /* expose is before the deny */
	want("/proc/sys/kernel/ns_last_pid", PFS_ACT_WRITABLE, 5);
	want("/proc/sys/kernel/ns_other", PFS_ACT_NONE, 4);
	want("/proc/sys/kernel/hostname", PFS_ACT_READONLY, 2);
}

Test(policy_decide, expose_after_hide)
{
	use("hide /proc/*/environ\nexpose /proc/{self}/environ\n");
	want("/proc/42/environ", PFS_ACT_NONE, 2);
	want("/proc/43/environ", PFS_ACT_HIDE, 1);
	want("/proc/self/environ", PFS_ACT_HIDE, 1); /* {self} is the tgid, not "self" */
}

Test(policy_decide, task_paths_fold_onto_the_process)
{
	use("hide /proc/*/environ\n"
	    "expose /proc/*/task/*/environ\n" /* cannot re-expose through task/ */
	    "deny /proc/{self}\n"
	    "empty /proc/*/task/*/stat\n");
	want("/proc/1/task/2/environ", PFS_ACT_HIDE, 1);
	want("/proc/1/task/1/environ", PFS_ACT_HIDE, 1);
	want("/proc/42/task/43", PFS_ACT_DENY, 3);
	want("/proc/1/task/2/stat", PFS_ACT_EMPTY, 4);
	want("/proc/1/stat", PFS_ACT_NONE, 0);
	want("/proc/1/task", PFS_ACT_NONE, 0);
	want("/proc/1/task/2/environ/", PFS_ACT_HIDE, 1);
	want("//proc//1/task/2//environ", PFS_ACT_HIDE, 1);
}

Test(policy_decide, content_rules)
{
	use("replace /proc/version \"a\\n\"\n"
	    "replace /proc/vers* \"b\\n\"\n"
	    "hide-lines /proc/cpuinfo /^Serial/\n"
	    "hide-lines /proc/*/status /^Cpus/\n");
	struct pfs_path_decision d;
	pfs_policy_decide_path(P, "/proc/version", &M, &d);
	cr_assert_not_null(d.replace);
	cr_assert_str_eq(d.replace->text, "b\n", "the last matching replace wins");
	cr_assert_not(d.has_line_rules);
	cr_assert_eq(d.action, PFS_ACT_NONE);
	pfs_policy_decide_path(P, "/proc/cpuinfo", &M, &d);
	cr_assert_null(d.replace);
	cr_assert(d.has_line_rules);
	pfs_policy_decide_path(P, "/proc/1/task/2/status", &M, &d);
	cr_assert(d.has_line_rules, "content rules fold task/ paths too");
	pfs_policy_decide_path(P, "/proc/meminfo", &M, &d);
	cr_assert_null(d.replace);
	cr_assert_not(d.has_line_rules);
}

static bool vis(uid_t uid, bool tree, const char *comm, const char *exe, uid_t caller,
		const struct pfs_rule_src **rule)
{
	struct pfs_proc_facts f = {
		.pid = 10, .uid = uid, .comm = comm, .exe = exe, .in_caller_tree = tree};
	return pfs_policy_pid_visible(P, &f, caller, rule);
}

Test(policy_decide, pids_modes)
{
	const struct pfs_rule_src *rule = NULL;
	use("");
	cr_assert(vis(0, false, NULL, NULL, 1000, &rule));
	cr_assert_null(rule);
	cr_assert_not(pfs_policy_needs_comm(P));
	cr_assert_not(pfs_policy_needs_exe(P));

	use("# x\npids same-uid\n");
	cr_assert(vis(1000, false, NULL, NULL, 1000, NULL));
	cr_assert_not(vis(0, true, NULL, NULL, 1000, &rule));
	cr_assert_not_null(rule);
	cr_assert_eq(rule->line, 2);
	cr_assert_not(vis(1000, true, NULL, NULL, 0, NULL), "root callers are not special");

	use("pids tree\n");
	cr_assert(vis(0, true, NULL, NULL, 1000, NULL));
	cr_assert_not(vis(1000, false, NULL, NULL, 1000, NULL));
}

Test(policy_decide, hide_pid)
{
	use("hide-pid comm=agent*\nhide-pid exe=/opt/mon/*\n");
	cr_assert(pfs_policy_needs_comm(P));
	cr_assert(pfs_policy_needs_exe(P));
	const struct pfs_rule_src *rule = NULL;
	cr_assert_not(vis(0, true, "agent-x", "/bin/x", 0, &rule));
	cr_assert_eq(rule->line, 1);
	cr_assert_not(vis(0, true, "sh", "/opt/mon/bin/d", 0, &rule));
	cr_assert_eq(rule->line, 2);
	cr_assert(vis(0, true, "sh", "/bin/sh", 0, &rule));
	cr_assert_null(rule);
	cr_assert(vis(0, true, "sh", NULL, 0, NULL), "unknown exe: no exe rule matches");
	cr_assert_not(vis(0, true, NULL, "/bin/sh", 0, NULL), "unreadable comm: fail closed");
}

/* The rule index must not change any decision: compare with a full scan. */
Test(policy_decide, index_gives_the_same_decisions_as_a_scan)
{
	use("hide /proc/kcore /proc/sys/kernel/x /proc/{pid}/environ /proc/*/maps\n"
	    "readonly /proc/sys/** /proc/{self}/mem /proc/1/status /proc/12345678901/x\n"
	    "expose /proc/sys/kernel/ns_* /proc/{self}/environ /proc/**/status\n"
	    "deny /proc/*/task/*/stat /proc/[0-9]*/cmdline /proc/s*/x /proc/\\73ys/y\n"
	    "empty /proc/{pid}/task/** /proc/{pid} /proc/**\n"
	    "writable /proc/sys/kernel/ns_last_pid /proc/net/x\n"
	    "hide /proc/{pid}/net/** /proc/net/**\n"
	    "expose /proc/net/x\n");
	cr_assert_not_null(P->path_index);
	const char *paths[] = {
		"/proc",
		"/proc/kcore",
		"/proc/sys",
		"/proc/sys/kernel/x",
		"/proc/sys/kernel/ns_last_pid",
		"/proc/sys/y",
		"/proc/sys/x",
		"/proc/1",
		"/proc/1/status",
		"/proc/42/environ",
		"/proc/43/environ",
		"/proc/42/mem",
		"/proc/42/task/43/stat",
		"/proc/42/task/43/environ",
		"/proc/42/cmdline",
		"/proc/12345678901/x",
		"/proc/net",
		"/proc/net/x",
		"/proc/net/tcp",
		"/proc/7/net/tcp",
		"/proc/7/task/8/net/x",
		"/proc/self/environ",
		"/proc/sx/x",
		"/proc//sys//kernel/x/",
		"/other",
	};
	struct pfs_path_index *ix = P->path_index;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct pfs_path_decision a, b;
		P->path_index = ix;
		pfs_policy_decide_path(P, paths[i], &M, &a);
		P->path_index = NULL;
		pfs_policy_decide_path(P, paths[i], &M, &b);
		P->path_index = ix;
		cr_assert_eq(a.action, b.action, "%s: indexed %d, scan %d", paths[i], a.action,
			     b.action);
		cr_assert_eq(a.rule, b.rule, "%s: deciding rules differ", paths[i]);
	}
}

/* Whether name is hidden, decided in full, for any of a few callers. */
static bool hidden_for_some_caller(const char *name)
{
	static const pid_t callers[] = {0, 1, 7, 42, 123, 4194304};
	char path[300];
	snprintf(path, sizeof(path), "/proc/%s", name);
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
		struct pfs_match_ctx m = {.self_tgid = callers[i]};
		struct pfs_path_decision d;
		pfs_policy_decide_path(P, path, &m, &d);
		if (d.action == PFS_ACT_HIDE)
			return true;
	}
	return false;
}

static const char *const root_names[] = {
	"1",	       "7",	  "42",	     "123",   "4194304",    "12345678901", "acpi",
	"asound",      "sys",	  "net",     "kcore", "kpagecount", "kallsyms",	   "self",
	"thread-self", "sysvipc", "meminfo", "scsi",  "driver",	    "fs",	   "#sys",
};

/* A listing may skip the decision only where no caller's decision hides. */
static void shown_is_never_hidden(void)
{
	for (size_t i = 0; i < sizeof(root_names) / sizeof(root_names[0]); i++)
		if (pfs_policy_root_entry_shown(P, root_names[i]))
			cr_assert(!hidden_for_some_caller(root_names[i]),
				  "/proc/%s: shown without a decision, but a rule hides it",
				  root_names[i]);
}

static void want_shown(const char *name, bool shown)
{
	cr_assert_eq(pfs_policy_root_entry_shown(P, name), shown, "/proc/%s: shown %d, want %d",
		     name, !shown, shown);
}

Test(policy_decide, root_entries_of_the_default_policy_need_no_decision)
{
	use("hide /proc/acpi/*/**\n"
	    "hide /proc/sys/fs/binfmt_misc/*/**\n"
	    "empty /proc/kpage*\n"
	    "readonly /proc/sys/**\n"
	    "empty /proc/kcore\n");
	shown_is_never_hidden();
	want_shown("acpi", true);
	want_shown("sys", true);
	want_shown("kpagecount", true); /* empty, not hidden: listed */
	want_shown("123", true);
	want_shown("meminfo", true);
}

Test(policy_decide, root_entries_a_rule_may_hide_are_decided)
{
	use("hide /proc/acpi\nhide /proc/k*\nhide /proc/1*\n");
	shown_is_never_hidden();
	want_shown("acpi", false);
	want_shown("kcore", false); /* a rule without a literal name may match it */
	want_shown("net", false);
	want_shown("123", false);
	want_shown("7", false); /* only the literal prefix is checked: decided in full */

	use("hide /proc/kcore\nhide /proc/s*\n");
	shown_is_never_hidden();
	want_shown("kcore", false);
	want_shown("42", true); /* no hide rule's prefix admits a number */
	want_shown("#sys", false);
}

Test(policy_decide, root_entries_of_self_and_globstars_are_decided)
{
	use("hide /proc/{self}\n");
	shown_is_never_hidden();
	want_shown("42", false);
	want_shown("net", false);

	use("hide /proc/**\nexpose /proc/net\nexpose /proc/{pid}\n");
	shown_is_never_hidden();
	want_shown("net", true); /* its own key, decided once for every caller */
	want_shown("sys", false);
	want_shown("42", false);

	use("hide /proc/12345678901\n");
	shown_is_never_hidden();
	want_shown("12345678901", false);
	want_shown("12", true);
}
