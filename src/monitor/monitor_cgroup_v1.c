/*
 * cgroup v1 per sandbox, for hybrid hosts whose controllers are on v1: one
 * directory in each of memory, cpuacct and pids, and cpuset with cpus=
 * (a controller mounted together with another, "cpu,cpuacct", shares the
 * directory), under this process's own cgroup in each hierarchy.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/monitor.h"

/* cpuset children start empty: they must be given cpus and mems to take tasks. */
static int inherit_cpuset(int parent, int dir, uint64_t mask)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char v[4096];
		ssize_t n = pfs_read_small_at(parent, files[i], v, sizeof(v));
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		if (i == 0 && mask)
			pfs_cpumask_format(mask, v, sizeof(v));
		int r = pfs_write_str_at(dir, files[i], v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_limits(const struct pfs_cgroup *cg, const struct pfs_limits *l)
{
	char v[32];
	int mem = cg->dirs.fd[PFS_CG_MEMORY], pids = cg->dirs.fd[PFS_CG_PIDS];
	if (mem >= 0 && l->mem_bytes) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem_bytes);
		int r = pfs_write_str_at(mem, "memory.limit_in_bytes", v);
		if (r < 0)
			return r;
		/* no swap beyond the memory limit, as memory.swap.max=0 on v2;
		 * absent without swap accounting */
		(void)pfs_write_str_at(mem, "memory.memsw.limit_in_bytes", v);
	}
	if (pids >= 0 && l->threads) {
		snprintf(v, sizeof(v), "%" PRIu64, l->threads);
		return pfs_write_str_at(pids, "pids.max", v);
	}
	return 0;
}

/*
 * v1 blkio counts a group's I/O on a disk only once the disk has a throttle
 * rule (blk-throttle's statistics): each whole disk gets a read limit no
 * disk reaches, 2^63-1 bytes/s. Disks that refuse it are just not counted.
 */
static void count_io(int dir)
{
	DIR *d = opendir("/sys/block");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		char path[300], dev[32];
		snprintf(path, sizeof(path), "/sys/block/%s/dev", e->d_name);
		ssize_t n = e->d_name[0] == '.'
				    ? -1
				    : pfs_read_small_at(AT_FDCWD, path, dev, sizeof(dev));
		if (n <= 0)
			continue;
		dev[strcspn(dev, "\n")] = '\0';
		char rule[64];
		snprintf(rule, sizeof(rule), "%s 9223372036854775807", dev);
		(void)pfs_write_str_at(dir, "blkio.throttle.read_bps_device", rule);
	}
	closedir(d);
}

/* Groups that only add figures (I/O, pressure): a sandbox runs without them. */
static bool optional_ctl(int i)
{
	return i == PFS_CG_BLKIO || i == PFS_CG_UNIFIED;
}

int pfs_cgroup_v1_create(const char *name, const struct pfs_limits *l, struct pfs_cgroup *cg,
			 struct pfs_error *err)
{
	char paths[PFS_CG_N][512];
	int v = pfs_cg_resolve_pid(0, paths);
	if (v < 0)
		return pfs_err_set(err, EOPNOTSUPP, "cannot read this process's cgroups: %s",
				   strerror(-v));
	if (v != 1 || !paths[PFS_CG_MEMORY][0])
		return pfs_err_set(err, EOPNOTSUPP, "no cgroup v1 memory hierarchy");
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	cg->dirs.version = 1;
	for (int i = 0; i < PFS_CG_N; i++) {
		/*
		 * A group of its own in the cpu controller would make the whole
		 * sandbox one scheduling entity (one cpu.shares against every
		 * task outside): no quota is set, so it stays in pfs run's, as
		 * does the cpuset without cpus=. The daemon reads those then.
		 */
		if (!paths[i][0] ||
		    (i == PFS_CG_CPU && strcmp(paths[i], paths[PFS_CG_CPUACCT]) != 0) ||
		    (i == PFS_CG_CPUSET && !l->cpuset)) {
			paths[i][0] = '\0';
			continue;
		}
		/* cpu and cpuacct co-mounted: one directory serves both */
		int same = -1;
		for (int j = 0; j < i; j++)
			if (!strcmp(paths[j], paths[i]))
				same = j;
		if (same >= 0) {
			cg->dirs.fd[i] = cg->dirs.fd[same];
			continue;
		}
		int parent = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)) {
			int e = errno;
			if (parent >= 0)
				close(parent);
			if (optional_ctl(i))
				continue;
			pfs_cgroup_v1_destroy(cg);
			return pfs_err_set(
				err, e == EROFS || e == EACCES || e == EPERM ? EOPNOTSUPP : e,
				"cannot create cgroup %s/%s: %s", paths[i], name, strerror(e));
		}
		cg->v1_parent[i] = parent;
		pfs_cgroup_sweep_stale(parent, 60);
		cg->dirs.fd[i] = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = cg->dirs.fd[i] < 0 ? -errno : 0;
		if (!r && i == PFS_CG_CPUSET)
			r = inherit_cpuset(parent, cg->dirs.fd[i], l->cpuset);
		if (!r && i == PFS_CG_BLKIO)
			count_io(cg->dirs.fd[i]);
		if (r < 0) {
			pfs_cgroup_v1_destroy(cg);
			return pfs_err_set(err, -r, "cannot set up cgroup %s/%s: %s", paths[i],
					   name, strerror(-r));
		}
	}
	cg->has_memory = cg->dirs.fd[PFS_CG_MEMORY] >= 0;
	cg->has_pids = cg->dirs.fd[PFS_CG_PIDS] >= 0;
	cg->has_cpu = cg->dirs.fd[PFS_CG_CPU] >= 0;
	int r = set_limits(cg, l);
	if (r < 0) {
		pfs_cgroup_v1_destroy(cg);
		return pfs_err_set(err, -r, "cannot set the limits of cgroup %s: %s", name,
				   strerror(-r));
	}
	return 0;
}

int pfs_cgroup_v1_add_pid(const struct pfs_cgroup *cg, pid_t pid)
{
	char v[24];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; i < PFS_CG_N; i++) {
		if (cg->v1_parent[i] < 0)
			continue; /* absent, or shares another controller's directory */
		int r = pfs_write_str_at(cg->dirs.fd[i], "cgroup.procs", v);
		if (r < 0)
			return r;
	}
	return 0;
}

/* v1 has no cgroup.kill: signal what the memory (else pids) group still holds. */
static void kill_tasks(const struct pfs_cgroup *cg)
{
	int dir = cg->dirs.fd[PFS_CG_MEMORY] >= 0 ? cg->dirs.fd[PFS_CG_MEMORY]
						  : cg->dirs.fd[PFS_CG_PIDS];
	if (dir < 0)
		return;
	char buf[8192];
	cleanup_close int fd = openat(dir, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *p = buf, *end = NULL;; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	}
}

int pfs_cgroup_v1_destroy(struct pfs_cgroup *cg)
{
	kill_tasks(cg);
	int r = 0;
	for (int i = 0; i < PFS_CG_N; i++) {
		if (cg->v1_parent[i] < 0)
			continue;
		for (int t = 0; t < 100; t++) {
			r = unlinkat(cg->v1_parent[i], cg->name, AT_REMOVEDIR) < 0 ? -errno : 0;
			if (r != -EBUSY)
				break;
			usleep(10000);
		}
		close(cg->v1_parent[i]);
		cg->v1_parent[i] = -1;
	}
	pfs_cgdirs_close(&cg->dirs);
	cg->name[0] = '\0';
	return r == -ENOENT ? 0 : r;
}
