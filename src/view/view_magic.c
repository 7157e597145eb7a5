/*
 * Relative link texts. A readlink of fd/N or ns/TYPE can be `pipe:[123]`,
 * `socket:[456]`, `anon_inode:[eventfd]` or `pid:[4026531836]`: when a
 * program follows such a link (stat, open), the kernel resolves the text in
 * the same directory and asks the daemon for that name. The name stands for
 * the link whose text it is; its identity is what the kernel's stat through
 * the link gives.
 *
 * A relay name `fd:N` stands for the entry fd/N itself. The daemon gives it
 * as the link text to a caller that follows an fd/N whose absolute text does
 * not reach the same object from the caller's root (a file outside it, a
 * deleted file, a memfd): the kernel then looks the name up here instead of
 * opening whatever file has that path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "view_i.h"

bool pfs_view_is_magic_name(const struct pfs_loc *dir, const char *name)
{
	const char *r = dir->pp.rest;
	if (!dir->pp.pid || (strcmp(r, "fd") != 0 && strcmp(r, "ns") != 0))
		return false;
	const char *colon = strchr(name, ':');
	return colon && colon != name && !strchr(name, '/');
}

#define RELAY_PREFIX "fd:"

/* The fd number of a relay name, or NULL. */
static const char *relay_entry(const struct pfs_loc *dir, const char *name)
{
	if (strcmp(dir->pp.rest, "fd") != 0 || strncmp(name, RELAY_PREFIX, 3) != 0)
		return NULL;
	const char *num = name + strlen(RELAY_PREFIX);
	if (!*num || strspn(num, "0123456789") != strlen(num) || strlen(num) > 10)
		return NULL;
	return num;
}

int pfs_view_relay_name(const char *entry, struct pfs_buf *out)
{
	pfs_buf_reset(out);
	return pfs_buf_printf(out, RELAY_PREFIX "%s", entry);
}

int pfs_view_link_reaches(const struct pfs_loc *link, const char *text)
{
	struct stat want, got;
	if (fstatat(link->dirfd, link->rel, &want, 0) < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	if (stat(text, &got) < 0)
		return 0;
	return want.st_dev == got.st_dev && want.st_ino == got.st_ino;
}

struct magic_args {
	const struct pfs_loc *dir;
	const char *name;
	char *entry;
	size_t entry_len;
	struct stat *st;
};

static int do_resolve(void *arg)
{
	struct magic_args *a = arg;
	const char *num = relay_entry(a->dir, a->name);
	if (num) {
		char rel[512];
		snprintf(rel, sizeof(rel), "%s%s%s", a->dir->rel, a->dir->rel[0] ? "/" : "", num);
		if (fstatat(a->dir->dirfd, rel, a->st, 0) < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		snprintf(a->entry, a->entry_len, "%s", num);
		return 0;
	}
	cleanup_closedir DIR *d = pfs_opendir_at(a->dir->dirfd, a->dir->rel);
	if (!d)
		return -errno;
	int dfd = dirfd(d);
	size_t want = strlen(a->name), pl = strlen(PFS_OUTSIDE_PREFIX);
	/* outside:[INODE] names a path link by its target (view.c) */
	bool outside = want > pl && !strncmp(a->name, PFS_OUTSIDE_PREFIX, pl);
	unsigned long ino = outside ? strtoul(a->name + pl, NULL, 10) : 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char text[256];
		ssize_t n = readlinkat(dfd, de->d_name, text, sizeof(text));
		if (n < 0)
			continue;
		if (outside ? text[0] != '/'
			    : (size_t)n != want || memcmp(text, a->name, want) != 0)
			continue;
		if (fstatat(dfd, de->d_name, a->st, 0) < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		if (outside && a->st->st_ino != ino)
			continue;
		snprintf(a->entry, a->entry_len, "%s", de->d_name);
		return 0;
	}
	return -ENOENT;
}

int pfs_view_magic_lookup(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *dir,
			  const char *name, char *entry, size_t entry_len, struct stat *st)
{
	struct pfs_path_decision d;
	int r = pfs_view_reach(v, c, dir, PFS_REACH_USE, &d);
	if (r < 0)
		return r;
	if (!strcmp(dir->pp.rest, "fd") && v->policy->n_fd_rules &&
	    pfs_fd_target_hidden(v->policy, name, NULL))
		return -ENOENT;
	struct magic_args a = {dir, name, entry, entry_len, st};
	r = view_stat_result(v, view_as_caller(v, c, dir, PFS_OP_OPENDIR, do_resolve, &a), st);
	if (r < 0 || strcmp(dir->pp.rest, "fd") != 0 || !v->policy->n_fd_rules)
		return r;
	/* a target the fd rules hide is as absent by name as by number */
	char rel[512], target[4096];
	snprintf(rel, sizeof(rel), "%s%s%s", dir->rel, dir->rel[0] ? "/" : "", entry);
	ssize_t n = readlinkat(dir->dirfd, rel, target, sizeof(target) - 1);
	if (n >= 0)
		target[n] = '\0';
	return pfs_fd_target_hidden(v->policy, n >= 0 ? target : NULL, NULL) ? -ENOENT : 0;
}

struct magic_open_args {
	const struct pfs_loc *dir;
	const char *entry;
	int flags;
	int fd;
};

static int do_magic_open(void *arg)
{
	struct magic_open_args *a = arg;
	char rel[512];
	snprintf(rel, sizeof(rel), "%s%s%s", a->dir->rel, a->dir->rel[0] ? "/" : "", a->entry);
	a->fd = openat(a->dir->dirfd, rel, a->flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return a->fd < 0 ? -errno : 0;
}

int pfs_view_magic_open(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *dir,
			const char *entry, int flags)
{
	struct magic_open_args a = {dir, entry, flags & (O_ACCMODE | O_APPEND | O_TRUNC), -1};
	int r = view_as_caller(v, c, dir, PFS_OP_OPENDIR, do_magic_open, &a);
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	return a.fd;
}
