/*
 * Globs compiled once into a small program of ops, grouped in components for
 * PATH patterns. Matching walks the program and allocates nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/glob.h"

#define GLOB_MAX_LEN 4096

enum gop_kind { OP_LIT, OP_ANY, OP_STAR, OP_CLASS };
enum gcomp_kind { COMP_PATTERN, COMP_GLOBSTAR, COMP_PID, COMP_SELF };

struct gop {
	uint8_t kind;
	unsigned char c; /* OP_LIT */
	uint16_t cls; /* OP_CLASS: index into classes */
};

struct gcomp {
	uint8_t kind;
	uint32_t start, len; /* COMP_PATTERN: ops[start .. start+len) */
};

struct gclass {
	uint8_t bits[32];
};

struct pfs_glob {
	enum pfs_glob_kind kind;
	char *pattern;
	char *prefix;
	size_t prefix_len;
	uint64_t head, head_mask; /* the prefix's first 8 bytes as one word, for quick rejects */
	struct gop *ops;
	size_t n_ops;
	struct gcomp *comps; /* PATH: the components; TEXT: one pattern */
	size_t n_comps;
	struct gclass *classes;
	size_t n_classes;
};

static inline bool class_has(const struct gclass *c, unsigned char ch)
{
	return c->bits[ch >> 3] & (1u << (ch & 7));
}

static inline void class_set(struct gclass *c, unsigned char ch)
{
	c->bits[ch >> 3] |= (uint8_t)(1u << (ch & 7));
}

/* ---- compiling ---- */

struct compiler {
	struct pfs_glob *g;
	const char *pat;
	struct pfs_error *err;
};

static int cerr(struct compiler *c, size_t at, const char *what)
{
	return pfs_err_set(c->err, EINVAL, "bad glob '%s' at offset %zu: %s", c->pat, at, what);
}

static void emit(struct compiler *c, uint8_t kind, unsigned char ch, uint16_t cls)
{
	c->g->ops[c->g->n_ops++] = (struct gop){.kind = kind, .c = ch, .cls = cls};
}

/* Parses a class starting at pat[i] == '['; sets *next past ']'. */
static int compile_class(struct compiler *c, size_t i, size_t end, size_t *next)
{
	const char *p = c->pat;
	struct gclass cl = {{0}};
	size_t j = i + 1;
	bool neg = false;
	if (j < end && (p[j] == '!' || p[j] == '^')) {
		neg = true;
		j++;
	}
	bool first = true;
	for (;; first = false) {
		if (j >= end)
			return cerr(
				c, i,
				"unterminated '[' class; close it with ']' or escape it as \\[");
		unsigned char lo = (unsigned char)p[j];
		if (lo == ']' && !first)
			break;
		if (lo == '\\') {
			if (++j >= end)
				return cerr(c, j - 1, "trailing backslash; escape it as \\\\");
			lo = (unsigned char)p[j];
		}
		j++;
		unsigned char hi = lo;
		if (j + 1 < end && p[j] == '-' && p[j + 1] != ']') {
			j++;
			hi = (unsigned char)p[j];
			if (hi == '\\') {
				if (++j >= end)
					return cerr(c, j - 1,
						    "trailing backslash; escape it as \\\\");
				hi = (unsigned char)p[j];
			}
			j++;
			if (hi < lo)
				return cerr(c, i,
					    "reversed range in class; write the low end first");
		}
		for (unsigned ch = lo; ch <= hi; ch++)
			class_set(&cl, (unsigned char)ch);
	}
	if (neg)
		for (size_t k = 0; k < sizeof(cl.bits); k++)
			cl.bits[k] = (uint8_t)~cl.bits[k];
	if (c->g->kind == PFS_GLOB_PATH)
		cl.bits['/' >> 3] &= (uint8_t) ~(1u << ('/' & 7));
	c->g->classes[c->g->n_classes] = cl;
	emit(c, OP_CLASS, 0, (uint16_t)c->g->n_classes++);
	*next = j + 1;
	return 0;
}

