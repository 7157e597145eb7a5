/*
 * pfs audit: "environ redacted but siblings can read memory". A process
 * whose environment holds credential-like names, and whose memory the
 * auditor can read (/proc/P/mem opens, or process_vm_readv reads its
 * environment), gives the values back whatever `environ redact` says. Live
 * views only: a fixture has no memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define ENV_MAX (256 * 1024)

/* The first credential-like name (not its value) in a NUL-separated environ. */
static bool secret_name(const char *data, size_t len, char *name, size_t cap)
{
	for (const char *p = data; p < data + len; p += strlen(p) + 1) {
		size_t n = strcspn(p, "=");
		if (!p[n] || !n || n >= cap)
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (pfs_audit_secret_name(name))
			return true;
	}
	return false;
}

/* env_start (field 50 of stat), 0 when not shown. */
static unsigned long env_start(int proc_fd, pid_t pid)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read(proc_fd, rel, 4096, &b) < 0 || !b.data)
		return 0;
	const char *p = strrchr(b.data, ')');
	for (int field = 2; p && field < 50; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoul(p + 1, NULL, 10) : 0;
}

/* How the auditor reads pid's memory: "/proc/P/mem", "process_vm_readv", or NULL. */
static const char *memory_readable(int proc_fd, pid_t pid)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/mem", (int)pid);
	int fd = openat(proc_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return "/proc/P/mem";
	}
	unsigned long at = env_start(proc_fd, pid);
	char byte;
	struct iovec local = {&byte, 1}, remote = {(void *)at, 1};
	if (at && process_vm_readv(pid, &local, 1, &remote, 1, 0) == 1)
		return "process_vm_readv";
	return NULL;
}

int pfs_audit_memory(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	if (!o->live || o->outside)
		return 0;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = pfs_audit_list_pids(o, &pids, &n);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (size_t i = 0; i < n; i++) {
		if (pids[i] == o->self_pid)
			continue;
		char rel[64], name[128], path[64];
		snprintf(rel, sizeof(rel), "%d/environ", (int)pids[i]);
		cleanup_buf struct pfs_buf env = PFS_BUF_INIT;
		if (pfs_audit_read(o->proc_fd, rel, ENV_MAX, &env) < 0 || !env.len)
			continue;
		bool named = secret_name(env.data, env.len, name, sizeof(name));
		const char *how = named ? memory_readable(o->proc_fd, pids[i]) : NULL;
		if (!how)
			continue;
		cleanup_free char *why = NULL;
		if (asprintf(&why,
			     "the memory of pid %d, whose environment holds %s, is readable "
			     "(%s): its real value is read at env_start..env_end of stat, "
			     "whatever `environ redact` shows",
			     (int)pids[i], name, how) < 0)
			return -ENOMEM;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pids[i]);
		r = pfs_audit_add(out, "memory", "environ-in-memory", PFS_SEV_HIGH, PFS_AK_PATH,
				  path, name, name, why, "process-memory deny");
		if (r < 0)
			return r;
	}
	return 0;
}
