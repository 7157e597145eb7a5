/* The daemon's load sampler: the sandbox's runnable tasks counted and folded into loadavg. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/sysinfo.h"

static int dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	return fd;
}

/* LXCFS #203, #13: loadavg was the host's; here the sandbox's own runnable tasks. */
Test(sysinfo, lxcfs_203_loadavg_from_the_sandbox_tasks)
{
	double load[3] = {0, 0, 0};
	for (int i = 0; i < 12; i++) /* one minute of one runnable task */
		pfs_load_fold(load, 1);
	cr_assert(load[0] > 0.62 && load[0] < 0.64, "%f", load[0]); /* 1 - e^-1 */
	cr_assert(load[1] > load[2] && load[2] > 0);
	struct pfs_sysinfo_ctx c = {
		.load = {0.5, 0.25, 0.125}, .nr_running = 0, .nr_threads = 3, .last_pid = 17};
	struct pfs_buf out = PFS_BUF_INIT;
	cr_assert_eq(pfs_sysinfo_loadavg(&c, &out), 0);
	cr_assert_eq(pfs_buf_append(&out, "", 1), 0);
	cr_assert_str_eq(out.data, "0.50 0.25 0.12 1/3 17\n", "the reader itself runs");
	pfs_buf_free(&out);
}

Test(sysinfo, load_count_on_a_fixture_proc)
{
	char tmpl[] = "/tmp/pfs-load-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p 1/task/1 7/task/7 7/task/9 && "
		 "echo '1 (init) S 0' > 1/task/1/stat && echo '7 (x y) R 1' > 7/task/7/stat && "
		 "echo '9 (x) D 1' > 7/task/9/stat",
		 tmpl);
	cr_assert_eq(system(cmd), 0);
	int fd = dir(tmpl);
	unsigned running = 0, blocked = 0, threads = 0;
	long max_pid = 0;
	cr_assert_eq(pfs_load_count(fd, &running, &blocked, &threads, &max_pid), 0);
	close(fd);
	cr_assert_eq(running, 1);
	cr_assert_eq(blocked, 1);
	cr_assert_eq(threads, 3);
	cr_assert_eq(max_pid, 9);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	cr_assert_eq(system(cmd), 0);
}
