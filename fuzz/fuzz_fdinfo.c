/* libFuzzer: fdinfo's mnt_id against a mountinfo (mount drops, ancestor walk). */
#include "fuzz_filter_policy.h"

static bool has_id(const char *table, size_t len, int id)
{
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(table, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		if (pfs_mountinfo_parse_line(line, ll, &e) == 0 && e.id == id)
			return true;
	}
	return false;
}

/* A kept mnt_id never names a mount that the filtered mountinfo dropped. */
static void check_output(const char *mi, size_t mil, const struct pfs_buf *out)
{
	const char *at = out->data ? memmem(out->data, out->len, "mnt_id:\t", 8) : NULL;
	if (!at || (at != out->data && at[-1] != '\n') || at + 8 >= out->data + out->len ||
	    at[8] < '0' || at[8] > '9')
		return;
	int id = atoi(at + 8);
	struct pfs_buf table = PFS_BUF_INIT;
	if (pfs_filter_mountinfo(fz_mount_policy(false), mi, mil, &table, NULL) == 0 &&
	    has_id(mi, mil, id) && !has_id(table.data ? table.data : "", table.len, id))
		abort();
	pfs_buf_free(&table);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A mountinfo before the first blank line, the fdinfo after it. */
	const char *in = (const char *)data;
	const char *sep = memmem(in, size, "\n\n", 2);
	size_t mil = sep ? (size_t)(sep - in) + 1 : 0;
	const char *fd = sep ? sep + 2 : in;
	size_t fdl = sep ? size - mil - 1 : size;
	struct pfs_buf out = PFS_BUF_INIT;
	/* rules that match nothing: the fdinfo comes back byte for byte */
	if (pfs_filter_fdinfo(fz_mount_policy(true), fd, fdl, in, mil, &out, NULL) == 0 &&
	    (out.len != fdl || (fdl && memcmp(out.data, fd, fdl) != 0)))
		abort();
	pfs_buf_reset(&out);
	if (pfs_filter_fdinfo(fz_mount_policy(false), fd, fdl, in, mil, &out, &fz_trace) == 0)
		check_output(in, mil, &out);
	pfs_buf_free(&out);
	return 0;
}
