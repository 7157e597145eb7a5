/*
 * Internal to the mount-table filters (filter_mounts.c, filter_mountstats.c):
 * evaluating mount rules against one parsed entry and rewriting its fields.
 */
#ifndef PFS_FILTER_MOUNT_RULES_I_H
#define PFS_FILTER_MOUNT_RULES_I_H

#include <stdint.h>

#include "pfs/filter.h"
#include "pfs/mountinfo.h"

/* Fields a table format carries; a rule condition on a missing field is
 * treated as matching (fail closed: hide more, never less). */
enum {
	MNT_KNOWN_ROOT = 1u << 0,
	MNT_KNOWN_OPTIONS = 1u << 1,
};
#define MNT_KNOWN_ALL (MNT_KNOWN_ROOT | MNT_KNOWN_OPTIONS)

/* Default replacement of a redacted option value. */
#define PFS_MNT_REDACTED "redacted"

/* A field decoded once per line: keyed by the raw slice it came from. */
struct mnt_decoded {
	const char *src;
	size_t len;
	struct pfs_buf buf; /* a field: the string; options: each option NUL-terminated */
};

/* Per-call state: decoded fields and per-rule flags, allocated once per call. */
struct mnt_eval {
	const struct pfs_policy *p;
	unsigned known;
	struct mnt_decoded field[4]; /* FSTYPE, SOURCE, TARGET, ROOT */
	struct mnt_decoded opts; /* mount and super options of the line */
	uint8_t *flags; /* per mount rule: MATCHED, USED on the current line */
	size_t *redact; /* the matched REDACT_OPTIONS rules of the line, in order */
	size_t n_redact;
};
enum { MNT_F_MATCHED = 1, MNT_F_USED = 2 };

int mnt_eval_init(struct mnt_eval *ev, const struct pfs_policy *p, unsigned known);
void mnt_eval_fini(struct mnt_eval *ev);

/* 1 when every condition of r matches e, 0 when not, -errno on failure. */
int mnt_rule_matches(struct mnt_eval *ev, const struct pfs_mount_rule *r,
		     const struct pfs_mount_entry *e);
/* The first DROP rule matching e, in *drop (NULL if none). 0 or -errno. */
int mnt_find_drop(struct mnt_eval *ev, const struct pfs_mount_entry *e,
		  const struct pfs_mount_rule **drop);
/*
 * Evaluates the REWRITE_SOURCE and REDACT_OPTIONS rules on match: sets
 * ev->flags, *rewrite (the first matching rewrite rule) and *redact (true
 * when some matching redact rule names an option present in edited, the
 * entry whose line is emitted; often match itself).
 */
int mnt_eval_edits(struct mnt_eval *ev, const struct pfs_mount_entry *match,
		   const struct pfs_mount_entry *edited, const struct pfs_mount_rule **rewrite,
		   bool *redact);

/*
 * The mountinfo read together with a mounts or mountstats table: the kernel
 * lists the three in the same order, so entry i describes line i (device
 * line i for mountstats) and gives the root and options those lack. Used
 * only when every pair agrees on source, target and fstype; otherwise (read
 * apart, or no mountinfo) rules are evaluated fail closed without them.
 */
struct mnt_pairing {
	struct pfs_mount_entry *mi;
	size_t n;
};
/* Parses mountinfo (may be NULL); unparsable content gives no pairing. 0 or -ENOMEM. */
int mnt_pairing_load(const char *mountinfo, size_t len, struct mnt_pairing *pr);

typedef bool (*mnt_pair_fn)(const char *in, size_t len, const struct mnt_pairing *pr);
/*
 * For mounts and mountstats: loads the mountinfo pairing, pairs the table with
 * it, and starts the rule evaluation knowing every field when paired (else
 * only unpaired_known). On error nothing is held; else the caller frees both.
 */
int mnt_paired_begin(const struct pfs_policy *p, const char *mountinfo, size_t mi_len,
		     const char *in, size_t len, mnt_pair_fn pair, unsigned unpaired_known,
		     struct mnt_pairing *pr, struct mnt_eval *ev, bool *paired);
void mnt_pairing_free(struct mnt_pairing *pr);
/* True when mountinfo entry mi and table entry e name the same mount. */
bool mnt_pair_agrees(const struct mnt_pairing *pr, size_t i, const struct pfs_mount_entry *e);
/* Appends the option list opts with matching rules' named options redacted. */
int mnt_emit_opts(struct mnt_eval *ev, struct pfs_field opts, struct pfs_buf *out);
/* Trace REDACTED for every rule whose option was redacted on this line. */
void mnt_trace_redacted(struct mnt_eval *ev, const char *line, size_t len,
			const struct pfs_trace *t);

/* One in-place field replacement of a line. */
enum mnt_edit_kind { MNT_EDIT_INT, MNT_EDIT_SOURCE, MNT_EDIT_OPTS };
struct mnt_edit {
	struct pfs_field at;
	enum mnt_edit_kind kind;
	int ival;
	const char *str;
};
/* Appends line with edits (sorted by position, not overlapping) applied. */
int mnt_emit_edited(struct mnt_eval *ev, const char *line, size_t len, struct mnt_edit *edits,
		    size_t n, struct pfs_buf *out);

#endif
