/*
 * maps filter, the shared maps line parser and decision, and map_files.
 *
 * Rules: a mapping whose pathname (or pathname without " (deleted)")
 * matches a DROP rule is removed; otherwise the first matching REDACT rule
 * replaces the pathname (default "[redacted]"). Drops win over redactions.
 * Anonymous mappings have no pathname and are never matched; [heap],
 * [stack], [vdso] ... are pathnames like any other ("[heap]" names them).
 */
#include <errno.h>
#include <string.h>

#include "filter_maps_i.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

/* Digit value + 1 (the kernel prints lowercase hex); 0 for any other byte. */
static const unsigned char digit_value_1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* A run of at most max digits of the base (16 or 10); false if empty or too long. */
static bool number(const char **p, const char *end, unsigned base, size_t max, unsigned long *v)
{
	const char *s = *p, *q = *p;
	unsigned long x = 0;
	unsigned d;
	while (q < end && (d = digit_value_1[(unsigned char)*q] - 1u) < base) {
		x = x * base + d;
		q++;
	}
	*p = q;
	size_t n = (size_t)(q - s);
	if (v)
		*v = x;
	return n > 0 && n <= max;
}

static bool lit(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

bool maps_is_header(const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	return number(&p, end, 16, 16, NULL) && p < end && *p == '-';
}

int maps_parse_line(const char *line, size_t len, struct maps_line *m)
{
	const char *p = line, *end = line + len;
	unsigned long dev;
	memset(m, 0, sizeof(*m));
	if (memchr(line, '\n', len) || memchr(line, '\0', len))
		return -EBADMSG;
	if (!number(&p, end, 16, 16, &m->start) || !lit(&p, end, '-') ||
	    !number(&p, end, 16, 16, &m->end) || !lit(&p, end, ' '))
		return -EBADMSG;
	static const char perms[4][2] = {"r-", "w-", "x-", "ps"};
	for (size_t i = 0; i < 4; i++, p++)
		if (p >= end || (*p != perms[i][0] && *p != perms[i][1]))
			return -EBADMSG;
	if (!lit(&p, end, ' ') || !number(&p, end, 16, 16, NULL) || !lit(&p, end, ' ') ||
	    !number(&p, end, 16, 8, &dev) || !lit(&p, end, ':') || !number(&p, end, 16, 8, &dev) ||
	    !lit(&p, end, ' ') || !number(&p, end, 10, 20, &m->inode))
		return -EBADMSG;
	/* Anonymous: nothing, or the kernel's single trailing space. */
	if (p == end || (lit(&p, end, ' ') && p == end)) {
		m->path_off = len;
		m->path = (struct pfs_field){line + len, 0};
		return 0;
	}
	while (p < end && *p == ' ')
		p++;
	if (p == end) /* only padding: not the kernel's format */
		return -EBADMSG;
	m->path_off = (size_t)(p - line);
	m->path = (struct pfs_field){p, (size_t)(end - p)};
	return 0;
}

const struct pfs_maps_rule *maps_decide_plain(const struct pfs_policy *p, char *path, size_t len)
{
	static const struct pfs_match_ctx mctx = {0};
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	const struct pfs_maps_rule *redact = NULL;
	if (len == 0)
		return NULL;
	bool has_deleted = len > dl && memcmp(path + len - dl, deleted, dl) == 0;
	for (size_t i = 0; i < p->n_maps_rules; i++) {
		const struct pfs_maps_rule *r = &p->maps_rules[i];
		if (r->action != PFS_MAPS_DROP && redact)
			continue;
		/* Most rules fail on their literal head: skip the matcher for them. */
		if (pfs_glob_prefix_rejects(r->glob, path, len))
			continue;
		bool match = pfs_glob_match(r->glob, path, &mctx);
		if (!match && has_deleted) {
			path[len - dl] = '\0';
			match = pfs_glob_match(r->glob, path, &mctx);
			path[len - dl] = ' ';
		}
		if (!match)
			continue;
		if (r->action == PFS_MAPS_DROP)
			return r;
		redact = r;
	}
	return redact;
}

int maps_decide(const struct pfs_policy *p, struct pfs_field raw_path, struct pfs_buf *scratch,
		const struct pfs_maps_rule **rule)
{
	*rule = NULL;
	if (raw_path.len == 0 || p->n_maps_rules == 0)
		return 0;
	pfs_buf_reset(scratch);
	int r = pfs_mount_unescape_buf(raw_path.s, raw_path.len, scratch);
	if (r < 0)
		return r;
	/* A NUL cannot be in a pathname: not the kernel's output. */
	if (strlen(scratch->data) != scratch->len)
		return -EBADMSG;
	*rule = maps_decide_plain(p, scratch->data, scratch->len);
	return 0;
}

int maps_emit_line(const char *line, size_t len, bool has_nl, const struct maps_line *m,
		   const struct pfs_maps_rule *rule, struct pfs_buf *out, const struct pfs_trace *t)
{
	int r;
	if (rule && rule->action == PFS_MAPS_DROP) {
		pfs_trace_emit(t, PFS_TR_DROPPED, line, len, &rule->src);
		return 0;
	}
	if (rule) {
		const char *v = maps_redact_value(rule);
		r = pfs_buf_append(out, line, m->path_off);
		if (r == 0)
			r = pfs_mount_escape(v, strlen(v), "\n", out);
		pfs_trace_emit(t, PFS_TR_REDACTED, line, len, &rule->src);
	} else {
		r = pfs_buf_append(out, line, len);
	}
	if (r == 0 && has_nl)
		r = pfs_buf_append(out, "\n", 1);
	return r;
}

int pfs_filter_maps(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		    const struct pfs_trace *t)
{
	struct pfs_filter_piece f = {p, t, 0};
	return pfs_filter_maps_piece(&f, in, len, out);
}

/* Each line on its own: no state between pieces. */
int pfs_filter_maps_piece(struct pfs_filter_piece *f, const char *in, size_t len,
			  struct pfs_buf *out)
{
	const struct pfs_policy *p = f->policy;
	const struct pfs_trace *t = f->trace;
	if (!p || p->n_maps_rules == 0)
		return pfs_buf_append(out, in, len);
	cleanup_buf struct pfs_buf scratch = PFS_BUF_INIT;
	size_t pos = 0, ll, kept_from = 0; /* lines no rule touches are copied in runs */
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct maps_line m;
		const struct pfs_maps_rule *rule;
		int r = maps_parse_line(line, ll, &m);
		if (r == 0)
			r = maps_decide(p, m.path, &scratch, &rule);
		if (r == 0 && !rule)
			continue;
		if (r == 0)
			r = pfs_buf_append(out, in + kept_from, (size_t)(line - in) - kept_from);
		if (r == 0)
			r = maps_emit_line(line, ll, nl, &m, rule, out, t);
		if (r < 0)
			return r;
		kept_from = pos;
	}
	return pfs_buf_append(out, in + kept_from, len - kept_from);
}

