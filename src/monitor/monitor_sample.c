/* The sampling pass: every process of the backing proc, through kept fds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/monitor.h"
#include "monitor_parse_i.h"

#define SAMPLER_BUFSZ 8192

int pfs_sampler_open(struct pfs_sampler *s, int backing_fd)
{
	memset(s, 0, sizeof(*s));
	pfs_ptable_init(&s->t);
	s->read_fds = true;
	s->slow_every = 10;
	/* an fsmount() fd is not listable: open the root for reading */
	s->proc_fd = openat(backing_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0)
		return -errno;
	s->bufsz = SAMPLER_BUFSZ;
	s->buf = malloc(s->bufsz);
	if (!s->buf) {
		close(s->proc_fd);
		s->proc_fd = -1;
		return -ENOMEM;
	}
	return 0;
}

void pfs_sampler_close(struct pfs_sampler *s)
{
	pfs_ptable_free(&s->t);
	free(s->buf);
	s->buf = NULL;
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	s->proc_fd = -1;
}

static double ev_time(const struct pfs_sampler *s)
{
	return s->clock ? s->clock(s->clock_arg) : 0.0;
}

static void ev_proc(struct pfs_sampler *s, const char *what, const struct pfs_proc *p)
{
	if (!s->events)
		return;
	fprintf(s->events,
		"{\"t\": %.6f, \"event\": \"%s\", \"pid\": %d, \"ppid\": %d, \"starttime\": "
		"%" PRIu64 ", \"comm\": ",
		ev_time(s), what, (int)p->pid, (int)p->st.ppid, p->starttime);
	pfs_json_str(s->events, p->st.comm);
	fprintf(s->events, "}\n");
}

/* Reads a whole proc file from offset 0 into s->buf. */
static ssize_t reread(struct pfs_sampler *s, int fd)
{
	ssize_t n = pread(fd, s->buf, s->bufsz - 1, 0);
	if (n < 0)
		return -errno;
	s->buf[n] = '\0';
	return n;
}

static int read_stat(struct pfs_sampler *s, struct pfs_proc *p)
{
	ssize_t n = reread(s, p->stat_fd);
	if (n <= 0)
		return n < 0 ? (int)n : -ESRCH;
	return pfs_parse_proc_stat(s->buf, (size_t)n, &p->st);
}

static uint64_t count_fds(struct pfs_sampler *s, int fd)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return 0;
	uint64_t n = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, s->buf, s->bufsz);
		if (r <= 0)
			break;
		n += pfs_count_dirents(s->buf, (size_t)r);
		/* room left for more entries: the listing is complete, spare
		 * the call that would return 0 */
		if ((size_t)r + 512 < s->bufsz)
			break;
	}
	return n;
}

