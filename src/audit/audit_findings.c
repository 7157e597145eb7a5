/* pfs audit: the findings list, severities, redaction and tree helpers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/backing.h"
#include "pfs/cleanup.h"

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *pfs_severity_name(enum pfs_severity s)
{
	if ((size_t)s < ARRAY_SIZE(sev_names))
		return sev_names[s];
	return "?";
}

int pfs_severity_parse(const char *s, enum pfs_severity *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(sev_names); i++) {
		if (!strcasecmp(s, sev_names[i])) {
			*out = (enum pfs_severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pfs_verify_name(enum pfs_verify_state v)
{
	switch (v) {
	case PFS_VERIFY_NONE:
		return "unchecked";
	case PFS_VERIFY_OK:
		return "verified";
	case PFS_VERIFY_FAILED:
		return "not verified";
	case PFS_VERIFY_ALREADY:
		return "already covered";
	case PFS_VERIFY_UNSUPPORTED:
		return "not checkable";
	}
	return "?";
}

static void finding_free(struct pfs_finding *f)
{
	free(f->path);
	free(f->entry);
	free(f->value);
	free(f->why);
	free(f->rule);
	free(f->verify_note);
}

void pfs_findings_free(struct pfs_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		finding_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

int pfs_findings_add(struct pfs_findings *f, const struct pfs_finding *t)
{
	for (size_t i = 0; i < f->n; i++) {
		struct pfs_finding *o = &f->v[i];
		if (!strcmp(o->check, t->check) && str_eq(o->value, t->value)) {
			o->count++;
			if (t->severity > o->severity)
				o->severity = t->severity;
			return 0;
		}
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct pfs_finding *v = reallocarray(f->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	struct pfs_finding n = *t;
	n.count = 1;
	n.verify = PFS_VERIFY_NONE;
	int r = 0;
	r |= dup_opt(t->path, &n.path);
	r |= dup_opt(t->entry, &n.entry);
	r |= dup_opt(t->value, &n.value);
	r |= dup_opt(t->why, &n.why);
	r |= dup_opt(t->rule, &n.rule);
	n.verify_note = NULL;
	if (r) {
		finding_free(&n);
		return -ENOMEM;
	}
	f->v[f->n++] = n;
	return 0;
}

int pfs_audit_add(struct pfs_findings *out, const char *category, const char *check,
		  enum pfs_severity sev, enum pfs_audit_kind kind, const char *path,
		  const char *entry, const char *value, const char *why, const char *rule)
{
	struct pfs_finding t = {
		.category = category,
		.check = check,
		.severity = sev,
		.kind = kind,
		.path = (char *)path,
		.entry = (char *)entry,
		.value = (char *)value,
		.why = (char *)why,
		.rule = (char *)rule,
	};
	return pfs_findings_add(out, &t);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct pfs_finding *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	int c = strcmp(x->category, y->category);
	if (c)
		return c;
	c = strcmp(x->path ? x->path : "", y->path ? y->path : "");
	if (c)
		return c;
	return strcmp(x->check, y->check);
}

void pfs_findings_sort(struct pfs_findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(f->v[0]), cmp_finding);
}

bool pfs_findings_any_at(const struct pfs_findings *f, enum pfs_severity min)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].severity >= min)
			return true;
	return false;
}

char *pfs_audit_redact(const char *value)
{
	size_t len = strlen(value);
	size_t keep = len >= 8 ? 4 : len / 2;
	char *s = malloc(keep + 4);
	if (!s)
		return NULL;
	memcpy(s, value, keep);
	memcpy(s + keep, "***", 4);
	return s;
}

char *pfs_audit_redact_in(const char *s, const char *value)
{
	if (!value || strlen(value) < 4)
		return strdup(s); /* too short to redact without mangling the entry */
	cleanup_free char *red = pfs_audit_redact(value);
	if (!red)
		return NULL;
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	size_t vlen = strlen(value);
	const char *p = s;
	for (const char *hit; (hit = strstr(p, value)); p = hit + vlen) {
		if (pfs_buf_append(&b, p, (size_t)(hit - p)) < 0 || pfs_buf_appends(&b, red) < 0)
			return NULL;
	}
	if (pfs_buf_appends(&b, p) < 0)
		return NULL;
	return pfs_buf_steal(&b, NULL);
}

