/*
 * pfsbench: `make bench`. Measures procfilterfs side by side with native
 * procfs, a null FUSE proxy (bench/nullproxy.c) and LXCFS, in one run,
 * interleaved round-robin across targets, and writes a table to stdout and
 * to a markdown file.
 *
 * It runs inside its own pid and mount namespaces: a fresh procfs is mounted
 * on /proc (so process counts are exact and other work on the machine does
 * not leak into the walks), 50 tmpfs mounts make mountinfo realistic, and
 * every daemon is started on a temporary mountpoint there. When the bench
 * (pid 1 of that namespace) exits, every daemon and child dies with it.
 *
 * usage: pfsbench --build DIR --filters DIR --policy200 FILE [--out FILE] [--quick]
 *        pfsbench --gen-policy FILE [--filters DIR]
 *
 * This file: usage, option parsing, the target and scenario tables and the
 * main flow. The other files in bench/pfsbench/ each hold one part.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/monitor.h"
#include "pfsbench.h"

#define NMOUNTS 50

struct target tg[NT] = {
	[T_NATIVE] = {.key = "native", .label = "native"},
	[T_NULL] = {.key = "null", .label = "null proxy"},
	[T_FLOOR] = {.key = "floor", .label = "FUSE floor"},
	[T_PASS] = {.key = "pass", .label = "pfs passthrough"},
	[T_DEFAULT] = {.key = "default", .label = "pfs default"},
	[T_R200] = {.key = "r200", .label = "pfs 200-rule"},
	[T_ALT] = {.key = "alt", .label = "pfs default [alt build]"},
	[T_LXCFS] = {.key = "lxcfs", .label = "LXCFS"},
};

struct config cfg = {.samples = 3000};

char tmpdir[64];
static pid_t maps_child;

static char *md_text;
static size_t md_len;

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pfsbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ---- main flow ---------------------------------------------------------- */

#define SC(n, k, r, m, d, pf)                                                                      \
	{                                                                                          \
		.name = n, .kind = k, .rel = r, .mask = m, .div = d, .per_file = pf                \
	}
struct scenario files[] = {
	SC("/proc/self/status", OP_READ, "self/status", M_ALL, 1, true),
	SC("/proc/self/stat", OP_READ, "self/stat", M_ALL, 1, true),
	SC("/proc/PID/maps (2000 mappings)", OP_READ, "PID/maps", M_ALL, 10, true),
	SC("/proc/self/mountinfo (50+ mounts)", OP_READ, "self/mountinfo", M_ALL, 3, true),
	SC("/proc/meminfo", OP_READ, "meminfo", M_LX, 1, true),
	SC("/proc/uptime", OP_READ, "uptime", M_LX, 1, true),
	SC("/proc/stat", OP_READ, "stat", M_LX, 1, true),
	SC("/proc/cpuinfo", OP_READ, "cpuinfo", M_LX, 2, true),
	SC("/proc/loadavg", OP_READ, "loadavg", M_LX, 1, true),
	SC("/proc/diskstats", OP_READ, "diskstats", M_LX, 1, true),
	SC("pread at 0 of open /proc/self/stat", OP_PREAD, "self/stat", M_ALL, 1, false),
	SC("readdir /proc", OP_READDIR, "", M_ALL, 2, false),
	SC("readlink /proc/self", OP_READLINK, "self", M_ALL, 1, false),
	SC("stat /proc/PID/status", OP_STAT, "PID/status", M_ALL, 1, false),
};
struct scenario walks[] = {
	SC("ps aux walk, 50 processes (µs/walk)", OP_WALK, "", M_ALL, 0, false),
	SC("ps aux walk, 200 processes (µs/walk)", OP_WALK, "", M_ALL, 0, false),
	SC("ps aux walk, 1000 processes (µs/walk)", OP_WALK, "", M_ALL, 0, false),
};
const long walk_procs[] = {50, 200, 1000};

struct extra ex;

static void setup_namespace(void)
{
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount proc: %s", strerror(errno));
	if (mount("pfsbench", tmpdir, "tmpfs", 0, "size=64m,mode=0755") < 0)
		die("mount tmpfs on %s: %s", tmpdir, strerror(errno));
	for (int i = 0; i < NMOUNTS; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/m%02d", tmpdir, i);
		if (mkdir(p, 0755) < 0 || mount("benchtmp", p, "tmpfs", 0, "size=1m") < 0)
			die("mount %s: %s", p, strerror(errno));
	}
}

