/* Mount rule evaluation shared by the mountinfo, mounts and mountstats filters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter_mount_rules_i.h"
#include "pfs/cleanup.h"

int mnt_eval_init(struct mnt_eval *ev, const struct pfs_policy *p, unsigned known)
{
	size_t n = p->n_mount_rules ? p->n_mount_rules : 1;
	*ev = (struct mnt_eval){.p = p, .known = known};
	ev->flags = calloc(n, 1);
	ev->redact = calloc(n, sizeof(*ev->redact));
	if (!ev->flags || !ev->redact) {
		mnt_eval_fini(ev);
		return -ENOMEM;
	}
	return 0;
}

void mnt_eval_fini(struct mnt_eval *ev)
{
	free(ev->flags);
	free(ev->redact);
	ev->flags = NULL;
	ev->redact = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(ev->field); i++)
		pfs_buf_free(&ev->field[i].buf);
	pfs_buf_free(&ev->opts.buf);
}

/* Appends the decoded f and a NUL; a decoded NUL is not kernel output. */
static int decode_into(struct pfs_buf *b, struct pfs_field f)
{
	size_t start = b->len;
	int r = pfs_mount_unescape_buf(f.s, f.len, b);
	if (r == 0 && strlen(b->data + start) != b->len - start)
		r = -EBADMSG;
	if (r == 0)
		r = pfs_buf_append(b, "", 1);
	return r;
}

/* The decoded field (NUL-terminated) and its length, decoded on first use for this line. */
static int decoded(struct mnt_decoded *d, struct pfs_field f, const char **out, size_t *out_len)
{
	if (!d->buf.data || d->src != f.s || d->len != f.len) {
		pfs_buf_reset(&d->buf);
		d->src = NULL;
		int r = decode_into(&d->buf, f);
		if (r < 0)
			return r;
		d->src = f.s;
		d->len = f.len;
	}
	*out = d->buf.data;
	*out_len = d->buf.len - 1; /* without the NUL decode_into appended */
	return 0;
}

static bool glob_str(const struct pfs_glob *g, const char *s, size_t len)
{
	static const struct pfs_match_ctx m = {0};
	return !pfs_glob_prefix_rejects(g, s, len) && pfs_glob_match(g, s, &m);
}

/* The options of e, decoded, as consecutive NUL-terminated strings in ev->opts. */
static int decoded_opts(struct mnt_eval *ev, const struct pfs_mount_entry *e)
{
	struct mnt_decoded *d = &ev->opts;
	if (d->buf.data && d->src == e->mnt_opts.s && d->len == e->mnt_opts.len)
		return 0;
	pfs_buf_reset(&d->buf);
	d->src = NULL;
	struct pfs_field lists[2] = {e->mnt_opts, e->super_opts}, opt;
	for (size_t i = 0; i < 2; i++)
		while (pfs_mount_opt_next(&lists[i], &opt)) {
			int r = decode_into(&d->buf, opt);
			if (r < 0)
				return r;
		}
	d->src = e->mnt_opts.s;
	d->len = e->mnt_opts.len;
	return 0;
}

static int glob_any_option(struct mnt_eval *ev, const struct pfs_glob *g,
			   const struct pfs_mount_entry *e)
{
	int r = decoded_opts(ev, e);
	if (r < 0)
		return r;
	for (size_t off = 0; off < ev->opts.buf.len;) {
		const char *o = ev->opts.buf.data + off;
		size_t len = strlen(o);
		if (glob_str(g, o, len))
			return 1;
		off += len + 1;
	}
	return 0;
}

