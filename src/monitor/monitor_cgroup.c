/* A cgroup per sandbox: detection, creation with limits, stats, removal (v2 here, v1 in _v1.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/monitor.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The cgroup2 mount to use; the cgroup of this process within it would be
 * better, but a sandbox launcher runs as root at the top of the tree. */
static int open_root(const char *root, char *used, size_t usize)
{
	const char *cands[] = {root, "/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = root ? 0 : 1; i < ARRAY_SIZE(cands); i++) {
		struct statfs sf;
		if (statfs(cands[i], &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		int fd = open(cands[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			snprintf(used, usize, "%s", cands[i]);
			return fd;
		}
	}
	return -EOPNOTSUPP;
}

static int create_v2(int parent_fd, const char *where, const char *ctl, const char *name,
		     const struct pfs_limits *l, struct pfs_cgroup *cg, struct pfs_error *err);

int pfs_cgroup_create(const char *root, const char *name, const struct pfs_limits *l,
		      struct pfs_cgroup *cg, struct pfs_error *err)
{
	*cg = (struct pfs_cgroup)PFS_CGROUP_INIT;
	char where[256];
	cleanup_close int parent = open_root(root, where, sizeof(where));
	char ctl[512] = "";
	if (parent >= 0 && pfs_read_small_at(parent, "cgroup.controllers", ctl, sizeof(ctl)) < 0)
		return pfs_err_set(err, EOPNOTSUPP, "%s has no cgroup.controllers", where);
	/* hybrid hosts keep the controllers on v1: a v2 group there limits nothing */
	if (!root && (parent < 0 || !has_word(ctl, "memory"))) {
		int r = pfs_cgroup_v1_create(name, l, cg, err);
		if (r != -EOPNOTSUPP || parent < 0)
			return r;
		*err = (struct pfs_error){0};
	}
	if (parent < 0)
		return pfs_err_set(err, EOPNOTSUPP,
				   "no cgroup2 hierarchy at %s; the monitor enforces the limits",
				   root ? root : "/sys/fs/cgroup or /sys/fs/cgroup/unified");
	return create_v2(parent, where, ctl, name, l, cg, err);
}

static int create_v2(int parent_fd, const char *where, const char *ctl, const char *name,
		     const struct pfs_limits *l, struct pfs_cgroup *cg, struct pfs_error *err)
{
	cleanup_close int parent = dup(parent_fd);
	if (parent < 0)
		return pfs_err_set(err, errno, "dup: %s", strerror(errno));
	pfs_cgroup_sweep_stale(parent, 60);
	/* enable what the parent can delegate; failures just mean "not here" */
	const char *want[] = {"memory", "pids", "cpu", "cpuset", "io"};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char op[32];
		snprintf(op, sizeof(op), "+%s", want[i]);
		if (has_word(ctl, want[i]))
			(void)pfs_write_str_at(parent, "cgroup.subtree_control", op);
	}
	if (mkdirat(parent, name, 0755) < 0) {
		int e = errno;
		return pfs_err_set(err, e == EROFS || e == EACCES || e == EPERM ? EOPNOTSUPP : e,
				   "cannot create cgroup %s/%s: %s", where, name, strerror(e));
	}
	int dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		int e = errno;
		unlinkat(parent, name, AT_REMOVEDIR);
		return pfs_err_set(err, e, "cannot open cgroup %s/%s", where, name);
	}
	cg->dir_fd = dir;
	cg->dirs.version = 2;
	for (int i = 0; i < PFS_CG_N; i++)
		cg->dirs.fd[i] = dir;
	cg->parent_fd = steal_fd(parent);
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	cg->has_memory = faccessat(dir, "memory.max", W_OK, 0) == 0;
	cg->has_pids = faccessat(dir, "pids.max", W_OK, 0) == 0;
	cg->has_cpu = faccessat(dir, "cpu.max", W_OK, 0) == 0;
	char v[32];
	int r = 0;
	if (cg->has_memory && l->mem_bytes) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem_bytes);
		r = pfs_write_str_at(dir, "memory.max", v);
		if (!r)
			(void)pfs_write_str_at(dir, "memory.swap.max", "0");
	}
	if (!r && l->cpuset && faccessat(dir, "cpuset.cpus", W_OK, 0) == 0) {
		char cpus[256];
		pfs_cpumask_format(l->cpuset, cpus, sizeof(cpus));
		r = pfs_write_str_at(dir, "cpuset.cpus", cpus);
	}
	if (!r && cg->has_pids && l->threads) {
		snprintf(v, sizeof(v), "%" PRIu64, l->threads);
		r = pfs_write_str_at(dir, "pids.max", v);
	}
	if (r < 0) {
		pfs_cgroup_destroy(cg);
		return pfs_err_set(err, -r, "cannot set the limits of cgroup %s/%s", where, name);
	}
	return 0;
}

int pfs_cgroup_add_pid(const struct pfs_cgroup *cg, pid_t pid)
{
	if (cg->dirs.version == 1)
		return pfs_cgroup_v1_add_pid(cg, pid);
	char v[24];
	snprintf(v, sizeof(v), "%d", (int)pid);
	return pfs_write_str_at(cg->dir_fd, "cgroup.procs", v);
}

int pfs_cgroup_destroy(struct pfs_cgroup *cg)
{
	if (cg->dirs.version == 1)
		return pfs_cgroup_v1_destroy(cg);
	cg->dirs = (struct pfs_cgdirs)PFS_CGDIRS_INIT;
	int r = 0;
	if (cg->dir_fd >= 0) {
		(void)pfs_write_str_at(cg->dir_fd, "cgroup.kill", "1");
		close(cg->dir_fd);
		cg->dir_fd = -1;
	}
	if (cg->parent_fd >= 0 && cg->name[0]) {
		/* the killed tasks leave asynchronously: retry briefly */
		for (int i = 0; i < 100; i++) {
			r = unlinkat(cg->parent_fd, cg->name, AT_REMOVEDIR) < 0 ? -errno : 0;
			if (r != -EBUSY)
				break;
			usleep(10000);
		}
	}
	if (cg->parent_fd >= 0)
		close(cg->parent_fd);
	cg->parent_fd = -1;
	cg->name[0] = '\0';
	return r == -ENOENT ? 0 : r;
}

int pfs_cgroup_read_stats(const struct pfs_cgdirs *d, struct pfs_cgroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct pfs_cg_stats cs;
	int r = pfs_cg_read(d, PFS_CGR_ALL, &cs);
	if (r < 0)
		return r;
	st->usage_us = cs.cpu_usage_ns / 1000;
	/* v1 splits user and system by sampled ticks: keep the split, not its sum */
	uint64_t split = cs.cpu_user_ns + cs.cpu_system_ns;
	st->user_us =
		split ? (uint64_t)((double)st->usage_us * (double)cs.cpu_user_ns / (double)split)
		      : st->usage_us;
	st->system_us = st->usage_us - st->user_us;
	st->mem_current = cs.mem_usage;
	st->mem_peak = cs.mem_peak;
	st->pids_current = cs.pids_current;
	st->oom_kills = cs.oom_kills;
	st->mem_limited = cs.has_memory && cs.mem_limit != PFS_CG_UNLIMITED;
	st->pids_limited = cs.has_pids && cs.pids_max != PFS_CG_UNLIMITED;
	return 0;
}
