/* pfs audit on a fixture proc: the host's size seen through meminfo and cpuinfo. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/audit.h"

static int dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	return fd;
}

/* pfs audit: the host's RAM in meminfo and more CPUs in cpuinfo than the auditor may use. */
Test(sysinfo, audit_reports_host_size)
{
	char tmpl[] = "/tmp/pfs-audit-si-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'MemTotal:       24683748 kB\\nMemFree: 1 kB\\n' > meminfo && "
		 "printf 'processor\\t: 0\\nx\\t: y\\n\\nprocessor\\t: 1\\n\\n' > cpuinfo",
		 tmpl);
	cr_assert_eq(system(cmd), 0);
	struct pfs_audit_opts o = {
		.proc_fd = dir(tmpl), .host_mem_kb = 24683748, .allowed_cpus = 1};
	struct pfs_findings f = {0};
	cr_assert_eq(pfs_audit_sysinfo(&o, &f), 0);
	cr_assert_eq(f.n, 2);
	cr_assert_str_eq(f.v[0].check, "host-memory-size");
	cr_assert_str_eq(f.v[0].rule, "sysinfo virtual");
	cr_assert_str_eq(f.v[1].check, "host-cpu-count");
	cr_assert_str_eq(f.v[1].value, "2 CPUs");
	pfs_findings_free(&f);
	/* the host's RAM with the sandbox's own free memory: virtualised, no limit */
	f = (struct pfs_findings){0};
	o.host_free_kb = 20000000;
	o.allowed_cpus = 2;
	cr_assert_eq(pfs_audit_sysinfo(&o, &f), 0);
	cr_assert_eq(f.n, 0);
	pfs_findings_free(&f);
	/* the sandbox's own figures: nothing to report */
	f = (struct pfs_findings){0};
	o.host_mem_kb = 48000000;
	o.allowed_cpus = 2;
	cr_assert_eq(pfs_audit_sysinfo(&o, &f), 0);
	cr_assert_eq(f.n, 0);
	pfs_findings_free(&f);
	close(o.proc_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	cr_assert_eq(system(cmd), 0);
}
