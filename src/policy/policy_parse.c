/* The policy parser: one statement per line, appended to the policy in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/limits.h"
#include "policy_i.h"

struct pctx {
	struct ploader *ld;
	struct pfs_policy *p;
	struct plex lx;
	const char *file; /* stored in p->files */
	const char *base_dir;
	const char *kw;
	unsigned kw_col;
};

static void tok_cleanup(struct ptok *t)
{
	ptok_clear(t);
}
#define cleanup_tok __attribute__((cleanup(tok_cleanup)))

static struct pfs_rule_src src_at(const struct pctx *c, unsigned col)
{
	return (struct pfs_rule_src){.file = c->file, .line = c->lx.line, .col = col};
}

/* Grows *arr by one element of size sz; returns the new zeroed slot. */
static void *push(void *arr, size_t *n, size_t sz)
{
	void **a = arr;
	char *na = realloc(*a, (*n + 1) * sz);
	if (!na)
		return NULL;
	*a = na;
	memset(na + *n * sz, 0, sz);
	return na + (*n)++ * sz;
}

/* The next word, required: names what was expected and shows an example. */
static int need(struct pctx *c, struct ptok *t, const char *what)
{
	int r = plex_word(&c->lx, t);
	if (r == 1)
		return plex_error(&c->lx, plex_col(&c->lx, c->lx.p), "'%s' needs %s", c->kw, what);
	return r;
}

static int expect_end(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = plex_word(&c->lx, &t);
	if (r == 0)
		return plex_error(&c->lx, t.col,
				  "unexpected '%s' at the end of this '%s' line; remove it or "
				  "start a new line",
				  t.s, c->kw);
	return r == 1 ? 0 : r;
}

static int glob_at(struct pctx *c, const struct ptok *t, enum pfs_glob_kind kind,
		   struct pfs_glob **out)
{
	struct pfs_error gerr = {0};
	int r = pfs_glob_compile(t->s, kind, out, &gerr);
	if (r == -EINVAL)
		return plex_error(&c->lx, t->col, "%s", gerr.msg);
	return r;
}

/* "key=value": splits in place; value may be empty. NULL when no '='. */
static char *split_kv(struct ptok *t)
{
	char *eq = strchr(t->s, '=');
	if (!eq)
		return NULL;
	*eq = '\0';
	return eq + 1;
}

static int check_value(struct pctx *c, unsigned col, const char *v, const char *bad_chars,
		       const char *what)
{
	if (!*v)
		return plex_error(&c->lx, col, "empty %s; give a value after '='", what);
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr(bad_chars, *s))
			return plex_error(&c->lx, col,
					  "%s contains a control character%s; remove it", what,
					  *bad_chars ? " or one of the forbidden characters" : "");
	return 0;
}

/* ---- statements ---- */

static int st_path(struct pctx *c, enum pfs_path_action act, bool expose)
{
	size_t n = 0;
	for (;; n++) {
		cleanup_tok struct ptok t = {0};
		int r = plex_word(&c->lx, &t);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		struct pfs_glob *g = NULL;
		r = glob_at(c, &t, PFS_GLOB_PATH, &g);
		if (r < 0)
			return r;
		struct pfs_path_rule *pr =
			push(&c->p->path_rules, &c->p->n_path_rules, sizeof(*pr));
		if (!pr) {
			pfs_glob_free(g);
			return -ENOMEM;
		}
		*pr = (struct pfs_path_rule){
			.glob = g, .action = act, .expose = expose, .src = src_at(c, t.col)};
	}
	if (n == 0)
		return plex_error(&c->lx, plex_col(&c->lx, c->lx.p),
				  "'%s' needs one or more path globs, e.g. %s /proc/kcore", c->kw,
				  c->kw);
	return 0;
}

/* hide, deny, empty, readonly, writable, expose: the keyword names the action. */
static int st_path_rule(struct pctx *c)
{
	static const struct {
		const char *kw;
		enum pfs_path_action act;
	} acts[] = {
		{"hide", PFS_ACT_HIDE},		{"deny", PFS_ACT_DENY},
		{"empty", PFS_ACT_EMPTY},	{"readonly", PFS_ACT_READONLY},
		{"writable", PFS_ACT_WRITABLE}, {"expose", PFS_ACT_NONE},
	};
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(c->kw, acts[i].kw))
			return st_path(c, acts[i].act, acts[i].act == PFS_ACT_NONE);
	return -EINVAL;
}

