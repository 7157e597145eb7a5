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
#include <sys/stat.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/nsview.h"
#include "pfs/oracle.h"
#include "pfs/filter.h"
#include "pfs/log.h"
#include "pfs/sysinfo.h"
#include "view_i.h"

struct read_args {
	int dirfd;
	const char *rel;
	struct pfs_buf *out;
	int *kept; /* the file's kept fd (pfs_view_render_kept), or NULL */
	unsigned flags; /* PFS_READ_* */
};

static int do_read(void *arg)
{
	struct read_args *a = arg;
	return pfs_read_whole(a->dirfd, a->rel, a->kept, a->flags, a->out);
}

/*
 * Files the kernel renders with one show into a buffer it grows to fit
 * (single_open): a read given more room than the text returns all of it, so
 * a short read is the end and no second read is needed to see it.
 */
static bool single_record(const struct pfs_ppath *pp)
{
	static const char *const pid_files[] = {"stat", "statm", "status"};
	static const char *const global[] = {"loadavg", "meminfo", "stat", "uptime", "version"};
	const char *const *names = pp->pid ? pid_files : global;
	size_t n = pp->pid ? ARRAY_SIZE(pid_files) : ARRAY_SIZE(global);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pp->rest, names[i]))
			return true;
	return false;
}

/*
 * Files the kernel renders for the reader's user namespace (uid and gid
 * columns, keys, per-userns sysctls, loginuid, id maps of nested
 * namespaces), some also for its IPC, net or pid namespace: *ns. A daemon thread,
 * in the host's user namespace, would read them as the host sees them.
 */
static bool userns_rendered(const struct pfs_ppath *pp, unsigned *ns)
{
	/* uid_map and gid_map: idmap_read, in the caller's own user namespace */
	static const char *const pid_files[] = {"loginuid", "projid_map"};
	static const char *const global[] = {"key-users", "keys"};
	*ns = 0;
	const char *r = pp->rest;
	if (pp->pid) {
		for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++)
			if (!strcmp(r, pid_files[i]))
				return true;
		return !strncmp(r, "net/", 4); /* the target's net ns, through its dir */
	}
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (!strcmp(r, global[i]))
			return true;
	if (!strncmp(r, "sysvipc/", 8)) {
		*ns = PFS_ORACLE_NS_IPC | PFS_ORACLE_NS_PID;
		return true;
	}
	if (!strcmp(r, "loadavg") || !strcmp(r, "sys/kernel/ns_last_pid")) {
		/* the last pid allocated in the reader's pid namespace */
		*ns = PFS_ORACLE_NS_PID | PFS_ORACLE_NS_LAST_PID;
		return true;
	}
	if (!strcmp(r, "sys/net/ipv4/ping_group_range")) {
		*ns = PFS_ORACLE_NS_NET;
		return true;
	}
	return !strncmp(r, "sys/user/", 9);
}

/* Reads rel as the caller; kept: the fd of loc's own file to read through (rel is loc->rel). */
static int read_as_caller(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const char *rel, int *kept, struct pfs_buf *out)
{
	unsigned ns;
	if (v->oracle && rel == loc->rel && userns_rendered(&loc->pp, &ns)) {
		int r = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
		if (r < 0)
			return r;
		return pfs_oracle_render(v->oracle, c, &v->gidmap, loc->dirfd, loc->rel, ns, out);
	}
	bool own = rel == loc->rel;
	struct read_args a = {loc->dirfd, rel, out, kept,
			      own && single_record(&loc->pp) ? PFS_READ_SINGLE : 0};
	return view_as_caller(v, c, loc, PFS_OP_OPEN_R, do_read, &a);
}

/* The path of a sibling file of loc in the same process directory ("smaps" of "smaps_rollup"). */
static int sibling_rel(const struct pfs_loc *loc, const char *sibling, char *rel, size_t size)
{
	size_t base = strlen(loc->rel) - strlen(loc->pp.rest);
	if (base + strlen(sibling) + 1 > size)
		return -ENAMETOOLONG;
	snprintf(rel, size, "%.*s%s", (int)base, loc->rel, sibling);
	return 0;
}

