/* Parser: every statement into the right fields, every error with its exact location. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/policy.h"

static struct pfs_policy *load(const char *text)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load_string("t.policy", text, &p, &err);
	cr_assert_eq(r, 0, "load failed: %d %s", r, err.msg);
	cr_assert_not_null(p);
	return p;
}

/* Asserts the policy is refused with exactly `want` as message. */
static void refused(const char *text, const char *want)
{
	struct pfs_policy *p = (struct pfs_policy *)1;
	struct pfs_error err = {0};
	int r = pfs_policy_load_string("t.policy", text, &p, &err);
	cr_assert_lt(r, 0, "should be refused: [%s]", text);
	cr_assert_null(p);
	cr_assert_str_eq(err.msg, want);
}

/* Asserts the message starts with "loc: " and contains needle. */
static void refused_at(const char *text, const char *loc, const char *needle)
{
	struct pfs_policy *p = (struct pfs_policy *)1;
	struct pfs_error err = {0};
	int r = pfs_policy_load_string("t.policy", text, &p, &err);
	cr_assert_eq(r, -EINVAL, "should be refused: [%s] (%d)", text, r);
	cr_assert_null(p);
	cr_assert(!strncmp(err.msg, loc, strlen(loc)) && err.msg[strlen(loc)] == ':',
		  "[%s]: message [%s] not at %s", text, err.msg, loc);
	cr_assert(strstr(err.msg, needle), "[%s]: message [%s] lacks [%s]", text, err.msg, needle);
}

Test(policy_parse, empty_and_comments)
{
	struct pfs_policy *p = load("# only comments\n\n   \t# indented\n");
	cr_assert_eq(p->n_path_rules, 0);
	cr_assert_eq(p->pids_mode, PFS_PIDS_ALL);
	cr_assert_eq(p->n_files, 1);
	cr_assert_str_eq(p->files[0], "t.policy");
	pfs_policy_free(p);
	cr_assert_eq(pfs_policy_new_empty(&p), 0);
	cr_assert_eq(p->n_path_rules + p->n_mount_rules + p->n_content_rules, 0);
	pfs_policy_free(p);
}

Test(policy_parse, path_actions)
{
	struct pfs_policy *p = load("hide /proc/kcore /proc/keys # two globs\n"
				    "deny /proc/*/mem\n"
				    "empty /proc/interrupts\n"
				    "readonly /proc/sys/**\n"
				    "  writable /proc/sys/kernel/ns_last_pid\n"
				    "expose /proc/keys\n");
	cr_assert_eq(p->n_path_rules, 7);
	struct {
		enum pfs_path_action a;
		bool expose;
		const char *pat;
		unsigned line, col;
	} want[] = {
		{PFS_ACT_HIDE, false, "/proc/kcore", 1, 6},
		{PFS_ACT_HIDE, false, "/proc/keys", 1, 18},
		{PFS_ACT_DENY, false, "/proc/*/mem", 2, 6},
		{PFS_ACT_EMPTY, false, "/proc/interrupts", 3, 7},
		{PFS_ACT_READONLY, false, "/proc/sys/**", 4, 10},
		{PFS_ACT_WRITABLE, false, "/proc/sys/kernel/ns_last_pid", 5, 12},
		{PFS_ACT_NONE, true, "/proc/keys", 6, 8},
	};
	for (size_t i = 0; i < 7; i++) {
		const struct pfs_path_rule *r = &p->path_rules[i];
		cr_assert_eq(r->action, want[i].a, "rule %zu", i);
		cr_assert_eq(r->expose, want[i].expose, "rule %zu", i);
		cr_assert_str_eq(pfs_glob_pattern(r->glob), want[i].pat);
		cr_assert_eq(r->src.line, want[i].line, "rule %zu line", i);
		cr_assert_eq(r->src.col, want[i].col, "rule %zu col", i);
		cr_assert_str_eq(r->src.file, "t.policy");
	}
	pfs_policy_free(p);
}

Test(policy_parse, pids_and_hide_pid)
{
	struct pfs_policy *p = load("pids same-uid\nhide-pid comm=agent* exe=/usr/bin/mon*\n");
	cr_assert_eq(p->pids_mode, PFS_PIDS_SAME_UID);
	cr_assert_eq(p->pids_src.line, 1);
	cr_assert_eq(p->n_pid_rules, 2);
	cr_assert_eq(p->pid_rules[0].by, PFS_PID_BY_COMM);
	cr_assert_str_eq(pfs_glob_pattern(p->pid_rules[0].glob), "agent*");
	cr_assert_eq(p->pid_rules[1].by, PFS_PID_BY_EXE);
	cr_assert_str_eq(pfs_glob_pattern(p->pid_rules[1].glob), "/usr/bin/mon*");
	cr_assert_eq(p->pid_rules[1].src.col, 22);
	pfs_policy_free(p);
	p = load("pids tree\n");
	cr_assert_eq(p->pids_mode, PFS_PIDS_TREE);
	pfs_policy_free(p);
	p = load("pids tree\npids all\n");
	cr_assert_eq(p->pids_mode, PFS_PIDS_ALL, "the last pids line wins");
	cr_assert_eq(p->pids_src.line, 2);
	pfs_policy_free(p);
}

