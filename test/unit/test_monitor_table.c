/* The process table and the sampler, on fixture trees shaped like a procfs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/monitor.h"
#include "monitor/monitor_parse_i.h"

Test(monitor_ptable, keyed_by_pid_and_starttime)
{
	struct pfs_ptable t;
	pfs_ptable_init(&t);
	struct pfs_proc *a = pfs_ptable_add(&t, 5, 100);
	cr_assert(a);
	cr_assert_eq(a->dir_fd, -1);
	cr_assert_eq(pfs_ptable_find(&t, 5)->starttime, 100);
	cr_assert_null(pfs_ptable_find(&t, 6));
	/* the old entry goes, the reused pid is a new entry */
	pfs_ptable_remove(&t, 0);
	cr_assert_null(pfs_ptable_find(&t, 5));
	cr_assert(pfs_ptable_add(&t, 5, 200));
	cr_assert_eq(pfs_ptable_find(&t, 5)->starttime, 200);
	pfs_ptable_free(&t);
	cr_assert_eq(t.n, 0);
}

Test(monitor_ptable, grows_and_shrinks)
{
	struct pfs_ptable t;
	pfs_ptable_init(&t);
	for (int i = 1; i <= 2000; i++)
		cr_assert(pfs_ptable_add(&t, i, (uint64_t)i));
	cr_assert_eq(t.n, 2000);
	cr_assert_eq(pfs_ptable_find(&t, 1234)->starttime, 1234);
	while (t.n > 10)
		pfs_ptable_remove(&t, 0);
	cr_assert_leq(t.cap, 256, "capacity not given back: %zu", t.cap);
	for (size_t i = 0; i < t.n; i++)
		cr_assert_eq(pfs_ptable_find(&t, t.v[i].pid), &t.v[i]);
	pfs_ptable_free(&t);
}

Test(monitor_ptable, signal_without_fd)
{
	struct pfs_proc p = {.pid = 1, .dir_fd = -1};
	cr_assert_eq(pfs_proc_signal(&p, 0), -EBADF);
}

/* A fixture tree: DIR/<pid>/{stat,status,limits,fd/} */
static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void proc(int pid, uint64_t starttime, unsigned rss_pages, unsigned utime, int nfds)
{
	char d[256], buf[512];
	snprintf(d, sizeof(d), "%s/%d", root, pid);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/%d/fd", root, pid);
	mkdir(d, 0755);
	for (int i = 0; i < nfds; i++) {
		snprintf(d, sizeof(d), "%s/%d/fd/%d", root, pid, i);
		close(open(d, O_CREAT | O_WRONLY, 0644));
	}
	snprintf(buf, sizeof(buf),
		 "%d (p%d) S 1 1 1 0 -1 0 0 0 0 0 %u 10 5 5 20 0 2 0 %llu 4096 %u 0 0 0 0\n", pid,
		 pid, utime, (unsigned long long)starttime, rss_pages);
	snprintf(d, sizeof(d), "%d/stat", pid);
	put(d, buf);
	snprintf(buf, sizeof(buf), "Name:\tp%d\nState:\tS (sleeping)\nVmHWM:\t %u kB\n", pid,
		 rss_pages * 8);
	snprintf(d, sizeof(d), "%d/status", pid);
	put(d, buf);
}

static int open_fixture(void)
{
	snprintf(root, sizeof(root), "/tmp/pfs-mon-fixture.XXXXXX");
	cr_assert(mkdtemp(root));
	int fd = open(root, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	return fd;
}

static void drop_fixture(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

Test(monitor_sampler, totals_and_pid_reuse)
{
	int fd = open_fixture();
	long page = sysconf(_SC_PAGESIZE);
	long tck = sysconf(_SC_CLK_TCK);
	(void)tck;
	proc(1, 100, 10, 1, 3);
	proc(7, 150, 20, 2, 5);
	put("self", "not a pid\n");
	struct pfs_sampler s;
	cr_assert_eq(pfs_sampler_open(&s, fd), 0);
	s.slow_every = 1; /* status and fd/ on every pass */
	struct pfs_sample_totals t;
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.procs, 2);
	cr_assert_eq(t.started, 2);
	cr_assert_eq(t.threads, 4);
	cr_assert_eq(t.rss_bytes, 30 * (uint64_t)page);
	cr_assert_eq(t.max_hwm, 20 * 8 * 1024);
	cr_assert_eq(t.max_fds, 5);
	cr_assert_eq(t.max_fds_pid, 7);
	/* utime + stime + cutime + cstime: (1+10+5+5) + (2+10+5+5) */
	cr_assert_eq(t.cpu_ticks, 43);
	cr_assert_eq(t.user_ticks, 13);

	/* same processes again: nothing new, values re-read through kept fds */
	proc(7, 150, 40, 9, 6);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.started, 0);
	cr_assert_eq(t.exited, 0);
	cr_assert_eq(t.rss_bytes, 50 * (uint64_t)page);
	cr_assert_eq(t.max_fds, 6);

	/* pid 7 reused by a process with another starttime: a new entry */
	proc(7, 300, 1, 0, 1);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.exited, 1);
	cr_assert_eq(t.started, 1);
	cr_assert_eq(t.procs, 2);
	cr_assert_eq(pfs_ptable_find(&s.t, 7)->starttime, 300);
	cr_assert_eq(t.cpu_ticks, (1 + 10 + 5 + 5) + (0 + 10 + 5 + 5));

	/* pid 7 gone (its stat reads empty, as a reaped process's fails) */
	put("7/stat", "");
	char d[128];
	snprintf(d, sizeof(d), "%s/7", root);
	char cmd[192];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.exited, 1);
	cr_assert_eq(t.procs, 1);
	cr_assert_null(pfs_ptable_find(&s.t, 7));
	pfs_sampler_close(&s);
	close(fd);
	drop_fixture();
}

