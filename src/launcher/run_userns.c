/* User namespaces: availability checks and id maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

/* A sysctl under /proc/sys, or under $PFS_SYSCTL_DIR (a testing knob). */
static long read_long(const char *name, long dflt)
{
	const char *dir = getenv("PFS_SYSCTL_DIR");
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/proc/sys", name);
	FILE *f = fopen(path, "re");
	char buf[32];
	if (!f)
		return dflt;
	bool ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	char *end = NULL;
	long v = ok ? strtol(buf, &end, 10) : 0;
	return ok && end != buf ? v : dflt;
}

int pfs_userns_check(struct pfs_error *err)
{
	if (read_long("user/max_user_namespaces", 1) == 0)
		return pfs_err_set(err, EPERM,
				   "user namespaces are disabled (user.max_user_namespaces = 0); "
				   "enable them with: sysctl -w user.max_user_namespaces=15000");
	if (geteuid() != 0) {
		if (read_long("kernel/unprivileged_userns_clone", 1) == 0)
			return pfs_err_set(
				err, EPERM,
				"unprivileged user namespaces are disabled "
				"(kernel.unprivileged_userns_clone = 0); enable with: "
				"sysctl -w kernel.unprivileged_userns_clone=1, or run as "
				"root");
		if (read_long("kernel/apparmor_restrict_unprivileged_userns", 0) == 1)
			return pfs_err_set(
				err, EPERM,
				"AppArmor restricts unprivileged user namespaces "
				"(kernel.apparmor_restrict_unprivileged_userns = 1); run "
				"as root, give pfs an AppArmor profile allowing userns, or "
				"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
	}
	return 0;
}

static int write_file(pid_t pid, const char *name, const char *text, struct pfs_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pfs_err_set(err, errno, "cannot open %s: %s; is /proc mounted on the host?",
				   path, strerror(errno));
	ssize_t n = write(fd, text, strlen(text));
	if (n < 0)
		return pfs_err_set(err, errno,
				   "cannot write '%s' to %s: %s; check that the id range is not "
				   "used and that /etc/subuid allows it",
				   text, path, strerror(errno));
	return 0;
}

/*
 * Root: a dedicated range, the sandbox's root is host id map_base, never 0.
 * Unprivileged, the launcher is root of its outer namespace (run_outer.c):
 * with a subordinate range the sandbox gets the outer ids of that range
 * (never the user's own id); else the outer 0, the user itself.
 */
int pfs_userns_write_maps(pid_t pid, const struct pfs_run_opts *o, struct pfs_error *err)
{
	char map[64];
	unsigned first = o->id_mode == PFS_IDS_HOST_ROOT     ? (unsigned)o->map_base
			 : o->id_mode == PFS_IDS_SUBORDINATE ? PFS_OUTER_SUB_BASE
							     : 0u;
	snprintf(map, sizeof(map), "0 %u %u\n", first, (unsigned)o->map_count);
	int r = write_file(pid, "uid_map", map, err);
	if (r == 0)
		r = write_file(pid, "gid_map", map, err);
	return r;
}