static int read_sibling(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			const char *sibling, struct pfs_buf *out)
{
	char rel[256];
	int r = sibling_rel(loc, sibling, rel, sizeof(rel));
	return r < 0 ? r : read_as_caller(v, c, loc, rel, NULL, out);
}

/* A file read as the caller in pieces of whole lines (pfs_read_lines_at). */
struct lines_args {
	int dirfd;
	const char *rel;
	pfs_lines_fn *fn;
	void *opaque;
};

static int do_read_lines(void *arg)
{
	struct lines_args *a = arg;
	return pfs_read_lines_at(a->dirfd, a->rel, PFS_READ_PIECE, a->fn, a->opaque);
}

struct sibling_ctx {
	const struct pfs_view *v;
	struct pfs_caller *c;
	const struct pfs_loc *loc;
	const struct pfs_buf *mountinfo; /* set: the mountinfo to pair with, drops carried */
};

static int ctx_read_sibling(void *opaque, const char *name, struct pfs_buf *out)
{
	struct sibling_ctx *x = opaque;
	if (x->mountinfo && !strcmp(name, "mountinfo"))
		return pfs_buf_append(out, x->mountinfo->data ? x->mountinfo->data : "",
				      x->mountinfo->len);
	return read_sibling(x->v, x->c, x->loc, name, out);
}

static int ctx_read_sibling_lines(void *opaque, const char *name, pfs_lines_fn *fn, void *fo)
{
	struct sibling_ctx *x = opaque;
	char rel[256];
	int r = sibling_rel(x->loc, name, rel, sizeof(rel));
	struct lines_args a = {x->loc->dirfd, rel, fn, fo};
	return r < 0 ? r : view_as_caller(x->v, x->c, x->loc, PFS_OP_OPEN_R, do_read_lines, &a);
}

static bool ctx_is_self(void *opaque)
{
	struct sibling_ctx *x = opaque;
	return view_caller_tgid(x->v, x->c) == x->loc->pp.pid;
}

/* Whether the process of loc has another root or mount namespace than pid 1. */
static bool foreign_root(const struct pfs_view *v, const struct pfs_loc *loc)
{
	struct stat ref_root, ref_mnt, root, mnt;
	if (v->enter_ns) { /* the held reference: pid 1's links may be closed to us by now */
		if (pfs_ns_reference_stat(v->backing_fd, &ref_root, &ref_mnt.st_ino) < 0)
			return false;
	} else if (fstatat(v->backing_fd, "1/root", &ref_root, 0) < 0 ||
		   fstatat(v->backing_fd, "1/ns/mnt", &ref_mnt, 0) < 0) {
		return false; /* no reference (a fixture tree): texts are all there is */
	}
	size_t base = strlen(loc->rel) - strlen(loc->pp.rest);
	char rel[256];
	snprintf(rel, sizeof(rel), "%.*sroot", (int)base, loc->rel);
	if (fstatat(loc->dirfd, rel, &root, 0) < 0)
		return true;
	snprintf(rel, sizeof(rel), "%.*sns/mnt", (int)base, loc->rel);
	if (fstatat(loc->dirfd, rel, &mnt, 0) < 0)
		return true;
	return root.st_dev != ref_root.st_dev || root.st_ino != ref_root.st_ino ||
	       mnt.st_ino != ref_mnt.st_ino;
}

/* Which mount table a registry row is; -1 for the other kinds. */
static int mount_table_of(const struct pfs_filter_kind *k)
{
	static const char *const names[] = {
		[VIEW_MT_MOUNTINFO] = "mountinfo",
		[VIEW_MT_MOUNTS] = "mounts",
		[VIEW_MT_MOUNTSTATS] = "mountstats",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k->name, names[i]))
			return (int)i;
	return -1;
}

/*
 * A process on another root than the reference has its mount tables rendered
 * against that root: drops are carried over from the reference's table by
 * identity first (view_mounts_by_identity), for the table (into table) and
 * for the mountinfo the filter pairs it with (into mi).
 */
