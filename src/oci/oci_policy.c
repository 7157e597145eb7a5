/*
 * The container's policy: chosen by annotation or the hook's configuration,
 * then extended with the container's OCI maskedPaths and readonlyPaths. The
 * runtime makes those as bind mounts on its kernel procfs, which the FUSE
 * /proc covers (or, for runtimes that mask later, on top of the FUSE mount):
 * the policy carries them either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/oci.h"
#include "pfs/policy.h"

static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || (n == 1 && dir[0] == '/'));
}

/* The file the annotation or the configuration names, not yet checked. */
static int pick(const struct pfs_oci_config *c, const struct pfs_oci_spec *s, char **out,
		const char **why, struct pfs_error *err)
{
	if (s->ann_tenant && s->ann_policy)
		return pfs_err_set(err, EINVAL,
				   "annotations %s and %s are both set; keep one of them",
				   PFS_OCI_ANN_TENANT, PFS_OCI_ANN_POLICY);
	const char *tenant = s->ann_tenant ? s->ann_tenant : s->ann_policy ? NULL : c->tenant;
	*why = s->ann_tenant   ? "annotation " PFS_OCI_ANN_TENANT
	       : s->ann_policy ? "annotation " PFS_OCI_ANN_POLICY
	       : c->tenant     ? "configured tenant"
			       : "configured default policy";
	if (tenant) {
		cleanup_free char *tdir = NULL;
		if (asprintf(&tdir, "%s/tenants", c->policy_dir) < 0)
			return -ENOMEM;
		int r = pfs_policy_tenant_path(tdir, tenant, out, err);
		if (r < 0)
			return pfs_err_prefix(err, "%s", *why);
		if (access(*out, R_OK) < 0)
			return pfs_err_set(err, ENOENT,
					   "%s: unknown tenant '%s': %s does not exist; create it "
					   "or fix the name",
					   *why, tenant, *out);
		return 0;
	}
	const char *p = s->ann_policy ? s->ann_policy : c->policy;
	if (p[0] == '/')
		*out = strdup(p);
	else if (asprintf(out, "%s/%s", c->policy_dir, p) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

int pfs_oci_policy_resolve(const struct pfs_oci_config *c, const struct pfs_oci_spec *s,
			   char **path, struct pfs_error *err)
{
	cleanup_free char *file = NULL;
	const char *why = NULL;
	int r = pick(c, s, &file, &why, err);
	if (r < 0)
		return r;
	cleanup_free char *abs = realpath(file, NULL);
	if (!abs)
		return pfs_err_set(err, errno, "%s: policy '%s': %s; check the name", why, file,
				   strerror(errno));
	if (s->ann_policy && !c->policy_any_path) {
		cleanup_free char *dir = realpath(c->policy_dir, NULL);
		if (!dir || !under_dir(abs, dir))
			return pfs_err_set(err, EPERM,
					   "%s: policy '%s' is outside the policy directory %s; "
					   "put it there, or set `policy-annotation = any`",
					   why, file, c->policy_dir);
	}
	struct pfs_policy *p = NULL;
	r = pfs_policy_load(abs, &p, err);
	if (r < 0)
		return pfs_err_prefix(err, "%s: policy '%s'", why, abs);
	pfs_policy_free(p);
	*path = steal_ptr(abs);
	return 0;
}

/*
 * A container path as a policy glob: glob characters escaped; blanks,
 * controls, quotes and backslashes have no safe spelling in a bare word.
 */
static int glob_word(const char *path, char *out, size_t size, struct pfs_error *err)
{
	size_t n = 0;
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= ' ' || ch == 0x7f || ch == '"' || ch == '\\')
			return pfs_err_set(err, EINVAL,
					   "OCI path '%s' cannot be written as a policy rule; "
					   "remove it from maskedPaths/readonlyPaths",
					   path);
		if (strchr("*?[]{}", ch) && n + 1 < size)
			out[n++] = '\\';
		if (n + 1 >= size)
			return pfs_err_set(err, ENAMETOOLONG, "OCI path '%s' too long", path);
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return 0;
}

/* Paths below /proc, relative to it ("" for /proc itself); NULL otherwise. */
static const char *in_proc(const char *path)
{
	if (strncmp(path, "/proc", 5) != 0 || (path[5] && path[5] != '/'))
		return NULL;
	path += 5;
	while (*path == '/')
		path++;
	return path;
}

static int write_masks(FILE *f, const struct pfs_oci_strv *sv, bool masked, int backing_fd,
		       struct pfs_error *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		const char *rel = in_proc(sv->v[i]);
		if (!rel)
			continue;
		char g[PATH_MAX * 2];
		int r = glob_word(sv->v[i], g, sizeof(g), err);
		if (r < 0)
			return r;
		struct stat st;
		if (fstatat(backing_fd, *rel ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* absent here: the runtimes skip it too */
		bool dir = S_ISDIR(st.st_mode);
		if (!masked)
			fprintf(f, "readonly %s%s\n", g, dir ? "/**" : "");
		else if (dir)
			fprintf(f, "hide %s/*/**\n", g);
		else
			fprintf(f, "empty %s\n", g);
	}
	return 0;
}

int pfs_oci_policy_write(FILE *f, const char *base, const struct pfs_oci_spec *s, int backing_fd,
			 struct pfs_error *err)
{
	fprintf(f, "# procfilterfs policy of OCI container %s, written by pfs oci-hook\ninclude \"",
		s->id);
	for (const char *p = base; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n# the container's linux.maskedPaths\n", f);
	int r = write_masks(f, &s->masked, true, backing_fd, err);
	if (r == 0) {
		fputs("# the container's linux.readonlyPaths\n", f);
		r = write_masks(f, &s->readonly, false, backing_fd, err);
	}
	if (r == 0 && fflush(f) != 0)
		r = pfs_err_set(err, errno, "cannot write the container's policy: %s",
				strerror(errno));
	return r;
}
