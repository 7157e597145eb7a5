/*
 * Errors. Core functions return 0 or -errno. When the user can cause the
 * failure (a bad policy, a bad option), they also fill a caller-owned
 * struct pfs_error whose message names the cause and the fix.
 */
#ifndef PFS_ERR_H
#define PFS_ERR_H

#include <stddef.h>

struct pfs_error {
	int code; /* positive errno, 0 when unset */
	char msg[1024]; /* "file:line:col: message" or "cause; fix" */
};

/* Fills err (if not NULL) and returns -code. printf-style. */
int pfs_err_set(struct pfs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an already-set message. Returns -err->code. */
int pfs_err_prefix(struct pfs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void pfs_err_clear(struct pfs_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

#endif