/* Compiles pat[start, end) into ops; no '/' appears there for PATH globs. */
static int compile_ops(struct compiler *c, size_t start, size_t end)
{
	const char *p = c->pat;
	for (size_t i = start; i < end;) {
		unsigned char ch = (unsigned char)p[i];
		switch (ch) {
		case '\\':
			if (i + 1 >= end)
				return cerr(c, i, "trailing backslash; escape it as \\\\");
			if (p[i + 1] == '/' && c->g->kind == PFS_GLOB_PATH)
				return cerr(c, i, "a path component cannot contain '/'");
			emit(c, OP_LIT, (unsigned char)p[i + 1], 0);
			i += 2;
			break;
		case '*':
			if (i + 1 < end && p[i + 1] == '*' && c->g->kind == PFS_GLOB_PATH)
				return cerr(
					c, i,
					"'**' must be a whole path component, as in /proc/**/x");
			if (c->g->n_ops == 0 || c->g->ops[c->g->n_ops - 1].kind != OP_STAR ||
			    i == start)
				emit(c, OP_STAR, 0, 0);
			i++;
			break;
		case '?':
			emit(c, OP_ANY, 0, 0);
			i++;
			break;
		case '[': {
			int r = compile_class(c, i, end, &i);
			if (r < 0)
				return r;
			break;
		}
		case '{':
			return cerr(
				c, i,
				c->g->kind == PFS_GLOB_PATH
					? "'{' starts a placeholder: use a whole component {pid} "
					  "or {self}, or write \\{ for a literal brace"
					: "placeholders {pid} and {self} are for path globs only; "
					  "write \\{ for a literal brace");
		default:
			emit(c, OP_LIT, ch, 0);
			i++;
		}
	}
	return 0;
}

static void add_comp(struct pfs_glob *g, uint8_t kind, size_t start)
{
	g->comps[g->n_comps++] = (struct gcomp){
		.kind = kind, .start = (uint32_t)start, .len = (uint32_t)(g->n_ops - start)};
}

static int compile_path(struct compiler *c)
{
	const char *p = c->pat;
	size_t n = strlen(p);
	if (p[0] != '/')
		return cerr(c, 0, "path globs are absolute: start it with /proc");
	size_t i = 0;
	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		if (i >= n)
			break;
		size_t e = i;
		while (e < n && p[e] != '/') {
			if (p[e] == '\\' && e + 1 < n)
				e++;
			e++;
		}
		size_t len = e - i;
		size_t op_start = c->g->n_ops;
		if (len == 2 && !memcmp(p + i, "**", 2)) {
			add_comp(c->g, COMP_GLOBSTAR, op_start);
		} else if (len == 5 && !memcmp(p + i, "{pid}", 5)) {
			add_comp(c->g, COMP_PID, op_start);
		} else if (len == 6 && !memcmp(p + i, "{self}", 6)) {
			add_comp(c->g, COMP_SELF, op_start);
		} else {
			int r = compile_ops(c, i, e);
			if (r < 0)
				return r;
			add_comp(c->g, COMP_PATTERN, op_start);
		}
		i = e;
	}
	return 0;
}

/* Literal prefix: for PATH it stops before a '**' component's slash. */
static int compute_prefix(struct pfs_glob *g)
{
	size_t cap = strlen(g->pattern) + 2;
	g->prefix = calloc(1, cap);
	if (!g->prefix)
		return -ENOMEM;
	size_t n = 0;
	if (g->kind == PFS_GLOB_TEXT) {
		for (size_t i = 0; i < g->n_ops && g->ops[i].kind == OP_LIT; i++)
			g->prefix[n++] = (char)g->ops[i].c;
	} else if (g->n_comps == 0) {
		g->prefix[n++] = '/';
	} else {
		for (size_t ci = 0; ci < g->n_comps; ci++) {
			const struct gcomp *cp = &g->comps[ci];
			if (cp->kind == COMP_GLOBSTAR)
				break;
			g->prefix[n++] = '/';
			if (cp->kind != COMP_PATTERN)
				break;
			size_t k = 0;
			while (k < cp->len && g->ops[cp->start + k].kind == OP_LIT)
				g->prefix[n++] = (char)g->ops[cp->start + k++].c;
			if (k < cp->len)
				break;
		}
	}
	g->prefix[n] = '\0';
	g->prefix_len = n;
	size_t hn = n < 8 ? n : 8;
	memcpy(&g->head, g->prefix, hn);
	memset(&g->head_mask, 0xff, hn);
	return 0;
}

