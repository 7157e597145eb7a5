/*
 * Compiled globs, used by every policy rule.
 *
 * PFS_GLOB_PATH patterns match /proc paths component by component:
 *   *        any run of characters within one component
 *   ?        one character other than '/'
 *   [a-z]    a class, [!x] negated
 *   **       any number of whole components, including none
 *   {pid}    one all-digit component (any process or thread id)
 *   {self}   one component equal to the caller's tgid
 * PFS_GLOB_TEXT patterns match a whole string; '*' crosses '/' there.
 *
 * Path patterns are absolute ("/proc/..."); '**' must be a whole component and
 * also matches no component, so a pattern ending in a ** component also
 * matches the directory that component sits in ("/proc/sys"). A backslash
 * makes the next character literal ("\*", "\{"). A '{' that does not start
 * {pid} or {self} is an error; TEXT patterns take no placeholders. Empty
 * components of the subject ("//", trailing '/') are ignored.
 * Compiled once; matching allocates nothing.
 */
#ifndef PFS_GLOB_H
#define PFS_GLOB_H

#include <stdbool.h>
#include <sys/types.h>

#include "pfs/err.h"

enum pfs_glob_kind { PFS_GLOB_PATH, PFS_GLOB_TEXT };

struct pfs_match_ctx {
	pid_t self_tgid; /* the caller's tgid in the backing pid namespace; 0 if none */
};

struct pfs_glob;

int pfs_glob_compile(const char *pattern, enum pfs_glob_kind kind, struct pfs_glob **out,
		     struct pfs_error *err);
bool pfs_glob_match(const struct pfs_glob *g, const char *s, const struct pfs_match_ctx *m);
/* The literal prefix before the first wildcard. */
const char *pfs_glob_literal_prefix(const struct pfs_glob *g, size_t *len);
/*
 * True when s cannot match because it does not start with the literal prefix:
 * a cheap test before pfs_glob_match. len is strlen(s), or strnlen(s, n) for
 * any n at least the prefix's length.
 */
bool pfs_glob_prefix_rejects(const struct pfs_glob *g, const char *s, size_t len);
const char *pfs_glob_pattern(const struct pfs_glob *g);
/*
 * Index key of a PATH glob under /proc, into buf: "NAME" when the component
 * after /proc is the literal, non-numeric NAME; "#NAME" when it is {pid} or
 * {self} and the next one is the literal NAME. False when there is none (the
 * glob may then match any /proc path). A glob with key K only matches paths
 * with the same key (pfs_glob_path_key).
 */
bool pfs_glob_proc_key(const struct pfs_glob *g, char *buf, size_t cap);
/* The same key for a subject path; false when it has none. */
bool pfs_glob_path_key(const char *path, char *buf, size_t cap);
/* False when the pattern can never match a /proc path (lint). */
bool pfs_glob_can_match_proc(const struct pfs_glob *g);
void pfs_glob_free(struct pfs_glob *g);
/*
 * True when every string narrow matches is also matched by broad. Conservative:
 * true only when that is certain (identical patterns, '*' or {pid} components
 * covering narrower ones, a trailing '**'). For lint's shadowing checks.
 */
bool pfs_glob_subsumes(const struct pfs_glob *broad, const struct pfs_glob *narrow);

#endif