static void check_rlimits(struct pfs_sampler *s, struct pfs_proc *p, struct pfs_sample_totals *tot)
{
	p->limits_checked = true;
	cleanup_close int fd = openat(p->dir_fd, "limits", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = reread(s, fd);
	struct pfs_rlim_pair seen[PFS_NRLIMITS];
	if (n <= 0 || pfs_parse_proc_limits(s->buf, (size_t)n, seen) < 0)
		return;
	int diff[PFS_NRLIMITS];
	int nd = pfs_rlimit_compare(s->plan, seen, diff);
	if (!nd)
		return;
	tot->rlimit_diffs++;
	for (int i = 0; s->events && i < nd; i++) {
		int r = diff[i];
		fprintf(s->events,
			"{\"t\": %.6f, \"event\": \"rlimit\", \"pid\": %d, \"resource\": \"%s\", "
			"\"expected_soft\": %" PRIu64 ", \"expected_hard\": %" PRIu64
			", \"seen_soft\": %" PRIu64 ", \"seen_hard\": %" PRIu64 "}\n",
			ev_time(s), (int)p->pid, pfs_rlimit_name(r), s->plan[r].soft,
			s->plan[r].hard, seen[r].soft, seen[r].hard);
	}
}

/* Opens the fds of a newly listed pid; the entry is keyed by its starttime. */
static int add_proc(struct pfs_sampler *s, pid_t pid, const char *name,
		    struct pfs_sample_totals *tot)
{
	cleanup_close int dir = openat(s->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	cleanup_close int st = openat(dir, "stat", O_RDONLY | O_CLOEXEC);
	if (st < 0)
		return -errno;
	struct pfs_proc tmp = {.dir_fd = -1, .stat_fd = st, .status_fd = -1, .fd_dir_fd = -1};
	int r = read_stat(s, &tmp);
	if (r < 0)
		return r;
	struct pfs_proc *p = pfs_ptable_add(&s->t, pid, tmp.st.starttime);
	if (!p)
		return -ENOMEM;
	p->st = tmp.st;
	p->stat_fd = steal_fd(st);
	p->fresh = true;
	p->dir_fd = steal_fd(dir);
	p->status_fd = openat(p->dir_fd, "status", O_RDONLY | O_CLOEXEC);
	if (s->read_fds)
		p->fd_dir_fd = openat(p->dir_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tot->started++;
	ev_proc(s, "start", p);
	return 0;
}

static int list_new(struct pfs_sampler *s, struct pfs_sample_totals *tot)
{
	if (lseek(s->proc_fd, 0, SEEK_SET) < 0)
		return -errno;
	/* the listing needs its own buffer: add_proc() reuses s->buf */
	char dents[16384];
	for (;;) {
		long n = syscall(SYS_getdents64, s->proc_fd, dents, sizeof(dents));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		bool done = (size_t)n + 512 < sizeof(dents);
		for (long off = 0; off < n;) {
			const struct dirent64 *d = (const struct dirent64 *)(dents + off);
			off += d->d_reclen;
			char *end = NULL;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			long pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0)
				continue;
			if (pfs_ptable_find(&s->t, (pid_t)pid))
				continue;
			int r = add_proc(s, (pid_t)pid, d->d_name, tot);
			if (r == -ENOMEM || r == -EMFILE || r == -ENFILE)
				return r;
			/* other errors: it exited between listing and opening */
		}
		if (done)
			break;
	}
	return 0;
}

int pfs_sampler_pass(struct pfs_sampler *s, struct pfs_sample_totals *tot)
{
	memset(tot, 0, sizeof(*tot));
	s->t.gen++;
	/* 1. known processes: re-read, drop the gone ones */
	for (size_t i = 0; i < s->t.n;) {
		struct pfs_proc *p = &s->t.v[i];
		/* a changed starttime cannot happen through a kept procfs fd;
		 * it can in a fixture tree: a different process either way */
		if (read_stat(s, p) < 0 || p->st.starttime != p->starttime) {
			tot->exited++;
			ev_proc(s, "exit", p);
			pfs_ptable_remove(&s->t, i);
			continue;
		}
		p->gen = s->t.gen;
		/* rlimits are checked at the second sighting: a process seen
		 * just after fork may not have applied them yet */
		if (s->check_rlimits && !p->limits_checked)
			check_rlimits(s, p, tot);
		i++;
	}
	/* 2. new processes */
	int r = list_new(s, tot);
	/* 3. the rest of each process's sample, and the totals */
	tot->slow = s->slow_every <= 1 || s->passes % s->slow_every == 0;
	s->passes++;
	for (size_t i = 0; i < s->t.n; i++) {
		struct pfs_proc *p = &s->t.v[i];
		bool slow = tot->slow || p->fresh;
		p->fresh = false;
		tot->procs++;
		tot->threads += p->st.num_threads;
		tot->rss_bytes += p->st.rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
		tot->user_ticks += p->st.utime + p->st.cutime;
		tot->sys_ticks += p->st.stime + p->st.cstime;
		if (slow && p->status_fd >= 0) {
			ssize_t n = reread(s, p->status_fd);
			struct pfs_proc_status ps;
			if (n > 0 && !pfs_parse_proc_status(s->buf, (size_t)n, &ps)) {
				if (ps.vm_hwm > p->hwm)
					p->hwm = ps.vm_hwm;
				p->vol_ctxt = ps.vol_ctxt;
				p->nonvol_ctxt = ps.nonvol_ctxt;
			}
		}
		if (p->hwm > tot->max_hwm)
			tot->max_hwm = p->hwm;
		tot->vol_ctxt += p->vol_ctxt;
		tot->nonvol_ctxt += p->nonvol_ctxt;
		if (p->fd_dir_fd >= 0 && (slow || s->fds_every_pass))
			p->fds = count_fds(s, p->fd_dir_fd);
		if (p->fds > tot->max_fds) {
			tot->max_fds = p->fds;
			tot->max_fds_pid = p->pid;
		}
	}
	tot->cpu_ticks = tot->user_ticks + tot->sys_ticks;
	return r;
}

int pfs_sampler_signal_all(struct pfs_sampler *s, int sig)
{
	int n = 0;
	for (size_t i = 0; i < s->t.n; i++)
		if (!pfs_proc_signal(&s->t.v[i], sig))
			n++;
	return n;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pfs_monitor_sample_once(int backing_fd, unsigned passes, uint64_t *cpu_ns, uint64_t *procs_seen)
{
	struct pfs_sampler s;
	int r = pfs_sampler_open(&s, backing_fd);
	if (r < 0)
		return r;
	struct pfs_sample_totals tot = {0};
	uint64_t t0 = thread_cpu_ns();
	for (unsigned i = 0; i < passes && r >= 0; i++)
		r = pfs_sampler_pass(&s, &tot);
	if (cpu_ns)
		*cpu_ns = thread_cpu_ns() - t0;
	if (procs_seen)
		*procs_seen = tot.procs;
	pfs_sampler_close(&s);
	return r < 0 ? r : 0;
}
