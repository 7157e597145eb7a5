/*
 * A launcher run by an unprivileged user first moves itself into an outer
 * user namespace where it is root, so that the daemon it starts there holds
 * CAP_SYS_ADMIN and CAP_SYS_CHROOT over the sandbox's namespaces (created as
 * children of this one) and can enter the sandbox's mount namespace and root,
 * as a root launcher's daemon does. With a subordinate id range
 * (/etc/subuid, /etc/subgid, newuidmap/newgidmap) the outer namespace maps
 * 0 to the user and PFS_OUTER_SUB_BASE.. to the range, and the sandbox gets
 * the range only; without one, only the user's own ids (the single-id mode).
 * The range starts above 65534 so that the overflow id the daemon sees for
 * an unmapped owner (host root) is never one of the sandbox's ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"

/* /etc/subuid and /etc/subgid; PFS_SUBID_DIR replaces /etc (a testing knob). */
static void subid_path(char *out, size_t size, const char *name)
{
	const char *dir = getenv("PFS_SUBID_DIR");
	snprintf(out, size, "%s/%s", dir && *dir ? dir : "/etc", name);
}

/* The first "NAME-or-ID:START:COUNT" line for the user; 0 or -ENOENT. */
static int subid_lookup(const char *file, uid_t id, const char *name, uint32_t *start,
			uint32_t *count)
{
	char path[PATH_MAX];
	subid_path(path, sizeof(path), file);
	cleanup_fclose FILE *f = fopen(path, "re");
	char line[512], idtext[16];
	snprintf(idtext, sizeof(idtext), "%u", (unsigned)id);
	while (f && fgets(line, sizeof(line), f)) {
		char *save = NULL;
		const char *who = strtok_r(line, ":\n", &save);
		const char *s = strtok_r(NULL, ":\n", &save);
		const char *c = strtok_r(NULL, ":\n", &save);
		if (!who || !s || !c ||
		    (strcmp(who, idtext) != 0 && (!name || strcmp(who, name) != 0)))
			continue;
		char *e1 = NULL, *e2 = NULL;
		unsigned long sv = strtoul(s, &e1, 10), cv = strtoul(c, &e2, 10);
		if (*e1 || *e2 || cv == 0 || sv > UINT32_MAX || cv > UINT32_MAX - sv)
			continue;
		*start = (uint32_t)sv;
		*count = (uint32_t)cv;
		return 0;
	}
	return -ENOENT;
}