int mnt_rule_matches(struct mnt_eval *ev, const struct pfs_mount_rule *r,
		     const struct pfs_mount_entry *e)
{
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct pfs_mount_match *mm = &r->matches[i];
		int ok;
		if (mm->field == PFS_MNT_OPTION) {
			if (!(ev->known & MNT_KNOWN_OPTIONS))
				continue;
			ok = glob_any_option(ev, mm->glob, e);
		} else if (mm->field == PFS_MNT_ROOT && !(ev->known & MNT_KNOWN_ROOT)) {
			continue;
		} else {
			const struct pfs_field *f = pfs_mount_entry_field(e, mm->field);
			const char *str;
			size_t len;
			if (!f || (size_t)mm->field >= ARRAY_SIZE(ev->field))
				return -EINVAL;
			int err = decoded(&ev->field[mm->field], *f, &str, &len);
			if (err < 0)
				return err;
			ok = glob_str(mm->glob, str, len);
		}
		if (ok <= 0)
			return ok;
	}
	return 1;
}

int mnt_find_drop(struct mnt_eval *ev, const struct pfs_mount_entry *e,
		  const struct pfs_mount_rule **drop)
{
	*drop = NULL;
	for (size_t i = 0; i < ev->p->n_mount_rules; i++) {
		const struct pfs_mount_rule *r = &ev->p->mount_rules[i];
		if (r->action != PFS_MNT_DROP)
			continue;
		int m = mnt_rule_matches(ev, r, e);
		if (m < 0)
			return m;
		if (m) {
			*drop = r;
			return 0;
		}
	}
	return 0;
}

static bool rule_names_option(const struct pfs_mount_rule *r, struct pfs_field opt)
{
	const char *eq = memchr(opt.s, '=', opt.len);
	size_t nlen = eq ? (size_t)(eq - opt.s) : opt.len;
	if (!eq)
		return false; /* a flag has no value to redact */
	for (size_t k = 0; k < r->n_options; k++)
		if (strlen(r->options[k]) == nlen && memcmp(r->options[k], opt.s, nlen) == 0)
			return true;
	return false;
}

/* The first matched redact rule naming opt, or NULL. */
static const struct pfs_mount_rule *redactor(struct mnt_eval *ev, struct pfs_field opt, size_t *idx)
{
	for (size_t k = 0; k < ev->n_redact; k++) {
		const struct pfs_mount_rule *r = &ev->p->mount_rules[ev->redact[k]];
		if (rule_names_option(r, opt)) {
			*idx = ev->redact[k];
			return r;
		}
	}
	return NULL;
}

static bool any_redaction(struct mnt_eval *ev, struct pfs_field list)
{
	struct pfs_field opt;
	size_t idx;
	while (pfs_mount_opt_next(&list, &opt))
		if (redactor(ev, opt, &idx))
			return true;
	return false;
}

int mnt_eval_edits(struct mnt_eval *ev, const struct pfs_mount_entry *match,
		   const struct pfs_mount_entry *edited, const struct pfs_mount_rule **rewrite,
		   bool *redact)
{
	*rewrite = NULL;
	*redact = false;
	ev->n_redact = 0;
	for (size_t i = 0; i < ev->p->n_mount_rules; i++) {
		const struct pfs_mount_rule *r = &ev->p->mount_rules[i];
		ev->flags[i] = 0;
		if (r->action == PFS_MNT_DROP || (r->action == PFS_MNT_REWRITE_SOURCE && *rewrite))
			continue;
		int m = mnt_rule_matches(ev, r, match);
		if (m < 0)
			return m;
		if (!m)
			continue;
		ev->flags[i] = MNT_F_MATCHED;
		if (r->action == PFS_MNT_REWRITE_SOURCE)
			*rewrite = r;
		else
			ev->redact[ev->n_redact++] = i;
	}
	if (ev->n_redact)
		*redact = any_redaction(ev, edited->mnt_opts) ||
			  any_redaction(ev, edited->super_opts);
	return 0;
}

int mnt_pairing_load(const char *mountinfo, size_t len, struct mnt_pairing *pr)
{
	*pr = (struct mnt_pairing){NULL, 0};
	if (!mountinfo || len == 0)
		return 0;
	size_t max = 1;
	for (const char *c = mountinfo; (c = memchr(c, '\n', len - (size_t)(c - mountinfo))); c++)
		max++;
	pr->mi = calloc(max, sizeof(*pr->mi));
	if (!pr->mi)
		return -ENOMEM;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(mountinfo, len, &pos, &line, &ll, &nl)) {
		if (pfs_mountinfo_parse_line(line, ll, &pr->mi[pr->n]) < 0) {
			mnt_pairing_free(pr);
			return 0;
		}
		pr->n++;
	}
	return 0;
}

