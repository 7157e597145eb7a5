/* Attribution of filtering decisions, for `pfs policy explain` and `pfs audit`. */
#ifndef PFS_TRACE_H
#define PFS_TRACE_H

#include <stddef.h>

#include "pfs/policy.h"

enum pfs_trace_action {
	PFS_TR_DROPPED, /* a line or entry removed */
	PFS_TR_REWRITTEN, /* a field replaced */
	PFS_TR_REDACTED, /* a value replaced */
	PFS_TR_REPARENTED, /* a mountinfo parent id changed because a parent was dropped */
	PFS_TR_HIDDEN, /* a path or pid absent */
	PFS_TR_DENIED,
	PFS_TR_REPLACED, /* whole content replaced */
};

struct pfs_trace {
	/* what: the original line or entry (no trailing newline), what_len bytes. */
	void (*event)(void *opaque, enum pfs_trace_action action, const char *what, size_t what_len,
		      const struct pfs_rule_src *rule);
	void *opaque;
};

static inline void pfs_trace_emit(const struct pfs_trace *t, enum pfs_trace_action a,
				  const char *what, size_t len, const struct pfs_rule_src *rule)
{
	if (t && t->event)
		t->event(t->opaque, a, what, len, rule);
}

const char *pfs_trace_action_name(enum pfs_trace_action a);

#endif
