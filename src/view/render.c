/*
 * Open-time content: read the backing file as the caller, then filter it.
 * The structure is fail-closed: the raw content lives in its own buffer and
 * only a filter's output (or the raw content of a file no filter claims)
 * reaches the caller's snapshot. A filter error is EIO, never raw content.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "pfs/log.h"
#include "view_i.h"

struct read_args {
	int dirfd;
	const char *rel;
	struct pfs_buf *out;
};

static int do_read(void *arg)
{
	struct read_args *a = arg;
	return pfs_read_all_at(a->dirfd, a->rel, a->out);
}

static int read_as_caller(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const char *rel, struct pfs_buf *out)
{
	struct read_args a = {loc->dirfd, rel, out};
	return view_as_caller(v, c, loc, PFS_OP_OPEN_R, do_read, &a);
}

/* A sibling file of loc in the same process directory ("smaps" of "smaps_rollup"). */
static int read_sibling(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			const char *sibling, struct pfs_buf *out)
{
	size_t base = strlen(loc->rel) - strlen(loc->pp.rest);
	char rel[256];
	if (base + strlen(sibling) + 1 > sizeof(rel))
		return -ENAMETOOLONG;
	snprintf(rel, sizeof(rel), "%.*s%s", (int)base, loc->rel, sibling);
	return read_as_caller(v, c, loc, rel, out);
}

/*
 * mounts and mountstats lack fields that rules may match (root, options):
 * decide with the mountinfo read alongside, so the three tables agree.
 */
static int filter_mount_table(const struct pfs_view *v, struct pfs_caller *c,
			      const struct pfs_loc *loc, const struct pfs_buf *raw, bool stats,
			      const struct pfs_trace *t, struct pfs_buf *out)
{
	const struct pfs_policy *p = v->policy;
	const char *in = raw->data ? raw->data : "";
	if (!p->n_mount_rules)
		return pfs_buf_append(out, in, raw->len);
	cleanup_buf struct pfs_buf mi = PFS_BUF_INIT;
	int r = read_sibling(v, c, loc, "mountinfo", &mi);
	if (r < 0)
		return r;
	const char *mid = mi.data ? mi.data : "";
	if (stats)
		return pfs_filter_mountstats_paired(p, in, raw->len, mid, mi.len, out, t);
	return pfs_filter_mounts_paired(p, in, raw->len, mid, mi.len, out, t);
}

static int filter_by_kind(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const struct pfs_buf *raw, const struct pfs_trace *t, struct pfs_buf *out)
{
	const struct pfs_policy *p = v->policy;
	const char *in = raw->data ? raw->data : "";
	switch (pfs_file_kind(&loc->pp)) {
	case PFS_FK_MOUNTINFO:
		return pfs_filter_mountinfo(p, in, raw->len, out, t);
	case PFS_FK_MOUNTS:
		return filter_mount_table(v, c, loc, raw, false, t, out);
	case PFS_FK_MOUNTSTATS:
		return filter_mount_table(v, c, loc, raw, true, t, out);
	case PFS_FK_STATUS:
		return pfs_filter_status_ids(&v->uidmap, &v->gidmap, in, raw->len, out);
	case PFS_FK_MAPS:
		return pfs_filter_maps(p, in, raw->len, out, t);
	case PFS_FK_SMAPS:
		return pfs_filter_smaps(p, in, raw->len, out, t);
	case PFS_FK_NUMA_MAPS:
		return pfs_filter_numa_maps(p, in, raw->len, out, t);
	case PFS_FK_SMAPS_ROLLUP: {
		if (!p->n_maps_rules)
			return pfs_buf_append(out, in, raw->len);
		cleanup_buf struct pfs_buf smaps = PFS_BUF_INIT;
		int r = read_sibling(v, c, loc, "smaps", &smaps);
		if (r < 0)
			return r;
		return pfs_filter_smaps_rollup(p, in, raw->len, smaps.data ? smaps.data : "",
					       smaps.len, out, t);
	}
	case PFS_FK_ENVIRON: {
		bool is_self = view_caller_tgid(v, c) == loc->pp.pid;
		return pfs_filter_environ(p, in, raw->len, is_self, out, t);
	}
	case PFS_FK_PLAIN:
		break;
	}
	return pfs_buf_append(out, in, raw->len);
}

/*
 * kernel/ns_last_pid and kernel/pid_max are those of the reader's pid
 * namespace: the daemon, outside the sandbox's, would read the host's (a leak
 * of the host's pid counter). pid_max comes from a process inside (pfs run
 * passes it); ns_last_pid is approximated by the highest pid in the backing.
 * -ENOENT: not one of them, or unknown.
 */
static int pidns_sysctl(const struct pfs_view *v, const struct pfs_loc *loc, struct pfs_buf *out)
{
	if (loc->pp.pid || !v->mount_userns_ino)
		return -ENOENT;
	if (!strcmp(loc->pp.rest, "sys/kernel/pid_max"))
		return v->pidns_pid_max ? pfs_buf_printf(out, "%lu\n", v->pidns_pid_max) : -ENOENT;
	if (strcmp(loc->pp.rest, "sys/kernel/ns_last_pid") != 0)
		return -ENOENT;
	int dfd = openat(v->backing_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	long max = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		long p = pfs_parse_pid(de->d_name, strlen(de->d_name));
		if (p > max)
			max = p;
	}
	closedir(d);
	return pfs_buf_printf(out, "%ld\n", max);
}

int pfs_view_render(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		    const struct pfs_path_decision *d, const struct pfs_trace *t,
		    struct pfs_buf *out)
{
	pfs_buf_reset(out);
	int r = view_enter_ns(v, c, view_ns_needs(loc, false));
	if (r < 0)
		return r;
	if (d->action == PFS_ACT_HIDE)
		return -ENOENT;
	if (d->action == PFS_ACT_DENY)
		return -EACCES;
	if (d->action == PFS_ACT_EMPTY) {
		pfs_trace_emit(t, PFS_TR_REPLACED, loc->path, strlen(loc->path), d->rule);
		return 0;
	}
	if (d->replace) {
		pfs_trace_emit(t, PFS_TR_REPLACED, loc->path, strlen(loc->path), &d->replace->src);
		return pfs_buf_append(out, d->replace->text, d->replace->text_len);
	}
	cleanup_buf struct pfs_buf raw = PFS_BUF_INIT;
	r = pidns_sysctl(v, loc, &raw);
	if (r == -ENOENT)
		r = read_as_caller(v, c, loc, loc->rel, &raw);
	if (r < 0)
		return r;
	cleanup_buf struct pfs_buf filtered = PFS_BUF_INIT;
	r = filter_by_kind(v, c, loc, &raw, t, &filtered);
	if (r == 0 && d->has_line_rules) {
		struct pfs_match_ctx m = {.self_tgid = c->tgid};
		r = pfs_filter_lines(v->policy, loc->path, &m, filtered.data ? filtered.data : "",
				     filtered.len, out, t);
	} else if (r == 0) {
		pfs_buf_free(out);
		*out = filtered;
		filtered = (struct pfs_buf)PFS_BUF_INIT;
	}
	if (r < 0) {
		pfs_buf_reset(out);
		if (r == -EBADMSG || r == -EINVAL) {
			pfs_err("%s: filter could not parse the backing content; not served "
				"(fail closed)",
				loc->path);
			return -EIO;
		}
		return r;
	}
	return 0;
}