Test(policy_parse, mount_rules)
{
	struct pfs_policy *p =
		load("mount drop fstype=overlay target=/x/*\n"
		     "mount rewrite-source fstype=overlay to=overlay\n"
		     "mount redact-options lowerdir,upperdir,workdir\n"
		     "mount redact-options secret fstype=cifs option=user=* with=\"xx\"\n"
		     "mount rewrite-source to=none source=/dev/sd* root=/var/lib/*\n");
	cr_assert_eq(p->n_mount_rules, 5);
	const struct pfs_mount_rule *m = &p->mount_rules[0];
	cr_assert_eq(m->action, PFS_MNT_DROP);
	cr_assert_eq(m->n_matches, 2);
	cr_assert_eq(m->matches[0].field, PFS_MNT_FSTYPE);
	cr_assert_str_eq(pfs_glob_pattern(m->matches[0].glob), "overlay");
	cr_assert_eq(m->matches[1].field, PFS_MNT_TARGET);
	cr_assert(pfs_glob_match(m->matches[1].glob, "/x/y/z", NULL), "TEXT glob crosses /");
	cr_assert_null(m->value);

	m = &p->mount_rules[1];
	cr_assert_eq(m->action, PFS_MNT_REWRITE_SOURCE);
	cr_assert_eq(m->n_matches, 1);
	cr_assert_str_eq(m->value, "overlay");

	m = &p->mount_rules[2];
	cr_assert_eq(m->action, PFS_MNT_REDACT_OPTIONS);
	cr_assert_eq(m->n_matches, 0, "no condition: every mount");
	cr_assert_eq(m->n_options, 3);
	cr_assert_str_eq(m->options[0], "lowerdir");
	cr_assert_str_eq(m->options[2], "workdir");
	cr_assert_str_eq(m->value, "redacted");
	cr_assert_eq(m->src.line, 3);
	cr_assert_eq(m->src.col, 1);

	m = &p->mount_rules[3];
	cr_assert_eq(m->n_options, 1);
	cr_assert_eq(m->n_matches, 2);
	cr_assert_eq(m->matches[1].field, PFS_MNT_OPTION);
	cr_assert_str_eq(pfs_glob_pattern(m->matches[1].glob), "user=*");
	cr_assert_str_eq(m->value, "xx");

	m = &p->mount_rules[4];
	cr_assert_str_eq(m->value, "none");
	cr_assert_eq(m->matches[0].field, PFS_MNT_SOURCE);
	cr_assert_eq(m->matches[1].field, PFS_MNT_ROOT);
	pfs_policy_free(p);
}

Test(policy_parse, maps_fd_environ)
{
	struct pfs_policy *p = load("maps drop /opt/secret/*\n"
				    "maps redact /home/* with=[redacted-home]\n"
				    "maps redact \\[heap]\n"
				    "fd hide socket:* pipe:*\n"
				    "environ redact *_TOKEN\n"
				    "environ redact AWS_* all with=\"\"x\n"
				    "environ redact *PASSWORD* others\n");
	cr_assert_eq(p->n_maps_rules, 3);
	cr_assert_eq(p->maps_rules[0].action, PFS_MAPS_DROP);
	cr_assert_null(p->maps_rules[0].value);
	cr_assert_eq(p->maps_rules[1].action, PFS_MAPS_REDACT);
	cr_assert_str_eq(p->maps_rules[1].value, "[redacted-home]");
	cr_assert_str_eq(p->maps_rules[2].value, "[redacted]");
	cr_assert(pfs_glob_match(p->maps_rules[2].glob, "[heap]", NULL));
	cr_assert_eq(p->n_fd_rules, 2);
	cr_assert_str_eq(pfs_glob_pattern(p->fd_rules[1].glob), "pipe:*");
	cr_assert_eq(p->fd_rules[1].src.col, 18);
	cr_assert_eq(p->n_environ_rules, 3);
	cr_assert_eq(p->environ_rules[0].scope, PFS_ENV_OTHERS);
	cr_assert_str_eq(p->environ_rules[0].value, "[redacted]");
	cr_assert_eq(p->environ_rules[1].scope, PFS_ENV_ALL);
	cr_assert_str_eq(p->environ_rules[1].value, "x");
	cr_assert_eq(p->environ_rules[2].scope, PFS_ENV_OTHERS);
	pfs_policy_free(p);
}