int pfs_glob_compile(const char *pattern, enum pfs_glob_kind kind, struct pfs_glob **out,
		     struct pfs_error *err)
{
	*out = NULL;
	if (!pattern || !*pattern)
		return pfs_err_set(err, EINVAL, "empty glob; write a pattern such as /proc/kcore");
	size_t n = strlen(pattern);
	if (n > GLOB_MAX_LEN)
		return pfs_err_set(err, EINVAL, "glob longer than %d characters; shorten it",
				   GLOB_MAX_LEN);
	size_t n_brackets = 0;
	for (size_t i = 0; i < n; i++)
		n_brackets += pattern[i] == '[';

	struct pfs_glob *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->kind = kind;
	g->pattern = strdup(pattern);
	g->ops = calloc(n + 1, sizeof(*g->ops));
	g->comps = calloc(kind == PFS_GLOB_PATH ? n / 2 + 1 : 1, sizeof(*g->comps));
	g->classes = calloc(n_brackets + 1, sizeof(*g->classes));
	if (!g->pattern || !g->ops || !g->comps || !g->classes) {
		pfs_glob_free(g);
		return -ENOMEM;
	}
	struct compiler c = {.g = g, .pat = pattern, .err = err};
	int r;
	if (kind == PFS_GLOB_PATH) {
		r = compile_path(&c);
	} else {
		r = compile_ops(&c, 0, n);
		if (r == 0)
			add_comp(g, COMP_PATTERN, 0);
	}
	if (r == 0)
		r = compute_prefix(g);
	if (r < 0) {
		pfs_glob_free(g);
		return r;
	}
	*out = g;
	return 0;
}

void pfs_glob_free(struct pfs_glob *g)
{
	if (!g)
		return;
	free(g->pattern);
	free(g->prefix);
	free(g->ops);
	free(g->comps);
	free(g->classes);
	free(g);
}

/* ---- matching ---- */

static inline bool op_matches(const struct pfs_glob *g, const struct gop *op, unsigned char ch)
{
	switch (op->kind) {
	case OP_LIT:
		return op->c == ch;
	case OP_ANY:
		return g->kind == PFS_GLOB_TEXT || ch != '/';
	case OP_CLASS:
		return class_has(&g->classes[op->cls], ch);
	default:
		return false;
	}
}

/* Ops against s[0, n): iterative, backtracking only to the last '*'. */
static bool match_ops(const struct pfs_glob *g, const struct gop *op, size_t n_ops, const char *s,
		      size_t n)
{
	size_t oi = 0, si = 0;
	size_t star_oi = SIZE_MAX, star_si = 0;
	while (si < n || oi < n_ops) {
		if (oi < n_ops) {
			if (op[oi].kind == OP_STAR) {
				star_oi = ++oi;
				star_si = si;
				continue;
			}
			if (si < n && op_matches(g, &op[oi], (unsigned char)s[si])) {
				oi++;
				si++;
				continue;
			}
		}
		if (star_oi != SIZE_MAX && star_si < n) {
			oi = star_oi;
			si = ++star_si;
			continue;
		}
		return false;
	}
	return true;
}

