/*
 * pfs audit: readable kernel-info files. kallsyms with real addresses
 * (defeats KASLR), kcore (kernel memory), sched_debug and timer_list (every
 * task on the host, with comms and pids), keys (the kernel keyrings).
 * OCI runtimes mask these; a FUSE /proc must do so by policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

static int add_hide(struct pfs_findings *out, const char *check, enum pfs_severity sev,
		    const char *path, const char *entry, const char *value, const char *why)
{
	cleanup_free char *rule = pfs_audit_rule_path("hide", path);
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(out, "kernel", check, sev, PFS_AK_PATH, path, entry, value, why, rule);
}

static int check_kallsyms(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read(o->proc_fd, "kallsyms", 65536, &b) < 0)
		return 0;
	for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strspn(line, "0123456789abcdefABCDEF");
		if (!n || line[n] != ' ' || strspn(line, "0") == n)
			continue;
		char value[32];
		snprintf(value, sizeof(value), "%.*s", (int)n, line);
		return add_hide(out, "kallsyms-addresses", PFS_SEV_HIGH, "/proc/kallsyms", line,
				value,
				"kernel symbol addresses are readable: they defeat KASLR for any "
				"kernel exploit");
	}
	return 0;
}

static int check_kcore(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_close int fd = openat(o->proc_fd, "kcore", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	char head[16];
	ssize_t n = read(fd, head, sizeof(head));
	if (n <= 0)
		return 0;
	return add_hide(out, "kcore-readable", PFS_SEV_CRITICAL, "/proc/kcore", "/proc/kcore",
			n >= 4 && !memcmp(head, "\177ELF", 4) ? "ELF core image" : "readable",
			"the kernel's memory image is readable: keys, other tenants' data, "
			"everything");
}

static int check_text(const struct pfs_audit_opts *o, struct pfs_findings *out, const char *rel,
		      const char *check, enum pfs_severity sev, const char *why)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read(o->proc_fd, rel, 4096, &b) < 0 || !b.len)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s", rel);
	b.data[strcspn(b.data, "\n")] = '\0';
	return add_hide(out, check, sev, path, b.data, b.data, why);
}

int pfs_audit_kernel(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	int r = check_kallsyms(o, out);
	if (!r)
		r = check_kcore(o, out);
	if (!r)
		r = check_text(o, out, "sched_debug", "sched-debug-readable", PFS_SEV_MEDIUM,
			       "the scheduler's debug dump lists every task on the host with "
			       "comm, host pid and cgroup");
	if (!r)
		r = check_text(o, out, "timer_list", "timer-list-readable", PFS_SEV_MEDIUM,
			       "the timer list names host tasks and kernel addresses");
	if (!r)
		r = check_text(o, out, "keys", "keys-readable", PFS_SEV_MEDIUM,
			       "the kernel keyrings visible to the reader: key descriptions "
			       "name host services and users");
	return r;
}