static int st_pids(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "a mode: all, same-uid or tree");
	if (r < 0)
		return r;
	if (!strcmp(t.s, "all"))
		c->p->pids_mode = PFS_PIDS_ALL;
	else if (!strcmp(t.s, "same-uid"))
		c->p->pids_mode = PFS_PIDS_SAME_UID;
	else if (!strcmp(t.s, "tree"))
		c->p->pids_mode = PFS_PIDS_TREE;
	else
		return plex_error(&c->lx, t.col,
				  "unknown pids mode '%s'; use all, same-uid or tree", t.s);
	c->p->pids_src = src_at(c, c->kw_col);
	return expect_end(c);
}

static int st_hide_pid(struct pctx *c)
{
	size_t n = 0;
	for (;; n++) {
		cleanup_tok struct ptok t = {0};
		int r = plex_word(&c->lx, &t);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		char *v = split_kv(&t);
		enum pfs_pid_match by;
		if (v && !strcmp(t.s, "comm"))
			by = PFS_PID_BY_COMM;
		else if (v && !strcmp(t.s, "exe"))
			by = PFS_PID_BY_EXE;
		else
			return plex_error(&c->lx, t.col,
					  "hide-pid takes comm=GLOB or exe=GLOB, not '%s'", t.s);
		struct ptok gt = {.s = v, .len = strlen(v), .col = t.col};
		struct pfs_glob *g = NULL;
		r = glob_at(c, &gt, PFS_GLOB_TEXT, &g);
		if (r < 0)
			return r;
		struct pfs_pid_rule *pr = push(&c->p->pid_rules, &c->p->n_pid_rules, sizeof(*pr));
		if (!pr) {
			pfs_glob_free(g);
			return -ENOMEM;
		}
		*pr = (struct pfs_pid_rule){.by = by, .glob = g, .src = src_at(c, t.col)};
	}
	if (n == 0)
		return plex_error(
			&c->lx, plex_col(&c->lx, c->lx.p),
			"'hide-pid' needs comm=GLOB or exe=GLOB, e.g. hide-pid comm=agent*");
	return 0;
}

static const char *const mount_fields[] = {
	[PFS_MNT_FSTYPE] = "fstype", [PFS_MNT_SOURCE] = "source", [PFS_MNT_TARGET] = "target",
	[PFS_MNT_ROOT] = "root",     [PFS_MNT_OPTION] = "option",
};

static int mount_options_list(struct pctx *c, struct pfs_mount_rule *m, const struct ptok *t)
{
	const char *s = t->s;
	for (;;) {
		const char *e = strchrnul(s, ',');
		if (e == s || memchr(s, '=', (size_t)(e - s)))
			return plex_error(&c->lx, t->col,
					  "bad option list '%s'; write names separated by commas, "
					  "e.g. lowerdir,upperdir,workdir",
					  t->s);
		char **o = push(&m->options, &m->n_options, sizeof(*o));
		if (!o || !(*o = strndup(s, (size_t)(e - s))))
			return -ENOMEM;
		if (!*e)
			return 0;
		s = e + 1;
	}
}

