/* libFuzzer: the maps and numa_maps filters (whole and in pieces) and map_files ranges. */
#include "fuzz_filter_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	fz_identity(pfs_filter_maps, fz_maps_policy(true), in, size);
	fz_identity(pfs_filter_numa_maps, fz_maps_policy(true), in, size);
	fz_pieces(pfs_filter_maps_piece, fz_maps_policy(false), in, size);
	fz_pieces(pfs_filter_numa_maps_piece, fz_maps_policy(false), in, size);
	struct pfs_buf out = PFS_BUF_INIT;
	if (pfs_filter_maps(fz_maps_policy(false), in, size, &out, &fz_trace) == 0) {
		/* The output is maps again: filtering it once more must succeed. */
		struct pfs_buf again = PFS_BUF_INIT;
		if (pfs_filter_maps(fz_maps_policy(true), out.data, out.len, &again, NULL) < 0)
			abort();
		pfs_buf_free(&again);
	}
	pfs_buf_reset(&out);
	(void)pfs_filter_numa_maps(fz_maps_policy(false), in, size, &out, &fz_trace);
	pfs_buf_free(&out);
	/* map_files: the first line (up to 40 bytes) as the range name. */
	char range[41];
	size_t n = 0;
	while (n < size && n < 40 && data[n] != '\n' && data[n] != ' ' && data[n])
		n++;
	memcpy(range, data, n);
	range[n] = '\0';
	bool hidden;
	(void)pfs_maps_range_hidden(fz_maps_policy(false), in, size, range, &hidden);
	return 0;
}