/* "start-end" as map_files names it: lowercase hex without leading zeros. */
static bool parse_range(const char *range, unsigned long *start, unsigned long *end)
{
	const char *p = range, *e = range + strlen(range);
	const char *s1 = p;
	if (!number(&p, e, 16, 16, start) || (*s1 == '0' && p - s1 > 1) || !lit(&p, e, '-'))
		return false;
	const char *s2 = p;
	return number(&p, e, 16, 16, end) && !(*s2 == '0' && p - s2 > 1) && p == e;
}

int pfs_maps_range_hidden(const struct pfs_policy *p, const char *maps, size_t maps_len,
			  const char *range, bool *hidden)
{
	*hidden = false;
	if (!p || p->n_maps_rules == 0)
		return 0;
	unsigned long start, end;
	*hidden = true; /* fail closed: a range maps does not show is hidden */
	if (!parse_range(range, &start, &end))
		return 0;
	cleanup_buf struct pfs_buf scratch = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(maps, maps_len, &pos, &line, &ll, &nl)) {
		struct maps_line m;
		int r = maps_parse_line(line, ll, &m);
		if (r < 0)
			return r;
		if (m.start != start || m.end != end)
			continue;
		const struct pfs_maps_rule *rule;
		r = maps_decide(p, m.path, &scratch, &rule);
		if (r < 0)
			return r;
		/* A redacted mapping is hidden too: its link would name the path. */
		*hidden = rule != NULL;
		return 0;
	}
	return 0;
}

int pfs_fk_maps(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_maps(in->policy, in->data, in->len, out, in->trace);
}
