/*
 * pfs audit --policy: checks each suggested rule. The offending content is
 * re-rendered twice: under the policy alone and under the policy plus the
 * rule. A finding is "already covered" when the policy alone removes it,
 * "verified" when the rule does, "not verified" otherwise. Content is
 * rendered by the view the daemon serves with (pfs_view_render: replacements,
 * the registry's filter for the file, line rules), for the auditor as reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "pfs/mountinfo.h"
#include "pfs/policy.h"
#include "pfs/view.h"

#define CONTENT_MAX (4 * 1024 * 1024)

static void policy_freep(struct pfs_policy **p)
{
	if (*p)
		pfs_policy_free(*p);
}
#define cleanup_policy __attribute__((cleanup(policy_freep)))

/* "/proc/12/environ" -> "12/environ"; "/proc" -> "." */
static const char *rel_of(const char *path)
{
	if (!strncmp(path, "/proc/", 6))
		return path + 6;
	return ".";
}

static pid_t pid_of(const char *path)
{
	const char *r = rel_of(path);
	char *end;
	long p = strtol(r, &end, 10);
	return (end != r && (*end == '/' || !*end) && p > 0) ? (pid_t)p : 0;
}

/* The value, raw or as the mount table escapes it, appears in s. */
static bool value_in(const char *s, const char *value, bool mount_escaped)
{
	if (!value || !*value)
		return false;
	if (strstr(s, value))
		return true;
	if (!mount_escaped)
		return false;
	cleanup_buf struct pfs_buf e = PFS_BUF_INIT;
	if (pfs_mount_escape(value, strlen(value), PFS_MOUNT_ESC_PATH, &e) < 0 ||
	    pfs_buf_reserve(&e, 0) < 0)
		return true;
	return strstr(s, e.data) != NULL;
}

/*
 * The mount the finding was made on (same mount id, the first field of the
 * entry) is still listed and still carries the value.
 */
static bool mount_line_leaks(const char *out, const char *entry, const char *value)
{
	if (!entry)
		return value_in(out, value, true);
	size_t idlen = strcspn(entry, " ");
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		if (len <= idlen || strncmp(l, entry, idlen) != 0 || l[idlen] != ' ')
			continue;
		cleanup_free char *line = strndup(l, len);
		return line ? value_in(line, value, true) : true;
	}
	return false;
}

