/*
 * libFuzzer: a task's own state (pfs_filter_running_self) and its FUSE waits
 * taken out (pfs_filter_fuse_waits) on any stat, status or wchan text. The
 * first byte picks the file and how many waits; the rest is the text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/buf.h"
#include "pfs/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const names[] = {"stat", "status", "wchan", "sched"};
	const char *name = names[data[0] & 3];
	uint64_t waits = data[0] >> 2;
	struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_buf_append(&b, data + 1, size - 1) < 0)
		return 0;
	size_t before = b.len;
	int r = pfs_filter_running_self(name, &b);
	if (r == 0 && !strcmp(name, "stat") && b.len != before)
		abort(); /* the state and the wchan flag are rewritten in place */
	if (r == 0)
		r = pfs_filter_fuse_waits(name, waits, data[0] & 1, &b);
	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	pfs_buf_free(&b);
	return 0;
}