static void measure_rss_opens(void)
{
	if (!tg[T_DEFAULT].ok)
		return;
	long opens = cfg.smoke ? 2000 : cfg.quick ? 20000 : 100000;
	char paths[3][PATH_MAX];
	make_path(paths[0], PATH_MAX, &tg[T_DEFAULT], "self/status", 0);
	make_path(paths[1], PATH_MAX, &tg[T_DEFAULT], "meminfo", 0);
	for (long i = 0; i < 1000; i++)
		read_file(paths[i % 2]);
	ex.rss_start = daemon_rss_kib(tg[T_DEFAULT].pid);
	for (long i = 0; i < opens; i++) {
		if (i % 3 == 2) {
			pid_t p = sleepers[(size_t)i % nsleepers];
			snprintf(paths[2], PATH_MAX, "%s/%d/stat", tg[T_DEFAULT].prefix, p);
			read_file(paths[2]);
		} else {
			read_file(paths[i % 3]);
		}
		if (i + 1 == opens / 4)
			ex.rss_25k = daemon_rss_kib(tg[T_DEFAULT].pid);
	}
	ex.rss_end = daemon_rss_kib(tg[T_DEFAULT].pid);
	ex.rss_opens = opens;
	tg[T_DEFAULT].ops += (uint64_t)opens + 1000;
}

static void measure_monitor(void)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ex.monitor_err = errno;
		return;
	}
	unsigned passes = cfg.smoke ? 2 : cfg.quick ? 5 : 20;
	uint64_t cpu_ns = 0;
	int r = pfs_monitor_sample_once(fd, passes, &cpu_ns, &ex.monitor_procs);
	close(fd);
	if (r < 0) {
		ex.monitor_err = -r;
		return;
	}
	ex.monitor_us_per_pass = (double)cpu_ns / 1000.0 / passes;
}

/* Every phase but the hostile load: the latency table, walks, monitor, concurrency, RSS. */
static void measure_scenarios(void)
{
	procs_to(50);

	uint64_t cpu0[NT];
	for (int t = 0; t < NT; t++)
		cpu0[t] = tg[t].pid ? daemon_cpu_ticks(tg[t].pid) : 0;
	uint64_t ops0[NT];
	for (int t = 0; t < NT; t++)
		ops0[t] = tg[t].ops;
	for (size_t i = 0; i < NFILES; i++) {
		int arg = !strncmp(files[i].rel, "PID", 3)
				  ? (strstr(files[i].name, "maps") ? maps_child : sleepers[0])
				  : 0;
		fprintf(stderr, "pfsbench: %s\n", files[i].name);
		run_scenario(&files[i], arg);
	}
	long hz = sysconf(_SC_CLK_TCK);
	for (int t = T_NULL; t < NT; t++)
		if (tg[t].pid && tg[t].ops > ops0[t])
			ex.cpu_ms_per_k[t] = (double)(daemon_cpu_ticks(tg[t].pid) - cpu0[t]) *
					     1000.0 / (double)hz / (double)(tg[t].ops - ops0[t]) *
					     1000.0;

	for (int i = 0; i < 3; i++) {
		if (cfg.smoke && i == 2)
			break;
		procs_to(walk_procs[i]);
		unsigned base = cfg.quick ? (cfg.smoke ? 1 : 3) : (i == 0 ? 40 : i == 1 ? 15 : 5);
		walks[i].div = 1;
		unsigned saved = cfg.samples;
		cfg.samples = base;
		fprintf(stderr, "pfsbench: %s\n", walks[i].name);
		run_scenario(&walks[i], 0);
		cfg.samples = saved;
		if (i == 1) {
			fprintf(stderr, "pfsbench: monitor at 200 processes\n");
			measure_monitor();
			fprintf(stderr, "pfsbench: concurrent readers\n");
			measure_concurrency();
		}
	}
	for (int t = T_NULL; t < NT; t++)
		if (tg[t].pid)
			ex.rss_1000[t] = daemon_rss_kib(tg[t].pid);
	fprintf(stderr, "pfsbench: RSS over many opens\n");
	measure_rss_opens();
}

static int bench_main(void)
{
	rbuf = malloc(RBUF_SIZE);
	if (!rbuf)
		die("out of memory");
	setup_namespace();
	if (cfg.cpu >= 0)
		set_affinity(0, cfg.cpu); /* inherited by every daemon and child */
	maps_child = spawn_maps_child(NMAPS);
	start_targets();
	fprintf(stderr, "pfsbench: targets up:");
	for (int t = 0; t < NT; t++)
		fprintf(stderr, " %s=%s", tg[t].key, tg[t].ok ? "ok" : "no");
	fprintf(stderr, "\n");
	if (!tg[T_DEFAULT].ok)
		die("procfilterfs did not mount");
	if (!cfg.hostile_only)
		measure_scenarios();
	fprintf(stderr, "pfsbench: hostile load\n");
	measure_hostile(maps_child);
	fprintf(stderr, "pfsbench: reaching the real object through /proc, in pfs run\n");
	measure_objects();
	fprintf(stderr, "pfsbench: stress-ng --procfs, native and in pfs run\n");
	measure_stressng();
	stop_targets();

	if (!(md = open_memstream(&md_text, &md_len)))
		die("open_memstream: %s", strerror(errno));
	report();
	fclose(md);
	fputs(md_text, stdout);
	if (cfg.out) {
		FILE *f = fopen(cfg.out, "we");
		if (!f || fputs(md_text, f) < 0 || fclose(f) != 0)
			die("cannot write %s: %s", cfg.out, strerror(errno));
		fflush(stdout);
		fprintf(stderr, "pfsbench: wrote %s\n", cfg.out);
	}
	return 0;
}

