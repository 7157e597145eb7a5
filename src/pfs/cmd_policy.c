/* pfs policy: check policy files; explain what a caller would see. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "pfs/buf.h"
#include "pfs/cleanup.h"
#include "pfs/cli.h"
#include "pfs/nsview.h"
#include "pfs/policy.h"
#include "pfs/trace.h"
#include "pfs/view.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pfs policy check FILE...\n"
		   "       pfs policy explain FILE [--pid N] [--as-uid U] [--backing DIR] PATH\n"
		   "\n"
		   "check    parses each policy (with its includes) and lints it. Prints one\n"
		   "         'file:line:col: message' per error or finding. Exit status: 0 clean,\n"
		   "         1 errors or findings, 2 usage error.\n"
		   "explain  shows what a caller would see at PATH under the policy, and which\n"
		   "         rule (file:line) dropped or rewrote each line or entry.\n"
		   "\n"
		   "The language is described in docs/policy.md.\n");
}

/* Prints errors and findings for one file; returns how many were printed. */
static size_t check_one(const char *path)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load(path, &p, &err);
	if (r < 0) {
		if (err.code)
			printf("%s\n", err.msg);
		else
			printf("%s: cannot load policy: %s\n", path, strerror(-r));
		return 1;
	}
	struct pfs_lint_finding *f = NULL;
	size_t n = 0;
	r = pfs_policy_lint(p, &f, &n);
	if (r < 0) {
		printf("%s: lint failed: %s\n", path, strerror(-r));
		pfs_policy_free(p);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s:%u:%u: %s\n", f[i].src.file, f[i].src.line, f[i].src.col, f[i].msg);
	free(f);
	pfs_policy_free(p);
	return n;
}

static int cmd_check(int argc, char **argv)
{
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--")) {
			first++;
			break;
		}
		if (!strcmp(argv[first], "--help") || !strcmp(argv[first], "-h")) {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "pfs policy check: unknown option '%s'\n", argv[first]);
		usage(stderr);
		return 2;
	}
	if (first >= argc) {
		fprintf(stderr, "pfs policy check: no policy file given\n");
		usage(stderr);
		return 2;
	}
	size_t problems = 0;
	for (int i = first; i < argc; i++)
		problems += check_one(argv[i]);
	fflush(stdout);
	return problems ? 1 : 0;
}

/* ---- explain ---- */

struct explain_opts {
	const char *policy;
	const char *backing;
	const char *path;
	pid_t pid;
	uid_t uid;
	bool have_pid;
};

static int parse_num(const char *opt, const char *s, long long max, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !*s || *end || v < 0 || v > max) {
		fprintf(stderr, "pfs policy explain: %s needs a number from 0 to %lld, not '%s'\n",
			opt, max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int explain_args(int argc, char **argv, struct explain_opts *o)
{
	*o = (struct explain_opts){.uid = getuid()};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long long v = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--pid") || !strcmp(a, "--as-uid") || !strcmp(a, "--backing")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pfs policy explain: %s needs a value\n", a);
				return -EINVAL;
			}
			const char *val = argv[++i];
			if (!strcmp(a, "--backing")) {
				o->backing = val;
			} else if (!strcmp(a, "--pid")) {
				if (parse_num(a, val, INT32_MAX, &v) < 0)
					return -EINVAL;
				o->pid = (pid_t)v;
				o->have_pid = true;
			} else {
				if (parse_num(a, val, UINT32_MAX - 1, &v) < 0)
					return -EINVAL;
				o->uid = (uid_t)v;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "pfs policy explain: unknown option '%s'\n", a);
			return -EINVAL;
		} else if (!o->policy) {
			o->policy = a;
		} else if (!o->path) {
			o->path = a;
		} else {
			fprintf(stderr, "pfs policy explain: unexpected argument '%s'\n", a);
			return -EINVAL;
		}
	}
	if (!o->policy || !o->path) {
		fprintf(stderr, "pfs policy explain: needs a policy FILE and a /proc PATH\n");
		return -EINVAL;
	}
	if (strncmp(o->path, "/proc", 5) != 0 || (o->path[5] && o->path[5] != '/')) {
		fprintf(stderr,
			"pfs policy explain: PATH must be a /proc path, e.g. /proc/meminfo\n");
		return -EINVAL;
	}
	if (!o->have_pid)
		o->pid = o->backing ? 0 : getpid();
	return 0;
}