Test(policy_parse, content_rules)
{
	struct pfs_policy *p = load("replace /proc/version \"Linux version 6.1 \\\"x\\\"\\n\"\n"
				    "replace /proc/cmdline \"a\\tb\\x41\\\\\"\n"
				    "hide-lines /proc/cpuinfo /^Serial[[:space:]]*:/\n"
				    "hide-lines /proc/modules /a\\/b c/\n");
	cr_assert_eq(p->n_content_rules, 4);
	const struct pfs_content_rule *c = &p->content_rules[0];
	cr_assert_eq(c->action, PFS_CONTENT_REPLACE);
	cr_assert_str_eq(c->text, "Linux version 6.1 \"x\"\n");
	cr_assert_eq(c->text_len, strlen("Linux version 6.1 \"x\"\n"));
	cr_assert_not(c->has_re);
	cr_assert_str_eq(p->content_rules[1].text, "a\tbA\\");
	c = &p->content_rules[2];
	cr_assert_eq(c->action, PFS_CONTENT_HIDE_LINES);
	cr_assert(c->has_re);
	cr_assert_eq(regexec(&c->re, "Serial\t: 0000", 0, NULL, 0), 0);
	cr_assert_neq(regexec(&c->re, "model : x", 0, NULL, 0), 0);
	c = &p->content_rules[3];
	cr_assert_eq(regexec(&c->re, "xx a/b c", 0, NULL, 0), 0, "\\/ is a literal slash");
	pfs_policy_free(p);
}

Test(policy_parse, proc_rw_and_limits)
{
	struct pfs_policy *p = load("proc-rw forbid\nlimit cpu=2s,mem=256M\nlimit procs=64\n");
	cr_assert(p->rw_forbidden);
	cr_assert_str_eq(p->limits, "cpu=2s,mem=256M,procs=64");
	cr_assert_eq(p->limits_src.line, 2);
	pfs_policy_free(p);
	p = load("hide /proc/kcore\n");
	cr_assert_not(p->rw_forbidden);
	cr_assert_null(p->limits);
	pfs_policy_free(p);
}

Test(policy_parse, process_memory)
{
	/* unset: denied exactly when environ is redacted */
	struct pfs_policy *p = load("hide /proc/kcore\n");
	cr_assert_eq(p->process_memory, PFS_PROCMEM_UNSET);
	cr_assert_not(pfs_policy_memory_denied(p));
	pfs_policy_free(p);
	p = load("environ redact *TOKEN*\n");
	cr_assert(pfs_policy_memory_denied(p));
	pfs_policy_free(p);
	/* the last line wins: a tenant lifts what an included policy set */
	p = load("environ redact *TOKEN*\nprocess-memory deny\nprocess-memory allow\n");
	cr_assert_eq(p->process_memory, PFS_PROCMEM_ALLOW);
	cr_assert_eq(p->process_memory_src.line, 3);
	cr_assert_not(pfs_policy_memory_denied(p));
	pfs_policy_free(p);
	p = load("process-memory deny\n");
	cr_assert(pfs_policy_memory_denied(p));
	pfs_policy_free(p);
	refused("process-memory some\n", "t.policy:1:16: unknown process-memory setting 'some'; "
					 "use 'deny' or 'allow'");
	refused("process-memory\n", "t.policy:1:15: 'process-memory' needs 'deny' or 'allow'");
	refused("process-memory deny x\n", "t.policy:1:21: unexpected 'x' at the end of this "
					   "'process-memory' line; remove it or start a new line");
}

Test(policy_parse, sysinfo)
{
	struct pfs_policy *p = load("hide /proc/kcore\n");
	cr_assert(!p->sysinfo_virtual, "off unless asked for");
	pfs_policy_free(p);
	p = load("sysinfo virtual\n");
	cr_assert(p->sysinfo_virtual);
	cr_assert_eq(p->sysinfo_src.line, 1);
	pfs_policy_free(p);
	p = load("sysinfo virtual\nsysinfo host\n");
	cr_assert(!p->sysinfo_virtual, "the last line wins");
	pfs_policy_free(p);
	refused("sysinfo virtaul\n", "t.policy:1:9: unknown sysinfo setting 'virtaul'; say "
				     "'virtual' (the sandbox's limits and usage) or 'host'");
	refused("sysinfo\n", "t.policy:1:8: 'sysinfo' needs 'virtual' or 'host'");
}

