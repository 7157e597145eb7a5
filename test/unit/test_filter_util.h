/* Helpers of the filter unit tests: hand-built policies, traces, files. */
#ifndef PFS_TEST_FILTER_UTIL_H
#define PFS_TEST_FILTER_UTIL_H

#include <stddef.h>

#include "pfs/buf.h"
#include "pfs/filter.h"
#include "pfs/policy.h"
#include "pfs/trace.h"

/* Rules are appended; each gets src {"test.policy", line = 1-based count of all rules}. */
struct pfs_policy *tp_new(void);
void tp_free(struct pfs_policy *p);
struct pfs_mount_rule *tp_mount(struct pfs_policy *p, enum pfs_mount_action a, const char *value);
void tp_mount_match(struct pfs_mount_rule *r, enum pfs_mount_field f, const char *glob);
void tp_mount_option(struct pfs_mount_rule *r, const char *name);
void tp_maps(struct pfs_policy *p, enum pfs_maps_action a, const char *glob, const char *value);
void tp_fd(struct pfs_policy *p, const char *glob);
void tp_env(struct pfs_policy *p, const char *glob, enum pfs_environ_scope s, const char *value);
void tp_replace(struct pfs_policy *p, const char *path_glob, const char *text);
void tp_hide_lines(struct pfs_policy *p, const char *path_glob, const char *regex);

struct tr_event {
	enum pfs_trace_action action;
	char what[512];
	unsigned line; /* rule line, 0 when no rule */
};
struct tr_rec {
	struct tr_event ev[64];
	size_t n;
};
/* A trace recording into rec. */
struct pfs_trace tr_recorder(struct tr_rec *rec);

/* Whole content of a file (a /proc file or a fixture); asserts on failure. */
char *tp_read_file(const char *path, size_t *len);
/* The directory of filter fixtures. */
#define FILTER_FIXTURES "test/fixtures/filters/"

#endif
