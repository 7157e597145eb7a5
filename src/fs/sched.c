/*
 * Fair scheduling of the expensive work. The FUSE workers (threads=) serve
 * every request; two kinds of work would hold them for long and are handed
 * to pools of their own, the request answered later from the pool's thread:
 *
 * - Large renders (maps, smaps, numa_maps, smaps_rollup and the mount
 *   tables: the registry's `large` flag) run on the render pool (renders=).
 *   Each thread group has its own queue and the groups take turns; one group
 *   runs at most half the render threads at once. A process with many
 *   threads reading a huge smaps queues behind itself, and the cheap
 *   requests of everyone (status, stat, cmdline, lookups) never wait for it.
 *   The render threads run at a lower priority: on a loaded machine the
 *   kernel runs the cheap requests first.
 * - Relays that wait on a pipe or a tty run on the relay pool (relays=, see
 *   magic.c), one thread each, bounded per process by the relay slots.
 *
 * Turns are per thread group, like the snapshot budget's shares: the
 * processes of a sandbox usually share one uid (root in its user namespace),
 * so a share per uid would put the attacker and its victims in one share.
 */
#include <errno.h>
#include <string.h>

#include "fs_i.h"
#include "pfs/filter.h"
#include "pfs/log.h"

/* How much nicer the render threads are than the daemon's workers. */
#define PFS_RENDER_NICE 5

int pfs_sched_start(struct pfs_fs *fs)
{
	unsigned r = fs->opt.renders;
	fs->renders = pfs_pool_new("pfs-render", r, r > 1 ? r / 2 : 1, PFS_RENDER_NICE);
	if (!fs->renders)
		return -errno;
	/* a relay holds its thread while it waits: the slots keep it to one job a thread */
	fs->relays = pfs_pool_new("pfs-relay", fs->opt.relays, 0, 0);
	if (!fs->relays) {
		int e = errno;
		pfs_pool_free(fs->renders);
		fs->renders = NULL;
		return -e;
	}
	return 0;
}

void pfs_sched_stop(struct pfs_fs *fs)
{
	pfs_pool_free(fs->relays);
	fs->relays = NULL;
	pfs_pool_free(fs->renders);
	fs->renders = NULL;
}

bool pfs_sched_large(const struct pfs_loc *loc)
{
	const struct pfs_filter_kind *k = pfs_filter_kind_of(&loc->pp);
	return k && k->large;
}
