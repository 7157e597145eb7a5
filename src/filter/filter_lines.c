/*
 * Content rules of a path. REPLACE: the content becomes the rule's text (the
 * last matching REPLACE rule wins, so an including file's rule overrides its
 * base's). HIDE_LINES: every line (without its '\n') matching the regex of a
 * matching rule is dropped; applied after REPLACE, to its text.
 */
#include <errno.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/filter.h"

static bool path_matches(const struct pfs_content_rule *r, const char *path,
			 const struct pfs_match_ctx *m)
{
	static const struct pfs_match_ctx none = {0};
	return r->path && pfs_glob_match(r->path, path, m ? m : &none);
}

/* The first HIDE_LINES rule of path whose regex matches the line, or NULL. */
static const struct pfs_content_rule *line_hidden(const struct pfs_policy *p, const char *path,
						  const struct pfs_match_ctx *m, const char *line)
{
	for (size_t i = 0; i < p->n_content_rules; i++) {
		const struct pfs_content_rule *r = &p->content_rules[i];
		if (r->action == PFS_CONTENT_HIDE_LINES && r->has_re && path_matches(r, path, m) &&
		    regexec(&r->re, line, 0, NULL, 0) == 0)
			return r;
	}
	return NULL;
}

static int hide_lines(const struct pfs_policy *p, const char *path, const struct pfs_match_ctx *m,
		      const char *in, size_t len, struct pfs_buf *out, const struct pfs_trace *t)
{
	char small[512];
	cleanup_buf struct pfs_buf big = PFS_BUF_INIT;
	int r = 0;
	for (size_t pos = 0; r == 0 && pos < len;) {
		const char *line = in + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t adv = ll + (nl ? 1 : 0);
		pos += adv;
		/* A NUL would cut the regex's view of the line short: fail closed. */
		if (memchr(line, '\0', ll))
			return -EBADMSG;
		const char *z = small;
		if (ll < sizeof(small)) {
			memcpy(small, line, ll);
			small[ll] = '\0';
		} else {
			pfs_buf_reset(&big);
			if ((r = pfs_buf_append(&big, line, ll)) < 0)
				break;
			z = big.data;
		}
		const struct pfs_content_rule *rule = line_hidden(p, path, m, z);
		if (rule)
			pfs_trace_emit(t, PFS_TR_DROPPED, line, ll, &rule->src);
		else
			r = pfs_buf_append(out, line, adv);
	}
	return r;
}

/* The REPLACE rule of path (the last matching), and whether a HIDE_LINES rule matches it. */
static const struct pfs_content_rule *rules_of(const struct pfs_policy *p, const char *path,
					       const struct pfs_match_ctx *m, bool *hide)
{
	const struct pfs_content_rule *replace = NULL;
	*hide = false;
	for (size_t i = 0; p && i < p->n_content_rules; i++) {
		const struct pfs_content_rule *r = &p->content_rules[i];
		if (!path_matches(r, path, m))
			continue;
		if (r->action == PFS_CONTENT_REPLACE)
			replace = r;
		else if (r->has_re)
			*hide = true;
	}
	return replace;
}

bool pfs_filter_lines_per_line(const struct pfs_policy *p, const char *path,
			       const struct pfs_match_ctx *m)
{
	bool hide;
	return !rules_of(p, path, m, &hide);
}

int pfs_filter_lines(const struct pfs_policy *p, const char *path, const struct pfs_match_ctx *m,
		     const char *in, size_t len, struct pfs_buf *out, const struct pfs_trace *t)
{
	if (!p || p->n_content_rules == 0)
		return pfs_buf_append(out, in, len);
	bool hide;
	const struct pfs_content_rule *replace = rules_of(p, path, m, &hide);
	if (replace) {
		const char *nl = len ? memchr(in, '\n', len) : NULL;
		pfs_trace_emit(t, PFS_TR_REPLACED, in, nl ? (size_t)(nl - in) : len, &replace->src);
		in = replace->text ? replace->text : "";
		len = replace->text ? replace->text_len : 0;
	}
	if (!hide)
		return pfs_buf_append(out, in, len);
	return hide_lines(p, path, m, in, len, out, t);
}
