/* Kernel-side limits set before exec, and the check of what a process has. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "pfs/monitor.h"
#include "monitor_parse_i.h"

static void set(struct pfs_rlim_pair plan[PFS_NRLIMITS], int r, uint64_t v)
{
	plan[r].soft = v;
	plan[r].hard = v;
	plan[r].present = true;
}

void pfs_rlimit_plan(const struct pfs_limits *l, unsigned flags,
		     struct pfs_rlim_pair plan[PFS_NRLIMITS])
{
	memset(plan, 0, sizeof(*plan) * PFS_NRLIMITS);
	if (flags & PFS_RLIM_NONE)
		return;
	set(plan, RLIMIT_CORE, 0);
	if (l->cpu_us) { /* whole seconds, rounded up: a per-process backstop */
		set(plan, RLIMIT_CPU, (l->cpu_us + 999999) / 1000000);
		plan[RLIMIT_CPU].hard++; /* soft == hard would send SIGKILL, not SIGXCPU */
	}
	if (l->fds) /* fds + 1 so that exceeding `fds` is visible to the monitor */
		set(plan, RLIMIT_NOFILE, l->fds + 1);
	if (l->output_bytes)
		set(plan, RLIMIT_FSIZE, l->output_bytes);
	if ((flags & PFS_RLIM_AS) && l->mem_bytes) {
		set(plan, RLIMIT_AS, l->mem_bytes);
		set(plan, RLIMIT_DATA, l->mem_bytes);
	}
}

int pfs_limits_apply_rlimits(const struct pfs_limits *l, unsigned flags, struct pfs_error *err)
{
	struct pfs_rlim_pair plan[PFS_NRLIMITS];
	pfs_rlimit_plan(l, flags, plan);
	for (int r = 0; r < PFS_NRLIMITS; r++) {
		if (!plan[r].present)
			continue;
		struct rlimit rl = {
			.rlim_cur = plan[r].soft == UINT64_MAX ? RLIM_INFINITY : plan[r].soft,
			.rlim_max = plan[r].hard == UINT64_MAX ? RLIM_INFINITY : plan[r].hard,
		};
		if (!setrlimit(r, &rl))
			continue;
		struct rlimit cur;
		if (errno == EPERM && !getrlimit(r, &cur) && cur.rlim_max != RLIM_INFINITY &&
		    cur.rlim_max < rl.rlim_max) {
			/* unprivileged and the hard limit is already lower: keep it */
			rl.rlim_max = cur.rlim_max;
			if (rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
		}
		if (setrlimit(r, &rl) < 0) {
			int e = errno;
			/* Lowering never fails for lack of privilege; raising may. */
			return pfs_err_set(err, e,
					   "setrlimit(%s, %llu): %s; lower the limit or run with "
					   "CAP_SYS_RESOURCE",
					   pfs_rlimit_name(r), (unsigned long long)plan[r].soft,
					   strerror(e));
		}
	}
	return 0;
}

int pfs_rlimit_compare(const struct pfs_rlim_pair plan[PFS_NRLIMITS],
		       const struct pfs_rlim_pair seen[PFS_NRLIMITS], int diff[PFS_NRLIMITS])
{
	int n = 0;
	for (int r = 0; r < PFS_NRLIMITS; r++) {
		if (!plan[r].present || !seen[r].present)
			continue;
		if (plan[r].soft != seen[r].soft || plan[r].hard != seen[r].hard)
			diff[n++] = r;
	}
	return n;
}
