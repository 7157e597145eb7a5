/*
 * mountinfo and mounts filters.
 *
 * Rule semantics (all conditions of a rule ANDed, matched on unescaped values):
 * - DROP: the first matching DROP rule removes the mount. Drops win over edits.
 * - REWRITE_SOURCE: the first matching rule sets the source.
 * - REDACT_OPTIONS: every matching rule redacts the options it names, in both
 *   the mount options and the super options; the first rule naming an option
 *   gives its value. Flags (options without '=') have no value and stay.
 * Untouched fields keep their bytes; rewritten ones are escaped as the kernel
 * would. /proc/mounts has no root field: given the mountinfo read with it
 * (pfs_filter_mounts_paired), rules see the mountinfo entry of each mount;
 * otherwise a condition on the root counts as matched (fail closed), so
 * mounts drops at least what mountinfo does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter_mount_rules_i.h"
#include "filter_paired_i.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

struct mi_line {
	int id, parent;
	const struct pfs_mount_rule *drop;
};

struct mi_dropped {
	int id, parent;
	const struct pfs_mount_rule *rule;
};

static int cmp_dropped(const void *a, const void *b)
{
	const struct mi_dropped *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static const struct mi_dropped *find_dropped(const struct mi_dropped *d, size_t n, int id)
{
	struct mi_dropped key = {.id = id};
	return bsearch(&key, d, n, sizeof(*d), cmp_dropped);
}

/* Edits of one surviving line (mountinfo or mounts): source, options, parent. */
static int emit_entry(struct mnt_eval *ev, const char *line, size_t len, bool has_nl,
		      const struct pfs_mount_entry *e, const struct pfs_mount_entry *match,
		      int new_parent, struct pfs_buf *out, const struct pfs_trace *t)
{
	const struct pfs_mount_rule *rewrite;
	bool redact;
	int r = mnt_eval_edits(ev, match, e, &rewrite, &redact);
	if (r < 0)
		return r;
	struct mnt_edit edits[4];
	size_t n = 0;
	if (e->id >= 0 && new_parent != e->parent) {
		/* The parent id is the second field, after the id and one space. */
		const char *sp = memchr(line, ' ', len);
		const char *end = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line));
		edits[n++] = (struct mnt_edit){.at = {sp + 1, (size_t)(end - sp - 1)},
					       .kind = MNT_EDIT_INT,
					       .ival = new_parent};
	}
	if (rewrite && !rewrite->value)
		rewrite = NULL; /* a rewrite without a value cannot apply */
	/* Field order: mountinfo: opts, source, super; mounts: source, opts. */
	struct mnt_edit src = {
		.at = e->source, .kind = MNT_EDIT_SOURCE, .str = rewrite ? rewrite->value : NULL};
	if (e->id >= 0) {
		if (redact)
			edits[n++] = (struct mnt_edit){.at = e->mnt_opts, .kind = MNT_EDIT_OPTS};
		if (rewrite)
			edits[n++] = src;
		if (redact)
			edits[n++] = (struct mnt_edit){.at = e->super_opts, .kind = MNT_EDIT_OPTS};
	} else {
		if (rewrite)
			edits[n++] = src;
		if (redact)
			edits[n++] = (struct mnt_edit){.at = e->mnt_opts, .kind = MNT_EDIT_OPTS};
	}
	if (n == 0)
		r = pfs_buf_append(out, line, len);
	else
		r = mnt_emit_edited(ev, line, len, edits, n, out);
	if (r == 0 && has_nl)
		r = pfs_buf_append(out, "\n", 1);
	if (r < 0)
		return r;
	if (rewrite)
		pfs_trace_emit(t, PFS_TR_REWRITTEN, line, len, &rewrite->src);
	if (redact)
		mnt_trace_redacted(ev, line, len, t);
	return 0;
}

/* Pass 1 of mountinfo: parse every line and decide its drop. */
static int mi_decide(struct mnt_eval *ev, const char *in, size_t len, struct mi_line *lines,
		     size_t *n_lines, struct mi_dropped *dropped, size_t *n_dropped)
{
	size_t pos = 0, n = 0, nd = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		int r = pfs_mountinfo_parse_line(line, ll, &e);
		if (r == 0)
			r = mnt_find_drop(ev, &e, &lines[n].drop);
		if (r < 0)
			return r;
		lines[n].id = e.id;
		lines[n].parent = e.parent;
		if (lines[n].drop)
			dropped[nd++] = (struct mi_dropped){e.id, e.parent, lines[n].drop};
		n++;
	}
	qsort(dropped, nd, sizeof(*dropped), cmp_dropped);
	*n_lines = n;
	*n_dropped = nd;
	return 0;
}

/*
 * The nearest mount at or above id that the filtered table shows: id itself
 * when it is not dropped. 1 when there is none (a dropped mount that is its
 * own parent, a namespace's rootfs), -EBADMSG for a loop of dropped mounts
 * (not kernel output).
 */
static int surviving_ancestor(const struct mi_dropped *dropped, size_t nd, int id, int *out)
{
	const struct mi_dropped *d = find_dropped(dropped, nd, id);
	*out = id;
	for (size_t steps = 0; d; steps++) {
		if (steps > nd)
			return -EBADMSG;
		if (d->parent == d->id)
			return 1;
		*out = d->parent;
		d = find_dropped(dropped, nd, *out);
	}
	return 0;
}

/* The parsed table and its drops; the caller frees lines and dropped. */
struct mi_table {
	struct mi_line *lines;
	struct mi_dropped *dropped;
	size_t n_lines, nd;
};

