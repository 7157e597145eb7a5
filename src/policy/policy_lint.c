/*
 * Lint: rules that cannot have any effect. Syntax errors are parse errors;
 * here: dead globs, rules shadowed by broader or stronger ones, writable rules
 * under read-only ones, exposes that cancel nothing. Conservative: a finding
 * is reported only when it is certain (pfs_glob_subsumes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/policy.h"

struct findings {
	struct pfs_lint_finding *v;
	size_t n;
	int err;
};

__attribute__((format(printf, 3, 4))) static void
add(struct findings *f, const struct pfs_rule_src *src, const char *fmt, ...)
{
	if (f->err)
		return;
	struct pfs_lint_finding *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	if (!nv) {
		f->err = -ENOMEM;
		return;
	}
	f->v = nv;
	struct pfs_lint_finding *x = &f->v[f->n++];
	x->src = *src;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
}

static const char *action_kw(const struct pfs_path_rule *r)
{
	static const char *const names[] = {
		[PFS_ACT_NONE] = "expose",	 [PFS_ACT_WRITABLE] = "writable",
		[PFS_ACT_READONLY] = "readonly", [PFS_ACT_EMPTY] = "empty",
		[PFS_ACT_DENY] = "deny",	 [PFS_ACT_HIDE] = "hide",
	};
	return r->expose ? "expose" : names[r->action];
}

static const char *pat(const struct pfs_glob *g)
{
	return pfs_glob_pattern(g);
}

static bool expose_between(const struct pfs_policy *p, size_t i, size_t j)
{
	for (size_t k = i + 1; k < j; k++)
		if (p->path_rules[k].expose)
			return true;
	return false;
}

static void lint_dead(const struct pfs_policy *p, struct findings *f)
{
	for (size_t i = 0; i < p->n_path_rules; i++)
		if (!pfs_glob_can_match_proc(p->path_rules[i].glob))
			add(f, &p->path_rules[i].src,
			    "'%.200s' can never match a /proc path; path globs start with /proc",
			    pat(p->path_rules[i].glob));
	for (size_t i = 0; i < p->n_content_rules; i++)
		if (!pfs_glob_can_match_proc(p->content_rules[i].path))
			add(f, &p->content_rules[i].src,
			    "'%.200s' can never match a /proc path; path globs start with /proc",
			    pat(p->content_rules[i].path));
}

/* A writable rule is dead when a read-only-or-stronger rule covers it. */
static void lint_writable(const struct pfs_policy *p, size_t j, struct findings *f)
{
	const struct pfs_path_rule *w = &p->path_rules[j];
	for (size_t i = 0; i < p->n_path_rules; i++) {
		const struct pfs_path_rule *r = &p->path_rules[i];
		if (i == j || r->expose || r->action < PFS_ACT_READONLY)
			continue;
		if (i < j && expose_between(p, i, j))
			continue;
		if (!pfs_glob_subsumes(r->glob, w->glob))
			continue;
		add(f, &w->src,
		    "writable '%.200s' has no effect: '%s %.200s' at %s:%u also matches and is "
		    "more restrictive; add 'expose %.200s' after that rule and before this one",
		    pat(w->glob), action_kw(r), pat(r->glob), r->src.file, r->src.line,
		    pat(w->glob));
		return;
	}
}

static void lint_shadowed(const struct pfs_policy *p, size_t j, struct findings *f)
{
	const struct pfs_path_rule *b = &p->path_rules[j];
	for (size_t i = 0; i < j; i++) {
		const struct pfs_path_rule *a = &p->path_rules[i];
		if (a->expose || a->action < b->action || expose_between(p, i, j) ||
		    !pfs_glob_subsumes(a->glob, b->glob))
			continue;
		if (a->action == b->action && !strcmp(pat(a->glob), pat(b->glob)))
			add(f, &b->src, "duplicate of '%s %.200s' at %s:%u; remove one",
			    action_kw(a), pat(a->glob), a->src.file, a->src.line);
		else
			add(f, &b->src,
			    "'%s %.200s' has no effect: '%s %.200s' at %s:%u already matches "
			    "these paths and is at least as restrictive",
			    action_kw(b), pat(b->glob), action_kw(a), pat(a->glob), a->src.file,
			    a->src.line);
		return;
	}
}

