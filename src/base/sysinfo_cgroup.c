/* The sandbox's cgroup statistics, v1 or v2, read from directory fds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/sysinfo.h"

const char *const pfs_cg_ctl_names[PFS_CG_N] = {"memory", "cpu",   "cpuacct", "cpuset",
						"pids",	  "blkio", ""};

void pfs_cgdirs_close(struct pfs_cgdirs *d)
{
	for (int i = 0; i < PFS_CG_N; i++) {
		bool shared = false;
		for (int j = 0; j < i; j++)
			shared |= d->fd[j] == d->fd[i];
		if (d->fd[i] >= 0 && !shared)
			close(d->fd[i]);
	}
	for (int i = 0; i < PFS_CG_N; i++)
		d->fd[i] = -1;
	d->version = 0;
}

/* The whole of a small cgroup file, NUL-terminated; -errno. */
static int slurp(int dir, const char *name, char *buf, size_t size)
{
	if (dir < 0)
		return -ENOENT;
	cleanup_close int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	while (n < size - 1) {
		ssize_t k = read(fd, buf + n, size - 1 - n);
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return (int)n;
}

/* A number file; "max" (v2) is PFS_CG_UNLIMITED. */
static int read_u64(int dir, const char *name, uint64_t *v)
{
	char buf[64];
	int r = slurp(dir, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!strncmp(buf, "max", 3)) {
		*v = PFS_CG_UNLIMITED;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

/* The value of "key N" in a flat-keyed file, or 0. */
static uint64_t keyed(const char *buf, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

int pfs_cg_parse_cpulist(const char *s, uint8_t *bits, size_t nbits)
{
	memset(bits, 0, (nbits + 7) / 8);
	const char *p = s;
	while (*p && *p != '\n') {
		char *end = NULL;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -EINVAL;
			p = end;
		}
		for (unsigned long i = a; i <= b && i < nbits; i++)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return 0;
}

void pfs_cpumask_format(uint64_t mask, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < 64; i++)
		if (mask >> i & 1 && n < size)
			n += (size_t)snprintf(out + n, size - n, "%s%u", n ? "," : "", i);
}

static void read_cpuset(int dir, const char *name, struct pfs_cg_stats *st)
{
	char buf[4096] = "";
	if (slurp(dir, name, buf, sizeof(buf)) <= 1)
		return; /* empty: inherits everything */
	st->has_cpuset = pfs_cg_parse_cpulist(buf, st->cpus, PFS_CG_MAX_CPUS) == 0;
}

static void memory_stat(struct pfs_cg_stats *st, const char *buf, const char *prefix)
{
	char k[64];
#define KEY(field, name) (snprintf(k, sizeof(k), "%s%s", prefix, name), st->field = keyed(buf, k))
	KEY(shmem, "shmem");
	KEY(file_mapped, *prefix ? "mapped_file" : "file_mapped");
	KEY(file_dirty, *prefix ? "dirty" : "file_dirty");
	KEY(file_writeback, *prefix ? "writeback" : "file_writeback");
	KEY(active_anon, "active_anon");
	KEY(inactive_anon, "inactive_anon");
	KEY(active_file, "active_file");
	KEY(inactive_file, "inactive_file");
	KEY(unevictable, "unevictable");
#undef KEY
}

static void read_v1(const struct pfs_cgdirs *d, unsigned what, struct pfs_cg_stats *st)
{
	int m = what & PFS_CGR_MEMORY ? d->fd[PFS_CG_MEMORY] : -1;
	char buf[8192] = "";
	if (read_u64(m, "memory.usage_in_bytes", &st->mem_usage) == 0) {
		st->has_memory = true;
		if (what & PFS_CGR_PEAK)
			(void)read_u64(m, "memory.max_usage_in_bytes", &st->mem_peak);
		if (slurp(m, "memory.stat", buf, sizeof(buf)) > 0) {
			/* total_*: this cgroup and its descendants; the hierarchical
			 * limit is the smallest of the ancestors' */
			memory_stat(st, buf, "total_");
			st->anon = keyed(buf, "total_rss");
			st->file = keyed(buf, "total_cache");
			uint64_t h = keyed(buf, "hierarchical_memory_limit");
			if (h)
				st->mem_limit = h;
			h = keyed(buf, "hierarchical_memsw_limit");
			if (h && h >= st->mem_limit && h < (UINT64_MAX >> 2))
				st->swap_limit = h - st->mem_limit;
		}
		uint64_t lim = 0, sw = 0;
		if (read_u64(m, "memory.limit_in_bytes", &lim) == 0 && lim < st->mem_limit)
			st->mem_limit = lim;
		if (read_u64(m, "memory.memsw.usage_in_bytes", &sw) == 0) {
			st->has_swap = true;
			st->swap_usage = sw > st->mem_usage ? sw - st->mem_usage : 0;
		}
		if ((what & PFS_CGR_PEAK) && slurp(m, "memory.oom_control", buf, sizeof(buf)) > 0)
			st->oom_kills = keyed(buf, "oom_kill");
	}
	/* ~9.2e18 rounded to pages means "no limit" on v1 */
	if (st->mem_limit >= (UINT64_MAX >> 2))
		st->mem_limit = PFS_CG_UNLIMITED;
	if (st->swap_limit >= (UINT64_MAX >> 2))
		st->swap_limit = PFS_CG_UNLIMITED;
	if (!(what & PFS_CGR_CPU))
		return;
	int64_t q = 0;
	if (slurp(d->fd[PFS_CG_CPU], "cpu.cfs_quota_us", buf, 64) > 0 &&
	    (q = strtoll(buf, NULL, 10)) > 0) {
		uint64_t period = 0;
		if (read_u64(d->fd[PFS_CG_CPU], "cpu.cfs_period_us", &period) == 0 && period) {
			st->quota_us = q;
			st->period_us = period;
		}
	}
	int a = d->fd[PFS_CG_CPUACCT];
	if (read_u64(a, "cpuacct.usage", &st->cpu_usage_ns) == 0) {
		st->has_cpuacct = true;
		(void)read_u64(a, "cpuacct.usage_user", &st->cpu_user_ns);
		(void)read_u64(a, "cpuacct.usage_sys", &st->cpu_system_ns);
		if (slurp(a, "cpuacct.usage_percpu", buf, sizeof(buf)) > 0) {
			char *p = buf, *end = NULL;
			for (unsigned i = 0; i < PFS_CG_MAX_CPUS; i++, p = end) {
				uint64_t v = strtoull(p, &end, 10);
				if (end == p)
					break;
				st->percpu_ns[i] = v;
				st->has_percpu = true;
			}
		}
	}
	read_cpuset(d->fd[PFS_CG_CPUSET], "cpuset.effective_cpus", st);
	if (!st->has_cpuset)
		read_cpuset(d->fd[PFS_CG_CPUSET], "cpuset.cpus", st);
}

/* The entry of device maj:min in st->io, added if new; NULL when full. */
static struct pfs_cg_io *io_dev(struct pfs_cg_stats *st, unsigned maj, unsigned min)
{
	for (unsigned i = 0; i < st->n_io; i++)
		if (st->io[i].major == maj && st->io[i].minor == min)
			return &st->io[i];
	if (st->n_io == PFS_CG_MAX_DEVS)
		return NULL;
	st->io[st->n_io] = (struct pfs_cg_io){.major = maj, .minor = min};
	return &st->io[st->n_io++];
}

/* "MAJ:MIN" at the start of l; *rest is what follows. */
static bool parse_dev(const char *l, unsigned *maj, unsigned *min, const char **rest)
{
	char *end = NULL;
	unsigned long a = strtoul(l, &end, 10);
	if (end == l || *end != ':')
		return false;
	const char *m = end + 1;
	unsigned long b = strtoul(m, &end, 10);
	if (end == m || a > UINT32_MAX || b > UINT32_MAX)
		return false;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	*rest = end;
	return true;
}

/* v1 blkio.throttle.io_service_bytes/io_serviced: "MAJ:MIN Read|Write|Discard N" lines. */
static void read_io_v1(int dir, struct pfs_cg_stats *st)
{
	static const char *const files[] = {"blkio.throttle.io_service_bytes_recursive",
					    "blkio.throttle.io_serviced_recursive"};
	char buf[8192] = "";
	for (int f = 0; f < 2; f++) {
		if (slurp(dir, files[f], buf, sizeof(buf)) < 0)
			return;
		st->has_io = true;
		for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
			unsigned maj = 0, min = 0;
			const char *op = NULL;
			if (!parse_dev(l, &maj, &min, &op))
				continue;
			op += strspn(op, " ");
			size_t oplen = strcspn(op, " \n");
			uint64_t v = strtoull(op + oplen, NULL, 10);
			int k = oplen == 4 && !strncmp(op, "Read", 4)	   ? 0
				: oplen == 5 && !strncmp(op, "Write", 5)   ? 1
				: oplen == 7 && !strncmp(op, "Discard", 7) ? 2
									   : -1;
			struct pfs_cg_io *d = k < 0 ? NULL : io_dev(st, maj, min);
			if (!d)
				continue;
			uint64_t *bytes[] = {&d->rbytes, &d->wbytes, &d->dbytes};
			uint64_t *ios[] = {&d->rios, &d->wios, &d->dios};
			*(f ? ios : bytes)[k] = v;
		}
	}
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static void read_io_v2(int dir, struct pfs_cg_stats *st)
{
	char buf[8192] = "";
	if (slurp(dir, "io.stat", buf, sizeof(buf)) < 0)
		return;
	st->has_io = true;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned maj = 0, min = 0;
		const char *rest = NULL;
		struct pfs_cg_io *d = NULL;
		if (!parse_dev(l, &maj, &min, &rest) || !(d = io_dev(st, maj, min)))
			continue;
		const char *end = strchr(l, '\n');
		static const char *const keys[] = {
			"rbytes=", "wbytes=", "dbytes=", "rios=", "wios=", "dios="};
		uint64_t *fields[] = {&d->rbytes, &d->wbytes, &d->dbytes,
				      &d->rios,	  &d->wios,   &d->dios};
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			const char *v = strstr(l, keys[k]);
			if (v && (!end || v < end))
				*fields[k] = strtoull(v + strlen(keys[k]), NULL, 10);
		}
	}
}

/* v2 limits are per level: the effective one is the smallest up to the root. */
static uint64_t v2_min_up(int dir, const char *name)
{
	uint64_t best = PFS_CG_UNLIMITED;
	cleanup_close int cur = dup(dir);
	for (int depth = 0; cur >= 0 && depth < 64; depth++) {
		uint64_t v = 0;
		if (read_u64(cur, name, &v) < 0)
			break; /* the root has no limit files */
		if (v < best)
			best = v;
		int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = up;
	}
	return best;
}

static void read_v2(int dir, unsigned what, struct pfs_cg_stats *st)
{
	char buf[8192] = "";
	if ((what & PFS_CGR_MEMORY) && read_u64(dir, "memory.current", &st->mem_usage) == 0) {
		st->has_memory = true;
		st->mem_limit = v2_min_up(dir, "memory.max");
		if (what & PFS_CGR_PEAK)
			(void)read_u64(dir, "memory.peak", &st->mem_peak);
		if (slurp(dir, "memory.stat", buf, sizeof(buf)) > 0) {
			memory_stat(st, buf, "");
			st->anon = keyed(buf, "anon");
			st->file = keyed(buf, "file");
			st->slab_reclaimable = keyed(buf, "slab_reclaimable");
			st->slab_unreclaimable = keyed(buf, "slab_unreclaimable");
			st->kernel_stack = keyed(buf, "kernel_stack");
			st->pagetables = keyed(buf, "pagetables");
		}
		if (read_u64(dir, "memory.swap.current", &st->swap_usage) == 0) {
			st->has_swap = true;
			st->swap_limit = v2_min_up(dir, "memory.swap.max");
		}
		if ((what & PFS_CGR_PEAK) && slurp(dir, "memory.events", buf, sizeof(buf)) > 0)
			st->oom_kills = keyed(buf, "oom_kill");
	}
	if (!(what & PFS_CGR_CPU))
		return;
	if (slurp(dir, "cpu.max", buf, 64) > 0 && strncmp(buf, "max", 3) != 0) {
		char *end = NULL;
		int64_t q = strtoll(buf, &end, 10);
		uint64_t period = strtoull(end, NULL, 10);
		if (q > 0 && period) {
			st->quota_us = q;
			st->period_us = period;
		}
	}
	if (slurp(dir, "cpu.stat", buf, sizeof(buf)) > 0) {
		st->has_cpuacct = true;
		st->cpu_usage_ns = keyed(buf, "usage_usec") * 1000;
		st->cpu_user_ns = keyed(buf, "user_usec") * 1000;
		st->cpu_system_ns = keyed(buf, "system_usec") * 1000;
	}
	read_cpuset(dir, "cpuset.cpus.effective", st);
}

int pfs_cg_read(const struct pfs_cgdirs *d, unsigned what, struct pfs_cg_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->mem_limit = st->swap_limit = st->pids_max = PFS_CG_UNLIMITED;
	st->quota_us = -1;
	if (d->version == 2 && d->fd[0] >= 0)
		read_v2(d->fd[0], what, st);
	else if (d->version == 1)
		read_v1(d, what, st);
	else
		return -ENOENT;
	if ((what & PFS_CGR_IO) && d->fd[PFS_CG_BLKIO] >= 0) {
		if (d->version == 2)
			read_io_v2(d->fd[PFS_CG_BLKIO], st);
		else
			read_io_v1(d->fd[PFS_CG_BLKIO], st);
	}
	int p = what & PFS_CGR_PIDS ? d->fd[PFS_CG_PIDS] : -1;
	if (read_u64(p, "pids.current", &st->pids_current) == 0) {
		st->has_pids = true;
		(void)read_u64(p, "pids.max", &st->pids_max);
	}
	return 0;
}

/* The mount point and root of the cgroup mount of `ctl` (NULL: the v2 one). */
static bool find_mount(const char *mountinfo, const char *ctl, char *mnt, size_t msize, char *root,
		       size_t rsize)
{
	for (const char *l = mountinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		char line[1024];
		if (len >= sizeof(line))
			continue;
		memcpy(line, l, len);
		line[len] = '\0';
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[32] = "", r[512] = "", m[512] = "", super[512] = "";
		if (sscanf(line, "%*s %*s %*s %511s %511s", r, m) != 2 ||
		    sscanf(sep + 3, "%31s %*s %511s", fstype, super) < 1)
			continue;
		bool match = false;
		if (!ctl) {
			match = !strcmp(fstype, "cgroup2");
		} else if (!strcmp(fstype, "cgroup")) {
			for (char *save = NULL, *o = strtok_r(super, ",", &save); o;
			     o = strtok_r(NULL, ",", &save))
				match |= !strcmp(o, ctl);
		}
		if (match) {
			snprintf(mnt, msize, "%s", m);
			snprintf(root, rsize, "%s", r);
			return true;
		}
	}
	return false;
}

/* mnt + (path relative to the mount's root). */
static void join(char *out, size_t size, const char *mnt, const char *root, const char *path)
{
	size_t rl = strlen(root);
	if (!strcmp(root, "/"))
		rl = 0;
	const char *rest = !strncmp(path, root, rl) ? path + rl : path;
	snprintf(out, size, "%s%s", mnt, !strcmp(rest, "/") ? "" : rest);
}

int pfs_cg_resolve(const char *cgroup_text, const char *mountinfo_text, char paths[PFS_CG_N][512])
{
	char v2path[512] = "";
	bool any_v1 = false;
	for (int i = 0; i < PFS_CG_N; i++)
		paths[i][0] = '\0';
	for (const char *l = cgroup_text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		/* "ID:CONTROLLERS:PATH" */
		const char *c1 = strchr(l, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *end = strchr(l, '\n');
		if (!c2 || (end && c2 > end))
			continue;
		size_t plen = end ? (size_t)(end - c2 - 1) : strlen(c2 + 1);
		char path[512], ctls[256];
		if (plen >= sizeof(path) || (size_t)(c2 - c1 - 1) >= sizeof(ctls))
			continue;
		memcpy(path, c2 + 1, plen);
		path[plen] = '\0';
		memcpy(ctls, c1 + 1, (size_t)(c2 - c1 - 1));
		ctls[c2 - c1 - 1] = '\0';
		char mnt[512], root[512];
		if (!ctls[0]) {
			if (find_mount(mountinfo_text, NULL, mnt, sizeof(mnt), root, sizeof(root)))
				join(v2path, sizeof(v2path), mnt, root, path);
			continue;
		}
		for (char *save = NULL, *c = strtok_r(ctls, ",", &save); c;
		     c = strtok_r(NULL, ",", &save))
			for (int i = 0; i < PFS_CG_UNIFIED; i++)
				if (!strcmp(c, pfs_cg_ctl_names[i]) &&
				    find_mount(mountinfo_text, c, mnt, sizeof(mnt), root,
					       sizeof(root))) {
					join(paths[i], 512, mnt, root, path);
					any_v1 = true;
				}
	}
	if (any_v1) {
		snprintf(paths[PFS_CG_UNIFIED], 512, "%s", v2path);
		return 1;
	}
	if (!v2path[0])
		return -ENOENT;
	for (int i = 0; i < PFS_CG_N; i++)
		snprintf(paths[i], 512, "%s", v2path);
	return 2;
}

int pfs_cg_resolve_pid(pid_t pid, char paths[PFS_CG_N][512])
{
	char path[64], cgtext[4096];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	ssize_t r = pfs_read_small_at(AT_FDCWD, path, cgtext, sizeof(cgtext));
	if (r < 0)
		return (int)r;
	const size_t mi_max = 1 << 18;
	cleanup_free char *mi = malloc(mi_max);
	if (!mi)
		return -ENOMEM;
	r = pfs_read_small_at(AT_FDCWD, "/proc/self/mountinfo", mi, mi_max);
	if (r < 0)
		return (int)r;
	return pfs_cg_resolve(cgtext, mi, paths);
}

int pfs_cg_open_paths(int version, char paths[PFS_CG_N][512], struct pfs_cgdirs *out)
{
	*out = (struct pfs_cgdirs)PFS_CGDIRS_INIT;
	out->version = version;
	for (int i = 0; i < PFS_CG_N; i++) {
		if (!paths[i][0])
			continue;
		if (version == 2 && i > 0) {
			out->fd[i] = out->fd[0];
			continue;
		}
		out->fd[i] = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (out->fd[i] < 0 && version == 2) {
			int e = errno;
			pfs_cgdirs_close(out);
			return -e;
		}
	}
	return 0;
}
