/* Loading policies: files, strings, includes (relative, cycle-checked). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "policy_i.h"

/* Lexically normalises a path: drops "." and empty components, folds "x/..". */
static char *normalize_path(const char *path)
{
	char *out = malloc(strlen(path) + 2);
	if (!out)
		return NULL;
	bool abs = path[0] == '/';
	size_t o = 0, keep = 0; /* out[0, keep) is never folded: "/" or leading ".." */
	if (abs)
		out[o++] = '/', keep = 1;
	for (const char *s = path; *s;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchrnul(s, '/');
		size_t len = (size_t)(e - s);
		bool dotdot = len == 2 && s[0] == '.' && s[1] == '.';
		if (dotdot && o > keep) {
			while (o > keep && out[o - 1] != '/')
				o--;
			if (o > keep)
				o--;
		} else if (!(len == 1 && s[0] == '.') && !(dotdot && abs)) {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
			if (dotdot)
				keep = o;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/*
 * Reads a regular file of at most PFS_POLICY_MAX_SIZE; *st gets its identity.
 * O_NONBLOCK: a FIFO named by mistake must not hang the load (it is refused).
 */
static int read_policy_file(const char *path, char **text, size_t *len, struct stat *st)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_size > (off_t)PFS_POLICY_MAX_SIZE)
		return -EFBIG;
	cleanup_free char *buf = malloc((size_t)st->st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	for (;;) {
		if (n > PFS_POLICY_MAX_SIZE)
			return -EFBIG;
		ssize_t r = read(fd, buf + n, (size_t)st->st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == (size_t)st->st_size + 1)
			return -EFBIG; /* grew while reading */
	}
	buf[n] = '\0';
	*text = steal_ptr(buf);
	*len = n;
	return 0;
}

static const char *why(int r)
{
	switch (r) {
	case -EINVAL:
		return "not a regular file";
	case -EFBIG:
		return "larger than 1 MiB";
	default:
		return strerror(-r);
	}
}

/* Loads path (already normalised) into ld; lx/col locate the include, or lx is NULL. */
static int load_file(struct ploader *ld, const char *path, const struct plex *lx, unsigned col)
{
	if (lx && ld->depth >= PFS_POLICY_MAX_DEPTH)
		return plex_error(lx, col, "includes nested deeper than %d; flatten them",
				  PFS_POLICY_MAX_DEPTH);
	cleanup_free char *text = NULL;
	size_t len = 0;
	struct stat st = {0};
	int r = read_policy_file(path, &text, &len, &st);
	if (r < 0 && lx)
		return plex_error(lx, col,
				  "cannot include '%s': %s; includes are relative to the including "
				  "file's directory",
				  path, why(r));
	if (r < 0)
		return pfs_err_set(ld->err, -r, "%s: cannot load policy: %s; check the path", path,
				   why(r));
	for (size_t i = 0; lx && i < ld->depth; i++)
		if (ld->stack[i].dev == st.st_dev && ld->stack[i].ino == st.st_ino)
			return plex_error(lx, col,
					  "include cycle: '%s' is already being loaded; remove "
					  "this include",
					  path);
	cleanup_free char *dir = dir_of(path);
	if (!dir)
		return -ENOMEM;
	ld->stack[ld->depth].dev = st.st_dev;
	ld->stack[ld->depth].ino = st.st_ino;
	ld->depth++;
	r = pfs_policy_parse_text(ld, path, text, len, dir);
	ld->depth--;
	return r;
}

static int load_include(struct ploader *ld, const struct plex *lx, unsigned col, const char *rel,
			const char *base_dir)
{
	if (!base_dir)
		return plex_error(lx, col,
				  "include is not available in a policy given as a string with no "
				  "directory; load the policy from a file");
	cleanup_free char *joined = NULL;
	if (rel[0] == '/')
		joined = strdup(rel);
	else if (asprintf(&joined, "%s/%s", base_dir, rel) < 0)
		joined = NULL;
	if (!joined)
		return -ENOMEM;
	cleanup_free char *path = normalize_path(joined);
	if (!path)
		return -ENOMEM;
	return load_file(ld, path, lx, col);
}

/* A loaded policy's index, with the verdicts a listing of /proc uses. */
static int index_policy(struct pfs_policy *p)
{
	int r = pfs_policy_build_index(p);
	if (r == 0)
		pfs_policy_index_root_verdicts(p, pfs_policy_hides_for_everyone);
	return r;
}

int pfs_policy_load(const char *path, struct pfs_policy **out, struct pfs_error *err)
{
	*out = NULL;
	struct pfs_policy *p = NULL;
	int r = pfs_policy_new_empty(&p);
	if (r < 0)
		return r;
	cleanup_free char *norm = normalize_path(path);
	struct ploader ld = {.p = p, .err = err, .include = load_include};
	r = norm ? load_file(&ld, norm, NULL, 0) : -ENOMEM;
	if (r == 0)
		r = index_policy(p);
	if (r < 0) {
		pfs_policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int pfs_policy_load_string(const char *name, const char *text, struct pfs_policy **out,
			   struct pfs_error *err)
{
	*out = NULL;
	struct pfs_policy *p = NULL;
	int r = pfs_policy_new_empty(&p);
	if (r < 0)
		return r;
	cleanup_free char *dir = strchr(name, '/') ? dir_of(name) : NULL;
	struct ploader ld = {.p = p, .err = err, .include = load_include};
	if (strchr(name, '/') && !dir)
		r = -ENOMEM;
	else
		r = pfs_policy_parse_text(&ld, name, text, strlen(text), dir);
	if (r == 0)
		r = index_policy(p);
	if (r < 0) {
		pfs_policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}
