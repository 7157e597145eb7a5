/* cgroup v2 per sandbox: detection, creation with limits, stats, removal. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/monitor.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int read_at(int dir, const char *name, char *buf, size_t size)
{
	cleanup_close int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int write_at(int dir, const char *name, const char *val)
{
	cleanup_close int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	if (write(fd, val, len) != (ssize_t)len)
		return -errno;
	return 0;
}

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

int pfs_cgroup_create(const char *root, const char *name, const struct pfs_limits *l,
		      struct pfs_cgroup *cg, struct pfs_error *err)
{
	*cg = (struct pfs_cgroup)PFS_CGROUP_INIT;
	char where[256];
	cleanup_close int parent = open_root(root, where, sizeof(where));
	if (parent < 0)
		return pfs_err_set(err, EOPNOTSUPP,
				   "no cgroup2 hierarchy at %s; the monitor enforces the limits",
				   root ? root : "/sys/fs/cgroup or /sys/fs/cgroup/unified");
	char ctl[512] = "";
	if (read_at(parent, "cgroup.controllers", ctl, sizeof(ctl)) < 0)
		return pfs_err_set(err, EOPNOTSUPP, "%s has no cgroup.controllers", where);
	/* enable what the parent can delegate; failures just mean "not here" */
	const char *want[] = {"memory", "pids", "cpu"};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char op[32];
		snprintf(op, sizeof(op), "+%s", want[i]);
		if (has_word(ctl, want[i]))
			(void)write_at(parent, "cgroup.subtree_control", op);
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
	cg->parent_fd = steal_fd(parent);
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	cg->has_memory = faccessat(dir, "memory.max", W_OK, 0) == 0;
	cg->has_pids = faccessat(dir, "pids.max", W_OK, 0) == 0;
	cg->has_cpu = faccessat(dir, "cpu.max", W_OK, 0) == 0;
	char v[32];
	int r = 0;
	if (cg->has_memory && l->mem_bytes) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem_bytes);
		r = write_at(dir, "memory.max", v);
		if (!r)
			(void)write_at(dir, "memory.swap.max", "0");
	}
	if (!r && cg->has_pids && l->threads) {
		snprintf(v, sizeof(v), "%" PRIu64, l->threads);
		r = write_at(dir, "pids.max", v);
	}
	if (r < 0) {
		pfs_cgroup_destroy(cg);
		return pfs_err_set(err, -r, "cannot set the limits of cgroup %s/%s", where, name);
	}
	return 0;
}

int pfs_cgroup_add_pid(const struct pfs_cgroup *cg, pid_t pid)
{
	char v[24];
	snprintf(v, sizeof(v), "%d", (int)pid);
	return write_at(cg->dir_fd, "cgroup.procs", v);
}

int pfs_cgroup_destroy(struct pfs_cgroup *cg)
{
	int r = 0;
	if (cg->dir_fd >= 0) {
		(void)write_at(cg->dir_fd, "cgroup.kill", "1");
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

/* "key value" lines: returns the value of key, or 0. */
static uint64_t kv(const char *buf, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

static uint64_t one_value(int dir, const char *name)
{
	char buf[64];
	if (read_at(dir, name, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

int pfs_cgroup_read_stats(int cgroup_fd, struct pfs_cgroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	char buf[2048] = "";
	int r = read_at(cgroup_fd, "cpu.stat", buf, sizeof(buf));
	if (r < 0)
		return r;
	st->usage_us = kv(buf, "usage_usec");
	st->user_us = kv(buf, "user_usec");
	st->system_us = kv(buf, "system_usec");
	st->mem_current = one_value(cgroup_fd, "memory.current");
	st->mem_peak = one_value(cgroup_fd, "memory.peak");
	st->pids_current = one_value(cgroup_fd, "pids.current");
	if (read_at(cgroup_fd, "memory.events", buf, sizeof(buf)) > 0)
		st->oom_kills = kv(buf, "oom_kill");
	return 0;
}