/* Reads conditions and key=value settings until the end of the line. */
static int mount_args(struct pctx *c, struct pfs_mount_rule *m, const char *value_key)
{
	for (;;) {
		cleanup_tok struct ptok t = {0};
		int r = plex_word(&c->lx, &t);
		if (r < 0)
			return r;
		if (r == 1)
			return 0;
		char *v = split_kv(&t);
		if (!v)
			return plex_error(&c->lx, t.col,
					  "expected KEY=VALUE, not '%s'; keys: fstype, source, "
					  "target, root, option%s%s",
					  t.s, value_key ? ", " : "", value_key ? value_key : "");
		if (value_key && !strcmp(t.s, value_key)) {
			if (m->value)
				return plex_error(&c->lx, t.col, "'%s=' given twice; keep one",
						  value_key);
			r = check_value(c, t.col, v,
					m->action == PFS_MNT_REDACT_OPTIONS ? " ,\\" : " \\",
					"mount value");
			if (r < 0)
				return r;
			if (!(m->value = strdup(v)))
				return -ENOMEM;
			continue;
		}
		size_t f = 0;
		while (f < ARRAY_SIZE(mount_fields) && strcmp(t.s, mount_fields[f]) != 0)
			f++;
		if (f == ARRAY_SIZE(mount_fields))
			return plex_error(&c->lx, t.col,
					  "unknown mount key '%s'; use fstype=, source=, target=, "
					  "root=, option=%s%s",
					  t.s, value_key ? " or " : "", value_key ? value_key : "");
		struct ptok gt = {.s = v, .len = strlen(v), .col = t.col};
		struct pfs_glob *g = NULL;
		r = glob_at(c, &gt, PFS_GLOB_TEXT, &g);
		if (r < 0)
			return r;
		struct pfs_mount_match *mm = push(&m->matches, &m->n_matches, sizeof(*mm));
		if (!mm) {
			pfs_glob_free(g);
			return -ENOMEM;
		}
		*mm = (struct pfs_mount_match){.field = (enum pfs_mount_field)f, .glob = g};
	}
}

static int st_mount(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "an action: drop, rewrite-source or redact-options");
	if (r < 0)
		return r;
	struct pfs_mount_rule m = {.src = src_at(c, c->kw_col)};
	const char *value_key = NULL;
	if (!strcmp(t.s, "drop")) {
		m.action = PFS_MNT_DROP;
	} else if (!strcmp(t.s, "rewrite-source")) {
		m.action = PFS_MNT_REWRITE_SOURCE;
		value_key = "to";
	} else if (!strcmp(t.s, "redact-options")) {
		m.action = PFS_MNT_REDACT_OPTIONS;
		value_key = "with";
		cleanup_tok struct ptok names = {0};
		r = need(c, &names, "option names, e.g. lowerdir,upperdir,workdir");
		if (r == 0)
			r = mount_options_list(c, &m, &names);
	} else {
		return plex_error(&c->lx, t.col,
				  "unknown mount action '%s'; use drop, rewrite-source or "
				  "redact-options",
				  t.s);
	}
	if (r == 0)
		r = mount_args(c, &m, value_key);
	if (r == 0 && m.action == PFS_MNT_DROP && m.n_matches == 0)
		r = plex_error(&c->lx, c->kw_col,
			       "'mount drop' needs at least one condition, e.g. fstype=overlay");
	if (r == 0 && m.action == PFS_MNT_REWRITE_SOURCE && !m.value)
		r = plex_error(&c->lx, c->kw_col,
			       "'mount rewrite-source' needs to=NEW-SOURCE, e.g. to=overlay");
	if (r == 0 && m.action == PFS_MNT_REDACT_OPTIONS && !m.value &&
	    !(m.value = strdup("redacted")))
		r = -ENOMEM;
	struct pfs_mount_rule *slot = NULL;
	if (r == 0 && !(slot = push(&c->p->mount_rules, &c->p->n_mount_rules, sizeof(*slot))))
		r = -ENOMEM;
	if (r < 0 || !slot) {
		pfs_policy_mount_rule_free(&m);
		return r < 0 ? r : -EINVAL;
	}
	*slot = m;
	return 0;
}

/* Optional trailing with=VALUE; `scope` also accepts others|all when not NULL. */
static int trailing_opts(struct pctx *c, char **value, enum pfs_environ_scope *scope)
{
	for (;;) {
		cleanup_tok struct ptok t = {0};
		int r = plex_word(&c->lx, &t);
		if (r < 0)
			return r;
		if (r == 1)
			return 0;
		if (scope && !strcmp(t.s, "others")) {
			*scope = PFS_ENV_OTHERS;
			continue;
		}
		if (scope && !strcmp(t.s, "all")) {
			*scope = PFS_ENV_ALL;
			continue;
		}
		char *v = split_kv(&t);
		if (!v || strcmp(t.s, "with") != 0)
			return plex_error(&c->lx, t.col, "unknown option '%s'; use with=VALUE%s",
					  t.s, scope ? ", others or all" : "");
		r = check_value(c, t.col, v, "", "replacement value");
		if (r < 0)
			return r;
		free(*value);
		if (!(*value = strdup(v)))
			return -ENOMEM;
	}
}

