/* Decisions from a loaded policy: path actions, content rules, pid visibility. */
#include <limits.h>
#include <string.h>

#include "pfs/policy.h"
#include "policy_i.h"

const char *pfs_path_action_name(enum pfs_path_action a)
{
	static const char *const names[] = {
		[PFS_ACT_NONE] = "none",	 [PFS_ACT_WRITABLE] = "writable",
		[PFS_ACT_READONLY] = "readonly", [PFS_ACT_EMPTY] = "empty",
		[PFS_ACT_DENY] = "deny",	 [PFS_ACT_HIDE] = "hide",
	};
	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

/* The glob's literal prefix rejects most rules before the matcher runs. */
static bool matches(const struct pfs_glob *g, const char *path, size_t len,
		    const struct pfs_match_ctx *m)
{
	return !pfs_glob_prefix_rejects(g, path, len) && pfs_glob_match(g, path, m);
}

/* Collapses repeated slashes and drops a trailing one. False when too long. */
static bool normalize(const char *path, char *out, size_t cap, size_t *len)
{
	size_t o = 0;
	for (const char *s = path; *s; s++) {
		if (*s == '/' && o > 0 && out[o - 1] == '/')
			continue;
		if (o + 1 >= cap)
			return false;
		out[o++] = *s;
	}
	if (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	*len = o;
	return true;
}

/* "/proc/P/task/T[/rest]" -> "/proc/P[/rest]"; false when path is not such. */
static bool fold_task(const char *path, char *out, size_t cap, size_t *len)
{
	static const char proc[] = "/proc/";
	if (strncmp(path, proc, sizeof(proc) - 1) != 0)
		return false;
	const char *pid = path + sizeof(proc) - 1;
	const char *pe = strchrnul(pid, '/');
	if (pe == pid || strncmp(pe, "/task/", 6) != 0)
		return false;
	const char *tid = pe + 6;
	const char *te = strchrnul(tid, '/');
	if (te == tid)
		return false;
	size_t head = (size_t)(pe - path), rest = strlen(te);
	if (head + rest + 1 > cap)
		return false;
	memcpy(out, path, head);
	memcpy(out + head, te, rest + 1);
	*len = head + rest;
	return true;
}

static void decide_one(const struct pfs_policy *p, const char *path, size_t len,
		       const struct pfs_match_ctx *m, enum pfs_path_action *act,
		       const struct pfs_rule_src **rule)
{
	size_t n = p->n_path_rules, start = 0;
	const size_t *idx = p->path_index ? pfs_policy_candidates(p, path, &n) : NULL;
	*act = PFS_ACT_NONE;
	*rule = NULL;
	for (size_t k = n; k-- > 0;) {
		const struct pfs_path_rule *r = &p->path_rules[idx ? idx[k] : k];
		if (r->expose && matches(r->glob, path, len, m)) {
			start = k + 1;
			*rule = &r->src;
			break;
		}
	}
	for (size_t k = start; k < n; k++) {
		const struct pfs_path_rule *r = &p->path_rules[idx ? idx[k] : k];
		if (!r->expose && r->action > *act && matches(r->glob, path, len, m)) {
			*act = r->action;
			*rule = &r->src;
		}
	}
}

void pfs_policy_decide_path(const struct pfs_policy *p, const char *path,
			    const struct pfs_match_ctx *m, struct pfs_path_decision *out)
{
	memset(out, 0, sizeof(*out));
	char norm[PATH_MAX], folded[PATH_MAX];
	size_t len = 0, flen = 0;
	if (!normalize(path, norm, sizeof(norm), &len)) {
		out->action = PFS_ACT_HIDE; /* no such path in a real /proc: fail closed */
		return;
	}
	bool has_fold = fold_task(norm, folded, sizeof(folded), &flen);

	decide_one(p, norm, len, m, &out->action, &out->rule);
	if (has_fold) {
		enum pfs_path_action fa;
		const struct pfs_rule_src *fr;
		decide_one(p, folded, flen, m, &fa, &fr);
		if (fa > out->action) {
			out->action = fa;
			out->rule = fr;
		}
	}
	for (size_t i = 0; i < p->n_content_rules; i++) {
		const struct pfs_content_rule *c = &p->content_rules[i];
		if (!matches(c->path, norm, len, m) &&
		    !(has_fold && matches(c->path, folded, flen, m)))
			continue;
		if (c->action == PFS_CONTENT_REPLACE)
			out->replace = c; /* the last one in load order wins */
		else
			out->has_line_rules = true;
	}
}

bool pfs_policy_hides_for_everyone(const struct pfs_policy *p, const char *path)
{
	const struct pfs_match_ctx nobody = {0};
	struct pfs_path_decision d;
	pfs_policy_decide_path(p, path, &nobody, &d);
	return d.action == PFS_ACT_HIDE;
}

static bool needs(const struct pfs_policy *p, enum pfs_pid_match by)
{
	for (size_t i = 0; i < p->n_pid_rules; i++)
		if (p->pid_rules[i].by == by)
			return true;
	return false;
}

bool pfs_policy_needs_comm(const struct pfs_policy *p)
{
	return needs(p, PFS_PID_BY_COMM);
}

bool pfs_policy_needs_exe(const struct pfs_policy *p)
{
	return needs(p, PFS_PID_BY_EXE);
}

bool pfs_policy_pid_visible(const struct pfs_policy *p, const struct pfs_proc_facts *f,
			    uid_t caller_uid, const struct pfs_rule_src **rule)
{
	const struct pfs_rule_src *dummy;
	if (!rule)
		rule = &dummy;
	*rule = NULL;
	bool ok = true;
	switch (p->pids_mode) {
	case PFS_PIDS_ALL:
		break;
	case PFS_PIDS_SAME_UID:
		ok = f->uid == caller_uid;
		break;
	case PFS_PIDS_TREE:
		ok = f->in_caller_tree;
		break;
	}
	if (!ok) {
		*rule = &p->pids_src;
		return false;
	}
	for (size_t i = 0; i < p->n_pid_rules; i++) {
		const struct pfs_pid_rule *r = &p->pid_rules[i];
		const char *s = r->by == PFS_PID_BY_COMM ? f->comm : f->exe;
		/* A comm the policy needs but could not be read: hidden (fail closed). */
		bool hit = s ? pfs_glob_match(r->glob, s, NULL) : r->by == PFS_PID_BY_COMM;
		if (hit) {
			*rule = &r->src;
			return false;
		}
	}
	return true;
}

bool pfs_policy_memory_denied(const struct pfs_policy *p)
{
	if (p->process_memory != PFS_PROCMEM_UNSET)
		return p->process_memory == PFS_PROCMEM_DENY;
	/* a redaction that reading the process's memory undoes is no redaction */
	return p->n_environ_rules > 0;
}
