/*
 * What the hook reads: the container's state (the OCI runtime spec's "state",
 * on the hook's stdin) and the bundle's config.json (annotations, the root,
 * the /proc mount's options, maskedPaths and readonlyPaths).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/oci.h"

#define CONFIG_MAX (16u << 20)

static void json_putp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(json_putp)))

int pfs_oci_read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	cleanup_free char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n + 1 == cap) {
			if (cap > max)
				return -EFBIG;
			char *p = realloc(buf, cap * 2);
			if (!p)
				return -ENOMEM;
			buf = p;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*out = steal_ptr(buf);
	*len = n;
	return 0;
}

static int dup_str(json_t *o, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

static int strv_read(json_t *arr, struct pfs_oci_strv *sv)
{
	if (!json_is_array(arr))
		return 0;
	sv->v = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!sv->v)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		const char *p = json_string_value(e);
		if (!p)
			continue;
		sv->v[sv->n] = strdup(p);
		if (!sv->v[sv->n])
			return -ENOMEM;
		sv->n++;
	}
	return 0;
}

static void proc_mount(json_t *mounts, struct pfs_oci_spec *s)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		const char *dst = json_string_value(json_object_get(m, "destination"));
		if (!dst || strcmp(dst, "/proc") != 0)
			continue;
		/* the last mount on /proc is the one a container sees */
		s->has_proc = true;
		s->proc_ro = false;
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(m, "options"), k, o)
		{
			const char *opt = json_string_value(o);
			if (opt && !strcmp(opt, "ro"))
				s->proc_ro = true;
			else if (opt && !strcmp(opt, "rw"))
				s->proc_ro = false;
		}
	}
}

static int read_config(struct pfs_oci_spec *s, struct pfs_error *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/config.json", s->bundle) >= (int)sizeof(path))
		return pfs_err_set(err, ENAMETOOLONG, "bundle path too long");
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pfs_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r = pfs_oci_read_all(fd, CONFIG_MAX, &text, &len);
	if (r < 0)
		return pfs_err_set(err, -r, "cannot read %s: %s", path, strerror(-r));
	json_error_t je;
	cleanup_json json_t *cfg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(cfg))
		return pfs_err_set(err, EINVAL, "%s:%d:%d: not an OCI config: %s", path, je.line,
				   je.column, cfg ? "not an object" : je.text);
	const char *root = json_string_value(json_object_get(json_object_get(cfg, "root"), "path"));
	if (!root)
		return pfs_err_set(err, EINVAL, "%s: no root.path", path);
	if (root[0] == '/')
		s->rootfs = strdup(root);
	else if (asprintf(&s->rootfs, "%s/%s", s->bundle, root) < 0)
		s->rootfs = NULL;
	if (!s->rootfs)
		return -ENOMEM;
	proc_mount(json_object_get(cfg, "mounts"), s);
	json_t *ann = json_object_get(cfg, "annotations");
	json_t *linux_ = json_object_get(cfg, "linux");
	if (dup_str(ann, PFS_OCI_ANN_TENANT, &s->ann_tenant) < 0 ||
	    dup_str(ann, PFS_OCI_ANN_POLICY, &s->ann_policy) < 0 ||
	    strv_read(json_object_get(linux_, "maskedPaths"), &s->masked) < 0 ||
	    strv_read(json_object_get(linux_, "readonlyPaths"), &s->readonly) < 0)
		return -ENOMEM;
	return 0;
}

int pfs_oci_spec_read(const char *state, size_t len, bool with_config, struct pfs_oci_spec *s,
		      struct pfs_error *err)
{
	*s = (struct pfs_oci_spec){0};
	json_error_t je;
	cleanup_json json_t *st = json_loadb(state, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(st))
		return pfs_err_set(err, EINVAL,
				   "stdin:%d:%d: not an OCI state: %s; run this as an OCI hook, "
				   "which gets the container's state on stdin",
				   je.line, je.column, st ? "not an object" : je.text);
	if (dup_str(st, "id", &s->id) < 0 || dup_str(st, "bundle", &s->bundle) < 0)
		return -ENOMEM;
	if (!s->id || !s->bundle || s->bundle[0] != '/')
		return pfs_err_set(err, EINVAL, "the OCI state on stdin lacks id or bundle");
	if (!s->id[0] || strchr(s->id, '/') || s->id[0] == '.')
		return pfs_err_set(err, EINVAL, "container id '%s' is not a plain name", s->id);
	json_int_t pid = json_integer_value(json_object_get(st, "pid"));
	if (pid < 0 || pid > INT_MAX)
		return pfs_err_set(err, EINVAL, "the OCI state has pid %lld", (long long)pid);
	s->pid = (pid_t)pid;
	return with_config ? read_config(s, err) : 0;
}

static void strv_free(struct pfs_oci_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

void pfs_oci_spec_free(struct pfs_oci_spec *s)
{
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->ann_tenant);
	free(s->ann_policy);
	strv_free(&s->masked);
	strv_free(&s->readonly);
	*s = (struct pfs_oci_spec){0};
}
