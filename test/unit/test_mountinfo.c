/* The mountinfo/mounts line parsers and the kernel's octal escaping. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pfs/mountinfo.h"
#include "test_filter_util.h"

static bool field_eq(struct pfs_field f, const char *s)
{
	return f.len == strlen(s) && memcmp(f.s, s, f.len) == 0;
}

#define assert_field(fld, want)                                                                    \
	cr_assert(field_eq(fld, want), "field '%.*s' != '%s'", (int)(fld).len, (fld).s, want)

static int parse_mi(const char *line, struct pfs_mount_entry *e)
{
	return pfs_mountinfo_parse_line(line, strlen(line), e);
}

Test(mountinfo, parses_all_fields)
{
	struct pfs_mount_entry e;
	const char *l = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root "
			"rw,errors=continue";
	cr_assert_eq(parse_mi(l, &e), 0);
	cr_assert_eq(e.id, 36);
	cr_assert_eq(e.parent, 35);
	cr_assert_eq(e.major, 98);
	cr_assert_eq(e.minor, 0);
	assert_field(e.root, "/mnt1");
	assert_field(e.target, "/mnt2");
	assert_field(e.mnt_opts, "rw,noatime");
	assert_field(e.optional, "master:1 shared:7");
	assert_field(e.fstype, "ext3");
	assert_field(e.source, "/dev/root");
	assert_field(e.super_opts, "rw,errors=continue");
}

Test(mountinfo, no_optional_fields_and_empty_source)
{
	struct pfs_mount_entry e;
	cr_assert_eq(parse_mi("22 27 0:21 / /proc rw,relatime - proc proc rw", &e), 0);
	assert_field(e.optional, "");
	assert_field(e.source, "proc");
	cr_assert_eq(parse_mi("22 27 0:21 / /x rw - tmpfs  rw,size=4k", &e), 0);
	assert_field(e.source, "");
	assert_field(e.super_opts, "rw,size=4k");
}

Test(mountinfo, rejects_truncated_and_garbage)
{
	static const char *bad[] = {
		"",
		"36",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime - ext3",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime - ext3 /dev/root",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime - ext3 /dev/root ",
		"x6 35 98:0 / / rw - ext3 /dev/root rw",
		"36 35 98-0 / / rw - ext3 /dev/root rw",
		"36 35 98:0  / rw - ext3 /dev/root rw",
		"36 -35 98:0 / / rw - ext3 /dev/root rw",
		"99999999999 35 98:0 / / rw - ext3 /dev/root rw",
		"36 35 98:0 / / rw  - ext3 /dev/root rw",
		"garbage",
	};
	struct pfs_mount_entry e;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_mi(bad[i], &e), -EBADMSG, "accepted: '%s'", bad[i]);
	cr_assert_eq(pfs_mountinfo_parse_line("36 35 98:0 / / rw - e s\nrw", 26, &e), -EBADMSG);
}

Test(mountinfo, mounts_lines)
{
	struct pfs_mount_entry e;
	const char *l = "/dev/vda / ext4 rw,relatime,discard 0 0";
	cr_assert_eq(pfs_mounts_parse_line(l, strlen(l), &e), 0);
	assert_field(e.source, "/dev/vda");
	assert_field(e.target, "/");
	assert_field(e.fstype, "ext4");
	assert_field(e.mnt_opts, "rw,relatime,discard");
	assert_field(e.freq, "0");
	assert_field(e.passno, "0");
	cr_assert_null(e.super_opts.s);
	cr_assert_eq(e.id, -1);
	static const char *bad[] = {"/dev/vda / ext4 rw 0", "/dev/vda / ext4 0 0", "/dev/vda /",
				    "/dev/vda / ext4 rw x 0", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(pfs_mounts_parse_line(bad[i], strlen(bad[i]), &e), -EBADMSG,
			     "accepted '%s'", bad[i]);
}

Test(mountinfo, options_iteration)
{
	struct pfs_field list = {"rw,a=1,,b", 9}, o;
	const char *want[] = {"rw", "a=1", "", "b"};
	size_t n = 0;
	while (pfs_mount_opt_next(&list, &o)) {
		cr_assert_lt(n, 4);
		assert_field(o, want[n]);
		n++;
	}
	cr_assert_eq(n, 4);
	struct pfs_field trailing = {"a,", 2};
	n = 0;
	while (pfs_mount_opt_next(&trailing, &o))
		n++;
	cr_assert_eq(n, 2);
	struct pfs_field none = {NULL, 0};
	cr_assert_not(pfs_mount_opt_next(&none, &o));
}

Test(mountinfo, unescape)
{
	char buf[64];
	const char *s = "/home/alice/web\\040app\\011x\\012y\\134z\\043";
	cr_assert_eq(pfs_mount_unescape(s, strlen(s), buf, sizeof(buf)), 26);
	cr_assert_str_eq(buf, "/home/alice/web app\tx\ny\\z#");
	/* A backslash not followed by three octal digits stays. */
	cr_assert_eq(pfs_mount_unescape("a\\9bc\\04", 8, buf, sizeof(buf)), 8);
	cr_assert_str_eq(buf, "a\\9bc\\04");
	cr_assert_eq(pfs_mount_unescape("abcdef", 6, buf, 4), -ENAMETOOLONG);
}

