/* The sweep of groups left by pfs runs killed before they could remove them. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/monitor.h"

static bool exists(int dir, const char *name)
{
	struct stat st;
	return fstatat(dir, name, &st, 0) == 0;
}

Test(monitor_cgroup, sweep_removes_only_empty_groups_of_dead_launchers)
{
	char tmpl[] = "/tmp/pfs-sweep-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	int dir = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dir, 0);
	/* a pid that exists in no pid namespace of this host: above pid_max */
	char dead[32], live[32];
	snprintf(dead, sizeof(dead), "pfs-run-%d", 4194304 + 7);
	snprintf(live, sizeof(live), "pfs-run-%d", (int)getpid());
	const char *keep[] = {live, "pfs-run-12x", "pfs-run-", "other-1", "pfs-run-busy"};
	cr_assert_eq(mkdirat(dir, dead, 0755), 0);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		cr_assert_eq(mkdirat(dir, keep[i], 0755), 0);
	/* a dead launcher's group that still holds something (here a file) stays */
	char busy[32];
	snprintf(busy, sizeof(busy), "pfs-run-%d", 4194304 + 8);
	cr_assert_eq(mkdirat(dir, busy, 0755), 0);
	char inner[64];
	snprintf(inner, sizeof(inner), "%s/task", busy);
	cr_assert_eq(mkdirat(dir, inner, 0755), 0);

	pfs_cgroup_sweep_stale(dir, 3600);
	cr_assert(exists(dir, dead), "younger than the age: kept");
	pfs_cgroup_sweep_stale(dir, 0);
	cr_assert_not(exists(dir, dead), "the dead launcher's empty group is removed");
	cr_assert(exists(dir, busy), "a group with content is not");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		cr_assert(exists(dir, keep[i]), "%s kept", keep[i]);

	unlinkat(dir, inner, AT_REMOVEDIR);
	unlinkat(dir, busy, AT_REMOVEDIR);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		unlinkat(dir, keep[i], AT_REMOVEDIR);
	close(dir);
	cr_assert_eq(rmdir(tmpl), 0);
}
