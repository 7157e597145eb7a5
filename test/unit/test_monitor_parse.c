/* The monitor's parsers: /proc/<pid>/stat, status, limits, getdents; rlimit plan. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/monitor.h"
#include "monitor/monitor_parse_i.h"

#define STAT_LINE                                                                                  \
	"4242 (my (odd) prog) R 1 4242 4242 0 -1 4194560 123 0 0 0 250 75 30 12 20 0 3 0 "         \
	"987654 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

Test(monitor_stat, fields_after_comm_with_parens_and_spaces)
{
	struct pfs_proc_stat st;
	cr_assert_eq(pfs_parse_proc_stat(STAT_LINE, strlen(STAT_LINE), &st), 0);
	cr_assert_eq(st.pid, 4242);
	cr_assert_str_eq(st.comm, "my (odd) prog");
	cr_assert_eq(st.state, 'R');
	cr_assert_eq(st.ppid, 1);
	cr_assert_eq(st.utime, 250);
	cr_assert_eq(st.stime, 75);
	cr_assert_eq(st.cutime, 30);
	cr_assert_eq(st.cstime, 12);
	cr_assert_eq(st.num_threads, 3);
	cr_assert_eq(st.starttime, 987654);
	cr_assert_eq(st.vsize, 123456789);
	cr_assert_eq(st.rss_pages, 2048);
}

Test(monitor_stat, zombie_line)
{
	const char *z = "77 (sh) Z 1 77 77 0 -1 4227084 0 0 0 0 1 2 3 4 20 0 1 0 55 0 0 "
			"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
	struct pfs_proc_stat st;
	cr_assert_eq(pfs_parse_proc_stat(z, strlen(z), &st), 0);
	cr_assert_eq(st.state, 'Z');
	cr_assert_eq(st.utime + st.stime + st.cutime + st.cstime, 10);
	cr_assert_eq(st.rss_pages, 0);
}

Test(monitor_stat, rejects_truncated_and_garbage)
{
	struct pfs_proc_stat st;
	const char *cut = "12 (a) S 1 12 12 0 -1 0 0 0 0 0 5 6";
	cr_assert_eq(pfs_parse_proc_stat(cut, strlen(cut), &st), -EINVAL);
	cr_assert_eq(pfs_parse_proc_stat("", 0, &st), -EINVAL);
	const char *noparen = "12 a S 1 2 3";
	cr_assert_eq(pfs_parse_proc_stat(noparen, strlen(noparen), &st), -EINVAL);
	const char *letters = "12 (a) S 1 12 12 0 -1 0 0 0 0 0 5x 6 0 0 20 0 1 0 9 0 0\n";
	cr_assert_eq(pfs_parse_proc_stat(letters, strlen(letters), &st), -EINVAL);
}

Test(monitor_stat, length_bounds_the_parse)
{
	/* the same line cut before rss must fail, not read past len */
	struct pfs_proc_stat st;
	size_t cut = (size_t)(strstr(STAT_LINE, " 2048") - STAT_LINE);
	cr_assert_eq(pfs_parse_proc_stat(STAT_LINE, cut, &st), -EINVAL);
}

static const char status_txt[] = "Name:\tworkload_mem\n"
				 "Umask:\t0022\n"
				 "State:\tS (sleeping)\n"
				 "Tgid:\t2\n"
				 "VmPeak:\t  207220 kB\n"
				 "VmSize:\t  207220 kB\n"
				 "VmHWM:\t  206000 kB\n"
				 "VmRSS:\t  205100 kB\n"
				 "Threads:\t4\n"
				 "voluntary_ctxt_switches:\t12\n"
				 "nonvoluntary_ctxt_switches:\t3\n";

Test(monitor_status, fields)
{
	struct pfs_proc_status ps;
	cr_assert_eq(pfs_parse_proc_status(status_txt, strlen(status_txt), &ps), 0);
	cr_assert_eq(ps.state, 'S');
	cr_assert_eq(ps.vm_size, 207220ull * 1024);
	cr_assert_eq(ps.vm_hwm, 206000ull * 1024);
	cr_assert_eq(ps.vm_rss, 205100ull * 1024);
	cr_assert_eq(ps.threads, 4);
	cr_assert_eq(ps.vol_ctxt, 12);
	cr_assert_eq(ps.nonvol_ctxt, 3);
}

