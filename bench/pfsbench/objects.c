/*
 * pfsbench: what it costs to reach the real object through /proc (issue 15;
 * docs/compat.md, "The object behind a link", "System calls on /proc files",
 * "pidfds and namespaces"). A helper (pfsbench --objects-helper) times each
 * operation on procfilterfs and on the kernel's proc of the same `pfs run`
 * sandbox (/kproc), interleaved, and once more outside any sandbox on the
 * bench's own kernel proc. It reports to the bench on stdout, one line each:
 *   begin ROW / end ROW OPS   the bench samples the daemon's CPU, answers a line
 *   res ROW COL P50 P99 N ERR timings of ROW on the COLth prefix
 *   skip ROW REASON           ROW cannot run here
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfsbench.h"

const char *const obj_names[NOBJ] = {
	"write 1 byte to a pipe through /proc/self/fd/N (open+write+close)",
	"pidfd_send_signal(0) on open(\"/proc/PID\") (open+signal+close)",
	"setns(open(\"/proc/PID/ns/net\")) (open+setns+close)",
	"/proc/self/status open+read+close",
	"sendfile of an open /proc/self/status (result)",
};

struct obj_ctx {
	char path[PATH_MAX];
	int fd, aux; /* row-specific: the open file; the pipe's read end or /dev/null */
};

#define MAX_PREFIXES 2

