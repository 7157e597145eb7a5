/*
 * Orphans: file and directory handles that a dead daemon opened. The kernel
 * keeps them and sends their reads here, to the daemon that took the
 * connection over (fuse_raw.c); their snapshots died with the old daemon.
 * The first read takes the handle over ("adopts" it): it renders afresh for
 * the reader, and serves it when the reader cannot tell (a read at offset 0,
 * or the same bytes as the dead daemon's snapshot, by length and hash). A
 * reader past the old snapshot's end gets its end of file. A reader in the
 * middle of a snapshot that changed gets ESTALE, never bytes of another
 * snapshot spliced into the first. Relays (magic.c) are not taken over:
 * ESTALE. docs/pfs-run.md, "When the daemon dies".
 */
#include <errno.h>
#include <fcntl.h>

#include "fs_i.h"
#include "pfs/log.h"

bool pfs_fh_orphan(struct pfs_fs *fs, const struct fuse_file_info *fi)
{
	return fi && fi->fh && !pfs_fh_obj(fs, fi->fh);
}

/* A copy of the orphan's record; false when it is gone (not a handle of this table). */
static bool orphan_record(struct pfs_fs *fs, uint64_t fh, struct pfs_idrec *out)
{
	pthread_mutex_lock(&fs->ids.lock);
	struct pfs_idrec *rec = pfs_idtable_get(&fs->ids.t, fh, PFS_IDREC_HANDLE);
	if (rec)
		*out = *rec;
	pthread_mutex_unlock(&fs->ids.lock);
	return rec != NULL;
}

/* Makes obj the daemon's object of fh; false when another thread took it over first. */
static bool take_over(struct pfs_fs *fs, uint64_t fh, void *obj)
{
	pthread_mutex_lock(&fs->ids.lock);
	_Atomic(uintptr_t) *o = &fs->ids.objs[pfs_id_slot(fh)];
	bool ok = pfs_idtable_get(&fs->ids.t, fh, PFS_IDREC_HANDLE) && atomic_load(o) == 0;
	if (ok)
		atomic_store(o, (uintptr_t)obj);
	pthread_mutex_unlock(&fs->ids.lock);
	return ok;
}

enum verdict { SERVE, SERVE_EOF, STALE };

/* What a read at off may be given of a fresh snapshot (served, hash) of an old one (rec). */
static enum verdict judge(const struct pfs_idrec *rec, off_t off, uint64_t served, uint64_t hash)
{
	if (off == 0 || (served == rec->ident && hash == rec->ident2))
		return SERVE;
	if ((uint64_t)off >= rec->ident)
		return SERVE_EOF;
	return STALE;
}

static void reply_verdict(fuse_req_t req, enum verdict v, const char *path)
{
	if (v == SERVE_EOF) {
		fuse_reply_buf(req, NULL, 0);
	} else {
		pfs_warn("%s: a read in the middle of content that changed since the previous "
			 "daemon served it: ESTALE",
			 path);
		fuse_reply_err(req, ESTALE);
	}
}

void pfs_orphan_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi, const struct pfs_orphan_kind *kind)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_idrec rec;
	if (!orphan_record(fs, fi->fh, &rec) || (rec.flags & PFS_IDREC_NOREOPEN) ||
	    (rec.flags & PFS_IDREC_DIR) != (kind->flags & PFS_IDREC_DIR)) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	struct pfs_node *n = pfs_node_get(fs, ino);
	struct pfs_caller c;
	pfs_req_caller(req, &c);
	void *h = NULL;
	uint64_t served = 0, hash = 0;
	bool comparable = true;
	int r = kind->open(fs, n, &c, &h, &served, &hash, &comparable);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* readdir offsets index the listing: the same rules as bytes of a file */
	enum verdict v = comparable ? judge(&rec, off, served, hash) : SERVE;
	if (!take_over(fs, fi->fh, h)) {
		kind->close(fs, h); /* another thread took it over first */
		kind->serve(req, ino, size, off, fi);
		return;
	}
	kind->adopt(fs, h, fi->fh);
	pfs_debug("took over a handle of %s (read at %lld)", n->path, (long long)off);
	if (v == SERVE)
		kind->serve(req, ino, size, off, fi);
	else
		reply_verdict(req, v, n->path);
}

void pfs_orphan_release(fuse_req_t req, struct fuse_file_info *fi)
{
	pfs_fh_free(pfs_req_fs(req), fi->fh);
	fuse_reply_err(req, 0);
}