Test(monitor_status, zombie_without_vm_lines)
{
	const char *z = "Name:\tsh\nState:\tZ (zombie)\nThreads:\t1\n";
	struct pfs_proc_status ps;
	cr_assert_eq(pfs_parse_proc_status(z, strlen(z), &ps), 0);
	cr_assert_eq(ps.state, 'Z');
	cr_assert_eq(ps.vm_rss, 0);
	cr_assert_eq(ps.threads, 1);
}

Test(monitor_status, rejects_bad_numbers_and_missing_state)
{
	struct pfs_proc_status ps;
	const char *bad = "Name:\tx\nState:\tR (running)\nVmRSS:\t  lots kB\n";
	cr_assert_eq(pfs_parse_proc_status(bad, strlen(bad), &ps), -EINVAL);
	const char *nostate = "Name:\tx\nVmRSS:\t 4 kB\n";
	cr_assert_eq(pfs_parse_proc_status(nostate, strlen(nostate), &ps), -EINVAL);
	/* a key that only starts like a known one is not it */
	const char *prefix = "Name:\tx\nState:\tR\nVmRSSx:\tnot a number\n";
	cr_assert_eq(pfs_parse_proc_status(prefix, strlen(prefix), &ps), 0);
	cr_assert_eq(ps.vm_rss, 0);
}