static pid_t bench_pid;

static void forward_kill(int sig)
{
	if (bench_pid > 0)
		kill(bench_pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pfsbench --build DIR --filters DIR --policy200 FILE [--out FILE] "
		"[--quick|--smoke] [--hostile-only] [--alt-daemon PATH] [--cpu N|none]\n"
		"       pfsbench --gen-policy FILE [--filters DIR]\n"
		"       pfsbench --loop PATH [N]   (open+read+close PATH N times, for profiling)\n"
		"       pfsbench --objects-helper SAMPLES PREFIX... (run by the bench in pfs run)\n"
		"Needs root and /dev/fuse. BENCH_QUICK=1 in the environment = --quick.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"build", required_argument, NULL, 'b'},
		{"filters", required_argument, NULL, 'F'},
		{"policy200", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"quick", no_argument, NULL, 'q'},
		{"smoke", no_argument, NULL, 's'},
		{"hostile-only", no_argument, NULL, 'H'},
		{"cpu", required_argument, NULL, 'c'},
		{"gen-policy", required_argument, NULL, 'g'},
		{"loop", required_argument, NULL, 'l'},
		{"alt-daemon", required_argument, NULL, 'a'},
		{"objects-helper", required_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *gen = NULL, *loop_path = NULL, *helper_samples = NULL;
	cfg.build = "build";
	cfg.filters = "filters";
	const char *q = getenv("BENCH_QUICK");
	cfg.quick = q && *q && strcmp(q, "0") != 0;
	/* Default: the last CPU (CPU 0 takes more interrupts); none on one CPU. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.cpu = ncpu > 1 ? (int)ncpu - 1 : -1;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			cfg.build = optarg;
			break;
		case 'F':
			cfg.filters = optarg;
			break;
		case 'p':
			cfg.policy200 = optarg;
			break;
		case 'o':
			cfg.out = optarg;
			break;
		case 'q':
			cfg.quick = true;
			break;
		case 's':
			cfg.quick = cfg.smoke = true;
			break;
		case 'H':
			cfg.hostile_only = true;
			break;
		case 'c':
			cfg.cpu = strcmp(optarg, "none") ? atoi(optarg) : -1;
			break;
		case 'g':
			gen = optarg;
			break;
		case 'l':
			loop_path = optarg;
			break;
		case 'a':
			cfg.alt = optarg;
			break;
		case 'O':
			helper_samples = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (helper_samples) /* inside pfs run: no namespaces, no targets */
		return objects_helper((unsigned)atoi(helper_samples), argc - optind, argv + optind);
	static char filters_abs[PATH_MAX], build_abs[PATH_MAX];
	long loop_n = optind < argc ? atol(argv[optind]) : 10000;
	if (realpath(cfg.filters, filters_abs))
		cfg.filters = filters_abs;
	if (gen)
		return gen_policy(gen) < 0 ? 1 : 0;
	if (loop_path) {
		/* For profiling a daemon: pfsbench --loop PATH N (open+read+close N times). */
		if (!(rbuf = malloc(RBUF_SIZE)))
			die("out of memory");
		for (long i = 0; i < loop_n; i++)
			if (read_file(loop_path) < 0)
				die("%s: %s", loop_path, strerror(errno));
		return 0;
	}
	if (!cfg.policy200) {
		usage();
		return 2;
	}
	if (realpath(cfg.build, build_abs))
		cfg.build = build_abs;
	if (cfg.quick)
		cfg.samples = cfg.smoke ? 40 : 400;
	if (getuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		fprintf(stderr, "pfsbench: needs root and /dev/fuse (mounts, namespaces)\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pfsbench.XXXXXX");
	if (!mkdtemp(tmpdir))
		die("mkdtemp: %s", strerror(errno));
	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0)
		die("unshare(CLONE_NEWNS|CLONE_NEWPID): %s", strerror(errno));
	/* Nothing mounted from here on may propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private: %s", strerror(errno));
	fflush(NULL);
	bench_pid = fork();
	if (bench_pid < 0)
		die("fork: %s", strerror(errno));
	if (bench_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		exit(bench_main());
	}
	signal(SIGINT, forward_kill);
	signal(SIGTERM, forward_kill);
	signal(SIGHUP, forward_kill);
	int status = 0;
	while (waitpid(bench_pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The namespace is shared with this process: drop what the bench mounted. */
	umount2(tmpdir, MNT_DETACH);
	rmdir(tmpdir);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "pfsbench: killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	return WEXITSTATUS(status);
}