static bool pid_present(const struct pfs_audit_opts *o, const struct pfs_policy *p,
			const struct pfs_finding *f)
{
	pid_t pid = pid_of(f->path);
	if (!pid)
		return true;
	char rel[64], comm[64] = "", exe[4096] = "";
	struct stat st;
	snprintf(rel, sizeof(rel), "%d", (int)pid);
	uid_t uid = fstatat(o->proc_fd, rel, &st, 0) == 0 ? st.st_uid : 0;
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	snprintf(rel, sizeof(rel), "%d/comm", (int)pid);
	if (pfs_audit_read(o->proc_fd, rel, 64, &b) == 0 && b.len) {
		b.data[strcspn(b.data, "\n")] = '\0';
		snprintf(comm, sizeof(comm), "%s", b.data);
	}
	snprintf(rel, sizeof(rel), "%d/exe", (int)pid);
	ssize_t n = readlinkat(o->proc_fd, rel, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	struct pfs_proc_facts facts = {
		.pid = pid,
		.uid = uid,
		.comm = comm,
		.exe = exe[0] ? exe : NULL,
		.in_caller_tree = false,
	};
	/* The caller: the owner of the auditing process in the tree ("self"). */
	uid_t caller = 65534;
	snprintf(rel, sizeof(rel), "%d", (int)o->self_pid);
	if (o->self_pid && fstatat(o->proc_fd, rel, &st, 0) == 0)
		caller = st.st_uid;
	return pfs_policy_pid_visible(p, &facts, caller, NULL);
}

/*
 * The decision for a path, also under the logical names the daemon serves it
 * by: /proc/self/X is /proc/<self>/X, /proc/net/X is /proc/<self>/net/X. The
 * most restrictive answer wins.
 */
static void decide(const struct pfs_audit_opts *o, const struct pfs_policy *p, const char *path,
		   const struct pfs_match_ctx *m, struct pfs_path_decision *d)
{
	pfs_policy_decide_path(p, path, m, d);
	if (!o->self_pid)
		return;
	const char *rest = NULL;
	if (!strncmp(path, "/proc/self/", 11))
		rest = path + 11;
	else if (!strncmp(path, "/proc/net/", 10))
		rest = path + 6;
	if (!rest)
		return;
	char alt[512];
	snprintf(alt, sizeof(alt), "/proc/%d/%s", (int)o->self_pid, rest);
	struct pfs_path_decision d2;
	pfs_policy_decide_path(p, alt, m, &d2);
	if (d2.action > d->action)
		d->action = d2.action;
	if (!d->replace)
		d->replace = d2.replace;
	d->has_line_rules |= d2.has_line_rules;
}

/*
 * path as the daemon serves it under p with decision d, to the auditor:
 * /proc/self/X is the auditor's /proc/<pid>/X, and a global file that is
 * not there (/proc/net/X read from outside the sandbox) is pid 1's.
 */
static int render(const struct pfs_audit_opts *o, const struct pfs_policy *p, const char *path,
		  const struct pfs_path_decision *d, struct pfs_buf *out)
{
	struct pfs_view v = {.backing_fd = o->proc_fd, .policy = p};
	pfs_view_policy_changed(&v);
	struct pfs_caller c;
	pfs_caller_init(&c, o->self_pid, 0, 0);
	char logical[512];
	if (o->self_pid && !strncmp(path, "/proc/self/", 11))
		snprintf(logical, sizeof(logical), "/proc/%d/%s", (int)o->self_pid, path + 11);
	else
		snprintf(logical, sizeof(logical), "%s", path);
	struct pfs_loc loc;
	if (pfs_loc_init(&loc, o->proc_fd, rel_of(path), logical) < 0)
		return -EINVAL;
	int r = pfs_view_render(&v, &c, &loc, d, NULL, out);
	char alt[256];
	if (r == -ENOENT && !pid_of(path) &&
	    (size_t)snprintf(alt, sizeof(alt), "1/%s", loc.rel) < sizeof(alt)) {
		loc.rel = alt;
		r = pfs_view_render(&v, &c, &loc, d, NULL, out);
	}
	return r;
}

/* Renders the finding's content under p; *present: the leak is still there. */
static int present_under(const struct pfs_audit_opts *o, const struct pfs_policy *p,
			 const struct pfs_finding *f, bool *present)
{
	struct pfs_match_ctx m = {.self_tgid = o->self_pid};
	struct pfs_path_decision d;
	*present = true;
	if (!strcmp(f->category, "memory")) {
		*present = !pfs_policy_memory_denied(p);
		return 0;
	}
	decide(o, p, f->path, &m, &d);
	if (!strcmp(f->category, "write")) {
		*present = d.action == PFS_ACT_WRITABLE;
		return 0;
	}
	if (d.action >= PFS_ACT_EMPTY) {
		*present = false;
		return 0;
	}
	if (f->kind == PFS_AK_PID) {
		*present = pid_present(o, p, f);
		return 0;
	}
	if (!strcmp(f->category, "kernel") && !d.replace && !d.has_line_rules)
		return 0; /* served as is */
	if (f->kind == PFS_AK_FD) {
		*present = !pfs_fd_target_hidden(p, f->value, NULL);
		return 0;
	}
	cleanup_buf struct pfs_buf out = PFS_BUF_INIT;
	int r = render(o, p, f->path, &d, &out);
	/* NUL-separated: make it one string for the search */
	for (size_t i = 0; !r && f->kind == PFS_AK_ENVIRON && i < out.len; i++)
		if (!out.data[i])
			out.data[i] = '\n';
	if (r == -EIO) {
		*present = false; /* fail closed: the daemon serves nothing */
		return 0;
	}
	if (r < 0)
		return r;
	if (pfs_buf_reserve(&out, 0) < 0)
		return -ENOMEM;
	if (f->kind == PFS_AK_MOUNTINFO)
		*present = mount_line_leaks(out.data, f->entry, f->value);
	else if (f->kind == PFS_AK_LINES || (f->kind == PFS_AK_PATH && f->entry))
		*present = f->entry && *f->entry ? strstr(out.data, f->entry) != NULL : out.len > 0;
	else
		*present = value_in(out.data, f->value, f->kind == PFS_AK_MOUNTINFO);
	return 0;
}

static int note(struct pfs_finding *f, enum pfs_verify_state v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int note(struct pfs_finding *f, enum pfs_verify_state v, const char *fmt, ...)
{
	f->verify = v;
	free(f->verify_note);
	f->verify_note = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&f->verify_note, fmt, ap);
	va_end(ap);
	if (r < 0) {
		f->verify_note = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int verify_one(const struct pfs_audit_opts *o, const char *name, const char *text,
		      const struct pfs_policy *base, struct pfs_finding *f)
{
	if (!f->rule)
		return note(f, PFS_VERIFY_UNSUPPORTED, "no policy rule can remove it");
	if (f->kind == PFS_AK_SYSINFO)
		return note(f, PFS_VERIFY_UNSUPPORTED,
			    "`sysinfo virtual` needs the daemon to know the sandbox's cgroup "
			    "(pfs run passes it): audit inside the sandbox to check");
	bool present = true;
	int r = present_under(o, base, f, &present);
	if (r < 0)
		return note(f, PFS_VERIFY_UNSUPPORTED, "cannot re-read %s: %s", f->path,
			    strerror(-r));
	if (!present)
		return note(f, PFS_VERIFY_ALREADY, "the policy already removes it");
	cleanup_free char *joined = NULL;
	if (asprintf(&joined, "%s\n%s\n", text ? text : "", f->rule) < 0)
		return -ENOMEM;
	cleanup_policy struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	r = pfs_policy_load_string(name, joined, &p, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return note(f, PFS_VERIFY_FAILED, "the rule does not load: %s", err.msg);
	r = present_under(o, p, f, &present);
	if (r < 0)
		return note(f, PFS_VERIFY_UNSUPPORTED, "cannot re-read %s: %s", f->path,
			    strerror(-r));
	if (present)
		return note(f, PFS_VERIFY_FAILED, "still present with the rule added");
	return note(f, PFS_VERIFY_OK, "gone with the rule added");
}

int pfs_audit_verify(const struct pfs_audit_opts *o, const char *policy_name,
		     const char *policy_text, struct pfs_findings *f, struct pfs_error *err)
{
	cleanup_policy struct pfs_policy *base = NULL;
	int r = policy_text ? pfs_policy_load_string(policy_name, policy_text, &base, err)
			    : pfs_policy_new_empty(&base);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n; i++)
		if ((r = verify_one(o, policy_name, policy_text, base, &f->v[i])) < 0)
			return pfs_err_set(err, -r, "verifying the suggested rules: %s",
					   strerror(-r));
	return 0;
}
