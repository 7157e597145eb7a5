/*
 * Mount tables of a process on another root than the sandbox's init: drops
 * decided on the init's mountinfo, carried over by (device, directory).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/buf.h"
#include "test_filter_util.h"
#include "view/view_i.h"

/* The init's view: /data is a bind of /srv/data of device 8:1. */
static const char ref[] = "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			  "21 20 8:1 /srv/data /data rw - ext4 /dev/sda1 rw\n"
			  "22 20 0:5 / /tmp rw - tmpfs tmpfs rw\n";

/* A reader chrooted into /data: its own /data bind shows as "/". */
static const char chrooted[] = "21 20 8:1 /srv/data / rw - ext4 /dev/sda1 rw\n"
			       "30 21 8:1 /srv/data/sub /sub rw - ext4 /dev/sda1 rw\n"
			       "31 21 0:5 / /t rw - tmpfs tmpfs rw\n"
			       "32 21 8:1 /srv/database /db rw - ext4 /dev/sda1 rw\n";

static char *carry(const struct pfs_policy *p, const char *mi, const char *table,
		   enum view_mount_table kind, int *r)
{
	struct pfs_buf out = PFS_BUF_INIT;
	*r = view_mounts_by_identity(p, ref, strlen(ref), mi, strlen(mi), table, strlen(table),
				     kind, &out);
	cr_assert_eq(pfs_buf_append(&out, "", 0), 0);
	return pfs_buf_steal(&out, NULL);
}

Test(mount_identity, drops_what_shows_a_dropped_directory)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/data");
	int r;
	char *out = carry(p, chrooted, chrooted, VIEW_MT_MOUNTINFO, &r);
	cr_assert_eq(r, 0);
	/* the bind and the one below it go; another device and a sibling name stay */
	cr_assert_str_eq(out, "31 21 0:5 / /t rw - tmpfs tmpfs rw\n"
			      "32 21 8:1 /srv/database /db rw - ext4 /dev/sda1 rw\n");
	free(out);
	tp_free(p);
}

Test(mount_identity, mounts_follow_mountinfo_line_by_line)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/data");
	static const char mounts[] = "/dev/sda1 / ext4 rw 0 0\n"
				     "/dev/sda1 /sub ext4 rw 0 0\n"
				     "tmpfs /t tmpfs rw 0 0\n"
				     "/dev/sda1 /db ext4 rw 0 0\n";
	int r;
	char *out = carry(p, chrooted, mounts, VIEW_MT_MOUNTS, &r);
	cr_assert_eq(r, 0);
	cr_assert_str_eq(out, "tmpfs /t tmpfs rw 0 0\n/dev/sda1 /db ext4 rw 0 0\n");
	free(out);
	/* read apart (a line more or less): refused, never passed through */
	out = carry(p, chrooted, "tmpfs /t tmpfs rw 0 0\n", VIEW_MT_MOUNTS, &r);
	cr_assert_eq(r, -EBADMSG);
	free(out);
	tp_free(p);
}

Test(mount_identity, nothing_dropped_keeps_everything)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "nfs*");
	int r;
	char *out = carry(p, chrooted, chrooted, VIEW_MT_MOUNTINFO, &r);
	cr_assert_eq(r, 0);
	cr_assert_str_eq(out, chrooted);
	free(out);
	tp_free(p);
}