static void mi_table_free(struct mi_table *tb)
{
	free(tb->lines);
	free(tb->dropped);
}

static int mi_table_load(struct mnt_eval *ev, const char *in, size_t len, struct mi_table *tb)
{
	size_t max_lines = 1;
	for (const char *c = in; (c = memchr(c, '\n', len - (size_t)(c - in))); c++)
		max_lines++;
	tb->lines = calloc(max_lines, sizeof(*tb->lines));
	tb->dropped = calloc(max_lines, sizeof(*tb->dropped));
	if (!tb->lines || !tb->dropped)
		return -ENOMEM;
	return mi_decide(ev, in, len, tb->lines, &tb->n_lines, tb->dropped, &tb->nd);
}

int pfs_filter_mountinfo(const struct pfs_policy *p, const char *in, size_t len,
			 struct pfs_buf *out, const struct pfs_trace *t)
{
	if (!p || p->n_mount_rules == 0 || len == 0)
		return pfs_buf_append(out, in, len);
	struct mnt_eval ev;
	int r = mnt_eval_init(&ev, p, MNT_KNOWN_ALL);
	if (r < 0)
		return r;
	__attribute__((cleanup(mi_table_free))) struct mi_table tb = {0};
	r = mi_table_load(&ev, in, len, &tb);
	size_t pos = 0, ll, i = 0;
	const char *line;
	bool nl;
	while (r == 0 && pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		const struct mi_line *L = &tb.lines[i++];
		if (L->drop) {
			pfs_trace_emit(t, PFS_TR_DROPPED, line, ll, &L->drop->src);
			continue;
		}
		int parent;
		r = surviving_ancestor(tb.dropped, tb.nd, L->parent, &parent);
		if (r == 1) {
			/* children of a dropped namespace root become roots, their own parents */
			parent = L->id;
			r = 0;
		}
		if (r < 0)
			break;
		struct pfs_mount_entry e;
		r = pfs_mountinfo_parse_line(line, ll, &e);
		if (r == 0)
			r = emit_entry(&ev, line, ll, nl, &e, &e, parent, out, t);
		const struct mi_dropped *first = find_dropped(tb.dropped, tb.nd, L->parent);
		if (r == 0 && first)
			pfs_trace_emit(t, PFS_TR_REPARENTED, line, ll, &first->rule->src);
	}
	mnt_eval_fini(&ev);
	return r;
}

int pfs_mountinfo_visible_mount(const struct pfs_policy *p, const char *mountinfo, size_t len,
				int id, int *out, const struct pfs_rule_src **rule)
{
	*out = id;
	*rule = NULL;
	if (!p || p->n_mount_rules == 0 || len == 0)
		return 0;
	struct mnt_eval ev;
	int r = mnt_eval_init(&ev, p, MNT_KNOWN_ALL);
	if (r < 0)
		return r;
	__attribute__((cleanup(mi_table_free))) struct mi_table tb = {0};
	r = mi_table_load(&ev, mountinfo, len, &tb);
	mnt_eval_fini(&ev);
	if (r < 0)
		return r;
	const struct mi_dropped *d = find_dropped(tb.dropped, tb.nd, id);
	if (d)
		*rule = &d->rule->src;
	return surviving_ancestor(tb.dropped, tb.nd, id, out);
}

/* Pre-pass: every mounts line pairs with the mountinfo entry of its index. */
static bool mounts_pair(const char *in, size_t len, const struct mnt_pairing *pr)
{
	size_t pos = 0, ll, i = 0;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		if (pfs_mounts_parse_line(line, ll, &e) < 0 || !mnt_pair_agrees(pr, i++, &e))
			return false;
	}
	return i == pr->n;
}

int pfs_filter_mounts_paired(const struct pfs_policy *p, const char *in, size_t len,
			     const char *mountinfo, size_t mi_len, struct pfs_buf *out,
			     const struct pfs_trace *t)
{
	if (!p || p->n_mount_rules == 0)
		return pfs_buf_append(out, in, len);
	struct mnt_pairing pr;
	struct mnt_eval ev;
	bool paired = false;
	int r = mnt_paired_begin(p, mountinfo, mi_len, in, len, mounts_pair, MNT_KNOWN_OPTIONS, &pr,
				 &ev, &paired);
	if (r < 0)
		return r;
	size_t pos = 0, ll, i = 0;
	const char *line;
	bool nl;
	while (r == 0 && pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		const struct pfs_mount_rule *drop = NULL;
		r = pfs_mounts_parse_line(line, ll, &e);
		if (r < 0)
			break;
		/* Rules see the mountinfo entry (root, split options) when paired. */
		const struct pfs_mount_entry *match = paired ? &pr.mi[i] : &e;
		i++;
		r = mnt_find_drop(&ev, match, &drop);
		if (r == 0 && drop)
			pfs_trace_emit(t, PFS_TR_DROPPED, line, ll, &drop->src);
		else if (r == 0)
			r = emit_entry(&ev, line, ll, nl, &e, match, -1, out, t);
	}
	mnt_eval_fini(&ev);
	mnt_pairing_free(&pr);
	return r;
}

int pfs_filter_mounts(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		      const struct pfs_trace *t)
{
	return pfs_filter_mounts_paired(p, in, len, NULL, 0, out, t);
}

int pfs_fk_mountinfo(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_mountinfo(in->policy, in->data, in->len, out, in->trace);
}

/*
 * mounts lacks fields that rules may match (root, options): decided with the
 * mountinfo read alongside, so the tables agree.
 */
int pfs_fk_mounts(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_fk_with_mountinfo(in, out, pfs_filter_mounts_paired);
}