/* "/proc/self[/...]" -> "/proc/<pid>[/...]": what a lookup through the link reaches. */
static int resolve_self(const struct explain_opts *o, char *out, size_t cap)
{
	const char *rest = NULL;
	if (!strncmp(o->path, "/proc/self", 10) && (!o->path[10] || o->path[10] == '/'))
		rest = o->path + 10;
	int n = rest ? snprintf(out, cap, "/proc/%d%s", (int)o->pid, rest)
		     : snprintf(out, cap, "%s", o->path);
	if (n < 0 || (size_t)n >= cap || (rest && o->pid <= 0)) {
		fprintf(stderr, "pfs policy explain: cannot resolve '%s'; give --pid N\n", o->path);
		return -EINVAL;
	}
	return 0;
}

static void print_rule(const char *prefix, const struct pfs_rule_src *r)
{
	if (r && r->file)
		printf("%s (%s:%u)\n", prefix, r->file, r->line);
	else
		printf("%s\n", prefix);
}

/* Trace events: collected, printed after the content. */
static void on_event(void *opaque, enum pfs_trace_action a, const char *what, size_t len,
		     const struct pfs_rule_src *rule)
{
	struct pfs_buf *b = opaque;
	pfs_buf_printf(b, "# %s: ", pfs_trace_action_name(a));
	for (size_t i = 0; i < len; i++) {
		char ch = what[i];
		pfs_buf_append(b, (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? &ch : "?", 1);
	}
	if (rule && rule->file)
		pfs_buf_printf(b, "  (%s:%u)\n", rule->file, rule->line);
	else
		pfs_buf_appends(b, "\n");
}

static int print_entry(void *opaque, const struct pfs_dirent *e)
{
	printf("%s\n", e->name);
	return 0;
}

/* Checks the path and each ancestor: 0 when reachable, 1 when the answer is an error. */
static int explain_reach(const struct pfs_view *v, struct pfs_caller *c, const char *path)
{
	char prefix[PATH_MAX];
	size_t n = strlen(path);
	for (size_t i = 5; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (i >= sizeof(prefix))
			return 1;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		struct pfs_loc loc;
		const char *rel = prefix[5] ? prefix + 6 : "";
		if (pfs_loc_init(&loc, v->backing_fd, rel, prefix) < 0)
			continue;
		struct pfs_path_decision d;
		pfs_view_decide(v, c, &loc, &d);
		int r = pfs_view_visible(v, c, &loc, &d);
		if (r == -ENOENT) {
			printf("# %s: ENOENT, ", prefix);
			print_rule(d.action == PFS_ACT_HIDE ? "hidden by a path rule"
							    : "hidden: process, fd or mapping not "
							      "visible to this caller",
				   d.action == PFS_ACT_HIDE ? d.rule : NULL);
			return 1;
		}
		if (r < 0) {
			printf("# %s: %s\n", prefix, strerror(-r));
			return 1;
		}
		if (d.action == PFS_ACT_DENY) {
			printf("# %s: EACCES, ", prefix);
			print_rule("denied", d.rule);
			return 1;
		}
	}
	return 0;
}

static int explain(const struct explain_opts *o, struct pfs_policy *p, int backing_fd)
{
	char path[PATH_MAX];
	if (resolve_self(o, path, sizeof(path)) < 0)
		return 2;
	struct statfs sf;
	/*
	 * On a live proc, link text and sysctls are read in the caller's
	 * namespaces and root, as the daemon reads them; a fixture tree has none.
	 */
	bool live = fstatfs(backing_fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	struct pfs_view v = {.backing_fd = backing_fd, .policy = p, .enter_ns = live};
	pfs_view_policy_changed(&v);
	struct pfs_caller c;
	pfs_caller_init(&c, o->pid, o->uid, getgid());

	printf("# policy %s, backing %s, caller pid %d uid %u\n", o->policy,
	       o->backing ? o->backing : "/proc", (int)o->pid, (unsigned)o->uid);
	struct pfs_loc loc;
	const char *rel = path[5] ? path + 6 : "";
	if (pfs_loc_init(&loc, backing_fd, rel, path) < 0) {
		fprintf(stderr, "pfs policy explain: cannot parse path '%s'\n", path);
		return 1;
	}
	struct pfs_path_decision d;
	pfs_view_decide(&v, &c, &loc, &d);
	char what[64];
	snprintf(what, sizeof(what), "# action: %s", pfs_path_action_name(d.action));
	print_rule(what, d.rule);
	if (explain_reach(&v, &c, path))
		return 0;

	struct stat st;
	int r = pfs_view_stat(&v, &c, &loc, &st);
	if (r < 0) {
		printf("# %s: %s\n", path, strerror(-r));
		return 0;
	}
	cleanup_buf struct pfs_buf events = PFS_BUF_INIT;
	struct pfs_trace t = {.event = on_event, .opaque = &events};
	cleanup_buf struct pfs_buf out = PFS_BUF_INIT;
	if (S_ISDIR(st.st_mode)) {
		printf("# directory listing:\n");
		r = pfs_view_list(&v, &c, &loc, print_entry, NULL, &t);
	} else if (S_ISLNK(st.st_mode)) {
		r = pfs_view_readlink(&v, &c, &loc, &out);
		if (r == 0)
			printf("# link -> %.*s\n", (int)out.len, out.data ? out.data : "");
	} else {
		r = pfs_view_open_check(&v, &loc, &d, O_RDONLY);
		if (r == 0)
			r = pfs_view_render(&v, &c, &loc, &d, &t, &out);
		if (r == 0) {
			printf("# content (%zu bytes):\n", out.len);
			fflush(stdout);
			if (out.len)
				fwrite(out.data, 1, out.len, stdout);
			if (out.len && out.data[out.len - 1] != '\n')
				printf("\n");
		}
	}
	if (events.len)
		printf("# rule effects:\n%s", events.data);
	if (r < 0) {
		printf("# %s: %s\n", path, strerror(-r));
		return r == -EIO ? 1 : 0;
	}
	return 0;
}

/* `pfs policy explain FILE [--pid N] [--as-uid U] [--backing DIR] PATH`. */
static int cmd_explain(int argc, char **argv)
{
	struct explain_opts o;
	int r = explain_args(argc, argv, &o);
	if (r > 0)
		return 0;
	if (r < 0) {
		usage(stderr);
		return 2;
	}
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	r = pfs_policy_load(o.policy, &p, &err);
	if (r < 0) {
		printf("%s\n", err.code ? err.msg : strerror(-r));
		return 1;
	}
	const char *dir = o.backing ? o.backing : "/proc";
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pfs policy explain: cannot open backing '%s': %s\n", dir,
			strerror(errno));
		pfs_policy_free(p);
		return 1;
	}
	/* On a live proc explain enters the reader's namespaces and root: come back after. */
	struct pfs_ns_saved ns;
	bool saved = pfs_ns_save(&ns) == 0;
	r = explain(&o, p, fd);
	if (saved)
		(void)pfs_ns_restore(&ns); /* nothing to undo when it could not enter */
	pfs_policy_free(p);
	return r;
}

int pfs_cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(sub, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "pfs policy: unknown subcommand '%s'\n", sub);
	usage(stderr);
	return 2;
}