static int carry_mount_drops(const struct pfs_view *v, struct pfs_caller *c,
			     const struct pfs_loc *loc, enum view_mount_table kind, const char *in,
			     size_t len, struct pfs_buf *table, struct pfs_buf *mi)
{
	cleanup_buf struct pfs_buf own = PFS_BUF_INIT, ref = PFS_BUF_INIT;
	int r = kind == VIEW_MT_MOUNTINFO ? pfs_buf_append(&own, in, len)
					  : read_sibling(v, c, loc, "mountinfo", &own);
	if (r == 0)
		r = pfs_read_all_at(v->backing_fd, "1/mountinfo", &ref);
	if (r < 0)
		return r;
	const char *rd = ref.data ? ref.data : "", *m = own.data ? own.data : "";
	r = view_mounts_by_identity(v->policy, rd, ref.len, m, own.len, in, len, kind, table);
	if (r == 0 && kind != VIEW_MT_MOUNTINFO)
		r = view_mounts_by_identity(v->policy, rd, ref.len, m, own.len, m, own.len,
					    VIEW_MT_MOUNTINFO, mi);
	return r;
}

/* The registry's filter k of loc. */
static int filter_by_kind(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const struct pfs_filter_kind *k, const struct pfs_buf *raw,
			  const struct pfs_trace *t, struct pfs_buf *out)
{
	const char *data = raw->data ? raw->data : "";
	size_t len = raw->len;
	struct sibling_ctx x = {v, c, loc, NULL};
	cleanup_buf struct pfs_buf table = PFS_BUF_INIT, mi = PFS_BUF_INIT;
	int mt = mount_table_of(k);
	if (mt >= 0 && v->policy->n_mount_rules && foreign_root(v, loc)) {
		int r = carry_mount_drops(v, c, loc, (enum view_mount_table)mt, data, len, &table,
					  &mi);
		if (r < 0)
			return r;
		data = table.data ? table.data : "";
		len = table.len;
		if (mt != VIEW_MT_MOUNTINFO)
			x.mountinfo = &mi;
	}
	struct pfs_filter_in in = {
		.policy = v->policy,
		.data = data,
		.len = len,
		.uidmap = &v->uidmap,
		.gidmap = &v->gidmap,
		.trace = t,
		.read_sibling = ctx_read_sibling,
		.read_sibling_lines = ctx_read_sibling_lines,
		.is_self = ctx_is_self,
		.ctx = &x,
	};
	return k->filter(&in, out);
}

/*
 * kernel/ns_last_pid and kernel/pid_max are those of the reader's pid
 * namespace: the daemon, outside the sandbox's, would read the host's (a leak
 * of the host's pid counter). pid_max comes from a process inside (pfs run
 * passes it); ns_last_pid is read inside by the oracle (userns_rendered),
 * and without one approximated by the highest pid in the backing.
 * -ENOENT: not one of them, or unknown.
 */
