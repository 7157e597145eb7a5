/*
 * pfs audit: write exposure. Writable /proc/sys entries and sysrq-trigger.
 * An entry is writable when its mode has a write bit, faccessat(W_OK) agrees
 * and an O_WRONLY open succeeds (nothing is written: proc acts on write()).
 * Fixture trees lose file modes in git, so by default only a real procfs or
 * FUSE mount is checked (PFS_AUDIT_WRITE_AUTO).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define PROC_MAGIC 0x9fa0
#define FUSE_MAGIC 0x65735546
#define MAX_DEPTH 8
#define MAX_ENTRIES 20000

/* Writes here act on the whole kernel, not only the sandbox. */
static const char *const critical_sys[] = {
	"sys/kernel/core_pattern",
	"sys/kernel/modprobe",
	"sys/kernel/hotplug",
	"sys/kernel/sysrq",
	"sys/kernel/kptr_restrict",
	"sys/kernel/randomize_va_space",
	"sys/kernel/panic",
	"sys/kernel/panic_on_oops",
	"sys/vm/drop_caches",
	"sys/fs/binfmt_misc/register",
	"sys/fs/binfmt_misc/status",
	"sys/kernel/hostname",
	"sys/kernel/domainname",
	"sys/kernel/unprivileged_bpf_disabled",
	"sys/kernel/yama/ptrace_scope",
	"sys/kernel/dmesg_restrict",
	"sys/vm/overcommit_memory",
};

static bool writable(int dirfd, const char *rel)
{
	struct stat st;
	if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0222))
		return false;
	if (faccessat(dirfd, rel, W_OK, AT_EACCESS) < 0)
		return false;
	int fd = openat(dirfd, rel, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

struct wctx {
	const struct pfs_audit_opts *o;
	struct pfs_findings *out;
	unsigned count, seen;
	dev_t dev; /* of the tree: directories elsewhere are other filesystems */
	char example[300];
};

static bool is_critical(const char *rel)
{
	for (size_t i = 0; i < ARRAY_SIZE(critical_sys); i++)
		if (!strcmp(rel, critical_sys[i]))
			return true;
	return false;
}

static int found(struct wctx *c, const char *rel)
{
	if (!is_critical(rel)) {
		if (!c->count++)
			snprintf(c->example, sizeof(c->example), "/proc/%s", rel);
		return 0;
	}
	char path[300];
	snprintf(path, sizeof(path), "/proc/%s", rel);
	cleanup_free char *rule = pfs_audit_rule_path("readonly", path);
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(c->out, "write", "sysctl-writable-critical", PFS_SEV_CRITICAL,
			     PFS_AK_PATH, path, path, path,
			     "a kernel-wide sysctl is writable from the sandbox: core_pattern and "
			     "modprobe run host programs as root, others change the whole host",
			     rule);
}

/*
 * Directories of another filesystem (binfmt_misc, often an autofs trigger)
 * are not entered: an audit must not mount anything.
 */
static bool same_fs(const struct wctx *c, const char *rel)
{
	struct stat st;
	return fstatat(c->o->proc_fd, rel, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) == 0 &&
	       st.st_dev == c->dev;
}

static int walk(struct wctx *c, const char *rel, int depth)
{
	int dfd = openat(c->o->proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	cleanup_closedir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d)) && c->seen < MAX_ENTRIES;) {
		if (e->d_name[0] == '.')
			continue;
		c->seen++;
		char sub[256];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name) >= sizeof(sub))
			continue;
		int r = 0;
		if (e->d_type == DT_DIR) {
			if (depth < MAX_DEPTH && same_fs(c, sub))
				r = walk(c, sub, depth + 1);
		} else if (writable(c->o->proc_fd, sub)) {
			r = found(c, sub);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static bool live_proc(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && (sf.f_type == PROC_MAGIC || sf.f_type == FUSE_MAGIC);
}

int pfs_audit_write(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	if (o->write_check == PFS_AUDIT_WRITE_NEVER ||
	    (o->write_check == PFS_AUDIT_WRITE_AUTO && !live_proc(o->proc_fd)))
		return 0;
	struct wctx c = {.o = o, .out = out};
	struct stat st;
	if (fstatat(o->proc_fd, "sys", &st, AT_NO_AUTOMOUNT) < 0)
		return 0;
	c.dev = st.st_dev;
	int r = walk(&c, "sys", 0);
	if (r < 0)
		return r;
	if (c.count) {
		cleanup_free char *rule = pfs_audit_rule_path("readonly", "/proc/sys/**");
		if (!rule)
			return -ENOMEM;
		char value[48];
		snprintf(value, sizeof(value), "%u entries", c.count);
		r = pfs_audit_add(out, "write", "sysctl-writable", PFS_SEV_HIGH, PFS_AK_PATH,
				  "/proc/sys", c.example, value,
				  "/proc/sys entries are writable from the sandbox: OCI runtimes "
				  "mount /proc/sys read-only because most sysctls are host-wide",
				  rule);
		if (r < 0)
			return r;
	}
	cleanup_free char *sysrq = pfs_audit_rule_path("readonly", "/proc/sysrq-trigger");
	if (!sysrq)
		return -ENOMEM;
	if (writable(o->proc_fd, "sysrq-trigger"))
		r = pfs_audit_add(out, "write", "sysrq-trigger-writable", PFS_SEV_CRITICAL,
				  PFS_AK_PATH, "/proc/sysrq-trigger", "/proc/sysrq-trigger",
				  "/proc/sysrq-trigger",
				  "sysrq-trigger is writable: one byte reboots, crashes or freezes "
				  "the host",
				  sysrq);
	return r;
}
