/* Decisions, attributes, links and writes of the view. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "pfs/nsview.h"
#include "pfs/oracle.h"
#include "view_i.h"

int pfs_loc_init(struct pfs_loc *loc, int dirfd, const char *rel, const char *path)
{
	loc->dirfd = dirfd;
	loc->rel = rel;
	loc->path = path;
	return pfs_ppath_parse(path, &loc->pp);
}

void pfs_view_policy_changed(struct pfs_view *v)
{
	v->policy_uses_self = false;
	for (size_t i = 0; i < v->policy->n_path_rules; i++)
		if (strstr(pfs_glob_pattern(v->policy->path_rules[i].glob), "{self}"))
			v->policy_uses_self = true;
	for (size_t i = 0; i < v->policy->n_content_rules; i++)
		if (strstr(pfs_glob_pattern(v->policy->content_rules[i].path), "{self}"))
			v->policy_uses_self = true;
}

static struct pfs_match_ctx match_ctx(const struct pfs_view *v, struct pfs_caller *c)
{
	struct pfs_match_ctx m = {0};
	if (v->policy_uses_self)
		m.self_tgid = view_caller_tgid(v, c);
	return m;
}

void pfs_view_decide(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		     struct pfs_path_decision *d)
{
	struct pfs_match_ctx m = match_ctx(v, c);
	pfs_policy_decide_path(v->policy, loc->path, &m, d);
	view_memory_decide(v, c, loc, d);
}

/* "fd/3" or "fdinfo/3" below the anchor -> the link "fd/3" relative to it. */
static int fd_entry_hidden(const struct pfs_view *v, const struct pfs_loc *loc)
{
	const char *num = strchr(loc->pp.rest, '/') + 1;
	char rel[64];
	snprintf(rel, sizeof(rel), "fd/%s", num);
	/* The anchor is the pid or tid directory the rest is relative to. */
	const char *base = loc->rel;
	size_t prefix = strlen(base) - strlen(loc->pp.rest);
	char full[256];
	snprintf(full, sizeof(full), "%.*s%s", (int)prefix, base, rel);
	char target[4096];
	ssize_t n = readlinkat(loc->dirfd, full, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EACCES ? 0 : -errno; /* the open as the caller will decide */
	target[n] = '\0';
	return pfs_fd_target_hidden(v->policy, target, NULL) ? -ENOENT : 0;
}

static int map_file_hidden(const struct pfs_view *v, const struct pfs_loc *loc)
{
	if (!v->policy->n_maps_rules)
		return 0;
	const char *range = strchr(loc->pp.rest, '/') + 1;
	size_t prefix = strlen(loc->rel) - strlen(loc->pp.rest);
	char rel[256];
	snprintf(rel, sizeof(rel), "%.*smaps", (int)prefix, loc->rel);
	cleanup_buf struct pfs_buf maps = PFS_BUF_INIT;
	int r = pfs_read_all_at(loc->dirfd, rel, &maps);
	if (r < 0)
		return r;
	bool hidden = false;
	r = pfs_maps_range_hidden(v->policy, maps.data ? maps.data : "", maps.len, range, &hidden);
	if (r < 0)
		return -EIO; /* fail closed */
	return hidden ? -ENOENT : 0;
}

int pfs_view_visible(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		     const struct pfs_path_decision *d)
{
	if (d->action == PFS_ACT_HIDE)
		return -ENOENT;
	const struct pfs_ppath *pp = &loc->pp;
	if (pp->pid) {
		/* task/<tid> belongs to the group of <pid>: one decision covers both */
		int r = pfs_view_pid_visible(v, c, pp->pid);
		if (r < 0)
			return r;
	}
	if (pp->fd_entry && v->policy->n_fd_rules)
		return fd_entry_hidden(v, loc);
	if (pp->map_files_entry)
		return map_file_hidden(v, loc);
	return 0;
}

int pfs_view_reach(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		   enum pfs_reach how, struct pfs_path_decision *d)
{
	pfs_view_decide(v, c, loc, d);
	int r = pfs_view_visible(v, c, loc, d);
	if (r == 0 && how == PFS_REACH_USE && d->action == PFS_ACT_DENY)
		return -EACCES;
	return r;
}

struct stat_args {
	const struct pfs_loc *loc;
	struct stat *st;
};

static int do_stat(void *arg)
{
	struct stat_args *a = arg;
	int flags = AT_SYMLINK_NOFOLLOW | (a->loc->rel[0] ? 0 : AT_EMPTY_PATH);
	return fstatat(a->loc->dirfd, a->loc->rel, a->st, flags) < 0 ? -errno : 0;
}

int pfs_view_stat(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		  struct stat *st)
{
	/* a sysctl entry's name exists in the reader's namespace or not */
	int r = view_enter_ns(v, c, view_ns_needs(v, loc, false) & PFS_NS_SYSCTL);
	if (r < 0)
		return r;
	struct stat_args a = {loc, st};
	if (view_stat_public(v, loc))
		return view_stat_result(v, do_stat(&a), st);
	return view_stat_result(v, view_as_caller_cheap(v, c, loc, PFS_OP_LSTAT, do_stat, &a), st);
}

int view_stat_result(const struct pfs_view *v, int r, struct stat *st)
{
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	st->st_uid = pfs_idmap_in(&v->uidmap, st->st_uid);
	st->st_gid = pfs_idmap_in(&v->gidmap, st->st_gid);
	return 0;
}

int pfs_view_self_link(const struct pfs_view *v, struct pfs_caller *c, bool thread,
		       struct pfs_buf *out)
{
	if (c->tid <= 0)
		return -ENOENT;
	pid_t tgid = view_caller_tgid(v, c);
	if (!tgid)
		return -ENOENT;
	/* readlink of self is every path walk through it: no printf */
	int r = pfs_buf_append_u64(out, (uint64_t)tgid, 0);
	if (r == 0 && thread)
		r = pfs_buf_appends(out, "/task/");
	if (r == 0 && thread)
		r = pfs_buf_append_u64(out, (uint64_t)c->tid, 0);
	return r;
}

struct readlink_args {
	const struct pfs_loc *loc;
	struct pfs_buf *out;
};

/* Process links whose text is a path: fd/N, exe, cwd, root, map_files/RANGE. */
static bool path_link(const struct pfs_ppath *pp)
{
	const char *r = pp->rest;
	return pp->pid && (!strncmp(r, "fd/", 3) || !strncmp(r, "map_files/", 10) ||
			   !strcmp(r, "exe") || !strcmp(r, "cwd") || !strcmp(r, "root"));
}

/*
 * A link to an object outside the reader's root (an inherited descriptor of
 * a host file): the kernel writes its path from the host's root, a host path
 * the sandbox must not learn, and one that a program following the link
 * would resolve to another file or none. Shown instead as a name of the
 * link's own directory, `outside:[INODE]` (view_magic.c), as the kernel
 * names objects that have no path. The text is the reader's: the thread is
 * on the reader's root.
 */
static int hide_outside_path(const struct pfs_loc *loc, struct pfs_buf *out)
{
	if (!path_link(&loc->pp) || out->len < 1 || out->data[0] != '/')
		return 0;
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;
	if (out->len >= dl && !memcmp(out->data + out->len - dl, deleted, dl))
		return 0; /* no path to resolve: the kernel's own text */
	/* our own mount: inside by definition, and a stat would call us back */
	if (out->len >= 5 && !memcmp(out->data, "/proc", 5) &&
	    (out->len == 5 || out->data[5] == '/'))
		return 0;
	struct stat target, named;
	if (fstatat(loc->dirfd, loc->rel, &target, 0) < 0)
		return errno == ESRCH ? -ENOENT : 0;
	cleanup_free char *path = strndup(out->data, out->len);
	if (!path)
		return -ENOMEM;
	if (stat(path, &named) < 0
		    ? (errno != ENOENT && errno != ENOTDIR)
		    : (named.st_dev == target.st_dev && named.st_ino == target.st_ino))
		return 0;
	pfs_buf_reset(out);
	return pfs_buf_printf(out, "%s%lu]", PFS_OUTSIDE_PREFIX, (unsigned long)target.st_ino);
}

static int do_readlink(void *arg)
{
	struct readlink_args *a = arg;
	int r = pfs_readlink_at(a->loc->dirfd, a->loc->rel, a->out);
	return r < 0 ? r : hide_outside_path(a->loc, a->out);
}

int pfs_view_readlink(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		      struct pfs_buf *out)
{
	int r = view_enter_ns(v, c, PFS_NS_ROOT);
	if (r < 0)
		return r;
	struct readlink_args a = {loc, out};
	r = view_as_caller(v, c, loc, PFS_OP_READLINK, do_readlink, &a);
	return r == -ESRCH ? -ENOENT : r;
}

bool pfs_view_is_idmap(const struct pfs_loc *loc)
{
	if (!loc->pp.pid)
		return false;
	const char *r = loc->pp.rest;
	return !strcmp(r, "uid_map") || !strcmp(r, "gid_map") || !strcmp(r, "setgroups");
}

int pfs_view_idmap_io(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		      enum pfs_access_op op, char *data, size_t len)
{
	char rel[64];
	const char *name = strrchr(loc->pp.rest, '/');
	snprintf(rel, sizeof(rel), "%d/%s", (int)(loc->pp.tid ? loc->pp.tid : loc->pp.pid),
		 name ? name + 1 : loc->pp.rest);
	int r = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	return r < 0 ? r : pfs_oracle_io(v->oracle, c, &v->gidmap, rel, op, data, len);
}

int pfs_view_open_check(const struct pfs_view *v, const struct pfs_loc *loc,
			const struct pfs_path_decision *d, int flags)
{
	if (d->action == PFS_ACT_HIDE)
		return -ENOENT;
	if (d->action == PFS_ACT_DENY)
		return -EACCES;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		/*
		 * Nested user namespaces: an id map or setgroups without a rule is
		 * writable in both modes; the kernel lets only a namespace's owner
		 * or its parent's holders set it (docs/compat.md). A policy turns
		 * it off with `readonly`.
		 */
		if (pfs_view_is_idmap(loc) && d->action == PFS_ACT_NONE)
			return 0;
		if (!v->rw || d->action != PFS_ACT_WRITABLE)
			return -EROFS;
	}
	return 0;
}