static int st_maps(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "an action: drop or redact");
	if (r < 0)
		return r;
	enum pfs_maps_action act;
	if (!strcmp(t.s, "drop"))
		act = PFS_MAPS_DROP;
	else if (!strcmp(t.s, "redact"))
		act = PFS_MAPS_REDACT;
	else
		return plex_error(&c->lx, t.col, "unknown maps action '%s'; use drop or redact",
				  t.s);
	cleanup_tok struct ptok gt = {0};
	r = need(c, &gt, "a pathname glob, e.g. /home/*");
	if (r < 0)
		return r;
	struct pfs_maps_rule mr = {.action = act, .src = src_at(c, gt.col)};
	r = glob_at(c, &gt, PFS_GLOB_TEXT, &mr.glob);
	if (r == 0)
		r = act == PFS_MAPS_REDACT ? trailing_opts(c, &mr.value, NULL) : expect_end(c);
	if (r == 0 && act == PFS_MAPS_REDACT && !mr.value && !(mr.value = strdup("[redacted]")))
		r = -ENOMEM;
	struct pfs_maps_rule *slot = NULL;
	if (r == 0 && !(slot = push(&c->p->maps_rules, &c->p->n_maps_rules, sizeof(*slot))))
		r = -ENOMEM;
	if (r < 0 || !slot) {
		pfs_glob_free(mr.glob);
		free(mr.value);
		return r < 0 ? r : -EINVAL;
	}
	*slot = mr;
	return 0;
}

static int st_fd(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "the action 'hide', e.g. fd hide socket:*");
	if (r < 0)
		return r;
	if (strcmp(t.s, "hide") != 0)
		return plex_error(&c->lx, t.col, "unknown fd action '%s'; use hide", t.s);
	size_t n = 0;
	for (;; n++) {
		cleanup_tok struct ptok gt = {0};
		r = plex_word(&c->lx, &gt);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		struct pfs_glob *g = NULL;
		r = glob_at(c, &gt, PFS_GLOB_TEXT, &g);
		if (r < 0)
			return r;
		struct pfs_fd_rule *fr = push(&c->p->fd_rules, &c->p->n_fd_rules, sizeof(*fr));
		if (!fr) {
			pfs_glob_free(g);
			return -ENOMEM;
		}
		*fr = (struct pfs_fd_rule){.glob = g, .src = src_at(c, gt.col)};
	}
	if (n == 0)
		return plex_error(&c->lx, plex_col(&c->lx, c->lx.p),
				  "'fd hide' needs target globs, e.g. socket:* pipe:*");
	return 0;
}

static int st_environ(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "the action 'redact', e.g. environ redact *_TOKEN");
	if (r < 0)
		return r;
	if (strcmp(t.s, "redact") != 0)
		return plex_error(&c->lx, t.col, "unknown environ action '%s'; use redact", t.s);
	cleanup_tok struct ptok gt = {0};
	r = need(c, &gt, "a variable name glob, e.g. *_TOKEN");
	if (r < 0)
		return r;
	struct pfs_environ_rule er = {.scope = PFS_ENV_OTHERS, .src = src_at(c, gt.col)};
	r = glob_at(c, &gt, PFS_GLOB_TEXT, &er.glob);
	if (r == 0)
		r = trailing_opts(c, &er.value, &er.scope);
	if (r == 0 && !er.value && !(er.value = strdup("[redacted]")))
		r = -ENOMEM;
	struct pfs_environ_rule *slot = NULL;
	if (r == 0 && !(slot = push(&c->p->environ_rules, &c->p->n_environ_rules, sizeof(*slot))))
		r = -ENOMEM;
	if (r < 0 || !slot) {
		pfs_glob_free(er.glob);
		free(er.value);
		return r < 0 ? r : -EINVAL;
	}
	*slot = er;
	return 0;
}

