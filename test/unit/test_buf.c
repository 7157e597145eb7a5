#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pfs/buf.h"

Test(buf, append_u64_is_printfs_decimal)
{
	static const uint64_t values[] = {0, 7, 10, 254, 99999, 1234567, UINT32_MAX, UINT64_MAX};
	static const unsigned widths[] = {0, 1, 4, 7, 25};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			struct pfs_buf b = PFS_BUF_INIT;
			char want[64];
			snprintf(want, sizeof(want), "x%*" PRIu64, (int)widths[w], values[i]);
			cr_assert_eq(pfs_buf_append(&b, "x", 1), 0);
			cr_assert_eq(pfs_buf_append_u64(&b, values[i], widths[w]), 0);
			cr_assert_str_eq(b.data, want);
			cr_assert_eq(b.len, strlen(want));
			pfs_buf_free(&b);
		}
}

Test(buf, printf_fits_the_room_or_grows_once)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_buf_printf(&b, "%s-%d", "first", 1), 0, "no room yet: grows");
	cr_assert_str_eq(b.data, "first-1");
	size_t cap = b.cap;
	cr_assert_eq(pfs_buf_printf(&b, "|%d", 22), 0);
	cr_assert_eq(b.cap, cap, "fits the free room");
	cr_assert_str_eq(b.data, "first-1|22");
	char big[1000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(pfs_buf_printf(&b, "<%s>", big), 0, "does not fit: formatted again");
	cr_assert_eq(b.len, strlen("first-1|22") + 2 + strlen(big));
	cr_assert_eq(memcmp(b.data, "first-1|22<zzz", 14), 0);
	cr_assert_eq(b.data[b.len - 1], '>');
	cr_assert_eq(b.data[b.len], '\0');
	pfs_buf_free(&b);
}

Test(buf, splice_replaces_in_place_shorter_longer_and_at_the_ends)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_buf_splice(&b, 0, 0, "", 0), 0);
	cr_assert_eq(pfs_buf_splice(&b, 0, 0, "abc", 3), 0, "into an empty buffer");
	cr_assert_str_eq(b.data, "abc");
	cr_assert_eq(pfs_buf_appends(&b, "\nState:\tS (sleeping)\nx: 12\n"), 0);
	cr_assert_eq(pfs_buf_splice(&b, 11, 23, "R (running)", 11), 0, "shorter");
	cr_assert_str_eq(b.data, "abc\nState:\tR (running)\nx: 12\n");
	cr_assert_eq(b.len, strlen(b.data));
	cr_assert_eq(pfs_buf_splice(&b, 26, 28, "1234567890", 10), 0, "longer");
	cr_assert_str_eq(b.data, "abc\nState:\tR (running)\nx: 1234567890\n");
	cr_assert_eq(pfs_buf_splice(&b, 0, 3, NULL, 0), 0, "the start, removed");
	cr_assert_eq(pfs_buf_splice(&b, b.len, b.len, "end", 3), 0, "appended at the end");
	cr_assert_str_eq(b.data, "\nState:\tR (running)\nx: 1234567890\nend");
	cr_assert_eq(b.len, strlen(b.data));
	cr_assert_eq(pfs_buf_splice(&b, 5, 4, "x", 1), -EINVAL, "start past end");
	cr_assert_eq(pfs_buf_splice(&b, 0, b.len + 1, "x", 1), -EINVAL, "end past the text");
	pfs_buf_free(&b);
}