Test(mountinfo, unescape_buf_appends)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_mount_unescape_buf("/plain/path", 11, &b), 0);
	cr_assert_str_eq(b.data, "/plain/path");
	/* appends after what is there; escapes at the start, middle and end */
	cr_assert_eq(pfs_mount_unescape_buf("\\040a\\011b\\04c\\134", 18, &b), 0);
	cr_assert_str_eq(b.data, "/plain/path a\tb\\04c\\");
	cr_assert_eq(b.len, strlen(b.data));
	pfs_buf_reset(&b);
	cr_assert_eq(pfs_mount_unescape_buf("", 0, &b), 0);
	cr_assert_str_eq(b.data, "");
	pfs_buf_free(&b);
}

Test(mountinfo, escape_round_trip)
{
	const char *plain = "/a b\tc\nd\\e#f,g=h";
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_mount_escape(plain, strlen(plain), PFS_MOUNT_ESC_PATH, &b), 0);
	cr_assert_str_eq(b.data, "/a\\040b\\011c\\012d\\134e\\043f,g=h");
	char back[64];
	cr_assert_eq(pfs_mount_unescape(b.data, b.len, back, sizeof(back)), (ssize_t)strlen(plain));
	cr_assert_str_eq(back, plain);
	pfs_buf_reset(&b);
	cr_assert_eq(pfs_mount_escape("x,y=z", 5, PFS_MOUNT_ESC_OPTION, &b), 0);
	cr_assert_str_eq(b.data, "x\\054y\\075z");
	pfs_buf_free(&b);
}

static void parse_all(const char *path, bool mountinfo)
{
	size_t len;
	char *in = tp_read_file(path, &len);
	size_t pos = 0, ll, n = 0;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		int r = mountinfo ? pfs_mountinfo_parse_line(line, ll, &e)
				  : pfs_mounts_parse_line(line, ll, &e);
		cr_assert_eq(r, 0, "%s: '%.*s'", path, (int)ll, line);
		cr_assert(nl);
		n++;
	}
	cr_assert_gt(n, 0);
	free(in);
}

Test(mountinfo, parses_live_and_fixtures)
{
	parse_all("/proc/self/mountinfo", true);
	parse_all("/proc/self/mounts", false);
	parse_all(FILTER_FIXTURES "docker-overlay.mountinfo", true);
	parse_all(FILTER_FIXTURES "k8s-pod.mountinfo", true);
	parse_all(FILTER_FIXTURES "docker-overlay.mounts", false);
	parse_all(FILTER_FIXTURES "k8s-pod.mounts", false);
}

Test(mountinfo, next_line_without_final_newline)
{
	const char *in = "a\nbc";
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	cr_assert(pfs_next_line(in, 4, &pos, &line, &ll, &nl));
	cr_assert(ll == 1 && nl);
	cr_assert(pfs_next_line(in, 4, &pos, &line, &ll, &nl));
	cr_assert(ll == 2 && !nl && line[0] == 'b');
	cr_assert_not(pfs_next_line(in, 4, &pos, &line, &ll, &nl));
}
