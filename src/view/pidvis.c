/* Which processes a caller can see, as the policy says. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "view_i.h"

/* Parent pid from <pid>/stat (field 4, after the comm in parentheses). */
static pid_t parent_of(int backing_fd, pid_t pid)
{
	char rel[32], text[1024];
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	if (pfs_read_small_at(backing_fd, rel, text, sizeof(text)) < 0)
		return 0;
	const char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	return (pid_t)strtol(p + 4, NULL, 10);
}

static bool is_ancestor(int backing_fd, pid_t maybe_ancestor, pid_t pid)
{
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		pid = parent_of(backing_fd, pid);
		if (pid == maybe_ancestor)
			return true;
	}
	return false;
}

static bool in_caller_tree(const struct pfs_view *v, struct pfs_caller *c, pid_t pid)
{
	pid_t self = view_caller_tgid(v, c);
	if (!self)
		return false;
	return pid == self || is_ancestor(v->backing_fd, self, pid) ||
	       is_ancestor(v->backing_fd, pid, self);
}

int pfs_view_pid_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t pid)
{
	const struct pfs_policy *p = v->policy;
	if (p->pids_mode == PFS_PIDS_ALL && p->n_pid_rules == 0)
		return 0;
	char rel[32];
	snprintf(rel, sizeof(rel), "%d", pid);
	struct stat st;
	if (fstatat(v->backing_fd, rel, &st, 0) < 0)
		return -ENOENT;
	struct pfs_proc_facts f = {.pid = pid, .uid = pfs_idmap_in(&v->uidmap, st.st_uid)};
	char comm[64] = "", exe[4096] = "";
	if (pfs_policy_needs_comm(p)) {
		snprintf(rel, sizeof(rel), "%d/comm", pid);
		if (pfs_read_small_at(v->backing_fd, rel, comm, sizeof(comm)) < 0)
			return -ENOENT;
		comm[strcspn(comm, "\n")] = '\0';
		f.comm = comm;
	}
	if (pfs_policy_needs_exe(p)) {
		snprintf(rel, sizeof(rel), "%d/exe", pid);
		ssize_t n = readlinkat(v->backing_fd, rel, exe, sizeof(exe) - 1);
		if (n >= 0) {
			exe[n] = '\0';
			f.exe = exe;
		}
	}
	if (p->pids_mode == PFS_PIDS_TREE)
		f.in_caller_tree = in_caller_tree(v, c, pid);
	return pfs_policy_pid_visible(p, &f, c->uid, NULL) ? 0 : -ENOENT;
}
