/*
 * Internal to the memory-map filters (maps, smaps, smaps_rollup, numa_maps,
 * map_files): one line parser and one decision function, so that what maps
 * hides, the others hide.
 */
#ifndef PFS_FILTER_MAPS_I_H
#define PFS_FILTER_MAPS_I_H

#include <stdbool.h>
#include <stddef.h>

#include "pfs/buf.h"
#include "pfs/mountinfo.h"
#include "pfs/policy.h"
#include "pfs/trace.h"

/* Replacement pathname of a REDACT rule without a value. */
#define PFS_MAPS_REDACTED "[redacted]"

/*
 * A maps line: "start-end perms offset major:minor inode [padding pathname]".
 * The kernel pads the pathname to a fixed column; a redacted line keeps the
 * prefix (with its padding) and replaces only the pathname.
 */
struct maps_line {
	unsigned long start, end;
	unsigned long inode;
	size_t path_off; /* offset of the pathname in the line (len if none) */
	struct pfs_field path; /* raw pathname ('\n' escaped as \012); empty: anonymous */
};

/* 0, or -EBADMSG when the line is not a maps line. */
int maps_parse_line(const char *line, size_t len, struct maps_line *m);

/* true when line starts like a maps header ("<hex>-"), as in smaps. */
bool maps_is_header(const char *line, size_t len);

/*
 * The maps rule deciding a pathname (raw, as in maps): a DROP rule if any
 * matches, else the first matching REDACT rule, else NULL. A pathname is
 * also matched without its " (deleted)" suffix. Anonymous mappings (empty
 * pathname) are never matched. scratch is reused between calls.
 * 0 or -errno (-ENOMEM).
 */
int maps_decide(const struct pfs_policy *p, struct pfs_field raw_path, struct pfs_buf *scratch,
		const struct pfs_maps_rule **rule);
/* Same for an already unescaped, NUL-terminated pathname. */
const struct pfs_maps_rule *maps_decide_plain(const struct pfs_policy *p, char *path, size_t len);

/* The replacement text of a REDACT rule. */
static inline const char *maps_redact_value(const struct pfs_maps_rule *r)
{
	return r->value ? r->value : PFS_MAPS_REDACTED;
}

/*
 * Appends a maps line with the decision applied (kept, redacted or nothing
 * when dropped) and traces it. has_nl: append '\n' after the line.
 */
int maps_emit_line(const char *line, size_t len, bool has_nl, const struct maps_line *m,
		   const struct pfs_maps_rule *rule, struct pfs_buf *out,
		   const struct pfs_trace *t);

#endif
