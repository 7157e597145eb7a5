/* Private to src/policy/policy_*.c: the lexer, the parser and the loader. */
#ifndef PFS_POLICY_I_H
#define PFS_POLICY_I_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pfs/policy.h"

#define PFS_POLICY_MAX_DEPTH 16
#define PFS_POLICY_MAX_SIZE (1u << 20)

/* A cursor over one line of a policy file. */
struct plex {
	const char *file; /* display name, for messages */
	unsigned line;
	const char *bol; /* beginning of the line */
	const char *p; /* cursor */
	const char *eol; /* end of the line, exclusive */
	struct pfs_error *err;
};

/* A decoded token: quoted sections have their escapes decoded. */
struct ptok {
	char *s; /* malloc'd, NUL-terminated (may also contain decoded NULs: see len) */
	size_t len;
	unsigned col;
};

static inline unsigned plex_col(const struct plex *lx, const char *at)
{
	return (unsigned)(at - lx->bol) + 1;
}

/* Sets err to "file:line:col: msg" and returns -EINVAL. */
int plex_error(const struct plex *lx, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Skips blanks; true at the end of the line or at a '#' comment. */
bool plex_at_end(struct plex *lx);
/* Next word: 0, 1 at end of line (t left empty), -EINVAL on a lexing error. */
int plex_word(struct plex *lx, struct ptok *t);
/* A /ERE/ token: '\/' is a literal slash, other text is passed verbatim. */
int plex_regex(struct plex *lx, struct ptok *t);
void ptok_clear(struct ptok *t);

/* State shared by a load and its includes. */
struct ploader {
	struct pfs_policy *p;
	struct pfs_error *err;
	/*
	 * Loads an include found by the parser at lx's current line: the loader's
	 * business (files, cycles, depth), so the parser calls back into it.
	 */
	int (*include)(struct ploader *ld, const struct plex *lx, unsigned col, const char *rel,
		       const char *base_dir);
	struct {
		dev_t dev;
		ino_t ino;
	} stack[PFS_POLICY_MAX_DEPTH];
	size_t depth;
};

/*
 * Parses text as file `name` (stored in p->files). base_dir: the directory
 * includes are relative to, or NULL when includes are refused.
 */
int pfs_policy_parse_text(struct ploader *ld, const char *name, const char *text, size_t len,
			  const char *base_dir);
/* The policy object (policy.c). */
void pfs_policy_mount_rule_free(struct pfs_mount_rule *m);

/* The path rule index (policy_index.c): built once a policy is fully loaded. */
int pfs_policy_build_index(struct pfs_policy *p);
void pfs_policy_free_index(struct pfs_path_index *ix);
/*
 * What a listing of /proc needs per entry, decided once per policy: each
 * key's own /proc/<key> is decided by hides (pfs_policy_hides_for_everyone)
 * and kept for pfs_policy_root_entry_shown. A name with no numeric component
 * is matched the same for every caller ({self} matches digits only). Only
 * hide rules matter: no other action removes an entry. Until this runs, the
 * keys' entries are decided in full.
 */
typedef bool pfs_root_hides_fn(const struct pfs_policy *p, const char *path);
void pfs_policy_index_root_verdicts(struct pfs_policy *p, pfs_root_hides_fn *hides);
/* Whether path, which has no numeric component, is hidden (from every caller alike). */
bool pfs_policy_hides_for_everyone(const struct pfs_policy *p, const char *path);
/* Indices of the path rules that may match path (normalised), ascending. */
const size_t *pfs_policy_candidates(const struct pfs_policy *p, const char *path, size_t *n);
/* Appends a file name to p->files and returns the stored copy, or NULL. */
const char *pfs_policy_add_file(struct pfs_policy *p, const char *name);

#endif