static bool is_pid(const char *s, size_t n)
{
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_self(const char *s, size_t n, pid_t self)
{
	if (self <= 0 || !is_pid(s, n) || (n > 1 && s[0] == '0'))
		return false;
	long long v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v == (long long)self;
}

static bool comp_matches(const struct pfs_glob *g, const struct gcomp *cp, const char *s, size_t n,
			 pid_t self)
{
	switch (cp->kind) {
	case COMP_PID:
		return is_pid(s, n);
	case COMP_SELF:
		return is_self(s, n, self);
	default:
		return match_ops(g, g->ops + cp->start, cp->len, s, n);
	}
}

static bool match_comps(const struct pfs_glob *g, size_t ci, const char *s, pid_t self)
{
	for (;;) {
		while (*s == '/')
			s++;
		if (ci == g->n_comps)
			return *s == '\0';
		const struct gcomp *cp = &g->comps[ci];
		if (cp->kind == COMP_GLOBSTAR) {
			while (ci + 1 < g->n_comps && g->comps[ci + 1].kind == COMP_GLOBSTAR)
				ci++;
			if (ci + 1 == g->n_comps)
				return true;
			for (const char *p = s;;) {
				if (match_comps(g, ci + 1, p, self))
					return true;
				if (!*p)
					return false;
				p = strchrnul(p, '/');
				while (*p == '/')
					p++;
			}
		}
		if (!*s)
			return false;
		const char *e = strchrnul(s, '/');
		if (!comp_matches(g, cp, s, (size_t)(e - s), self))
			return false;
		s = e;
		ci++;
	}
}

bool pfs_glob_match(const struct pfs_glob *g, const char *s, const struct pfs_match_ctx *m)
{
	if (!g || !s)
		return false;
	if (g->kind == PFS_GLOB_TEXT)
		return match_ops(g, g->ops, g->n_ops, s, strlen(s));
	if (*s != '/')
		return false;
	return match_comps(g, 0, s, m ? m->self_tgid : 0);
}

const char *pfs_glob_literal_prefix(const struct pfs_glob *g, size_t *len)
{
	if (len)
		*len = g->prefix_len;
	return g->prefix;
}

bool pfs_glob_prefix_rejects(const struct pfs_glob *g, const char *s, size_t len)
{
	if (g->prefix_len == 0)
		return false;
	if (len < g->prefix_len)
		return true;
	uint64_t w = 0;
	if (len >= 8)
		memcpy(&w, s, 8); /* one load */
	else
		memcpy(&w, s, len);
	if ((w & g->head_mask) != g->head)
		return true;
	return g->prefix_len > 8 && memcmp(s + 8, g->prefix + 8, g->prefix_len - 8) != 0;
}

const char *pfs_glob_pattern(const struct pfs_glob *g)
{
	return g->pattern;
}

static bool comp_literal_key(const struct pfs_glob *g, size_t ci, const char *mark, char *buf,
			     size_t cap)
{
	const struct gcomp *cp = &g->comps[ci];
	size_t m = strlen(mark);
	if (cp->kind != COMP_PATTERN || cp->len == 0 || m + cp->len >= cap)
		return false;
	memcpy(buf, mark, m);
	for (size_t i = 0; i < cp->len; i++) {
		if (g->ops[cp->start + i].kind != OP_LIT)
			return false;
		buf[m + i] = (char)g->ops[cp->start + i].c;
	}
	buf[m + cp->len] = '\0';
	return true;
}

bool pfs_glob_proc_key(const struct pfs_glob *g, char *buf, size_t cap)
{
	char first[8];
	if (g->kind != PFS_GLOB_PATH || g->n_comps < 2 ||
	    !comp_literal_key(g, 0, "", first, sizeof(first)) || strcmp(first, "proc") != 0)
		return false;
	const struct gcomp *c1 = &g->comps[1];
	if (c1->kind == COMP_PID || c1->kind == COMP_SELF)
		return g->n_comps >= 3 && comp_literal_key(g, 2, "#", buf, cap);
	return comp_literal_key(g, 1, "", buf, cap) && !is_pid(buf, strlen(buf));
}

bool pfs_glob_path_key(const char *path, char *buf, size_t cap)
{
	if (strncmp(path, "/proc/", 6) != 0)
		return false;
	const char *c1 = path + 6;
	size_t l1 = strcspn(c1, "/");
	if (l1 == 0)
		return false;
	const char *name = c1, *mark = "";
	size_t len = l1;
	if (is_pid(c1, l1)) {
		if (c1[l1] != '/')
			return false;
		name = c1 + l1 + 1;
		len = strcspn(name, "/");
		mark = "#";
	}
	size_t m = strlen(mark);
	if (len == 0 || m + len >= cap)
		return false;
	memcpy(buf, mark, m);
	memcpy(buf + m, name, len);
	buf[m + len] = '\0';
	return true;
}

bool pfs_glob_can_match_proc(const struct pfs_glob *g)
{
	if (g->kind == PFS_GLOB_TEXT)
		return true;
	if (g->n_comps == 0)
		return false;
	const struct gcomp *cp = &g->comps[0];
	if (cp->kind == COMP_GLOBSTAR)
		return true;
	if (cp->kind != COMP_PATTERN)
		return false;
	return match_ops(g, g->ops + cp->start, cp->len, "proc", 4);
}

/* ---- subsumption (lint) ---- */

static bool comp_is_literal(const struct pfs_glob *g, const struct gcomp *cp, char *buf, size_t cap)
{
	if (cp->kind != COMP_PATTERN || cp->len >= cap)
		return false;
	for (size_t i = 0; i < cp->len; i++) {
		if (g->ops[cp->start + i].kind != OP_LIT)
			return false;
		buf[i] = (char)g->ops[cp->start + i].c;
	}
	buf[cp->len] = '\0';
	return true;
}

static bool same_ops(const struct pfs_glob *a, const struct gcomp *ca, const struct pfs_glob *b,
		     const struct gcomp *cb)
{
	if (ca->len != cb->len)
		return false;
	for (size_t i = 0; i < ca->len; i++) {
		const struct gop *x = &a->ops[ca->start + i], *y = &b->ops[cb->start + i];
		if (x->kind != y->kind || (x->kind == OP_LIT && x->c != y->c))
			return false;
		if (x->kind == OP_CLASS &&
		    memcmp(&a->classes[x->cls], &b->classes[y->cls], sizeof(struct gclass)) != 0)
			return false;
	}
	return true;
}

static bool comp_covers(const struct pfs_glob *a, const struct gcomp *ca, const struct pfs_glob *b,
			const struct gcomp *cb)
{
	char lit[256];
	bool b_lit = comp_is_literal(b, cb, lit, sizeof(lit));
	switch (ca->kind) {
	case COMP_PID:
		return cb->kind == COMP_PID || cb->kind == COMP_SELF ||
		       (b_lit && is_pid(lit, cb->len));
	case COMP_SELF:
		return cb->kind == COMP_SELF;
	case COMP_PATTERN:
		if (ca->len == 1 && a->ops[ca->start].kind == OP_STAR)
			return cb->kind != COMP_GLOBSTAR;
		if (cb->kind != COMP_PATTERN)
			return false;
		if (b_lit)
			return match_ops(a, a->ops + ca->start, ca->len, lit, cb->len);
		return same_ops(a, ca, b, cb);
	default:
		return false;
	}
}

/* dp[i][j]: broad comps [i..) cover narrow comps [j..). Quadratic, no backtracking. */
static bool path_subsumes(const struct pfs_glob *a, const struct pfs_glob *b)
{
	size_t na = a->n_comps, nb = b->n_comps, w = nb + 1;
	cleanup_free bool *dp = calloc((na + 1) * w, sizeof(*dp));
	if (!dp)
		return false;
	dp[na * w + nb] = true;
	for (size_t i = na; i-- > 0;) {
		const struct gcomp *ca = &a->comps[i];
		for (size_t j = nb + 1; j-- > 0;) {
			bool v;
			if (ca->kind == COMP_GLOBSTAR)
				v = dp[(i + 1) * w + j] || (j < nb && dp[i * w + j + 1]);
			else
				v = j < nb && b->comps[j].kind != COMP_GLOBSTAR &&
				    dp[(i + 1) * w + j + 1] && comp_covers(a, ca, b, &b->comps[j]);
			dp[i * w + j] = v;
		}
	}
	return dp[0];
}

bool pfs_glob_subsumes(const struct pfs_glob *broad, const struct pfs_glob *narrow)
{
	if (broad->kind != narrow->kind)
		return false;
	if (!strcmp(broad->pattern, narrow->pattern))
		return true;
	if (broad->kind == PFS_GLOB_PATH)
		return path_subsumes(broad, narrow);
	/* TEXT: "lit*" covers anything whose literal prefix starts with lit. */
	if (broad->n_ops == 0 || broad->ops[broad->n_ops - 1].kind != OP_STAR)
		return false;
	for (size_t i = 0; i + 1 < broad->n_ops; i++)
		if (broad->ops[i].kind != OP_LIT)
			return false;
	return narrow->prefix_len >= broad->prefix_len &&
	       !memcmp(narrow->prefix, broad->prefix, broad->prefix_len);
}