Test(monitor_sampler, slow_reads_every_nth_pass)
{
	int fd = open_fixture();
	proc(4, 10, 1, 0, 2);
	struct pfs_sampler s;
	cr_assert_eq(pfs_sampler_open(&s, fd), 0);
	s.slow_every = 3;
	struct pfs_sample_totals t;
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0); /* pass 0: slow */
	cr_assert(t.slow);
	cr_assert_eq(t.max_fds, 2);
	cr_assert_eq(t.max_hwm, 8 * 1024);
	proc(4, 10, 5, 0, 4); /* rss 5 pages, hwm 40 kB, 4 fds */
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0); /* pass 1: stat only */
	cr_assert(!t.slow);
	cr_assert_eq(t.rss_bytes, 5 * (uint64_t)sysconf(_SC_PAGESIZE), "stat every pass");
	cr_assert_eq(t.max_fds, 2, "fd/ not re-read on a fast pass");
	cr_assert_eq(t.max_hwm, 8 * 1024, "status not re-read on a fast pass");
	s.fds_every_pass = true;
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0); /* pass 2 */
	cr_assert_eq(t.max_fds, 4, "fds_every_pass");
	cr_assert_eq(t.max_hwm, 8 * 1024);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0); /* pass 3: slow */
	cr_assert(t.slow);
	cr_assert_eq(t.max_hwm, 40 * 1024);
	/* a new process gets its full read at once */
	proc(9, 11, 1, 0, 7);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert(!t.slow);
	cr_assert_eq(t.max_fds, 7);
	cr_assert_eq(t.max_fds_pid, 9);
	pfs_sampler_close(&s);
	close(fd);
	drop_fixture();
}

Test(monitor_sampler, events_for_start_exit_and_rlimits)
{
	int fd = open_fixture();
	proc(3, 42, 1, 0, 0);
	put("3/limits",
	    "Limit                     Soft Limit           Hard Limit           Units\n"
	    "Max open files            1024                 4096                 files\n"
	    "Max core file size        0                    0                    bytes\n");
	struct pfs_sampler s;
	cr_assert_eq(pfs_sampler_open(&s, fd), 0);
	char *out = NULL;
	size_t len = 0;
	s.events = open_memstream(&out, &len);
	s.check_rlimits = true;
	struct pfs_limits lim = {.fds = 100};
	pfs_rlimit_plan(&lim, 0, s.plan);
	struct pfs_sample_totals t;
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.rlimit_diffs, 0, "rlimits are checked at the second sighting");
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.rlimit_diffs, 1);
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	cr_assert_eq(t.rlimit_diffs, 0, "checked once per process");
	put("3/stat", "");
	cr_assert_eq(pfs_sampler_pass(&s, &t), 0);
	fclose(s.events);
	s.events = NULL;
	cr_assert(strstr(out, "\"event\": \"start\", \"pid\": 3, \"ppid\": 1, \"starttime\": 42, "
			      "\"comm\": \"p3\""),
		  "%s", out);
	cr_assert(strstr(out,
			 "\"event\": \"rlimit\", \"pid\": 3, \"resource\": \"nofile\", "
			 "\"expected_soft\": 101, \"expected_hard\": 101, \"seen_soft\": 1024, "
			 "\"seen_hard\": 4096"),
		  "%s", out);
	cr_assert(strstr(out, "\"event\": \"exit\", \"pid\": 3"), "%s", out);
	cr_assert_null(strstr(out, "\"resource\": \"core\""), "core matched the plan: %s", out);
	free(out);
	pfs_sampler_close(&s);
	close(fd);
	drop_fixture();
}

Test(monitor_sampler, sample_once_on_the_real_proc)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	uint64_t ns = 0, procs = 0;
	cr_assert_eq(pfs_monitor_sample_once(fd, 3, &ns, &procs), 0);
	cr_assert_geq(procs, 1, "at least this process");
	cr_assert_gt(ns, 0);
	close(fd);
	cr_assert_eq(pfs_monitor_sample_once(-1, 1, NULL, NULL), -EBADF);
}

Test(monitor_run, rejects_missing_fds)
{
	struct pfs_monitor_config cfg;
	pfs_monitor_config_init(&cfg);
	cr_assert_eq(cfg.interval_us, 100000);
	cr_assert_eq(cfg.grace_us, 500000);
	cr_assert_eq(cfg.cgroup_fd, -1);
	struct pfs_monitor_result res;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_monitor_run(&cfg, &res, &err), -EBADF);
	cr_assert(strstr(err.msg, "backing proc"));
	cfg.backing_fd = 0;
	cr_assert_eq(pfs_monitor_run(&cfg, &res, &err), -EINVAL);
}
