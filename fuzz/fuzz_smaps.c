/* libFuzzer: smaps and smaps_rollup (from the same input), whole and read in pieces. */
#include "fuzz_filter_policy.h"

struct fz_text {
	const char *s;
	size_t len, step;
};

/* The sibling smaps handed on in line pieces pushed step bytes at a time. */
static int fz_sibling_lines(void *ctx, const char *name, pfs_lines_fn *fn, void *opaque)
{
	const struct fz_text *x = ctx;
	struct pfs_lines l = PFS_LINES_INIT(fn, opaque);
	int r = 0;
	(void)name;
	for (size_t off = 0; r == 0 && off < x->len; off += x->step)
		r = pfs_lines_push(&l, x->s + off, x->len - off < x->step ? x->len - off : x->step);
	int e = pfs_lines_end(&l);
	return r < 0 ? r : e;
}

/* smaps_rollup as the daemon renders it (smaps read in pieces) gives the whole-text result. */
static void fz_rollup_pieces(const char *rollup, size_t rl, const char *smaps, size_t sl)
{
	static const struct pfs_ppath pp = {.pid = 1, .rest = "smaps_rollup"};
	struct pfs_buf whole = PFS_BUF_INIT, out = PFS_BUF_INIT;
	int want =
		pfs_filter_smaps_rollup(fz_maps_policy(false), rollup, rl, smaps, sl, &whole, NULL);
	struct fz_text x = {smaps, sl, sl ? (unsigned char)smaps[0] % 64 + 1 : 1};
	struct pfs_filter_in in = {.policy = fz_maps_policy(false),
				   .data = rollup,
				   .len = rl,
				   .read_sibling_lines = fz_sibling_lines,
				   .ctx = &x};
	int r = pfs_filter_kind_of(&pp)->filter(&in, &out);
	if (r != want || (r == 0 && (out.len != whole.len ||
				     (whole.len && memcmp(out.data, whole.data, whole.len)))))
		abort();
	pfs_buf_free(&out);
	pfs_buf_free(&whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	fz_identity(pfs_filter_smaps, fz_maps_policy(true), in, size);
	fz_pieces(pfs_filter_smaps_piece, fz_maps_policy(false), in, size);
	struct pfs_buf out = PFS_BUF_INIT;
	(void)pfs_filter_smaps(fz_maps_policy(false), in, size, &out, &fz_trace);
	pfs_buf_reset(&out);
	/* Split at the first "\n\n": rollup before, smaps after. */
	const char *sep = memmem(in, size, "\n\n", 2);
	size_t rl = sep ? (size_t)(sep - in) + 1 : size;
	const char *smaps = sep ? sep + 2 : "";
	size_t sl = sep ? size - rl - 1 : 0;
	(void)pfs_filter_smaps_rollup(fz_maps_policy(false), in, rl, smaps, sl, &out, &fz_trace);
	fz_rollup_pieces(in, rl, smaps, sl);
	pfs_buf_reset(&out);
	fz_rule_actions = 0;
	if (pfs_filter_smaps_rollup(fz_maps_policy(true), in, rl, smaps, sl, &out, &fz_trace) ==
		    0 &&
	    fz_rule_actions == 0 && (out.len != rl || (rl && memcmp(out.data, in, rl))))
		abort();
	pfs_buf_free(&out);
	return 0;
}