Test(policy_parse, errors_exact)
{
	refused("hide /proc/kcore\nhidee /proc/keys\n",
		"t.policy:2:1: unknown keyword 'hidee'; did you mean 'hide'?");
	refused("  frobnicate x\n",
		"t.policy:1:3: unknown keyword 'frobnicate'; see docs/policy.md "
		"for the statements (hide, deny, empty, readonly, writable, "
		"expose, pids, hide-pid, mount, maps, fd, environ, process-memory, "
		"replace, hide-lines, proc-rw, sysinfo, limit, include)");
	refused("replace /proc/version \"abc\n",
		"t.policy:1:23: missing closing quote for the string opened here; add '\"' before "
		"the end of the line");
	refused("pids some\n", "t.policy:1:6: unknown pids mode 'some'; use all, same-uid or tree");
	refused("hide\n",
		"t.policy:1:5: 'hide' needs one or more path globs, e.g. hide /proc/kcore");
	refused("mount drop fstyp=overlay\n",
		"t.policy:1:12: unknown mount key 'fstyp'; use fstype=, source=, target=, root=, "
		"option=");
	refused("pids all extra\n", "t.policy:1:10: unexpected 'extra' at the end of this 'pids' "
				    "line; remove it or start a new line");
}

Test(policy_parse, errors_located)
{
	refused_at("hide proc/kcore\n", "t.policy:1:6", "start it with /proc");
	refused_at("\n\nhide /proc/[x\n", "t.policy:3:6", "unterminated '['");
	refused_at("deny /proc/{tid}/x\n", "t.policy:1:6", "{pid}");
	refused_at("hide-pid name=x\n", "t.policy:1:10", "comm=GLOB or exe=GLOB");
	refused_at("hide-pid\n", "t.policy:1:9", "comm=GLOB");
	refused_at("mount\n", "t.policy:1:6", "drop, rewrite-source or redact-options");
	refused_at("mount remove fstype=x\n", "t.policy:1:7", "unknown mount action");
	refused_at("mount drop\n", "t.policy:1:1", "at least one condition");
	refused_at("mount rewrite-source fstype=overlay\n", "t.policy:1:1", "to=NEW-SOURCE");
	refused_at("mount rewrite-source to=a\\ b\n", "t.policy:1:22", "forbidden");
	refused_at("mount redact-options a,,b\n", "t.policy:1:22", "bad option list");
	refused_at("mount redact-options a with=x,y\n", "t.policy:1:24", "forbidden");
	refused_at("mount drop fstype\n", "t.policy:1:12", "KEY=VALUE");
	refused_at("mount redact-options a to=x\n", "t.policy:1:24", "unknown mount key 'to'");
	refused_at("maps hide /x\n", "t.policy:1:6", "use drop or redact");
	refused_at("maps drop /x with=y\n", "t.policy:1:14", "unexpected 'with=y'");
	refused_at("maps redact /x color=y\n", "t.policy:1:16", "unknown option 'color'");
	refused_at("fd show socket:*\n", "t.policy:1:4", "use hide");
	refused_at("fd hide\n", "t.policy:1:8", "target globs");
	refused_at("environ redact\n", "t.policy:1:15", "variable name glob");
	refused_at("environ redact X some\n", "t.policy:1:18", "others or all");
	refused_at("environ redact {pid}\n", "t.policy:1:16", "path globs only");
	refused_at("replace /proc/version\n", "t.policy:1:22", "quoted string");
	refused_at("replace /proc/version \"a\\qb\"\n", "t.policy:1:25", "unknown escape '\\q'");
	refused_at("replace /proc/version \"a\\x0\"\n", "t.policy:1:25", "\\x escape");
	refused_at("replace /proc/version \"a\" extra\n", "t.policy:1:27", "unexpected 'extra'");
	refused_at("hide-lines /proc/cpuinfo Serial\n", "t.policy:1:26", "between slashes");
	refused_at("hide-lines /proc/cpuinfo /Serial\n", "t.policy:1:26", "missing closing '/'");
	refused_at("hide-lines /proc/cpuinfo /a(/\n", "t.policy:1:26", "bad regular expression");
	refused_at("hide-lines /proc/cpuinfo\n", "t.policy:1:25", "/regular expression/");
	refused_at("proc-rw allow\n", "t.policy:1:9", "'forbid'");
	refused_at("limit cpu=fast\n", "t.policy:1:7", "cpu");
	refused_at("limit\n", "t.policy:1:6", "cpu=2s");
	refused_at("include \"x.policy\"\n", "t.policy:1:9", "load the policy from a file");
	refused_at("include\n", "t.policy:1:8", "include \"../default.policy\"");
}

Test(policy_parse, nul_byte_refused)
{
	/* load_string stops at the NUL; a file may contain one: tested via load(). */
	char path[] = "/tmp/pfs_policy_nulXXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hide /proc/x\0y\n", 15), 15);
	close(fd);
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_load(path, &p, &err), -EINVAL);
	unlink(path);
	cr_assert(strstr(err.msg, ":1:13: NUL byte"), "%s", err.msg);
}