struct write_args {
	const struct pfs_loc *loc;
	const char *data;
	size_t len;
	off_t off;
	ssize_t written;
};

static int do_write(void *arg)
{
	struct write_args *a = arg;
	cleanup_close int fd = openat(a->loc->dirfd, pfs_rel(a->loc->rel), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Most proc files refuse pwrite (ESPIPE) and ignore the offset: write. */
	a->written = a->off ? pwrite(fd, a->data, a->len, a->off) : write(fd, a->data, a->len);
	return a->written < 0 ? -errno : 0;
}

ssize_t pfs_view_write(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		       const struct pfs_path_decision *d, const char *data, size_t len, off_t off)
{
	int r = view_enter_ns(v, c, view_ns_needs(v, loc, false));
	if (r == 0)
		r = pfs_view_open_check(v, loc, d, O_WRONLY);
	if (r < 0)
		return r;
	if (pfs_view_is_idmap(loc) && v->oracle)
		return pfs_view_idmap_io(v, c, loc, PFS_OP_WRITE, (char *)data, len);
	struct write_args a = {loc, data, len, off, 0};
	r = view_as_caller(v, c, loc, PFS_OP_OPEN_W, do_write, &a);
	return r < 0 ? r : a.written;
}

struct access_args {
	const struct pfs_loc *loc;
	int mask;
};

static int do_access(void *arg)
{
	struct access_args *a = arg;
	/* the effective ids and capabilities, as the kernel's own access(2) uses for us */
	return faccessat(a->loc->dirfd, pfs_rel(a->loc->rel), a->mask,
			 AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0
		       ? -errno
		       : 0;
}

int pfs_view_access(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		    const struct pfs_path_decision *d, int mask)
{
	if (mask & W_OK) {
		int r = pfs_view_open_check(v, loc, d, O_WRONLY);
		if (r < 0)
			return r;
	}
	if (d->action == PFS_ACT_HIDE)
		return -ENOENT;
	if (d->action == PFS_ACT_DENY && mask != F_OK)
		return -EACCES;
	if (mask == F_OK)
		return 0;
	struct access_args a = {loc, mask};
	int r = view_as_caller(v, c, loc, PFS_OP_LSTAT, do_access, &a);
	return r == -ESRCH ? -ENOENT : r;
}

struct probe_args {
	const struct pfs_loc *loc;
	int fd;
};

static int do_open_probe(void *arg)
{
	struct probe_args *a = arg;
	a->fd = openat(a->loc->dirfd, pfs_rel(a->loc->rel), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return a->fd < 0 ? -errno : 0;
}

int pfs_view_open_fd(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc)
{
	struct probe_args a = {loc, -1};
	int r = view_as_caller(v, c, loc, PFS_OP_OPEN_R, do_open_probe, &a);
	return r == -ESRCH ? -ENOENT : r < 0 ? r : a.fd;
}

int pfs_view_open_probe(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc)
{
	int fd = pfs_view_open_fd(v, c, loc);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

bool pfs_view_random_access(const struct pfs_loc *loc)
{
	return loc->pp.pid && (!strcmp(loc->pp.rest, "mem") || !strcmp(loc->pp.rest, "pagemap"));
}

bool pfs_view_change_events(const struct pfs_loc *loc)
{
	/* mountstats has no poll operation in the kernel: always ready */
	static const char *const tables[] = {"mounts", "mountinfo"};
	for (size_t i = 0; loc->pp.pid && i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(loc->pp.rest, tables[i]))
			return true;
	return false;
}
