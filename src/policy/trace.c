/* Names of trace actions, as `pfs policy explain` and `pfs audit` print them. */
#include "pfs/trace.h"

const char *pfs_trace_action_name(enum pfs_trace_action a)
{
	switch (a) {
	case PFS_TR_DROPPED:
		return "dropped";
	case PFS_TR_REWRITTEN:
		return "rewritten";
	case PFS_TR_REDACTED:
		return "redacted";
	case PFS_TR_REPARENTED:
		return "reparented";
	case PFS_TR_HIDDEN:
		return "hidden";
	case PFS_TR_DENIED:
		return "denied";
	case PFS_TR_REPLACED:
		return "replaced";
	}
	return "unknown";
}
