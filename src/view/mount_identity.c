/*
 * Mount tables of a process whose root is not the reference's (pid 1's).
 * The kernel renders a process's mount table against that process's own
 * root and namespace: after its own chroot or pivot_root the mount points
 * are texts that `mount drop target=` never matches. The drops are therefore
 * decided on the reference's table, and carried over by identity: the device
 * and the directory of it a mount shows (mountinfo fields 3 and 4). A mount
 * of the process that shows a dropped mount's directory, or one below it, is
 * dropped with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/filter.h"
#include "pfs/mountinfo.h"
#include "view_i.h"

struct mount_id {
	unsigned major, minor;
	char *root; /* decoded */
};

struct mount_ids {
	struct mount_id *v;
	size_t n, cap;
	int err;
};

static void ids_free(struct mount_ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i].root);
	free(ids->v);
	*ids = (struct mount_ids){0};
}

static void collect_dropped(void *opaque, enum pfs_trace_action a, const char *line, size_t len,
			    const struct pfs_rule_src *rule)
{
	struct mount_ids *ids = opaque;
	(void)rule;
	if (a != PFS_TR_DROPPED || ids->err)
		return;
	struct pfs_mount_entry e;
	if (pfs_mountinfo_parse_line(line, len, &e) < 0) {
		ids->err = -EBADMSG;
		return;
	}
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 8;
		struct mount_id *v = realloc(ids->v, cap * sizeof(*v));
		if (!v) {
			ids->err = -ENOMEM;
			return;
		}
		ids->v = v;
		ids->cap = cap;
	}
	struct pfs_buf root = PFS_BUF_INIT;
	if (pfs_mount_unescape_buf(e.root.s, e.root.len, &root) < 0 ||
	    pfs_buf_append(&root, "", 1) < 0) {
		pfs_buf_free(&root);
		ids->err = -ENOMEM;
		return;
	}
	ids->v[ids->n++] = (struct mount_id){e.major, e.minor, root.data};
}

/* Whether entry e shows a dropped mount's directory or one below it. */
static int shows_dropped(const struct mount_ids *ids, const struct pfs_mount_entry *e)
{
	char root[4096];
	if (pfs_mount_unescape(e->root.s, e->root.len, root, sizeof(root)) < 0)
		return 1; /* fail closed */
	for (size_t i = 0; i < ids->n; i++) {
		const struct mount_id *d = &ids->v[i];
		if (d->major != e->major || d->minor != e->minor)
			continue;
		size_t l = strlen(d->root);
		if (!strcmp(d->root, "/") ||
		    (!strncmp(root, d->root, l) && (root[l] == '\0' || root[l] == '/')))
			return 1;
	}
	return 0;
}

/* Counts the lines of text. */
static size_t count_lines(const char *in, size_t len)
{
	size_t n = 0, pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl))
		n++;
	return n;
}

/*
 * Copies in without the lines whose index is set in drop. For mountstats,
 * a "device" line stands with the indented lines that follow it.
 */
static int copy_kept(const char *in, size_t len, const bool *drop, size_t n, bool blocks,
		     struct pfs_buf *out)
{
	size_t pos = 0, ll, i = 0;
	const char *line;
	bool nl, dropping = false;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		if (!blocks || !strncmp(line, "device ", 7)) {
			if (i >= n)
				return -EBADMSG; /* tables read apart: fail closed */
			dropping = drop[i++];
		}
		if (dropping)
			continue;
		int r = pfs_buf_append(out, line, ll + (nl ? 1 : 0));
		if (r < 0)
			return r;
	}
	return i == n ? 0 : -EBADMSG;
}

int view_mounts_by_identity(const struct pfs_policy *p, const char *ref_mi, size_t ref_len,
			    const char *mi, size_t mi_len, const char *table, size_t table_len,
			    enum view_mount_table kind, struct pfs_buf *out)
{
	struct mount_ids ids = {0};
	struct pfs_trace t = {.event = collect_dropped, .opaque = &ids};
	cleanup_buf struct pfs_buf sink = PFS_BUF_INIT;
	int r = pfs_filter_mountinfo(p, ref_mi, ref_len, &sink, &t);
	if (r == 0)
		r = ids.err;
	size_t n = count_lines(mi, mi_len);
	cleanup_free bool *drop = calloc(n ? n : 1, sizeof(*drop));
	if (r == 0 && !drop)
		r = -ENOMEM;
	size_t pos = 0, ll, i = 0;
	const char *line;
	bool nl;
	while (r == 0 && pfs_next_line(mi, mi_len, &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		r = pfs_mountinfo_parse_line(line, ll, &e);
		if (r == 0)
			drop[i++] = shows_dropped(&ids, &e);
	}
	ids_free(&ids);
	if (r < 0)
		return r;
	if (kind == VIEW_MT_MOUNTINFO)
		return copy_kept(mi, mi_len, drop, n, false, out);
	return copy_kept(table, table_len, drop, n, kind == VIEW_MT_MOUNTSTATS, out);
}