static int obj_setup(int row, const char *prefix, struct obj_ctx *c)
{
	int p[2];
	c->fd = c->aux = -1;
	switch (row) {
	case OB_FDWRITE:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		c->aux = p[0];
		c->fd = p[1];
		snprintf(c->path, sizeof(c->path), "%s/self/fd/%d", prefix, p[1]);
		break;
	case OB_PIDFD:
		snprintf(c->path, sizeof(c->path), "%s/%d", prefix, (int)getpid());
		break;
	case OB_SETNS:
		snprintf(c->path, sizeof(c->path), "%s/%d/ns/net", prefix, (int)getpid());
		break;
	case OB_READ:
		snprintf(c->path, sizeof(c->path), "%s/self/status", prefix);
		break;
	case OB_SENDFILE:
		snprintf(c->path, sizeof(c->path), "%s/self/status", prefix);
		c->fd = open(c->path, O_RDONLY | O_CLOEXEC);
		c->aux = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (c->fd < 0 || c->aux < 0)
			return -errno;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* open + a system call + close of c->path (flags), or -errno. */
static int open_call_close(const char *path, int flags, int (*call)(int fd))
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = call(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int write_byte(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

static int signal_zero(int fd)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0);
}

static int setns_net(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

/* One timed operation: 0 or -errno. */
static int obj_op(int row, struct obj_ctx *c)
{
	off_t off = 0;
	long n;
	switch (row) {
	case OB_FDWRITE:
		return open_call_close(c->path, O_WRONLY, write_byte);
	case OB_PIDFD:
		return open_call_close(c->path, O_RDONLY | O_DIRECTORY, signal_zero);
	case OB_SETNS:
		return open_call_close(c->path, O_RDONLY, setns_net);
	case OB_READ:
		n = read_file(c->path);
		return n < 0 ? (int)n : 0;
	case OB_SENDFILE:
		return sendfile(c->aux, c->fd, &off, 4096) < 0 ? -errno : 0;
	default:
		return -EINVAL;
	}
}

/* Outside the timing: empties the pipe the fd writes go to. */
static void obj_after(int row, struct obj_ctx *c)
{
	char buf[256];
	if (row == OB_FDWRITE)
		while (read(c->aux, buf, sizeof(buf)) > 0)
			;
}

/* Waits for the bench's answer to a begin/end line. */
static void sync_bench(void)
{
	char line[16];
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(1);
}

/* Times row on every prefix, batches of 10 round-robin, and reports. */
static void time_row(int row, unsigned samples, int nprefix, char **prefixes)
{
	struct obj_ctx c[MAX_PREFIXES];
	double *v[MAX_PREFIXES];
	size_t n[MAX_PREFIXES] = {0};
	int err[MAX_PREFIXES] = {0};
	bool live[MAX_PREFIXES];
	const unsigned batch = 10, reps = (samples + batch - 1) / batch;
	/* sendfile's errno is its result (EINVAL as on the kernel's proc), not a failure */
	const bool result_only = row == OB_SENDFILE;
	for (int k = 0; k < nprefix; k++) {
		if (!(v[k] = calloc((size_t)reps * batch, sizeof(double))))
			die("out of memory");
		int r = obj_setup(row, prefixes[k], &c[k]);
		live[k] = r == 0;
		for (unsigned i = 0; i < 5 && live[k]; i++) { /* warm-up */
			r = obj_op(row, &c[k]);
			obj_after(row, &c[k]);
			live[k] = result_only || r == 0;
		}
		err[k] = -r;
	}
	printf("begin %d\n", row);
	sync_bench();
	for (unsigned rep = 0; rep < reps; rep++)
		for (int j = 0; j < nprefix; j++) {
			int k = (int)((rep + (unsigned)j) % (unsigned)nprefix);
			for (unsigned b = 0; b < batch && live[k]; b++) {
				uint64_t t0 = now_ns();
				int r = obj_op(row, &c[k]);
				uint64_t t1 = now_ns();
				obj_after(row, &c[k]);
				if (r && !result_only) {
					err[k] = -r;
					live[k] = false;
					break;
				}
				v[k][n[k]++] = (double)(t1 - t0) / 1000.0;
			}
		}
	/* the daemon serves the last prefix only */
	printf("end %d %zu\n", row, n[nprefix - 1]);
	sync_bench();
	for (int k = 0; k < nprefix; k++) {
		struct stats st = {0};
		summarize(v[k], n[k], &st);
		printf("res %d %d %.3f %.3f %zu %d\n", row, k, st.p50, st.p99, st.n, err[k]);
		free(v[k]);
		if (c[k].fd >= 0)
			close(c[k].fd);
		if (c[k].aux >= 0)
			close(c[k].aux);
	}
	fflush(stdout);
}

/*
 * setns into a net namespace needs CAP_SYS_ADMIN over it and in the caller's
 * own user namespace, which the sandbox's workload has not: a child makes a
 * user namespace of its own (allowed in `pfs run`) with a net namespace, and
 * joins that again and again.
 */
static void setns_row(unsigned samples, int nprefix, char **prefixes)
{
	fflush(stdout);
	pid_t p = fork();
	if (p < 0) {
		printf("skip %d fork: %s\n", OB_SETNS, strerror(errno));
		return;
	}
	if (p == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			printf("skip %d no capability for setns, and unshare(CLONE_NEWUSER | "
			       "CLONE_NEWNET) gives %s\n",
			       OB_SETNS, strerror(errno));
			fflush(stdout);
			_exit(0);
		}
		time_row(OB_SETNS, samples, nprefix, prefixes);
		_exit(0);
	}
	waitpid(p, NULL, 0);
}

int objects_helper(unsigned samples, int nprefix, char **prefixes)
{
	if (nprefix < 1 || nprefix > MAX_PREFIXES)
		return 2;
	if (!rbuf && !(rbuf = malloc(RBUF_SIZE)))
		die("out of memory");
	for (int row = 0; row < NOBJ; row++)
		if (row == OB_SETNS)
			setns_row(samples, nprefix, prefixes);
		else
			time_row(row, samples, nprefix, prefixes);
	return 0;
}

/* ---- the bench's side ---------------------------------------------------- */

/*
 * Reads the helper's lines; col maps its prefixes to columns. With a sandbox,
 * the daemon's CPU between begin and end goes to the row.
 */
static void talk(FILE *out, int in, const int *col, const struct sandbox *sb)
{
	char line[512];
	uint64_t t0 = 0;
	long hz = sysconf(_SC_CLK_TCK);
	while (fgets(line, sizeof(line), out)) {
		int row, k, e;
		size_t nops;
		double p50, p99;
		struct obj_row *o;
		if (sscanf(line, "res %d %d %lf %lf %zu %d", &row, &k, &p50, &p99, &nops, &e) ==
			    6 &&
		    row >= 0 && row < NOBJ && k >= 0 && k < MAX_PREFIXES) {
			o = &ex.obj[row];
			o->st[col[k]] = (struct stats){.p50 = p50, .p99 = p99, .n = nops, .err = e};
		} else if (sscanf(line, "skip %d %n", &row, &k) == 1 && row >= 0 && row < NOBJ) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(ex.obj[row].skip, sizeof(ex.obj[row].skip), "%s", line + k);
		} else if (sscanf(line, "begin %d", &row) == 1) {
			t0 = sb ? sandbox_daemon_ticks(sb) : 0;
			if (write(in, "\n", 1) != 1)
				break;
		} else if (sscanf(line, "end %d %zu", &row, &nops) == 2) {
			if (sb && nops && row >= 0 && row < NOBJ)
				ex.obj[row].cpu_ms_per_k = (double)(sandbox_daemon_ticks(sb) - t0) *
							   1000.0 / (double)hz / (double)nops *
							   1000.0;
			if (write(in, "\n", 1) != 1)
				break;
		}
	}
}

static unsigned obj_samples(void)
{
	return cfg.smoke ? 30 : cfg.quick ? 400 : 2000;
}

/* Outside any sandbox: the bench's own kernel proc (column OBJ_HOST). */
static void objects_host(void)
{
	int to[2], from[2];
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t p = fork();
	if (p < 0)
		die("fork: %s", strerror(errno));
	if (p == 0) {
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(127);
		char *prefixes[] = {"/proc"};
		_exit(objects_helper(obj_samples(), 1, prefixes));
	}
	close(to[0]);
	close(from[1]);
	FILE *out = fdopen(from[0], "re");
	if (!out)
		die("fdopen: %s", strerror(errno));
	static const int col[] = {OBJ_HOST};
	talk(out, to[1], col, NULL);
	fclose(out);
	close(to[1]);
	waitpid(p, NULL, 0);
}

void measure_objects(void)
{
	objects_host();
	char dir[PATH_MAX], bin[PATH_MAX], samples[16];
	sandbox_dir(dir, sizeof(dir), "objects");
	char src[PATH_MAX], copy[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/bench/pfsbench", cfg.build);
	/* the build may be where the sandbox has a /tmp of its own: run a copy from /t */
	snprintf(copy, sizeof(copy), "%s/pfsbench", dir);
	copy_file(src, copy, 0755);
	snprintf(bin, sizeof(bin), "/t/pfsbench");
	snprintf(samples, sizeof(samples), "%u", obj_samples());
	char *workload[] = {bin, "--objects-helper", samples, "/kproc", "/proc", NULL};
	struct sandbox sb = {.in = -1};
	int r = sandbox_start(&sb, dir, true, workload);
	if (r < 0) {
		snprintf(ex.obj_note, sizeof(ex.obj_note), "pfs run: %s", strerror(-r));
		return;
	}
	static const int col[] = {OBJ_KPROC, OBJ_PFS};
	talk(sb.out, sb.in, col, &sb);
	int rc = sandbox_finish(&sb);
	if (rc != 0 || !ex.obj[OB_READ].st[OBJ_PFS].n) {
		char what[64];
		snprintf(what, sizeof(what), "pfs run of the helper: exit %d", rc);
		sandbox_error(&sb, what, ex.obj_note, sizeof(ex.obj_note));
	}
}
