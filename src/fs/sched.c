/*
 * Fair scheduling of the daemon's work. The FUSE workers (threads=) take the
 * requests in the kernel's order; the work that costs is handed to pools of
 * its own and the request answered later from the pool's thread:
 *
 * - Renders (the content of a file at open, and at a rewind) run on the
 *   render pool (threads= threads). Each thread group has its own queue; the
 *   next turn goes to the group whose renders held a thread the least time, and
 *   one group runs at most half the threads at once. A process that reads
 *   /proc all the time (ps loops, stress-ng) pays for it; one that reads a
 *   file now and then is served next. When nobody waits and a thread is
 *   free, the render runs at once on the FUSE worker, counted as one of the
 *   pool's: the same turn, without the hand-over between threads. A turn
 *   ends when the render is done, before the reply (pfs_pool_turn_end): the
 *   reply wakes the reader, which on a busy CPU runs before the replying
 *   thread, and a turn still open meanwhile held the reader's next render
 *   against its cap and sent it to a pool thread (one open in nine, on one
 *   CPU, reading one file after another).
 * - Large renders (maps, smaps, numa_maps, smaps_rollup and the mount
 *   tables: the registry's `large` flag, or a file whose last snapshot was
 *   big) run on the large render pool (renders=) in the same turns, at a
 *   lower priority: a process with many threads reading a huge smaps queues
 *   behind itself on at most half of these threads, and the kernel runs the
 *   other renders first.
 * - A mount table costs what it prints (`large_when_long`): its render runs
 *   as a small file's does, holding at most PFS_RENDER_CAP bytes. Past the
 *   cap it stops, the file's node is marked, and the render is done again
 *   on the large pool, as every later one of that node. The hand-over to
 *   another thread was a quarter of a 50-mount mountinfo's open+read+close;
 *   a table grown between two opens costs a shared worker at most the cap's
 *   worth of reading, once.
 * - Relays that wait on a pipe or a tty run on the relay pool (relays=, see
 *   magic.c), one thread each, bounded per process by the relay slots.
 *
 * Turns are per thread group, like the snapshot budget's shares: the
 * processes of a sandbox usually share one uid (root in its user namespace),
 * so a share per uid would put the attacker and its victims in one share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "pfs/filter.h"
#include "pfs/log.h"

/* How much nicer the large render threads are than the daemon's other threads. */
#define PFS_LARGE_NICE 5

int pfs_sched_start(struct pfs_fs *fs)
{
	unsigned t = fs->opt.threads, r = fs->opt.renders;
	fs->render_pool = pfs_pool_new("pfs-render", t, t > 1 ? t / 2 : 1, 0);
	fs->large_pool = pfs_pool_new("pfs-large", r, r > 1 ? r / 2 : 1, PFS_LARGE_NICE);
	/* a relay holds its thread while it waits: the slots keep it to one job a thread */
	fs->relays = pfs_pool_new("pfs-relay", fs->opt.relays, 0, 0);
	if (fs->render_pool && fs->large_pool && fs->relays)
		return 0;
	int e = errno;
	pfs_sched_stop(fs);
	return -e;
}

void pfs_sched_stop(struct pfs_fs *fs)
{
	pfs_pool_free(fs->relays);
	fs->relays = NULL;
	pfs_pool_free(fs->large_pool);
	fs->large_pool = NULL;
	pfs_pool_free(fs->render_pool);
	fs->render_pool = NULL;
}

enum pfs_render_class pfs_sched_class(const struct pfs_loc *loc, bool rendered_long)
{
	const struct pfs_filter_kind *k = pfs_filter_kind_of(&loc->pp);
	if (!k || !k->large)
		return PFS_RENDER_SMALL;
	return k->large_when_long && !rendered_long ? PFS_RENDER_CAPPED : PFS_RENDER_LARGE;
}

static void deferred_run(struct pfs_pool_job *job, bool cancelled)
{
	struct pfs_deferred *d = (struct pfs_deferred *)job;
	/* the caller gave up while it queued (a signal), or the daemon stops: no work for nobody */
	d->serve(d, cancelled || fuse_req_interrupted(d->req) ? -EINTR : 0);
	free(d);
}

bool pfs_sched_defer(struct pfs_fs *fs, bool large, pid_t owner, fuse_req_t req,
		     pfs_serve_fn *serve, void *arg, const struct fuse_file_info *fi, size_t size,
		     off_t off)
{
	struct pfs_pool *pool = large ? fs->large_pool : fs->render_pool;
	struct pfs_deferred *d = pool ? calloc(1, sizeof(*d)) : NULL;
	if (!d)
		return false;
	d->job.run = deferred_run;
	d->job.owner = owner;
	d->req = req;
	d->serve = serve;
	d->arg = arg;
	if (fi)
		d->fi = *fi;
	d->size = size;
	d->off = off;
	/*
	 * A large render always waits for a large render thread (niced, and
	 * never on a FUSE worker); another one runs here at once if nobody waits.
	 */
	if (large)
		pfs_pool_submit(pool, &d->job);
	else
		pfs_pool_run(pool, &d->job);
	return true;
}
