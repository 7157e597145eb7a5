/* pfsbench: types, configuration and helpers shared by the bench's files. */
#ifndef PFSBENCH_H
#define PFSBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

enum { T_NATIVE, T_NULL, T_FLOOR, T_PASS, T_DEFAULT, T_ALT, T_R200, T_LXCFS, NT };
#define M(t) (1u << (t))
#define M_FUSE (M(T_NULL) | M(T_FLOOR) | M(T_PASS) | M(T_DEFAULT) | M(T_ALT) | M(T_R200))
#define M_ALL (M(T_NATIVE) | M_FUSE)
#define M_LX (M_ALL | M(T_LXCFS))

struct target {
	const char *key, *label;
	char mnt[128]; /* mountpoint ("" for native) */
	char prefix[160]; /* what replaces /proc */
	pid_t pid; /* daemon */
	bool ok;
	char note[320];
	uint64_t ops; /* operations sent, for CPU per op */
};

extern struct target tg[NT];

enum op_kind { OP_READ, OP_PREAD, OP_READDIR, OP_READLINK, OP_STAT, OP_WALK };

struct stats {
	double p50, p99;
	size_t n;
	int err; /* errno of the first failure, 0 if none */
	long seen; /* walks: processes seen */
};

struct scenario {
	const char *name;
	enum op_kind kind;
	const char *rel; /* relative to the prefix; a leading "PID" is the pid argument */
	unsigned mask;
	unsigned div; /* samples = base / div */
	bool per_file; /* an open+read+close of one file */
	struct stats st[NT];
	double cpu_us[NT]; /* the daemon's CPU per operation over the scenario (schedstat), µs */
};

struct config {
	const char *build, *filters, *policy200, *out;
	const char *alt; /* --alt-daemon: another procfilterfs binary, run with default.policy */
	bool quick;
	bool smoke; /* --smoke: seconds-long run that only checks the harness works */
	bool hostile_only; /* --hostile-only: the hostile-load table alone */
	int cpu; /* --cpu N: the bench and every daemon on CPU N (-1: not pinned) */
	unsigned samples; /* per target per cheap scenario */
};

extern struct config cfg;

extern char tmpdir[64];
extern char *rbuf;
#define RBUF_SIZE (4u << 20)

extern FILE *md; /* the markdown report, built in memory */

/* The scenarios (main.c); the report indexes them by position. */
#define NFILES 14
#define NWALKS 3
extern struct scenario files[NFILES];
extern struct scenario walks[NWALKS];
extern const long walk_procs[NWALKS];

/* hostile.c: the attacks, in the report's order */
enum { A_IDLE, A_SMAPS, A_SMAPS_BIG, A_RELAYS, A_FDS, A_STORM, NATTACKS };
extern const char *const hostile_names[NATTACKS];
struct hostile {
	double p99_ms[NATTACKS]; /* the victim's */
	long hwm_kib[NATTACKS]; /* the daemon's peak RSS during the attack */
	int err[NATTACKS]; /* the victim's first failure */
	long served[NATTACKS], refused[NATTACKS]; /* the smaps attacks' reads: whole, failed */
};

/* objects.c: reaching the real object through /proc (issue 15), in the report's order */
enum { OB_FDWRITE, OB_PIDFD, OB_SETNS, OB_READ, OB_SENDFILE, NOBJ };
/* its columns: no sandbox, the kernel proc inside `pfs run`, procfilterfs there */
enum { OBJ_HOST, OBJ_KPROC, OBJ_PFS, NOBJCOL };
extern const char *const obj_names[NOBJ];
struct obj_row {
	struct stats st[NOBJCOL]; /* err: for sendfile its result, else the first failure */
	double cpu_ms_per_k; /* the sandbox daemon's CPU per 1000 operations on procfilterfs */
	char skip[200]; /* why the row could not run */
};

/* stressng.c: `stress-ng --procfs` natively and inside `pfs run` (issue 16) */
enum { SNG_NATIVE, SNG_PFS, SNG_NULL, SNG_FLOOR, NSNG };
struct sng_result {
	double bops_s[NSNG]; /* median bogo-ops/s of each side */
	double cpu_ms_per_k; /* the sandbox daemon's CPU per 1000 bogo-ops (median) */
	unsigned rounds, secs;
	char note[240];
};

struct extra {
	double tput[NT][3]; /* readers 1, 2, 4 */
	double cpu_ms_per_k[NT];
	long rss_start, rss_25k, rss_end, rss_opens;
	long rss_1000[NT];
	double monitor_us_per_pass;
	uint64_t monitor_procs;
	int monitor_err;
	struct hostile hostile[NT];
	struct obj_row obj[NOBJ];
	char obj_note[240];
	struct sng_result sng;
};
extern struct extra ex;

extern pid_t *sleepers;
extern size_t nsleepers;

/* main.c */
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ops.c */
long read_file(const char *path);
bool is_pid_name(const char *s);
int do_op(enum op_kind kind, const char *path, int fd, long *seen);

/* stats.c */
void summarize(double *v, size_t n, struct stats *st);
void make_path(char *out, size_t size, const struct target *t, const char *rel, int arg);
void run_scenario(struct scenario *s, int arg);

/* procs.c */
void procs_to(long want);
pid_t spawn_maps_child(int n);
#define NMAPS 2000 /* the maps child of the latency table */
#define NMAPS_BIG 27000 /* of the big smaps attack: about 20 MiB of smaps */
void set_affinity(pid_t pid, int cpu);
void set_affinity_all(pid_t pid, int cpu);

/* daemons.c */
uint64_t daemon_cpu_ticks(pid_t pid);
uint64_t daemon_cpu_ns(pid_t pid);
long daemon_rss_kib(pid_t pid);
/* VmHWM in KiB, or -1. */
long daemon_hwm_kib(pid_t pid);
void start_targets(void);
void stop_targets(void);

/* policy200.c */
int gen_policy(const char *path);

/* concurrency.c */
void measure_concurrency(void);
/* Pins the bench and every daemon to cpu (-1: unpins); no-op when the bench is not pinned. */
void pin_everything(int cpu);

/* hostile.c */
void measure_hostile(pid_t maps_pid);

/* sandbox.c: a workload in `pfs run` with default.policy and dir at /t (and with kproc,
 * the sandbox's kernel proc at /kproc) */
struct sandbox {
	pid_t pid; /* pfs run */
	FILE *out; /* the workload's stdout */
	int in; /* the workload's stdin */
	char log[PATH_MAX]; /* pfs run's stderr */
	char match[PATH_MAX + 8]; /* in the daemon's command line */
};
int sandbox_start(struct sandbox *sb, const char *dir, bool kproc, char *const workload[]);
/* Closes the workload's stdin and waits: pfs run's exit status. */
int sandbox_finish(struct sandbox *sb);
/* note = what + the head of pfs run's stderr */
void sandbox_error(const struct sandbox *sb, const char *what, char *note, size_t size);
uint64_t sandbox_daemon_ticks(const struct sandbox *sb);
/* Copies src to path (mode), or dies. */
void copy_file(const char *src, const char *path, mode_t mode);
/* tmpdir/name, writable by the sandbox's root */
void sandbox_dir(char *dir, size_t size, const char *name);

/* objects.c */
int objects_helper(unsigned samples, int nprefix, char **prefixes);
void measure_objects(void);

/* stressng.c */
void measure_stressng(void);

/* report.c */
void report(void);

#endif
