/* libFuzzer: the /proc/mounts and mountstats filters. */
#include "fuzz_filter_policy.h"

/* The nonmatching policy reproduces the table, paired or not. */
static void fz_identity_paired(const char *mi, size_t mil, const char *tab, size_t tl)
{
	struct pfs_buf out = PFS_BUF_INIT;
	if (pfs_filter_mounts_paired(fz_mount_policy(true), tab, tl, mi, mil, &out, NULL) == 0 &&
	    (out.len != tl || (tl && memcmp(out.data, tab, tl))))
		abort();
	pfs_buf_reset(&out);
	if (pfs_filter_mountstats_paired(fz_mount_policy(true), tab, tl, mi, mil, &out, NULL) ==
		    0 &&
	    (out.len != tl || (tl && memcmp(out.data, tab, tl))))
		abort();
	pfs_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	fz_identity(pfs_filter_mounts, fz_mount_policy(true), in, size);
	fz_identity(pfs_filter_mountstats, fz_mount_policy(true), in, size);
	struct pfs_buf out = PFS_BUF_INIT;
	if (pfs_filter_mounts(fz_mount_policy(false), in, size, &out, &fz_trace) == 0) {
		size_t pos = 0, ll;
		const char *line;
		bool nl;
		while (pfs_next_line(out.data, out.len, &pos, &line, &ll, &nl)) {
			struct pfs_mount_entry e;
			if (pfs_mounts_parse_line(line, ll, &e) < 0)
				abort();
		}
	}
	pfs_buf_reset(&out);
	(void)pfs_filter_mountstats(fz_mount_policy(false), in, size, &out, &fz_trace);
	/* Paired: a mountinfo before the first blank line, the table after it. */
	const char *sep = memmem(in, size, "\n\n", 2);
	size_t mil = sep ? (size_t)(sep - in) + 1 : 0;
	const char *tab = sep ? sep + 2 : in;
	size_t tl = sep ? size - mil - 1 : size;
	pfs_buf_reset(&out);
	(void)pfs_filter_mounts_paired(fz_mount_policy(false), tab, tl, in, mil, &out, &fz_trace);
	pfs_buf_reset(&out);
	(void)pfs_filter_mountstats_paired(fz_mount_policy(false), tab, tl, in, mil, &out,
					   &fz_trace);
	fz_identity_paired(in, mil, tab, tl);
	pfs_buf_free(&out);
	/* The escaping helpers round-trip. */
	struct pfs_buf esc = PFS_BUF_INIT, back = PFS_BUF_INIT;
	if (pfs_mount_escape(in, size, PFS_MOUNT_ESC_PATH, &esc) == 0 &&
	    pfs_mount_unescape_buf(esc.data, esc.len, &back) == 0 &&
	    (back.len != size || (size && memcmp(back.data, in, size))))
		abort();
	pfs_buf_free(&esc);
	pfs_buf_free(&back);
	return 0;
}
