/*
 * Shared by the content-filter fuzzers: fixed policies built once, and the
 * identity oracle (a policy whose rules match nothing must reproduce its
 * input byte for byte whenever the filter accepts it).
 */
#ifndef PFS_FUZZ_FILTER_POLICY_H
#define PFS_FUZZ_FILTER_POLICY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/backing.h"
#include "pfs/filter.h"
#include "pfs/mountinfo.h"

static struct pfs_rule_src fz_src = {"fuzz.policy", 1, 1};

static struct pfs_glob *fz_glob(const char *pat, enum pfs_glob_kind kind)
{
	struct pfs_glob *g = NULL;
	struct pfs_error err;
	if (pfs_glob_compile(pat, kind, &g, &err) < 0)
		abort();
	return g;
}

static struct pfs_mount_match *fz_matches(size_t n, const enum pfs_mount_field *f,
					  const char *const *pats)
{
	struct pfs_mount_match *m = calloc(n, sizeof(*m));
	for (size_t i = 0; i < n; i++)
		m[i] = (struct pfs_mount_match){f[i], fz_glob(pats[i], PFS_GLOB_TEXT)};
	return m;
}

/* Mount rules of every kind; built once (reachable: not a leak). */
static struct pfs_policy *fz_mount_policy(bool nonmatching)
{
	static struct pfs_policy *p[2];
	if (p[nonmatching])
		return p[nonmatching];
	struct pfs_policy *q = calloc(1, sizeof(*q));
	struct pfs_mount_rule *r = calloc(5, sizeof(*r));
	static const enum pfs_mount_field f1[] = {PFS_MNT_FSTYPE}, f2[] = {PFS_MNT_SOURCE},
					  f3[] = {PFS_MNT_OPTION, PFS_MNT_TARGET},
					  f4[] = {PFS_MNT_ROOT}, f4n[] = {PFS_MNT_FSTYPE};
	static const char *const m1[] = {"tmpfs"}, *const m2[] = {"*nvme*"},
				 *const m3[] = {"size=*", "/*"}, *const m4[] = {"/home/*"},
				 *const none[] = {"\\[no such\\]", "\\[none\\]"};
	static char *opts[] = {"lowerdir", "upperdir", "workdir", "size"};
	r[0] = (struct pfs_mount_rule){
		PFS_MNT_DROP, fz_matches(1, f1, nonmatching ? none : m1), 1, NULL, NULL, 0, fz_src};
	r[1] = (struct pfs_mount_rule){
		PFS_MNT_DROP, fz_matches(1, f2, nonmatching ? none : m2), 1, NULL, NULL, 0, fz_src};
	r[2] = (struct pfs_mount_rule){
		PFS_MNT_DROP, fz_matches(2, f3, nonmatching ? none : m3), 2, NULL, NULL, 0, fz_src};
	/* mounts and mountstats have no root: a root condition matches there. */
	r[3] = (struct pfs_mount_rule){PFS_MNT_REWRITE_SOURCE,
				       nonmatching ? fz_matches(1, f4n, none)
						   : fz_matches(1, f4, m4),
				       1,
				       "new src\\#",
				       NULL,
				       0,
				       fz_src};
	r[4] = (struct pfs_mount_rule){PFS_MNT_REDACT_OPTIONS, NULL,  0, "a,b=c d", opts,
				       nonmatching ? 0 : 4,    fz_src};
	q->mount_rules = r;
	q->n_mount_rules = 5;
	return p[nonmatching] = q;
}

/* Maps rules: drop and redact, pseudo paths included. */
static struct pfs_policy *fz_maps_policy(bool nonmatching)
{
	static struct pfs_policy *p[2];
	if (p[nonmatching])
		return p[nonmatching];
	struct pfs_policy *q = calloc(1, sizeof(*q));
	struct pfs_maps_rule *r = calloc(3, sizeof(*r));
	r[0] = (struct pfs_maps_rule){PFS_MAPS_DROP,
				      fz_glob(nonmatching ? "\\[none\\]" : "*lib*", PFS_GLOB_TEXT),
				      NULL, fz_src};
	r[1] = (struct pfs_maps_rule){PFS_MAPS_REDACT,
				      fz_glob(nonmatching ? "\\[none\\]" : "/*", PFS_GLOB_TEXT),
				      "x y\n=", fz_src};
	r[2] = (struct pfs_maps_rule){
		PFS_MAPS_DROP, fz_glob(nonmatching ? "\\[none\\]" : "\\[heap\\]", PFS_GLOB_TEXT),
		NULL, fz_src};
	q->maps_rules = r;
	q->n_maps_rules = 3;
	return p[nonmatching] = q;
}

/*
 * Runs f on data; the nonmatching policy must give back the input when it
 * accepts it and no rule fired. Its patterns ("[none]") are unlikely, not
 * impossible: a path may be anything but NUL, and the fuzzer finds them.
 */
typedef int (*fz_filter)(const struct pfs_policy *, const char *, size_t, struct pfs_buf *,
			 const struct pfs_trace *);

static size_t fz_rule_actions;

static void fz_trace_cb(void *o, enum pfs_trace_action a, const char *what, size_t len,
			const struct pfs_rule_src *rule)
{
	/* Touch every byte: ASan catches a bad slice. */
	volatile unsigned char x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= (unsigned char)what[i];
	(void)o;
	(void)rule;
	fz_rule_actions++;
	(void)pfs_trace_action_name(a);
}

static const struct pfs_trace fz_trace = {fz_trace_cb, NULL};

static void fz_identity(fz_filter f, const struct pfs_policy *p, const char *in, size_t len)
{
	struct pfs_buf out = PFS_BUF_INIT;
	fz_rule_actions = 0;
	if (f(p, in, len, &out, &fz_trace) == 0 && fz_rule_actions == 0 &&
	    (out.len != len || (len && memcmp(out.data, in, len))))
		abort();
	pfs_buf_free(&out);
}

struct fz_feed {
	pfs_filter_piece_fn *fn;
	struct pfs_filter_piece f;
	struct pfs_buf out;
};

static int fz_feed_piece(void *opaque, const char *lines, size_t len)
{
	struct fz_feed *x = opaque;
	return x->fn(&x->f, lines, len, &x->out);
}

/*
 * The piece filter fed the input as the daemon reads it (line pieces, pushed
 * in steps of 1..64 bytes chosen by the input's first byte) must give what it
 * gives for the whole text: the same result, and on success the same bytes.
 */
static void fz_pieces(pfs_filter_piece_fn *fn, const struct pfs_policy *p, const char *in,
		      size_t len)
{
	struct pfs_buf whole = PFS_BUF_INIT;
	struct pfs_filter_piece f = {p, &fz_trace, 0};
	int want = fn(&f, in, len, &whole);
	size_t step = len ? (unsigned char)in[0] % 64 + 1 : 1;
	struct fz_feed x = {fn, {p, &fz_trace, 0}, PFS_BUF_INIT};
	int r = pfs_lines_feed(in, len, step, fz_feed_piece, &x);
	if (r != want || (r == 0 && (x.out.len != whole.len ||
				     (whole.len && memcmp(x.out.data, whole.data, whole.len)))))
		abort();
	pfs_buf_free(&x.out);
	pfs_buf_free(&whole);
}

#endif
