/*
 * fd/ and fdinfo/ visibility: an fd is hidden when its link target (as
 * readlink gives it: "/path", "socket:[123]", "pipe:[45]",
 * "anon_inode:[eventfd]") matches an fd rule's TEXT glob. The first matching
 * rule is reported.
 */
#include "pfs/filter.h"

bool pfs_fd_target_hidden(const struct pfs_policy *p, const char *target,
			  const struct pfs_rule_src **rule)
{
	static const struct pfs_match_ctx m = {0};
	if (rule)
		*rule = NULL;
	if (!p || p->n_fd_rules == 0)
		return false;
	if (!target) /* fail closed: an fd whose target is unknown is hidden */
		return true;
	for (size_t i = 0; i < p->n_fd_rules; i++) {
		if (pfs_glob_match(p->fd_rules[i].glob, target, &m)) {
			if (rule)
				*rule = &p->fd_rules[i].src;
			return true;
		}
	}
	return false;
}
