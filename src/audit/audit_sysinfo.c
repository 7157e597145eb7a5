/*
 * pfs audit: the host's size. meminfo showing the host's RAM and free memory
 * (as sysinfo(2) reports them to the auditor) and cpuinfo listing more CPUs
 * than the auditor may run on: the sandbox learns the host's size, and runtimes size their
 * heaps and thread pools from it. `sysinfo virtual` serves the sandbox's own.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define WHY_FIX "; the policy line `sysinfo virtual` serves the sandbox's own figures"

/* How far MemFree may drift between the file and sysinfo(2) read just after it. */
#define FREE_SLACK_KB (32 * 1024)

static uint64_t dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static int check_memory(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (!o->host_mem_kb || pfs_audit_read(o->proc_fd, "meminfo", 65536, &b) < 0 || !b.len)
		return 0;
	const char *p = strstr(b.data, "MemTotal:");
	if (!p)
		return 0;
	uint64_t kb = strtoull(p + 9, NULL, 10);
	if (!kb || dist(kb, o->host_mem_kb) > o->host_mem_kb / 1000)
		return 0;
	/* a sandbox without a memory limit has the host's RAM to use, and
	 * `sysinfo virtual` says so; unvirtualised, MemFree is the host's too */
	const char *f = strstr(b.data, "MemFree:");
	if (o->host_free_kb && f &&
	    dist(strtoull(f + 8, NULL, 10), o->host_free_kb) > FREE_SLACK_KB)
		return 0;
	char entry[64], value[32];
	snprintf(entry, sizeof(entry), "MemTotal: %" PRIu64 " kB", kb);
	snprintf(value, sizeof(value), "%" PRIu64 " kB", kb);
	return pfs_audit_add(out, "host", "host-memory-size", PFS_SEV_LOW, PFS_AK_SYSINFO,
			     "/proc/meminfo", entry, value,
			     "meminfo shows the host's memory, not the sandbox's limit: it reveals "
			     "the host's size, and programs that size themselves from it get "
			     "OOM-killed" WHY_FIX,
			     "sysinfo virtual");
}

static int check_cpus(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (!o->allowed_cpus || pfs_audit_read(o->proc_fd, "cpuinfo", 1 << 20, &b) < 0 || !b.len)
		return 0;
	unsigned n = 0;
	for (const char *p = b.data; (p = strstr(p, "processor")); p += 9)
		n += (p == b.data || p[-1] == '\n') && strspn(p + 9, " \t") &&
		     p[9 + strspn(p + 9, " \t")] == ':';
	if (n <= o->allowed_cpus)
		return 0;
	char entry[96], value[32];
	snprintf(entry, sizeof(entry), "%u processors listed; the sandbox may run on %u", n,
		 o->allowed_cpus);
	snprintf(value, sizeof(value), "%u CPUs", n);
	return pfs_audit_add(
		out, "host", "host-cpu-count", PFS_SEV_LOW, PFS_AK_SYSINFO, "/proc/cpuinfo", entry,
		value,
		"cpuinfo lists the host's CPUs, more than the sandbox may use: it "
		"reveals the host's size, and thread pools sized from it oversubscribe "
		"the sandbox" WHY_FIX,
		"sysinfo virtual");
}

int pfs_audit_sysinfo(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	int r = check_memory(o, out);
	return r < 0 ? r : check_cpus(o, out);
}