static int st_content(struct pctx *c, enum pfs_content_action act)
{
	cleanup_tok struct ptok pt = {0};
	int r = need(c, &pt, "a path glob, e.g. /proc/version");
	if (r < 0)
		return r;
	struct pfs_content_rule cr = {.action = act, .src = src_at(c, pt.col)};
	r = glob_at(c, &pt, PFS_GLOB_PATH, &cr.path);
	cleanup_tok struct ptok t = {0};
	if (r == 0 && act == PFS_CONTENT_REPLACE) {
		r = need(c, &t,
			 "the new content as a quoted string, e.g. \"Linux version 6.1\\n\"");
		if (r == 0 && memchr(t.s, '\0', t.len))
			r = plex_error(&c->lx, t.col, "content cannot contain NUL bytes");
		if (r == 0) {
			cr.text = steal_ptr(t.s);
			cr.text_len = t.len;
		}
	} else if (r == 0) {
		r = plex_regex(&c->lx, &t);
		if (r == 1)
			r = plex_error(&c->lx, plex_col(&c->lx, c->lx.p),
				       "'hide-lines' needs a /regular expression/, e.g. /^Serial/");
		if (r == 0) {
			int rc = regcomp(&cr.re, t.s, REG_EXTENDED | REG_NOSUB);
			if (rc != 0) {
				char msg[256];
				regerror(rc, &cr.re, msg, sizeof(msg));
				r = plex_error(&c->lx, t.col,
					       "bad regular expression: %s; write a POSIX ERE",
					       msg);
			} else {
				cr.has_re = true;
			}
		}
	}
	if (r == 0)
		r = expect_end(c);
	struct pfs_content_rule *slot = NULL;
	if (r == 0 && !(slot = push(&c->p->content_rules, &c->p->n_content_rules, sizeof(*slot))))
		r = -ENOMEM;
	if (r < 0 || !slot) {
		pfs_glob_free(cr.path);
		free(cr.text);
		if (cr.has_re)
			regfree(&cr.re);
		return r < 0 ? r : -EINVAL;
	}
	*slot = cr;
	return 0;
}

static int st_replace(struct pctx *c)
{
	return st_content(c, PFS_CONTENT_REPLACE);
}
static int st_hide_lines(struct pctx *c)
{
	return st_content(c, PFS_CONTENT_HIDE_LINES);
}

static int st_proc_rw(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "'forbid'");
	if (r < 0)
		return r;
	if (strcmp(t.s, "forbid") != 0)
		return plex_error(&c->lx, t.col,
				  "unknown proc-rw setting '%s'; the only setting is 'forbid'",
				  t.s);
	c->p->rw_forbidden = true;
	return expect_end(c);
}

static int st_process_memory(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "'deny' or 'allow'");
	if (r < 0)
		return r;
	if (strcmp(t.s, "deny") != 0 && strcmp(t.s, "allow") != 0)
		return plex_error(&c->lx, t.col,
				  "unknown process-memory setting '%s'; use 'deny' or 'allow'",
				  t.s);
	c->p->process_memory = !strcmp(t.s, "deny") ? PFS_PROCMEM_DENY : PFS_PROCMEM_ALLOW;
	c->p->process_memory_src = src_at(c, c->kw_col);
	return expect_end(c);
}

static int st_sysinfo(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "'virtual' or 'host'");
	if (r < 0)
		return r;
	if (strcmp(t.s, "virtual") != 0 && strcmp(t.s, "host") != 0)
		return plex_error(&c->lx, t.col,
				  "unknown sysinfo setting '%s'; say 'virtual' (the sandbox's "
				  "limits and usage) or 'host'",
				  t.s);
	c->p->sysinfo_virtual = !strcmp(t.s, "virtual");
	c->p->sysinfo_src = src_at(c, c->kw_col);
	return expect_end(c);
}

