/* libFuzzer: smaps (whole and in pieces) and smaps_rollup (recomputed from the same input). */
#include "fuzz_filter_policy.h"

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
	pfs_buf_reset(&out);
	fz_rule_actions = 0;
	if (pfs_filter_smaps_rollup(fz_maps_policy(true), in, rl, smaps, sl, &out, &fz_trace) ==
		    0 &&
	    fz_rule_actions == 0 && (out.len != rl || (rl && memcmp(out.data, in, rl))))
		abort();
	pfs_buf_free(&out);
	return 0;
}
