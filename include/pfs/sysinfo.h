/*
 * The sandbox's own machine: /proc/meminfo, cpuinfo, stat, uptime, loadavg,
 * swaps and the pressure files rendered from the sandbox's cgroup (v1 or v2) and its
 * own processes instead of the host's. docs/sysinfo.md has the rules.
 *
 * Three layers: a cgroup reader over directory fds (pfs_cg_read), pure
 * renderers from the parsed stats and the raw host file (pfs_sysinfo_*), and
 * a load sampler over the backing proc (pfs_load_*).
 */
#ifndef PFS_SYSINFO_H
#define PFS_SYSINFO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfs/buf.h"

/*
 * PFS_CG_UNIFIED is the process's group in the cgroup2 hierarchy whatever
 * the controllers: on a hybrid host it has no controller but keeps the
 * group's pressure (PSI) files.
 */
enum pfs_cg_ctl {
	PFS_CG_MEMORY,
	PFS_CG_CPU,
	PFS_CG_CPUACCT,
	PFS_CG_CPUSET,
	PFS_CG_PIDS,
	PFS_CG_BLKIO,
	PFS_CG_UNIFIED,
	PFS_CG_N
};

/* The controller names as cgroup v1 mounts spell them ("" for PFS_CG_UNIFIED). */
extern const char *const pfs_cg_ctl_names[PFS_CG_N];

/* A sandbox's cgroup: one dir fd per controller (v2: the same dir in each). */
struct pfs_cgdirs {
	int version; /* 0: none, 1 or 2 */
	int fd[PFS_CG_N]; /* -1: controller absent */
};
#define PFS_CGDIRS_INIT                                                                            \
	{                                                                                          \
		0,                                                                                 \
		{                                                                                  \
			-1, -1, -1, -1, -1, -1, -1                                                 \
		}                                                                                  \
	}

void pfs_cgdirs_close(struct pfs_cgdirs *d);

#define PFS_CG_MAX_CPUS 1024
#define PFS_CG_MAX_DEVS 64

/* One block device's I/O by the group (v1 blkio.throttle.*, v2 io.stat). */
struct pfs_cg_io {
	unsigned major, minor;
	uint64_t rbytes, wbytes, dbytes, rios, wios, dios;
};
#define PFS_CG_UNLIMITED UINT64_MAX

struct pfs_cg_stats {
	/* memory, bytes; limits PFS_CG_UNLIMITED when none */
	bool has_memory;
	uint64_t mem_limit, mem_usage, mem_peak;
	uint64_t swap_limit, swap_usage; /* swap alone (v1: memsw minus mem) */
	bool has_swap; /* swap accounting exists */
	uint64_t anon, file, shmem, file_mapped, file_dirty, file_writeback;
	uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t slab_reclaimable, slab_unreclaimable, kernel_stack, pagetables;
	uint64_t oom_kills;
	/* cpu, nanoseconds */
	bool has_cpuacct;
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t percpu_ns[PFS_CG_MAX_CPUS]; /* v1 cpuacct.usage_percpu; 0 on v2 */
	bool has_percpu;
	int64_t quota_us; /* -1: no quota */
	uint64_t period_us;
	/* cpuset: allowed CPUs; has_cpuset false = all */
	bool has_cpuset;
	uint8_t cpus[PFS_CG_MAX_CPUS / 8];
	/* pids */
	bool has_pids;
	uint64_t pids_current, pids_max; /* pids_max PFS_CG_UNLIMITED when none */
	/* block I/O */
	bool has_io;
	unsigned n_io;
	struct pfs_cg_io io[PFS_CG_MAX_DEVS];
};

static inline bool pfs_cg_cpu_allowed(const struct pfs_cg_stats *s, unsigned cpu)
{
	if (cpu >= PFS_CG_MAX_CPUS)
		return false;
	return !s->has_cpuset || (s->cpus[cpu / 8] >> (cpu % 8) & 1);
}