/* NAME in one of PATH's directories, executable. */
static bool in_path(const char *name)
{
	const char *env = getenv("PATH");
	cleanup_free char *copy = strdup(env && *env ? env : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
	     d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", d, name);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

int pfs_outer_plan(struct pfs_run_opts *o, struct pfs_outer *plan, struct pfs_error *err)
{
	*plan = (struct pfs_outer){.uid = geteuid(), .gid = getegid()};
	if (plan->uid == 0) {
		o->id_mode = PFS_IDS_HOST_ROOT;
		return 0;
	}
	if (o->map_base_set)
		return pfs_err_set(err, EINVAL,
				   "--uid-map-base is for a launcher run as root; an unprivileged "
				   "one maps its range of /etc/subuid and /etc/subgid");
	const struct passwd *pw = getpwuid(plan->uid);
	const char *user = pw ? pw->pw_name : NULL;
	uint32_t cu = 0, cg = 0;
	bool has_u = subid_lookup("subuid", plan->uid, user, &plan->sub_uid, &cu) == 0;
	bool has_g = subid_lookup("subgid", plan->uid, user, &plan->sub_gid, &cg) == 0;
	bool tools = in_path("newuidmap") && in_path("newgidmap");
	if (has_u && has_g && tools) {
		o->id_mode = PFS_IDS_SUBORDINATE;
		plan->count = cu < cg ? cu : cg;
		if (plan->count > UINT32_MAX - PFS_OUTER_SUB_BASE - 1)
			plan->count = UINT32_MAX - PFS_OUTER_SUB_BASE - 1;
		if (o->map_count > plan->count)
			o->map_count = plan->count;
		if (o->uid >= o->map_count || o->gid >= o->map_count)
			return pfs_err_set(err, EINVAL,
					   "--uid/--gid %u/%u is outside the subordinate range of "
					   "%u ids (/etc/subuid, /etc/subgid); pick ids below %u",
					   o->uid, o->gid, o->map_count, o->map_count);
		pfs_debug("run: rootless, sandbox ids 0..%u are subordinate ids %u.. / %u..",
			  o->map_count - 1, plan->sub_uid, plan->sub_gid);
		return 0;
	}
	o->id_mode = PFS_IDS_SINGLE;
	char why[256];
	if (!has_u || !has_g)
		snprintf(why, sizeof(why),
			 "%s has no range in %s; add one (as root: usermod --add-subuids "
			 "200000-265535 --add-subgids 200000-265535 %s)",
			 user ? user : "this user", !has_u ? "/etc/subuid" : "/etc/subgid",
			 user ? user : "USER");
	else
		snprintf(why, sizeof(why),
			 "newuidmap/newgidmap are not on PATH; install them (Debian: apt-get "
			 "install uidmap)");
	pfs_debug("run: rootless single-id mode (only your ids, as the sandbox's root): %s", why);
	if (o->uid || o->gid)
		return pfs_err_set(
			err, EPERM,
			"--uid/--gid other than 0 need a range of ids when pfs is not run "
			"as root: %s; or drop --uid/--gid",
			why);
	o->map_count = 1;
	return 0;
}

static int write_self(const char *name, const char *text, struct pfs_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", name);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		return pfs_err_set(
			err, errno,
			"cannot write '%s' to %s in the launcher's user namespace: %s; "
			"is /proc mounted, and user namespaces not restricted (AppArmor)?",
			text, path, strerror(errno));
	return 0;
}

/* In the helper, outside the new namespace: newuidmap PID 0 UID 1 BASE SUB N. */
static int run_map_tool(const char *tool, pid_t pid, unsigned own, unsigned sub, unsigned n)
{
	char a[5][16];
	snprintf(a[0], sizeof(a[0]), "%d", (int)pid);
	snprintf(a[1], sizeof(a[1]), "%u", own);
	snprintf(a[2], sizeof(a[2]), "%u", PFS_OUTER_SUB_BASE);
	snprintf(a[3], sizeof(a[3]), "%u", sub);
	snprintf(a[4], sizeof(a[4]), "%u", n);
	pid_t c = fork();
	if (c == 0) {
		execlp(tool, tool, a[0], "0", a[1], "1", a[2], a[3], a[4], (char *)NULL);
		_exit(127);
	}
	int st = 0;
	return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static _Noreturn void map_helper(int go, const struct pfs_outer *p, pid_t target)
{
	char c;
	/* EOF when the launcher dies or fails to unshare */
	if (read(go, &c, 1) != 1)
		_exit(3);
	if (run_map_tool("newuidmap", target, p->uid, p->sub_uid, p->count) < 0)
		_exit(1);
	if (run_map_tool("newgidmap", target, p->gid, p->sub_gid, p->count) < 0)
		_exit(2);
	_exit(0);
}

static int unshare_user(struct pfs_error *err)
{
	if (unshare(CLONE_NEWUSER) == 0)
		return 0;
	int e = errno;
	if (e == ENOSPC || e == EUSERS)
		return pfs_err_set(err, e,
				   "cannot create a user namespace: %s; the limit "
				   "user.max_user_namespaces is reached, raise it: sysctl -w "
				   "user.max_user_namespaces=15000",
				   strerror(e));
	return pfs_err_set(err, e,
			   "cannot create a user namespace: %s; unprivileged user namespaces "
			   "are disabled or restricted here (sysctls "
			   "kernel.unprivileged_userns_clone, "
			   "kernel.apparmor_restrict_unprivileged_userns, or a container's "
			   "seccomp profile); enable them or run pfs as root",
			   strerror(e));
}

static int enter_subordinate(const struct pfs_outer *p, struct pfs_error *err)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return pfs_err_set(err, errno, "pipe: %s", strerror(errno));
	pid_t self = getpid();
	fflush(NULL);
	pid_t h = fork();
	if (h < 0) {
		close(go[0]);
		close(go[1]);
		return pfs_err_set(err, errno, "fork: %s", strerror(errno));
	}
	if (h == 0) {
		close(go[1]);
		map_helper(go[0], p, self);
	}
	close(go[0]);
	int r = unshare_user(err);
	if (r == 0 && write(go[1], "g", 1) != 1)
		r = pfs_err_set(err, EPIPE, "the id-mapping helper died");
	close(go[1]);
	int st = 0;
	if (waitpid(h, &st, 0) != h)
		st = -1;
	if (r < 0)
		return r;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		int which = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
		return pfs_err_set(err, EPERM,
				   "%s failed to map %u ids from %u of %s (its message is "
				   "above); check that the range belongs to this user",
				   which == 2 ? "newgidmap" : "newuidmap", p->count,
				   which == 2 ? p->sub_gid : p->sub_uid,
				   which == 2 ? "/etc/subgid" : "/etc/subuid");
	}
	return 0;
}

int pfs_outer_enter(const struct pfs_run_opts *o, const struct pfs_outer *p, struct pfs_error *err)
{
	if (o->id_mode == PFS_IDS_HOST_ROOT)
		return 0;
	if (o->id_mode == PFS_IDS_SUBORDINATE)
		return enter_subordinate(p, err);
	int r = unshare_user(err);
	char map[32];
	if (r == 0)
		r = write_self("setgroups", "deny", err);
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)p->uid);
	if (r == 0)
		r = write_self("uid_map", map, err);
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)p->gid);
	if (r == 0)
		r = write_self("gid_map", map, err);
	return r;
}