static const char *const default_prefixes[] = {
	"/var/lib/docker",
	"/var/lib/containerd",
	"/var/lib/kubelet",
	"/var/lib/containers",
	"/var/lib/lxd",
	"/var/lib/lxc",
	"/var/lib/incus",
	"/var/lib/machines",
	"/var/lib/rancher",
	"/var/lib/k0s",
	"/var/snap",
	"/var/lib/snapd",
	"/run/containerd",
	"/run/containers",
	"/run/docker",
	"/run/k3s",
	"/run/user",
	"/var/run/docker",
	"/var/run/containerd",
	"/var/log/pods",
	"/var/log/containers",
	"/home",
	"/root",
};

const char *const *pfs_audit_default_host_prefixes(size_t *n)
{
	*n = ARRAY_SIZE(default_prefixes);
	return default_prefixes;
}

int pfs_audit_parse_prefixes(const char *list, char ***out, size_t *n, struct pfs_error *err)
{
	size_t count = 1, len = strlen(list);
	for (const char *p = list; *p; p++)
		count += *p == ',';
	/* one block: the pointer array, then a copy of the list */
	char **v = malloc((count + 1) * sizeof(char *) + len + 1);
	if (!v)
		return -ENOMEM;
	char *copy = (char *)(v + count + 1);
	memcpy(copy, list, len + 1);
	size_t k = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t tl = strlen(tok);
		while (tl > 1 && tok[tl - 1] == '/')
			tok[--tl] = '\0';
		if (tok[0] != '/') {
			int r = pfs_err_set(err, EINVAL,
					    "--host-paths: '%s' is not an absolute path; give a "
					    "comma-separated list like /var/lib/docker,/home",
					    tok);
			free(v); /* tok points into v */
			return r;
		}
		v[k++] = tok;
	}
	if (!k) {
		free(v);
		return pfs_err_set(err, EINVAL,
				   "--host-paths: empty list; give at least one absolute path");
	}
	v[k] = NULL;
	*out = v;
	*n = k;
	return 0;
}

bool pfs_audit_host_path(const struct pfs_audit_opts *o, const char *path, const char **which)
{
	if (!path || path[0] != '/')
		return false;
	for (size_t i = 0; i < o->n_host_prefixes; i++) {
		const char *p = o->host_prefixes[i];
		size_t l = strlen(p);
		if (l == 1 && p[0] == '/')
			continue; /* "/" would match everything */
		if (!strncmp(path, p, l) && (path[l] == '\0' || path[l] == '/')) {
			if (which)
				*which = p;
			return true;
		}
	}
	return false;
}

int pfs_audit_read(int dirfd, const char *rel, size_t max, struct pfs_buf *out)
{
	pfs_buf_reset(out);
	/* O_NONBLOCK: an audited tree may hold a FIFO; never block on it. */
	return pfs_read_at_most(dirfd, rel, O_NONBLOCK, max, out);
}

int pfs_audit_read_self(const struct pfs_audit_opts *o, const char *rel, size_t max,
			struct pfs_buf *out)
{
	int r = o->outside ? -ENOENT : pfs_audit_read(o->proc_fd, rel, max, out);
	if (r != -ENOENT)
		return r;
	char alt[256];
	if ((size_t)snprintf(alt, sizeof(alt), "1/%s", rel) >= sizeof(alt))
		return r;
	return pfs_audit_read(o->proc_fd, alt, max, out);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int pfs_audit_list_pids(const struct pfs_audit_opts *o, pid_t **pids, size_t *n)
{
	*pids = NULL;
	*n = 0;
	cleanup_closedir DIR *d = pfs_opendir_at(o->proc_fd, "");
	if (!d)
		return -errno;
	size_t max = o->max_pids ? o->max_pids : 4096, k = 0;
	cleanup_free pid_t *v = calloc(max, sizeof(pid_t));
	if (!v)
		return -ENOMEM;
	for (struct dirent *e; (e = readdir(d)) && k < max;) {
		char *end;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		long p = strtol(e->d_name, &end, 10);
		if (*end || p <= 0 || p > INT_MAX)
			continue;
		v[k++] = (pid_t)p;
	}
	qsort(v, k, sizeof(pid_t), cmp_pid);
	*pids = steal_ptr(v);
	*n = k;
	return 0;
}

pid_t pfs_audit_self(const struct pfs_audit_opts *o)
{
	char buf[32];
	ssize_t n = readlinkat(o->proc_fd, "self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long p = strtol(buf, &end, 10);
	return (*end || p <= 0 || p > INT_MAX) ? 0 : (pid_t)p;
}
