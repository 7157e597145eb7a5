/*
 * mountstats filter. Each mount starts with a line
 *   "device SRC mounted on TARGET with fstype TYPE[ statvers=...]"
 * (or "no device mounted on ..."), followed by continuation lines (NFS
 * statistics) that share the mount's fate. mountstats has neither the root
 * nor the options: given the mountinfo read with it, rules see the mountinfo
 * entry of each mount; otherwise conditions on them count as matched (fail
 * closed). Options named by redact rules are redacted in the NFS "opts:"
 * continuation line.
 */
#include <errno.h>
#include <string.h>

#include "filter_mount_rules_i.h"
#include "filter_paired_i.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* A space-free token at *p, which advances; false when empty. */
static bool token(const char **p, const char *end, struct pfs_field *f)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	f->s = *p;
	f->len = (size_t)((sp ? sp : end) - *p);
	*p += f->len;
	return f->len > 0;
}

static bool expect(const char **p, const char *end, const char *lit)
{
	if (!starts_with(*p, (size_t)(end - *p), lit))
		return false;
	*p += strlen(lit);
	return true;
}

/*
 * Parses a device line into e (source, target, fstype). *src_at is the span
 * to replace when rewriting the source ("no device" has no source: the span
 * is "no device" itself). 1 if a device line, 0 if a continuation line.
 */
static int parse_device_line(const char *line, size_t len, struct pfs_mount_entry *e,
			     struct pfs_field *src_at)
{
	const char *p = line, *end = line + len;
	memset(e, 0, sizeof(*e));
	e->id = e->parent = -1;
	if (expect(&p, end, "no device")) {
		*src_at = (struct pfs_field){line, 9};
		e->source = (struct pfs_field){"none", 4};
	} else if (expect(&p, end, "device ")) {
		if (!token(&p, end, &e->source))
			return -EBADMSG;
		*src_at = e->source;
	} else {
		return 0;
	}
	if (!expect(&p, end, " mounted on ") || !token(&p, end, &e->target) ||
	    !expect(&p, end, " with fstype ") || !token(&p, end, &e->fstype))
		return -EBADMSG;
	return 1;
}

/*
 * A continuation line; NFS prints the mount's options on "\topts:\t...":
 * the options named by the redact rules that matched the mount are redacted
 * there too (addr=, clientaddr= ...), as in mountinfo.
 */
static int emit_continuation(struct mnt_eval *ev, const char *line, size_t ll, bool nl,
			     struct pfs_buf *out, const struct pfs_trace *t)
{
	static const char opts[] = "\topts:\t";
	const size_t ol = sizeof(opts) - 1;
	int r;
	if (ll > ol && memcmp(line, opts, ol) == 0) {
		struct pfs_field list = {line + ol, ll - ol};
		for (size_t k = 0; k < ev->n_redact; k++)
			ev->flags[ev->redact[k]] &= (uint8_t)~MNT_F_USED;
		r = pfs_buf_append(out, line, ol);
		if (r == 0)
			r = mnt_emit_opts(ev, list, out);
		mnt_trace_redacted(ev, line, ll, t);
	} else {
		r = pfs_buf_append(out, line, ll);
	}
	if (r == 0 && nl)
		r = pfs_buf_append(out, "\n", 1);
	return r;
}

/* Pre-pass: device line k pairs with mountinfo entry k ("no device" is "none"). */
static bool mountstats_pair(const char *in, size_t len, const struct mnt_pairing *pr)
{
	size_t pos = 0, ll, k = 0;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		struct pfs_field src_at;
		int dev = parse_device_line(line, ll, &e, &src_at);
		if (dev < 0 || (dev == 1 && !mnt_pair_agrees(pr, k++, &e)))
			return false;
	}
	return k == pr->n;
}

int pfs_filter_mountstats(const struct pfs_policy *p, const char *in, size_t len,
			  struct pfs_buf *out, const struct pfs_trace *t)
{
	return pfs_filter_mountstats_paired(p, in, len, NULL, 0, out, t);
}

int pfs_filter_mountstats_paired(const struct pfs_policy *p, const char *in, size_t len,
				 const char *mountinfo, size_t mi_len, struct pfs_buf *out,
				 const struct pfs_trace *t)
{
	if (!p || p->n_mount_rules == 0)
		return pfs_buf_append(out, in, len);
	struct mnt_pairing pr;
	struct mnt_eval ev;
	bool paired = false;
	int r = mnt_paired_begin(p, mountinfo, mi_len, in, len, mountstats_pair, 0, &pr, &ev,
				 &paired);
	if (r < 0)
		return r;
	size_t pos = 0, ll, k = 0;
	const char *line;
	bool nl, dropping = false, seen_device = false;
	while (r == 0 && pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		struct pfs_field src_at;
		int dev = parse_device_line(line, ll, &e, &src_at);
		if (dev < 0 || (dev == 0 && !seen_device)) {
			r = -EBADMSG;
			break;
		}
		if (dev == 0) { /* continuation: follows its device line */
			if (!dropping)
				r = emit_continuation(&ev, line, ll, nl, out, t);
			continue;
		}
		seen_device = true;
		const struct pfs_mount_rule *drop, *rewrite;
		bool redact;
		/* Rules see the mountinfo entry (root, options) when paired. */
		const struct pfs_mount_entry *match = paired ? &pr.mi[k] : &e;
		k++;
		r = mnt_find_drop(&ev, match, &drop);
		if (r < 0)
			break;
		dropping = drop != NULL;
		if (dropping) {
			pfs_trace_emit(t, PFS_TR_DROPPED, line, ll, &drop->src);
			continue;
		}
		r = mnt_eval_edits(&ev, match, &e, &rewrite, &redact);
		if (r < 0)
			break;
		if (rewrite && rewrite->value) {
			struct pfs_buf *o = out;
			r = pfs_buf_append(o, line, (size_t)(src_at.s - line));
			if (r == 0 && src_at.s == line)
				r = pfs_buf_append(o, "device ", 7);
			if (r == 0)
				r = pfs_mount_escape(rewrite->value, strlen(rewrite->value),
						     PFS_MOUNT_ESC_PATH, o);
			const char *rest = src_at.s + src_at.len;
			if (r == 0)
				r = pfs_buf_append(o, rest,
						   (size_t)(line + ll - rest) + (nl ? 1 : 0));
			pfs_trace_emit(t, PFS_TR_REWRITTEN, line, ll, &rewrite->src);
		} else {
			r = pfs_buf_append(out, line, ll + (nl ? 1 : 0));
		}
	}
	mnt_eval_fini(&ev);
	mnt_pairing_free(&pr);
	return r;
}

/* As mounts: decided with the mountinfo read alongside. */
int pfs_fk_mountstats(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_fk_with_mountinfo(in, out, pfs_filter_mountstats_paired);
}