void mnt_pairing_free(struct mnt_pairing *pr)
{
	free(pr->mi);
	*pr = (struct mnt_pairing){NULL, 0};
}

static bool same(struct pfs_field a, struct pfs_field b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

bool mnt_pair_agrees(const struct mnt_pairing *pr, size_t i, const struct pfs_mount_entry *e)
{
	if (i >= pr->n)
		return false;
	const struct pfs_mount_entry *m = &pr->mi[i];
	return same(m->source, e->source) && same(m->target, e->target) &&
	       same(m->fstype, e->fstype);
}

int mnt_emit_opts(struct mnt_eval *ev, struct pfs_field opts, struct pfs_buf *out)
{
	struct pfs_field opt;
	bool first = true;
	int r;
	while (pfs_mount_opt_next(&opts, &opt)) {
		if (!first && (r = pfs_buf_append(out, ",", 1)) < 0)
			return r;
		first = false;
		size_t idx;
		const struct pfs_mount_rule *rule = redactor(ev, opt, &idx);
		if (!rule) {
			r = pfs_buf_append(out, opt.s, opt.len);
		} else {
			const char *eq = memchr(opt.s, '=', opt.len);
			const char *v = rule->value ? rule->value : PFS_MNT_REDACTED;
			ev->flags[idx] |= MNT_F_USED;
			r = pfs_buf_append(out, opt.s, (size_t)(eq + 1 - opt.s));
			if (r == 0)
				r = pfs_mount_escape(v, strlen(v), PFS_MOUNT_ESC_OPTION, out);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

void mnt_trace_redacted(struct mnt_eval *ev, const char *line, size_t len,
			const struct pfs_trace *t)
{
	for (size_t k = 0; k < ev->n_redact; k++)
		if (ev->flags[ev->redact[k]] & MNT_F_USED)
			pfs_trace_emit(t, PFS_TR_REDACTED, line, len,
				       &ev->p->mount_rules[ev->redact[k]].src);
}

int mnt_emit_edited(struct mnt_eval *ev, const char *line, size_t len, struct mnt_edit *edits,
		    size_t n, struct pfs_buf *out)
{
	const char *cur = line;
	int r;
	for (size_t i = 0; i < n; i++) {
		struct mnt_edit *ed = &edits[i];
		if ((r = pfs_buf_append(out, cur, (size_t)(ed->at.s - cur))) < 0)
			return r;
		switch (ed->kind) {
		case MNT_EDIT_INT:
			r = pfs_buf_printf(out, "%d", ed->ival);
			break;
		case MNT_EDIT_SOURCE:
			r = pfs_mount_escape(ed->str, strlen(ed->str), PFS_MOUNT_ESC_PATH, out);
			break;
		case MNT_EDIT_OPTS:
			r = mnt_emit_opts(ev, ed->at, out);
			break;
		}
		if (r < 0)
			return r;
		cur = ed->at.s + ed->at.len;
	}
	return pfs_buf_append(out, cur, (size_t)(line + len - cur));
}

int mnt_paired_begin(const struct pfs_policy *p, const char *mountinfo, size_t mi_len,
		     const char *in, size_t len, mnt_pair_fn pair, unsigned unpaired_known,
		     struct mnt_pairing *pr, struct mnt_eval *ev, bool *paired)
{
	int r = mnt_pairing_load(mountinfo, mi_len, pr);
	if (r < 0)
		return r;
	*paired = pr->n > 0 && pair(in, len, pr);
	r = mnt_eval_init(ev, p, *paired ? MNT_KNOWN_ALL : unpaired_known);
	if (r < 0)
		mnt_pairing_free(pr);
	return r;
}