static void lint_expose(const struct pfs_policy *p, size_t j, struct findings *f)
{
	const struct pfs_path_rule *e = &p->path_rules[j];
	for (size_t i = 0; i < j; i++) {
		const struct pfs_path_rule *r = &p->path_rules[i];
		if (!r->expose &&
		    (pfs_glob_subsumes(r->glob, e->glob) || pfs_glob_subsumes(e->glob, r->glob)))
			return;
	}
	add(f, &e->src,
	    "expose '%.200s' cancels nothing: no earlier rule matches these paths (expose "
	    "only lifts rules above it, including those of included files)",
	    pat(e->glob));
}

static void lint_paths(const struct pfs_policy *p, struct findings *f)
{
	for (size_t j = 0; j < p->n_path_rules; j++) {
		const struct pfs_path_rule *r = &p->path_rules[j];
		if (r->expose)
			lint_expose(p, j, f);
		else if (r->action == PFS_ACT_WRITABLE)
			lint_writable(p, j, f);
		else
			lint_shadowed(p, j, f);
	}
}

/* Generic "covered by an earlier rule" for the list kinds. */
static void covered(struct findings *f, const struct pfs_rule_src *src, const char *what,
		    const struct pfs_glob *g, const struct pfs_rule_src *by,
		    const struct pfs_glob *by_g)
{
	add(f, src, "%s '%.200s' has no effect: '%.200s' at %s:%u already covers it", what, pat(g),
	    pat(by_g), by->file, by->line);
}

static void lint_lists(const struct pfs_policy *p, struct findings *f)
{
	for (size_t j = 0; j < p->n_pid_rules; j++)
		for (size_t i = 0; i < j; i++)
			if (p->pid_rules[i].by == p->pid_rules[j].by &&
			    pfs_glob_subsumes(p->pid_rules[i].glob, p->pid_rules[j].glob)) {
				covered(f, &p->pid_rules[j].src, "hide-pid", p->pid_rules[j].glob,
					&p->pid_rules[i].src, p->pid_rules[i].glob);
				break;
			}
	for (size_t j = 0; j < p->n_fd_rules; j++)
		for (size_t i = 0; i < j; i++)
			if (pfs_glob_subsumes(p->fd_rules[i].glob, p->fd_rules[j].glob)) {
				covered(f, &p->fd_rules[j].src, "fd hide", p->fd_rules[j].glob,
					&p->fd_rules[i].src, p->fd_rules[i].glob);
				break;
			}
	for (size_t j = 0; j < p->n_environ_rules; j++)
		for (size_t i = 0; i < j; i++) {
			const struct pfs_environ_rule *a = &p->environ_rules[i],
						      *b = &p->environ_rules[j];
			if ((a->scope == PFS_ENV_ALL || b->scope == PFS_ENV_OTHERS) &&
			    pfs_glob_subsumes(a->glob, b->glob)) {
				covered(f, &b->src, "environ redact", b->glob, &a->src, a->glob);
				break;
			}
		}
	for (size_t j = 0; j < p->n_maps_rules; j++)
		for (size_t i = 0; i < j; i++) {
			const struct pfs_maps_rule *a = &p->maps_rules[i], *b = &p->maps_rules[j];
			if ((a->action == PFS_MAPS_DROP || b->action == PFS_MAPS_REDACT) &&
			    pfs_glob_subsumes(a->glob, b->glob)) {
				covered(f, &b->src, "maps rule", b->glob, &a->src, a->glob);
				break;
			}
		}
}

static size_t file_index(const struct pfs_policy *p, const char *file)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (p->files[i] == file)
			return i;
	return p->n_files;
}

/* Findings in load order: by file (as first loaded), line, column. */
static void sort_findings(const struct pfs_policy *p, struct findings *f)
{
	for (size_t i = 1; i < f->n; i++) {
		struct pfs_lint_finding x = f->v[i];
		size_t xi = file_index(p, x.src.file), j = i;
		for (; j > 0; j--) {
			const struct pfs_rule_src *y = &f->v[j - 1].src;
			size_t yi = file_index(p, y->file);
			if (yi < xi ||
			    (yi == xi && (y->line < x.src.line ||
					  (y->line == x.src.line && y->col <= x.src.col))))
				break;
			f->v[j] = f->v[j - 1];
		}
		f->v[j] = x;
	}
}

int pfs_policy_lint(const struct pfs_policy *p, struct pfs_lint_finding **out, size_t *n)
{
	struct findings f = {0};
	lint_dead(p, &f);
	lint_paths(p, &f);
	lint_lists(p, &f);
	sort_findings(p, &f);
	if (f.err) {
		free(f.v);
		*out = NULL;
		*n = 0;
		return f.err;
	}
	*out = f.v;
	*n = f.n;
	return 0;
}