static int st_limit(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "limits, e.g. cpu=2s,mem=256M");
	if (r < 0)
		return r;
	struct pfs_limits scratch = {0};
	struct pfs_error lerr = {0};
	if (pfs_limits_parse(t.s, &scratch, &lerr) < 0)
		return plex_error(&c->lx, t.col, "%s", lerr.msg);
	r = expect_end(c);
	if (r < 0)
		return r;
	char *joined = NULL;
	if (asprintf(&joined, "%s%s%s", c->p->limits ? c->p->limits : "", c->p->limits ? "," : "",
		     t.s) < 0)
		return -ENOMEM;
	free(c->p->limits);
	c->p->limits = joined;
	if (!c->p->limits_src.file)
		c->p->limits_src = src_at(c, c->kw_col);
	return 0;
}

static int st_include(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = need(c, &t, "a file, e.g. include \"../default.policy\"");
	if (r < 0)
		return r;
	r = expect_end(c);
	if (r < 0)
		return r;
	if (!*t.s)
		return plex_error(&c->lx, t.col, "empty include path; name a .policy file");
	return c->ld->include(c->ld, &c->lx, t.col, t.s, c->base_dir);
}

static const struct {
	const char *kw;
	int (*fn)(struct pctx *c);
} statements[] = {
	{"hide", st_path_rule},
	{"deny", st_path_rule},
	{"empty", st_path_rule},
	{"readonly", st_path_rule},
	{"writable", st_path_rule},
	{"expose", st_path_rule},
	{"pids", st_pids},
	{"hide-pid", st_hide_pid},
	{"mount", st_mount},
	{"maps", st_maps},
	{"fd", st_fd},
	{"environ", st_environ},
	{"replace", st_replace},
	{"hide-lines", st_hide_lines},
	{"proc-rw", st_proc_rw},
	{"process-memory", st_process_memory},
	{"sysinfo", st_sysinfo},
	{"limit", st_limit},
	{"include", st_include},
};

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	size_t row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_keyword(struct pctx *c, const struct ptok *t)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < ARRAY_SIZE(statements); i++) {
		size_t d = edit_distance(t->s, statements[i].kw);
		if (d < best_d) {
			best_d = d;
			best = statements[i].kw;
		}
	}
	if (best)
		return plex_error(&c->lx, t->col, "unknown keyword '%s'; did you mean '%s'?", t->s,
				  best);
	return plex_error(
		&c->lx, t->col,
		"unknown keyword '%s'; see docs/policy.md for the statements (hide, "
		"deny, empty, readonly, writable, expose, pids, hide-pid, mount, maps, "
		"fd, environ, process-memory, replace, hide-lines, proc-rw, sysinfo, limit, "
		"include)",
		t->s);
}

static int parse_line(struct pctx *c)
{
	cleanup_tok struct ptok t = {0};
	int r = plex_word(&c->lx, &t);
	if (r != 0)
		return r == 1 ? 0 : r;
	for (size_t i = 0; i < ARRAY_SIZE(statements); i++) {
		if (!strcmp(t.s, statements[i].kw)) {
			c->kw = statements[i].kw;
			c->kw_col = t.col;
			return statements[i].fn(c);
		}
	}
	return unknown_keyword(c, &t);
}

int pfs_policy_parse_text(struct ploader *ld, const char *name, const char *text, size_t len,
			  const char *base_dir)
{
	const char *file = pfs_policy_add_file(ld->p, name);
	if (!file)
		return -ENOMEM;
	struct pctx c = {
		.ld = ld,
		.p = ld->p,
		.file = file,
		.base_dir = base_dir,
		.lx = {.file = file, .err = ld->err},
	};
	const char *s = text, *end = text + len;
	for (unsigned line = 1; s <= end; line++) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		c.lx.line = line;
		c.lx.bol = c.lx.p = s;
		c.lx.eol = eol;
		const char *nul = memchr(s, '\0', (size_t)(eol - s));
		if (nul)
			return plex_error(&c.lx, plex_col(&c.lx, nul),
					  "NUL byte in a policy file; policies are text");
		int r = parse_line(&c);
		if (r < 0)
			return r;
		s = eol + 1;
	}
	return 0;
}