/* "0,2,3" from a mask of CPUs 0..63. */
void pfs_cpumask_format(uint64_t mask, char *out, size_t size);
/* Parses a cpu list ("0-3,6\n") into bits. -EINVAL on garbage. */
int pfs_cg_parse_cpulist(const char *s, uint8_t *bits, size_t nbits);

/* What pfs_cg_read reads: controllers (1 << PFS_CG_*) and the monitor's extras. */
#define PFS_CGR_MEMORY (1u << PFS_CG_MEMORY)
#define PFS_CGR_CPU ((1u << PFS_CG_CPU) | (1u << PFS_CG_CPUACCT) | (1u << PFS_CG_CPUSET))
#define PFS_CGR_PIDS (1u << PFS_CG_PIDS)
#define PFS_CGR_IO (1u << PFS_CG_BLKIO)
#define PFS_CGR_PEAK (1u << 8) /* memory peak and OOM kills */
#define PFS_CGR_ALL 0x1ffu

/*
 * Reads what each controller of d offers (those in `what`) into st; absent
 * files leave their fields at "unknown/unlimited". -ENOENT when d has no
 * controller at all.
 */
int pfs_cg_read(const struct pfs_cgdirs *d, unsigned what, struct pfs_cg_stats *st);

/*
 * Finds a process's cgroups: cgroup_text is /proc/PID/cgroup, mountinfo_text
 * the reader's mountinfo. paths[i] gets the directory of controller i ("" if
 * none); returns the version (1 or 2), or -ENOENT. A v2 path is used for all
 * controllers when none of them is on v1.
 */
int pfs_cg_resolve(const char *cgroup_text, const char *mountinfo_text, char paths[PFS_CG_N][512]);
/* pfs_cg_resolve on /proc/PID/cgroup (0: this process) and this process's mountinfo. */
int pfs_cg_resolve_pid(pid_t pid, char paths[PFS_CG_N][512]);
/* Opens the directories pfs_cg_resolve found. */
int pfs_cg_open_paths(int version, char paths[PFS_CG_N][512], struct pfs_cgdirs *out);

/* What the renderers know besides the cgroup. */
struct pfs_sysinfo_ctx {
	const struct pfs_cg_stats *cg; /* NULL: no cgroup (host's figures) */
	double host_uptime, host_idle; /* /proc/uptime of the host, seconds */
	double sandbox_age; /* seconds since the sandbox's init started */
	unsigned long clk_tck; /* USER_HZ */
	unsigned host_ncpus; /* online CPUs on the host */
	/* from the load sampler */
	double load[3];
	unsigned nr_running, nr_threads, nr_blocked;
	long last_pid;
	uint64_t forks; /* processes created in the sandbox (approx.) */
};

/* CPUs the sandbox may use: the cpuset, at most ceil(quota/period); >= 1. */
unsigned pfs_sysinfo_ncpus(const struct pfs_sysinfo_ctx *c);
/* The host CPU number of the sandbox's i-th CPU, or -1. */
int pfs_sysinfo_nth_cpu(const struct pfs_sysinfo_ctx *c, unsigned i);

/*
 * Each renders the sandbox's version of a /proc file from the host's (in,
 * len); in[len] must be a NUL (a pfs_buf's data is).
 */
int pfs_sysinfo_meminfo(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			struct pfs_buf *out);
int pfs_sysinfo_cpuinfo(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			struct pfs_buf *out);
int pfs_sysinfo_stat(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
		     struct pfs_buf *out);
int pfs_sysinfo_uptime(const struct pfs_sysinfo_ctx *c, struct pfs_buf *out);
int pfs_sysinfo_loadavg(const struct pfs_sysinfo_ctx *c, struct pfs_buf *out);
int pfs_sysinfo_swaps(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
		      struct pfs_buf *out);
/*
 * diskstats: each whole disk's reads, writes and discards (completed, and
 * sectors) are the group's; merges, times, in-flight and flushes are 0, as
 * are partitions (the cgroup counts per disk). The host's lines and fields
 * are kept, so iostat and friends parse it.
 */
int pfs_sysinfo_diskstats(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			  struct pfs_buf *out);

