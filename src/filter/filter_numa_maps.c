/*
 * numa_maps filter: "start policy [file=PATH] [heap|stack] [huge] key=val ...".
 * The policy name may contain a space ("prefer (many)"), so fields are found
 * by their " file=", " heap", " stack" tokens, never by position. PATH is
 * escaped (space, tab, newline, '=' as octal). The decision is the maps one
 * (maps_decide_plain): "heap" and "stack" stand for "[heap]" and "[stack]";
 * a line without them is anonymous and untouched. A redacted heap or stack
 * line keeps its token (it names no path).
 */
#include <errno.h>
#include <string.h>

#include "filter_maps_i.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

/* The token " word" at a token boundary (followed by space or end), or NULL. */
static const char *find_token(const char *line, size_t len, const char *word, bool prefix)
{
	size_t wl = strlen(word);
	for (const char *s = line; s < line + len;) {
		const char *hit = memmem(s, (size_t)(line + len - s), word, wl);
		if (!hit)
			return NULL;
		const char *after = hit + wl;
		if (prefix || after == line + len || *after == ' ')
			return hit;
		s = hit + 1;
	}
	return NULL;
}

static int numa_line(const struct pfs_policy *p, const char *line, size_t len, bool nl,
		     struct pfs_buf *scratch, struct pfs_buf *out, const struct pfs_trace *t)
{
	size_t i = 0;
	while (i < len &&
	       ((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
		i++;
	if (i == 0 || i > 16 || i + 1 >= len || line[i] != ' ' || memchr(line, '\0', len))
		return -EBADMSG;
	struct pfs_field val = {NULL, 0};
	const char *file = find_token(line + i, len - i, " file=", true);
	const struct pfs_maps_rule *rule = NULL;
	if (file) {
		val.s = file + 6;
		const char *sp = memchr(val.s, ' ', (size_t)(line + len - val.s));
		val.len = (size_t)((sp ? sp : line + len) - val.s);
		pfs_buf_reset(scratch);
		int r = pfs_mount_unescape_buf(val.s, val.len, scratch);
		if (r < 0)
			return r;
		if (strlen(scratch->data) != scratch->len || scratch->len == 0)
			return -EBADMSG;
		rule = maps_decide_plain(p, scratch->data, scratch->len);
	} else if (find_token(line + i, len - i, " heap", false)) {
		char name[] = "[heap]";
		rule = maps_decide_plain(p, name, sizeof(name) - 1);
	} else if (find_token(line + i, len - i, " stack", false)) {
		char name[] = "[stack]";
		rule = maps_decide_plain(p, name, sizeof(name) - 1);
	}
	if (rule && rule->action == PFS_MAPS_DROP) {
		pfs_trace_emit(t, PFS_TR_DROPPED, line, len, &rule->src);
		return 0;
	}
	int r;
	if (rule && file) {
		const char *v = maps_redact_value(rule);
		r = pfs_buf_append(out, line, (size_t)(val.s - line));
		if (r == 0)
			r = pfs_mount_escape(v, strlen(v), PFS_MOUNT_ESC_NUMA, out);
		if (r == 0)
			r = pfs_buf_append(out, val.s + val.len,
					   (size_t)(line + len - val.s - val.len));
		pfs_trace_emit(t, PFS_TR_REDACTED, line, len, &rule->src);
	} else {
		r = pfs_buf_append(out, line, len);
	}
	if (r == 0 && nl)
		r = pfs_buf_append(out, "\n", 1);
	return r;
}

int pfs_filter_numa_maps(const struct pfs_policy *p, const char *in, size_t len,
			 struct pfs_buf *out, const struct pfs_trace *t)
{
	struct pfs_filter_piece f = {p, t, 0};
	return pfs_filter_numa_maps_piece(&f, in, len, out);
}

/* Each line on its own: no state between pieces. */
int pfs_filter_numa_maps_piece(struct pfs_filter_piece *f, const char *in, size_t len,
			       struct pfs_buf *out)
{
	const struct pfs_policy *p = f->policy;
	const struct pfs_trace *t = f->trace;
	if (!p || p->n_maps_rules == 0)
		return pfs_buf_append(out, in, len);
	cleanup_buf struct pfs_buf scratch = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		int r = numa_line(p, line, ll, nl, &scratch, out, t);
		if (r < 0)
			return r;
	}
	return 0;
}

int pfs_fk_numa_maps(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_numa_maps(in->policy, in->data, in->len, out, in->trace);
}
