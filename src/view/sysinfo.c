/* A daemon's sysinfo source: which files are virtualised and from what. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/sysinfo.h"

static double boottime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* When the backing's pid 1 (the sandbox's init) started, in seconds after boot. */
static int init_start(int backing_fd, double *out, uint64_t *ticks)
{
	char buf[1024];
	cleanup_close int fd = openat(backing_fd, "1/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	/* fields after comm: state is 3, starttime 22 */
	for (int f = 3; f <= 22 && p; f++)
		p = strchr(p + 1, ' ');
	char *end = NULL;
	unsigned long long start = p ? strtoull(p + 1, &end, 10) : 0;
	if (!p || end == p + 1)
		return -EBADMSG;
	*ticks = start;
	*out = (double)start / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

void pfs_sysinfo_init(struct pfs_sysinfo *s, int backing_fd, struct pfs_cgdirs *cg)
{
	memset(s, 0, sizeof(*s));
	s->cg = *cg;
	*cg = (struct pfs_cgdirs)PFS_CGDIRS_INIT;
	s->backing_fd = backing_fd;
	s->clk_tck = (unsigned long)sysconf(_SC_CLK_TCK);
	s->host_ncpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	pthread_mutex_init(&s->cache_lock, NULL);
	if (init_start(backing_fd, &s->start_boottime, &s->start_ticks) < 0) {
		s->start_boottime = boottime_now();
		s->start_ticks = (uint64_t)(s->start_boottime * (double)sysconf(_SC_CLK_TCK));
	}
	pfs_load_init(&s->load, backing_fd);
}

int pfs_sysinfo_start(struct pfs_sysinfo *s)
{
	return s ? pfs_load_start(&s->load) : 0;
}

void pfs_sysinfo_free(struct pfs_sysinfo *s)
{
	pfs_load_free(&s->load);
	pfs_cgdirs_close(&s->cg);
	pthread_mutex_destroy(&s->cache_lock);
}

void pfs_sysinfo_destroy(struct pfs_sysinfo *s)
{
	if (!s)
		return;
	pfs_sysinfo_free(s);
	free(s);
}

static int open_cgroup_of(pid_t pid, struct pfs_cgdirs *cg)
{
	char paths[PFS_CG_N][512];
	int v = pfs_cg_resolve_pid(pid, paths);
	if (v < 0)
		return v;
	return pfs_cg_open_paths(v, paths, cg);
}

int pfs_sysinfo_open(int backing_fd, pid_t cgroup_pid, struct pfs_sysinfo **out)
{
	*out = NULL;
	struct pfs_cgdirs cg = PFS_CGDIRS_INIT;
	int r = cgroup_pid > 0 ? open_cgroup_of(cgroup_pid, &cg) : 0;
	if (r < 0)
		return r;
	struct pfs_sysinfo *s = malloc(sizeof(*s));
	if (!s) {
		pfs_cgdirs_close(&cg);
		return -ENOMEM;
	}
	pfs_sysinfo_init(s, backing_fd, &cg);
	*out = s;
	return 0;
}

static uint64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The cgroup's figures for `what`, read at most PFS_SYSINFO_CACHE_NS ago. */
static bool cg_stats(struct pfs_sysinfo *s, unsigned what, struct pfs_cg_stats *out)
{
	uint64_t now = coarse_ns();
	pthread_mutex_lock(&s->cache_lock);
	struct pfs_cg_cache *e = &s->cache[0];
	for (size_t i = 0; i < sizeof(s->cache) / sizeof(s->cache[0]); i++)
		if (s->cache[i].what == what || !s->cache[i].what) {
			e = &s->cache[i];
			break;
		}
	if (e->what != what || now - e->at_ns >= PFS_SYSINFO_CACHE_NS) {
		e->what = what;
		e->at_ns = now;
		e->ok = pfs_cg_read(&s->cg, what, &e->st) == 0;
	}
	bool ok = e->ok;
	if (ok)
		memcpy(out, &e->st, sizeof(*out));
	pthread_mutex_unlock(&s->cache_lock);
	return ok;
}

enum vfile {
	VF_MEMINFO,
	VF_CPUINFO,
	VF_STAT,
	VF_UPTIME,
	VF_LOADAVG,
	VF_SWAPS,
	VF_DISKSTATS,
	VF_PRESSURE,
	VF_SYSCTL,
};

static const struct {
	const char *name;
	enum vfile f;
	unsigned what; /* the controllers it needs */
	const char *v2_file; /* pressure: the cgroup's own file */
} files[] = {
	{"meminfo", VF_MEMINFO, PFS_CGR_MEMORY, NULL},
	{"cpuinfo", VF_CPUINFO, PFS_CGR_CPU, NULL},
	{"stat", VF_STAT, PFS_CGR_CPU, NULL},
	{"uptime", VF_UPTIME, PFS_CGR_CPU, NULL},
	{"loadavg", VF_LOADAVG, 0, NULL},
	{"swaps", VF_SWAPS, PFS_CGR_MEMORY, NULL},
	{"diskstats", VF_DISKSTATS, PFS_CGR_IO, NULL},
	{"pressure/cpu", VF_PRESSURE, 0, "cpu.pressure"},
	{"pressure/memory", VF_PRESSURE, 0, "memory.pressure"},
	{"pressure/io", VF_PRESSURE, 0, "io.pressure"},
	{"sys/kernel/threads-max", VF_SYSCTL, PFS_CGR_MEMORY | PFS_CGR_PIDS, NULL},
	{"sys/fs/file-max", VF_SYSCTL, PFS_CGR_MEMORY, NULL},
	{"sys/vm/min_free_kbytes", VF_SYSCTL, PFS_CGR_MEMORY, NULL},
	{"sys/net/ipv4/tcp_mem", VF_SYSCTL, PFS_CGR_MEMORY, NULL},
	{"sys/net/ipv4/udp_mem", VF_SYSCTL, PFS_CGR_MEMORY, NULL},
};

/* A RAM-sized sysctl from the sandbox's memory limit (the host's meminfo gives the scale). */
static int sysctl(struct pfs_sysinfo *s, const struct pfs_cg_stats *st, const char *rest,
		  const char *raw, size_t len, struct pfs_buf *out)
{
	if (!st || !st->has_memory || st->mem_limit == PFS_CG_UNLIMITED)
		return -ENOENT;
	char mi[256];
	if (pfs_read_small_at(s->backing_fd, "meminfo", mi, sizeof(mi)) <= 0)
		return -ENOENT;
	const char *p = strstr(mi, "MemTotal:");
	uint64_t host_kb = p ? strtoull(p + 9, NULL, 10) : 0;
	return pfs_sysinfo_sysctl(rest, raw, len, st->mem_limit / 1024, host_kb,
				  st->has_pids ? st->pids_max : PFS_CG_UNLIMITED, out);
}

/*
 * cgroup v2 keeps a pressure file per group in the same format as /proc's,
 * also on a hybrid host, where the sandbox's unified group has no controller.
 */
static int pressure(const struct pfs_sysinfo *s, const char *name, struct pfs_buf *out)
{
	if (s->cg.fd[PFS_CG_UNIFIED] < 0)
		return -ENOENT;
	cleanup_close int fd = openat(s->cg.fd[PFS_CG_UNIFIED], name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return pfs_buf_append(out, buf, (size_t)n);
}

int pfs_sysinfo_render(struct pfs_sysinfo *s, const char *rest, const char *raw, size_t len,
		       struct pfs_buf *out)
{
	size_t i = 0;
	while (i < sizeof(files) / sizeof(files[0]) && strcmp(rest, files[i].name) != 0)
		i++;
	if (i == sizeof(files) / sizeof(files[0]))
		return -ENOENT;
	if (files[i].f == VF_PRESSURE)
		return pressure(s, files[i].v2_file, out);
	cleanup_free struct pfs_cg_stats *st = NULL;
	struct pfs_sysinfo_ctx c = {.clk_tck = s->clk_tck, .host_ncpus = s->host_ncpus};
	if (files[i].what && s->cg.version) {
		st = malloc(sizeof(*st));
		if (!st)
			return -ENOMEM;
		if (cg_stats(s, files[i].what, st))
			c.cg = st;
	}
	c.host_uptime = boottime_now();
	c.sandbox_age = c.host_uptime - s->start_boottime;
	if (c.sandbox_age < 0)
		c.sandbox_age = 0;
	pthread_mutex_lock(&s->load.lock);
	memcpy(c.load, s->load.load, sizeof(c.load));
	c.nr_running = s->load.nr_running;
	c.nr_blocked = s->load.nr_blocked;
	c.nr_threads = s->load.nr_threads;
	c.last_pid = s->load.last_pid;
	pthread_mutex_unlock(&s->load.lock);
	c.forks = (uint64_t)c.last_pid;
	switch (files[i].f) {
	case VF_MEMINFO:
		return pfs_sysinfo_meminfo(&c, raw, len, out);
	case VF_CPUINFO:
		return pfs_sysinfo_cpuinfo(&c, raw, len, out);
	case VF_STAT:
		return pfs_sysinfo_stat(&c, raw, len, out);
	case VF_UPTIME: {
		char host[64];
		snprintf(host, sizeof(host), "%.*s", (int)(len < 63 ? len : 63), raw);
		char *mid = NULL, *end = NULL;
		c.host_uptime = strtod(host, &mid);
		c.host_idle = strtod(mid, &end);
		if (mid == host || end == mid)
			return -EBADMSG;
		return pfs_sysinfo_uptime(&c, out);
	}
	case VF_LOADAVG:
		return pfs_sysinfo_loadavg(&c, out);
	case VF_SWAPS:
		return pfs_sysinfo_swaps(&c, raw, len, out);
	case VF_DISKSTATS:
		return pfs_sysinfo_diskstats(&c, raw, len, out);
	case VF_SYSCTL:
		return sysctl(s, c.cg, rest, raw, len, out);
	case VF_PRESSURE:
		break;
	}
	return -ENOENT;
}

int pfs_sysinfo_render_pid(struct pfs_sysinfo *s, const char *rest, const char *raw, size_t len,
			   struct pfs_buf *out)
{
	if (strcmp(rest, "stat") != 0)
		return -ENOENT;
	return pfs_sysinfo_pid_stat(s->start_ticks, raw, len, out);
}