/*
 * /proc/PID/stat with starttime (field 22) counted from the sandbox's boot,
 * base_ticks after the host's: with btime moved by as much, ps's start times
 * and elapsed times stay right.
 */
int pfs_sysinfo_pid_stat(uint64_t base_ticks, const char *in, size_t len, struct pfs_buf *out);

/*
 * /proc/sys values the kernel sizes from RAM (kernel/threads-max, fs/file-max,
 * net/ipv4/tcp_mem and udp_mem linearly, vm/min_free_kbytes as a square
 * root), sized from the sandbox's memory instead; threads-max at most
 * pids_max. Copies in when the sandbox has the host's memory.
 */
int pfs_sysinfo_sysctl(const char *rest, const char *in, size_t len, uint64_t sandbox_kb,
		       uint64_t host_kb, uint64_t pids_max, struct pfs_buf *out);

/* The load sampler: counts the backing proc's runnable tasks every 5 s. */
struct pfs_load {
	pthread_mutex_t lock;
	double load[3];
	unsigned nr_running, nr_threads, nr_blocked;
	long last_pid;
	int backing_fd;
	pthread_t thread;
	bool started;
	int stop_pipe[2];
};
/* One pass over backing_fd: runnable (R) and uninterruptible (D) tasks, all tasks, max pid. */
int pfs_load_count(int backing_fd, unsigned *running, unsigned *blocked, unsigned *threads,
		   long *max_pid);
/* Folds one 5-second sample into the three averages, as the kernel does. */
void pfs_load_fold(double load[3], unsigned active);
/* Counts once; pfs_load_start then samples in a thread (after any fork). */
void pfs_load_init(struct pfs_load *l, int backing_fd);
int pfs_load_start(struct pfs_load *l);
void pfs_load_free(struct pfs_load *l);

/*
 * cgroup figures are reused for this long: a burst of reads (top, a
 * benchmark, a runtime probing at start-up) costs one set of cgroup reads.
 */
#define PFS_SYSINFO_CACHE_NS 50000000ull

struct pfs_cg_cache {
	unsigned what; /* 0: empty */
	uint64_t at_ns; /* CLOCK_MONOTONIC_COARSE */
	bool ok;
	struct pfs_cg_stats st;
};

/* A daemon's sysinfo source: the cgroup, the sandbox's start, the sampler. */
struct pfs_sysinfo {
	struct pfs_cgdirs cg;
	int backing_fd;
	unsigned long clk_tck;
	unsigned host_ncpus;
	pthread_mutex_t cache_lock;
	struct pfs_cg_cache cache[4]; /* one per set of controllers read */
	double start_boottime; /* seconds after boot the sandbox's init started */
	uint64_t start_ticks; /* the same in USER_HZ ticks (its starttime) */
	struct pfs_load load;
};
/* backing_fd: the sandbox's procfs; cg is taken over (closed by _free). */
void pfs_sysinfo_init(struct pfs_sysinfo *s, int backing_fd, struct pfs_cgdirs *cg);
/*
 * The daemon's: backing_fd and the cgroups of process cgroup_pid (as this
 * process's /proc and mountinfo show them; 0: no cgroup). *out is NULL-safe
 * for pfs_sysinfo_destroy.
 */
int pfs_sysinfo_open(int backing_fd, pid_t cgroup_pid, struct pfs_sysinfo **out);
/* Starts the load sampler; call once the process will not fork any more. */
int pfs_sysinfo_start(struct pfs_sysinfo *s);
void pfs_sysinfo_free(struct pfs_sysinfo *s);
void pfs_sysinfo_destroy(struct pfs_sysinfo *s);
/*
 * The sandbox's version of /proc/<rest> from the host's raw content:
 * -ENOENT when rest is not a virtualised file (serve raw as is).
 */
int pfs_sysinfo_render(struct pfs_sysinfo *s, const char *rest, const char *raw, size_t len,
		       struct pfs_buf *out);
/* The same for a file of a process directory (rest: "stat"). */
int pfs_sysinfo_render_pid(struct pfs_sysinfo *s, const char *rest, const char *raw, size_t len,
			   struct pfs_buf *out);

#endif
