/*
 * Which processes a caller can see, as the policy says. Visibility is a
 * property of the thread group and is decided on its leader: every thread of
 * a process (/proc/<tid>, task/<tid>, thread-self) is visible exactly when the
 * process is, whatever the thread calls itself (pthread_setname_np).
 */
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

int view_leader_of(const struct pfs_view *v, pid_t tid, pid_t *leader)
{
	char rel[32], text[1024];
	snprintf(rel, sizeof(rel), "%d/status", tid);
	ssize_t n = pfs_read_small_at(v->backing_fd, rel, text, sizeof(text));
	if (n < 0)
		return -ENOENT;
	const char *t = pfs_status_field(text, "Tgid");
	*leader = t ? (pid_t)strtol(t, NULL, 10) : 0;
	return *leader > 0 ? 0 : -ENOENT; /* unparsable: hidden, fail closed */
}

static bool policy_reads_group(const struct pfs_policy *p)
{
	return p->pids_mode != PFS_PIDS_ALL || p->n_pid_rules > 0;
}

/*
 * The decision for thread group `leader`. comm, when given, is the name a
 * rendered file shows: the decision is then made on that reading, not on a
 * fresh one that a process flipping its name could make differ.
 */
static int group_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t leader, pid_t thread,
			 const char *comm)
{
	const struct pfs_policy *p = v->policy;
	char rel[32];
	snprintf(rel, sizeof(rel), "%d", leader);
	struct stat st;
	if (fstatat(v->backing_fd, rel, &st, 0) < 0)
		return -ENOENT;
	struct pfs_proc_facts f = {.pid = leader, .uid = pfs_idmap_in(&v->uidmap, st.st_uid)};
	char name[64] = "", exe[4096] = "";
	if (pfs_policy_needs_comm(p)) {
		if (comm) {
			f.comm = comm;
		} else {
			snprintf(rel, sizeof(rel), "%d/comm", leader);
			if (pfs_read_small_at(v->backing_fd, rel, name, sizeof(name)) < 0)
				return -ENOENT;
			name[strcspn(name, "\n")] = '\0';
			f.comm = name;
		}
	}
	if (pfs_policy_needs_exe(p)) {
		/* A leader that exited before its threads has no exe: ask a live thread. */
		snprintf(rel, sizeof(rel), "%d/exe", leader);
		ssize_t n = readlinkat(v->backing_fd, rel, exe, sizeof(exe) - 1);
		if (n < 0 && thread != leader) {
			snprintf(rel, sizeof(rel), "%d/exe", thread);
			n = readlinkat(v->backing_fd, rel, exe, sizeof(exe) - 1);
		}
		if (n >= 0) {
			exe[n] = '\0';
			f.exe = exe;
		}
	}
	if (p->pids_mode == PFS_PIDS_TREE)
		f.in_caller_tree = in_caller_tree(v, c, leader);
	return pfs_policy_pid_visible(p, &f, c->uid, NULL) ? 0 : -ENOENT;
}

int view_group_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t leader)
{
	if (!policy_reads_group(v->policy))
		return 0;
	return group_visible(v, c, leader, leader, NULL);
}

int pfs_view_pid_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t pid)
{
	if (!policy_reads_group(v->policy))
		return 0;
	pid_t leader = 0;
	int r = view_leader_of(v, pid, &leader);
	if (r < 0)
		return r;
	return group_visible(v, c, leader, pid, NULL);
}

/* status escapes a name's control characters as in C (seq_escape_str). */
static char unescape(char c)
{
	static const char from[] = "nrtfvae", to[] = "\n\r\t\f\v\a\033";
	const char *p = strchr(from, c);
	return p && c ? to[p - from] : c;
}

/*
 * The name a comm-bearing file shows: comm itself, stat's "(comm)", status's
 * "Name:" (escaped by the kernel), sched's first word. NULL when
 * the file shows no name.
 */
static const char *shown_comm(const char *rest, const char *text, size_t len, char *name,
			      size_t size)
{
	const char *s = NULL, *e = NULL;
	bool escaped = false;
	if (!strcmp(rest, "comm")) {
		s = text;
		e = memchr(text, '\n', len);
		if (!e)
			e = text + len;
	} else if (!strcmp(rest, "stat")) {
		s = memchr(text, '(', len);
		e = memrchr(text, ')', len);
		if (s)
			s++;
	} else if (!strcmp(rest, "status")) {
		s = pfs_status_field(text, "Name");
		e = s ? strchr(s, '\n') : NULL;
		escaped = true;
	} else if (!strcmp(rest, "sched")) {
		s = text;
		e = memchr(text, ' ', len);
	} else {
		return NULL;
	}
	if (!s || !e || e < s)
		return ""; /* a name not found: matches no glob but "*"; decided anyway */
	size_t o = 0;
	for (const char *q = s; q < e && o + 1 < size; q++) {
		if (escaped && *q == '\\' && q + 1 < e) {
			q++;
			name[o++] = unescape(*q);
		} else {
			name[o++] = *q;
		}
	}
	name[o] = '\0';
	return name;
}

int view_rendered_visible(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const char *text, size_t len)
{
	const struct pfs_ppath *pp = &loc->pp;
	if (!pp->pid || !pfs_policy_needs_comm(v->policy))
		return 0;
	char name[128];
	const char *comm = shown_comm(pp->rest, text ? text : "", len, name, sizeof(name));
	if (!comm)
		return 0;
	pid_t task = pp->tid ? pp->tid : pp->pid, leader = 0;
	int r = view_leader_of(v, task, &leader);
	if (r < 0)
		return r;
	/* Another thread's name is not the group's: the group was decided already. */
	if (leader != task)
		return 0;
	return group_visible(v, c, leader, task, comm);
}
