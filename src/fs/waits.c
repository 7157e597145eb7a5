/*
 * Counting the FUSE waits of each thread (src/view/view_waits.c): the
 * session's read (fuse_raw.c) shows each request here, which notes the
 * sender of every request the kernel makes its sender wait for. Seen before
 * libfuse dispatches, so requests that libfuse answers itself (ENOSYS for
 * an operation the daemon does not implement) count too.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>

#include "fs_i.h"
#include "pfs/log.h"

/* Requests nobody waits for: sent in the background, or by the kernel itself. */
static bool waited_for(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_INTERRUPT:
	case FUSE_INIT:
	case FUSE_DESTROY:
	case FUSE_NOTIFY_REPLY:
		return false;
	default:
		return true;
	}
}

void pfs_waits_seen(struct pfs_fs *fs, const void *buf, ssize_t n)
{
	if (n < (ssize_t)sizeof(struct fuse_in_header))
		return;
	const struct fuse_in_header *h = buf;
	if (waited_for(h->opcode))
		pfs_waits_note(fs->view.waits, (pid_t)h->pid);
}

void pfs_fs_count_waits(struct pfs_fs *fs)
{
	int r = pfs_waits_new(fs->view.backing_fd, &fs->view.waits);
	if (r < 0)
		pfs_warn("cannot count FUSE waits (%s): a process's own status shows "
			 "them as voluntary context switches",
			 strerror(-r));
}
