/* Directory listings of the view: the backing's entries minus what the caller may not see. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "pfs/nsview.h"
#include "view_i.h"

struct open_args {
	const struct pfs_loc *loc;
	int fd;
	struct pfs_buf *entries; /* set: keep what was read (linux_dirent64 records) */
};

/*
 * Opens the directory and reads it through once, as the caller: some
 * directories check at readdir, not at open (map_files/ makes its ptrace check
 * after the dots). A listing keeps the entries of that reading; a check
 * rewinds the directory for whoever lists it next.
 */
static int do_opendir(void *arg)
{
	struct open_args *a = arg;
	a->fd = openat(a->loc->dirfd, pfs_rel(a->loc->rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->fd < 0)
		return -errno;
	char buf[8192];
	long n;
	int r = 0;
	while (r == 0 && (n = syscall(SYS_getdents64, a->fd, buf, sizeof(buf))) > 0)
		if (a->entries)
			r = pfs_buf_append(a->entries, buf, (size_t)n);
	if (r == 0 && (n < 0 || (!a->entries && lseek(a->fd, 0, SEEK_SET) < 0)))
		r = -errno;
	if (r < 0) {
		close(a->fd);
		a->fd = -1;
	}
	return r;
}

/* A linux_dirent64 record as getdents64 gives it. */
struct raw_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* Whether an entry of dir is visible: builds the child's logical path and decides. */
static int child_visible(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *dir,
			 int dfd, const char *name, const struct pfs_buf *maps,
			 const struct pfs_trace *t)
{
	/* dir->path + "/" + name, without a printf per entry */
	char path[1024];
	size_t dl = strlen(dir->path), nl = strlen(name), n = dl + 1 + nl;
	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir->path, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, name, nl + 1);
	struct pfs_loc child;
	if (pfs_loc_init(&child, dfd, name, path) < 0)
		return -ENOENT;
	struct pfs_path_decision d;
	pfs_view_decide(v, c, &child, &d);
	if (d.action == PFS_ACT_HIDE) {
		pfs_trace_emit(t, PFS_TR_HIDDEN, path, n, d.rule);
		return -ENOENT;
	}
	/*
	 * A pid's own directory entry: only the pid rules decide, and /proc
	 * lists group leaders only. A task/ entry is a thread of the group
	 * whose directory the caller could already open.
	 */
	if (child.pp.pid && !child.pp.tid && !child.pp.rest[0])
		return view_group_visible(v, c, child.pp.pid);
	if (child.pp.tid && !child.pp.rest[0])
		return 0;
	if (child.pp.fd_entry && v->policy->n_fd_rules) {
		char rel[300], target[4096];
		snprintf(rel, sizeof(rel), "../fd/%s", name);
		ssize_t l = readlinkat(dfd, rel, target, sizeof(target) - 1);
		if (l < 0)
			return -ENOENT; /* closed meanwhile */
		target[l] = '\0';
		const struct pfs_rule_src *rule = NULL;
		if (pfs_fd_target_hidden(v->policy, target, &rule)) {
			pfs_trace_emit(t, PFS_TR_HIDDEN, path, n, rule);
			return -ENOENT;
		}
	}
	if (child.pp.map_files_entry && maps) {
		bool hidden = false;
		if (pfs_maps_range_hidden(v->policy, maps->data ? maps->data : "", maps->len, name,
					  &hidden) < 0)
			return -EIO;
		if (hidden)
			return -ENOENT;
	}
	return 0;
}

/*
 * /proc's own entries by the policy's verdicts for them, decided once per
 * policy (pfs_policy_root_entry_shown); what it cannot rule out, and any
 * traced listing, goes through child_visible. The result is the same.
 */
static bool root_entry_shown(const struct pfs_view *v, const struct pfs_loc *dir, const char *name,
			     const struct pfs_trace *t)
{
	return dir->pp.is_root && !t && pfs_policy_root_entry_shown(v->policy, name);
}

static int root_entry_visible(const struct pfs_view *v, struct pfs_caller *c, const char *name)
{
	pid_t pid = pfs_parse_pid(name, strlen(name));
	return pid ? view_group_visible(v, c, pid) : 0;
}

static bool is_map_files_dir(const struct pfs_loc *loc)
{
	return loc->pp.pid && !strcmp(loc->pp.rest, "map_files");
}

int pfs_view_opendir_check(const struct pfs_view *v, struct pfs_caller *c,
			   const struct pfs_loc *loc)
{
	if (loc->pp.is_root)
		return 0; /* /proc itself: anyone opens and reads it (hidepid filters, not refuses) */
	struct open_args a = {loc, -1, NULL};
	int r = view_as_caller(v, c, loc, PFS_OP_OPENDIR, do_opendir, &a);
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	close(a.fd);
	return 0;
}

int pfs_view_list(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		  pfs_dirent_fn fn, void *opaque, const struct pfs_trace *t)
{
	/* /proc/sys/net lists the entries of the reader's network namespace */
	int r = view_enter_ns(v, c, view_ns_needs(v, loc, false) & PFS_NS_SYSCTL);
	if (r < 0)
		return r;
	cleanup_buf struct pfs_buf entries = PFS_BUF_INIT;
	struct open_args a = {loc, -1, &entries};
	r = view_as_caller(v, c, loc, PFS_OP_OPENDIR, do_opendir, &a);
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	cleanup_close int dfd = a.fd;
	cleanup_buf struct pfs_buf maps = PFS_BUF_INIT;
	bool have_maps = false;
	if (is_map_files_dir(loc) && v->policy->n_maps_rules) {
		r = pfs_read_all_at(dfd, "../maps", &maps);
		if (r < 0)
			return r == -ESRCH ? -ENOENT : r;
		have_maps = true;
	}
	size_t at = 0;
	while (at + sizeof(struct raw_dirent) <= entries.len) {
		const struct raw_dirent *de = (const struct raw_dirent *)(entries.data + at);
		if (de->reclen < sizeof(*de) || de->reclen > entries.len - at)
			return -EIO;
		at += de->reclen;
		if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
			continue;
		r = root_entry_shown(v, loc, de->name, t)
			    ? root_entry_visible(v, c, de->name)
			    : child_visible(v, c, loc, dfd, de->name, have_maps ? &maps : NULL, t);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		struct pfs_dirent e = {de->name, (ino_t)de->ino, de->type};
		r = fn(opaque, &e);
		if (r < 0)
			return r;
	}
	return 0;
}
