/*
 * Mount table lines: /proc/<pid>/mountinfo and /proc/<pid>/mounts.
 *
 * Parsers split one line (without its '\n') into fields. Fields are slices
 * into the caller's line, in the kernel's raw form: paths and sources carry
 * its octal escapes (\040 space, \011 tab, \012 newline, \134 backslash, and
 * \043 '#' on newer kernels). Nothing is allocated. Use pfs_mount_unescape()
 * to get the plain value of a field, pfs_mount_escape() to write one back.
 *
 * mountinfo (Documentation/filesystems/proc.rst):
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7...)(8) (9)   (10)         (11)
 * mounts:
 *   /dev/root /mnt2 ext3 rw,noatime,errors=continue 0 0
 */
#ifndef PFS_MOUNTINFO_H
#define PFS_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pfs/buf.h"
#include "pfs/policy.h"

/* A slice of a line: s is not NUL-terminated. */
struct pfs_field {
	const char *s;
	size_t len;
};

struct pfs_mount_entry {
	int id, parent; /* mountinfo (1), (2); -1 for mounts lines */
	unsigned major, minor; /* mountinfo (3); 0 for mounts lines */
	struct pfs_field root; /* mountinfo (4); {NULL, 0} for mounts lines */
	struct pfs_field target;
	struct pfs_field mnt_opts; /* mountinfo (6) per-mount options; mounts: all options */
	struct pfs_field optional; /* mountinfo (7): "shared:1 master:2", may be empty */
	struct pfs_field fstype;
	struct pfs_field source; /* may be empty */
	struct pfs_field super_opts; /* mountinfo (11); {NULL, 0} for mounts lines */
	struct pfs_field freq, passno; /* mounts: the trailing "0 0"; empty for mountinfo */
};

/*
 * Parse one mountinfo line (len bytes, no '\n'). Returns 0, or -EBADMSG when
 * the line is not in the kernel's format (fail closed).
 */
int pfs_mountinfo_parse_line(const char *line, size_t len, struct pfs_mount_entry *e);
/* Parse one /proc/mounts line. Returns 0 or -EBADMSG. */
int pfs_mounts_parse_line(const char *line, size_t len, struct pfs_mount_entry *e);

/*
 * The raw field of e for a rule field (FSTYPE, SOURCE, TARGET, ROOT); NULL for
 * PFS_MNT_OPTION (options are a list: iterate with pfs_mount_opt_next).
 */
const struct pfs_field *pfs_mount_entry_field(const struct pfs_mount_entry *e,
					      enum pfs_mount_field f);

/*
 * Next comma-separated option of *list (raw, escaped); advances *list.
 * Returns false at the end. A field with s == NULL has no options; otherwise
 * it has one more option than commas (an empty string is one empty option).
 */
bool pfs_mount_opt_next(struct pfs_field *list, struct pfs_field *opt);

/*
 * Decode the kernel's "\ooo" octal escapes of s[0..len) into dst (cap bytes,
 * NUL-terminated). A backslash not followed by three octal digits is kept as
 * is. Returns the decoded length, or -ENAMETOOLONG when dst is too small.
 */
ssize_t pfs_mount_unescape(const char *s, size_t len, char *dst, size_t cap);
/* Same, appending the decoded bytes to out (not counting a NUL). 0 or -ENOMEM. */
int pfs_mount_unescape_buf(const char *s, size_t len, struct pfs_buf *out);

/* Characters the kernel escapes in mount paths and sources (fs/proc_namespace.c). */
#define PFS_MOUNT_ESC_PATH " \t\n\\#"
/* Characters seq_show_option() escapes in option values. */
#define PFS_MOUNT_ESC_OPTION ",= \t\n\\"
/* Characters escaped in numa_maps "file=" values. */
#define PFS_MOUNT_ESC_NUMA " \t\n\\="

/*
 * Append s[0..len) to out with every byte of special (and any byte < 0x20 or
 * 0x7f) written as a 3-digit octal escape "\ooo". 0 or -ENOMEM.
 */
int pfs_mount_escape(const char *s, size_t len, const char *special, struct pfs_buf *out);

/*
 * Line iteration over a whole table: *pos is the offset of the next line.
 * Returns false at the end; else sets *line / *line_len (without '\n') and
 * *has_nl (the line was terminated by '\n').
 */
bool pfs_next_line(const char *in, size_t len, size_t *pos, const char **line, size_t *line_len,
		   bool *has_nl);

#endif