static int pidns_sysctl(const struct pfs_view *v, const struct pfs_loc *loc, struct pfs_buf *out)
{
	if (loc->pp.pid || !v->mount_userns_ino)
		return -ENOENT;
	if (v->oracle && !strcmp(loc->pp.rest, "sys/kernel/ns_last_pid"))
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

/* Whether loc is a file of the caller's own thread (its state is served as running). */
static bool reads_itself(const struct pfs_loc *loc, const struct pfs_caller *c)
{
	pid_t task = loc->pp.tid ? loc->pp.tid : loc->pp.pid;
	return task && task == c->tid;
}

/* An id map as the kernel renders it for the caller's own user namespace. */
static int idmap_read(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		      struct pfs_buf *out)
{
	char data[PFS_ORACLE_WRITE_MAX];
	int n = pfs_view_idmap_io(v, c, loc, PFS_OP_READ_AS, data, sizeof(data));
	return n < 0 ? n : pfs_buf_append(out, data, (size_t)n);
}

/* `sysinfo virtual`: the sandbox's own meminfo, cpuinfo, stat... in place of raw. */
static int virtualise(const struct pfs_view *v, const struct pfs_loc *loc, struct pfs_buf *raw)
{
	if (!v->sysinfo || !v->policy->sysinfo_virtual)
		return 0;
	struct pfs_buf virt = PFS_BUF_INIT;
	const char *in = raw->data ? raw->data : "";
	int r = loc->pp.pid ? pfs_sysinfo_render_pid(v->sysinfo, loc->pp.rest, in, raw->len, &virt)
			    : pfs_sysinfo_render(v->sysinfo, loc->pp.rest, in, raw->len, &virt);
	if (r < 0) {
		pfs_buf_free(&virt);
		return r == -ENOENT ? 0 : r;
	}
	pfs_buf_free(raw);
	*raw = virt;
	return 0;
}

/*
 * A render's end: on an error nothing is served, and a filter's is EIO (fail
 * closed); on success out is a NUL-terminated string, empty ones too.
 */
static int render_result(const struct pfs_loc *loc, int r, struct pfs_buf *out)
{
	if (r == 0)
		return pfs_buf_append(out, "", 0);
	pfs_buf_reset(out);
	if (r == -EBADMSG || r == -EINVAL) {
		pfs_err("%s: filter could not parse the backing content; not served "
			"(fail closed)",
			loc->path);
		return -EIO;
	}
	return r;
}

/*
 * A file the registry filters a piece at a time (maps, smaps, numa_maps) is
 * filtered as it is read: the render holds its output and one piece of the
 * backing (PFS_READ_PIECE), never the whole raw text beside the filtered copy.
 * The line rules, when they work line by line, apply to each piece's output.
 */
struct stream_args {
	const struct pfs_loc *loc;
	pfs_filter_piece_fn *piece;
	struct pfs_filter_piece f;
	bool line_rules;
	struct pfs_match_ctx m;
	struct pfs_buf tmp; /* a piece's filtered lines, for the line rules */
	struct pfs_buf *out;
	bool filter_failed; /* the error is the filter's, not the read's */
};

static int stream_piece(void *opaque, const char *lines, size_t len)
{
	struct stream_args *a = opaque;
	int r;
	if (!a->line_rules) {
		r = a->piece(&a->f, lines, len, a->out);
	} else {
		pfs_buf_reset(&a->tmp);
		r = a->piece(&a->f, lines, len, &a->tmp);
		if (r == 0)
			r = pfs_filter_lines(a->f.policy, a->loc->path, &a->m,
					     a->tmp.data ? a->tmp.data : "", a->tmp.len, a->out,
					     a->f.trace);
	}
	a->filter_failed = r < 0;
	return r;
}

/*
 * The piece filter of loc if its render can be streamed, else NULL. The
 * streamed kinds show no process name (view_rendered_visible), are neither
 * virtualised (sysinfo) nor rewritten for the reader's own task (waits,
 * running): the raw text has no other use than the filter's.
 */
static pfs_filter_piece_fn *streamed(const struct pfs_view *v, const struct pfs_caller *c,
				     const struct pfs_loc *loc, const struct pfs_path_decision *d,
				     const struct pfs_filter_kind *k)
{
	struct pfs_match_ctx m = {.self_tgid = c->tgid};
	unsigned ns;
	if (!k || !k->piece || (v->oracle && userns_rendered(&loc->pp, &ns)))
		return NULL;
	if (d->has_line_rules && !pfs_filter_lines_per_line(v->policy, loc->path, &m))
		return NULL; /* a REPLACE rule: the whole text is replaced */
	return k->piece;
}

static int render_streamed(const struct pfs_view *v, struct pfs_caller *c,
			   const struct pfs_loc *loc, const struct pfs_path_decision *d,
			   pfs_filter_piece_fn *piece, const struct pfs_trace *t,
			   struct pfs_buf *out)
{
	struct stream_args a = {
		.loc = loc,
		.piece = piece,
		.f = {v->policy, t, 0},
		.line_rules = d->has_line_rules,
		.m = {.self_tgid = c->tgid},
		.tmp = PFS_BUF_INIT,
		.out = out,
	};
	struct lines_args la = {loc->dirfd, loc->rel, stream_piece, &a};
	int r = view_as_caller(v, c, loc, PFS_OP_OPEN_R, do_read_lines, &la);
	pfs_buf_free(&a.tmp);
	if (r < 0 && !a.filter_failed) {
		pfs_buf_reset(out); /* the read's error, as an unfiltered render gives it */
		return r;
	}
	return render_result(loc, r, out);
}

static int render(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		  const struct pfs_path_decision *d, const struct pfs_trace *t, int *kept,
		  struct pfs_buf *out)
{
	pfs_buf_reset(out);
	int r = view_enter_ns(v, c, view_ns_needs(v, loc, false));
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
	const struct pfs_filter_kind *k = pfs_filter_kind_of(&loc->pp);
	pfs_filter_piece_fn *piece = streamed(v, c, loc, d, k);
	if (piece)
		return render_streamed(v, c, loc, d, piece, t, out);
	cleanup_buf struct pfs_buf raw = PFS_BUF_INIT;
	r = pidns_sysctl(v, loc, &raw);
	if (r == -ENOENT && pfs_view_is_idmap(loc) && v->oracle)
		r = idmap_read(v, c, loc, &raw);
	else if (r == -ENOENT)
		r = read_as_caller(v, c, loc, loc->rel, kept, &raw);
	if (r == 0)
		r = view_rendered_visible(v, c, loc, raw.data, raw.len);
	if (r == 0)
		r = virtualise(v, loc, &raw);
	const char *name = strrchr(loc->pp.rest, '/');
	name = name ? name + 1 : loc->pp.rest;
	pid_t task = loc->pp.tid ? loc->pp.tid : loc->pp.pid;
	if (r == 0 && task > 0 && v->waits)
		r = pfs_filter_fuse_waits(name, pfs_waits_of(v->waits, task), reads_itself(loc, c),
					  &raw);
	if (r == 0 && reads_itself(loc, c))
		r = pfs_filter_running_self(name, &raw);
	if (r < 0)
		return r;
	cleanup_buf struct pfs_buf filtered = PFS_BUF_INIT;
	if (k && k->filter) {
		r = filter_by_kind(v, c, loc, k, &raw, t, &filtered);
	} else if (raw.len + 1 > raw.cap / 2) {
		/* served as read: the raw text itself, not a copy beside it */
		filtered = raw;
		raw = (struct pfs_buf)PFS_BUF_INIT;
	} else { /* a copy is smaller than the read's buffer (16 KiB for a 1 KiB status) */
		r = pfs_buf_append(&filtered, raw.data ? raw.data : "", raw.len);
	}
	if (r == 0 && d->has_line_rules) {
		struct pfs_match_ctx m = {.self_tgid = c->tgid};
		r = pfs_filter_lines(v->policy, loc->path, &m, filtered.data ? filtered.data : "",
				     filtered.len, out, t);
	} else if (r == 0) {
		pfs_buf_free(out);
		*out = filtered;
		filtered = (struct pfs_buf)PFS_BUF_INIT;
	}
	return render_result(loc, r, out);
}

int pfs_view_render(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
		    const struct pfs_path_decision *d, const struct pfs_trace *t,
		    struct pfs_buf *out)
{
	return render(v, c, loc, d, t, NULL, out);
}

int pfs_view_render_kept(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			 const struct pfs_path_decision *d, int *kept, struct pfs_buf *out)
{
	/*
	 * A mount table binds the reader's root at open and is filtered by
	 * paths relative to the root the process has now: it is opened afresh.
	 * The other large kinds are read in pieces, not through one fd.
	 */
	const struct pfs_filter_kind *k = pfs_filter_kind_of(&loc->pp);
	return render(v, c, loc, d, NULL, k && k->large ? NULL : kept, out);
}