static const char limits_txt[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              2                    3                    seconds   \n"
	"Max file size             16777216             16777216             bytes     \n"
	"Max data size             unlimited            unlimited            bytes     \n"
	"Max stack size            8388608              unlimited            bytes     \n"
	"Max core file size        0                    0                    bytes     \n"
	"Max resident set          unlimited            unlimited            bytes     \n"
	"Max processes             63448                63448                processes \n"
	"Max open files            257                  257                  files     \n"
	"Max locked memory         8388608              8388608              bytes     \n"
	"Max address space         unlimited            unlimited            bytes     \n"
	"Max file locks            unlimited            unlimited            locks     \n"
	"Max pending signals       63448                63448                signals   \n"
	"Max msgqueue size         819200               819200               bytes     \n"
	"Max nice priority         0                    0                    \n"
	"Max realtime priority     0                    0                    \n"
	"Max realtime timeout      unlimited            unlimited            us        \n";

Test(monitor_limits, all_rows)
{
	struct pfs_rlim_pair l[PFS_NRLIMITS];
	cr_assert_eq(pfs_parse_proc_limits(limits_txt, strlen(limits_txt), l), 0);
	cr_assert(l[RLIMIT_CPU].present);
	cr_assert_eq(l[RLIMIT_CPU].soft, 2);
	cr_assert_eq(l[RLIMIT_CPU].hard, 3);
	cr_assert_eq(l[RLIMIT_FSIZE].soft, 16777216);
	cr_assert_eq(l[RLIMIT_DATA].soft, UINT64_MAX);
	cr_assert_eq(l[RLIMIT_STACK].soft, 8388608);
	cr_assert_eq(l[RLIMIT_STACK].hard, UINT64_MAX);
	cr_assert_eq(l[RLIMIT_CORE].soft, 0);
	cr_assert_eq(l[RLIMIT_NOFILE].soft, 257);
	cr_assert_eq(l[RLIMIT_RTTIME].hard, UINT64_MAX);
	for (int r = 0; r < PFS_NRLIMITS; r++)
		cr_assert(l[r].present, "row %d missing", r);
}

Test(monitor_limits, rejects_garbage)
{
	struct pfs_rlim_pair l[PFS_NRLIMITS];
	const char *bad = "Max cpu time              lots                 3          seconds\n";
	cr_assert_eq(pfs_parse_proc_limits(bad, strlen(bad), l), -EINVAL);
	cr_assert_eq(pfs_parse_proc_limits("hello\n", 6, l), -EINVAL);
}

Test(monitor_rlimit, plan_and_compare)
{
	struct pfs_limits lim = {
		.cpu_us = 1500000, .fds = 256, .output_bytes = 16 << 20, .mem_bytes = 64 << 20};
	struct pfs_rlim_pair plan[PFS_NRLIMITS], seen[PFS_NRLIMITS];
	pfs_rlimit_plan(&lim, 0, plan);
	cr_assert_eq(plan[RLIMIT_CPU].soft, 2, "1.5 s rounds up to 2 s");
	cr_assert_eq(plan[RLIMIT_CPU].hard, 3, "hard above soft: SIGXCPU, not SIGKILL");
	cr_assert_eq(plan[RLIMIT_NOFILE].soft, 257);
	cr_assert_eq(plan[RLIMIT_FSIZE].soft, 16 << 20);
	cr_assert_eq(plan[RLIMIT_CORE].soft, 0);
	cr_assert(plan[RLIMIT_CORE].present);
	cr_assert(!plan[RLIMIT_AS].present, "RLIMIT_AS only when asked");
	pfs_rlimit_plan(&lim, PFS_RLIM_AS, plan);
	cr_assert_eq(plan[RLIMIT_AS].soft, 64 << 20);
	cr_assert_eq(plan[RLIMIT_DATA].soft, 64 << 20);

	pfs_rlimit_plan(&lim, 0, plan);
	cr_assert_eq(pfs_parse_proc_limits(limits_txt, strlen(limits_txt), seen), 0);
	int diff[PFS_NRLIMITS];
	/* limits_txt has cpu 2/3, fsize 16M, core 0, nofile 257: all as planned */
	cr_assert_eq(pfs_rlimit_compare(plan, seen, diff), 0);
	seen[RLIMIT_NOFILE].soft = 1024;
	cr_assert_eq(pfs_rlimit_compare(plan, seen, diff), 1);
	cr_assert_eq(diff[0], RLIMIT_NOFILE);
	cr_assert_str_eq(pfs_rlimit_name(diff[0]), "nofile");

	pfs_rlimit_plan(&lim, PFS_RLIM_NONE, plan);
	cr_assert_eq(pfs_rlimit_compare(plan, seen, diff), 0, "nothing planned, nothing differs");
}

Test(monitor_dirents, skips_dot_entries)
{
	char buf[512] __attribute__((aligned(8)));
	size_t off = 0;
	const char *names[] = {".", "..", "0", "1", "255"};
	for (size_t i = 0; i < 5; i++) {
		struct dirent64 *d = (struct dirent64 *)(buf + off);
		size_t reclen =
			(offsetof(struct dirent64, d_name) + strlen(names[i]) + 1 + 7) & ~7ul;
		memset(d, 0, reclen);
		d->d_reclen = (unsigned short)reclen;
		strcpy(d->d_name, names[i]);
		off += reclen;
	}
	cr_assert_eq(pfs_count_dirents(buf, off), 3);
	cr_assert_eq(pfs_count_dirents(buf, 0), 0);
}

Test(monitor_apply, rlimits_in_a_child)
{
	/* applying lowers this process's limits: do it in a forked child */
	pid_t p = fork();
	cr_assert_geq(p, 0);
	if (p == 0) {
		struct pfs_limits lim = {.cpu_us = 2500000, .fds = 40, .output_bytes = 4096};
		if (pfs_limits_apply_rlimits(&lim, 0, NULL) < 0)
			_exit(10);
		struct rlimit rl;
		getrlimit(RLIMIT_CPU, &rl);
		if (rl.rlim_cur != 3 || rl.rlim_max != 4)
			_exit(11);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur != 41)
			_exit(12);
		getrlimit(RLIMIT_FSIZE, &rl);
		if (rl.rlim_cur != 4096)
			_exit(13);
		getrlimit(RLIMIT_CORE, &rl);
		if (rl.rlim_cur != 0 || rl.rlim_max != 0)
			_exit(14);
		getrlimit(RLIMIT_AS, &rl);
		if (rl.rlim_cur != RLIM_INFINITY)
			_exit(15);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 0, "child check %d failed", WEXITSTATUS(st));
}
