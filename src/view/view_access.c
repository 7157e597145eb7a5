#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "pfs/backing.h"

#include "pfs/become.h"
#include "pfs/oracle.h"
#include "view_i.h"

/*
 * The kernel lets a process inspect its own thread group whatever its
 * dumpability (ptrace checks), and always lets it search its own fd/ and
 * fdinfo/ directories. Those exceptions, and nothing more, as capabilities.
 */
static uint64_t own_group_caps(const struct pfs_caller *c, const struct pfs_ppath *pp)
{
	pid_t target = pp ? pp->pid : 0;
	if (!target || !c->tgid || (target != c->tgid && target != c->tid))
		return 0;
	uint64_t caps = 1ull << CAP_SYS_PTRACE;
	if (!strcmp(pp->rest, "timerslack_ns"))
		caps |= 1ull << CAP_SYS_NICE; /* a task may read its own */
	if (!strncmp(pp->rest, "fd", 2) &&
	    (pp->rest[2] == '\0' || pp->rest[2] == '/' || !strncmp(pp->rest + 2, "info", 4)))
		caps |= 1ull << CAP_DAC_READ_SEARCH;
	return caps;
}

/*
 * Files of another process that no ptrace check gates: no question to ask.
 * The mount tables mounts and mountinfo are world-readable and opened with no
 * check (mounts_open_common); mountstats is 0400.
 */
static bool ungated(const char *rest)
{
	static const char *const names[] = {"",	     "status", "cmdline",   "comm",
					    "statm", "cgroup", "mountinfo", "mounts"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(rest, names[i]))
			return true;
	return false;
}

/*
 * A caller of the mount's user namespace, a target of another process: a
 * daemon thread of another user namespace cannot reproduce the kernel's
 * decision (pfs/oracle.h), so the oracle makes the same access as the caller
 * first. Its refusal is the answer; its ptrace verdict becomes CAP_SYS_PTRACE
 * (and the caller's own CAP_SYS_PTRACE, valid only in its namespace, is not
 * carried).
 */
static int oracle_check(const struct pfs_view *v, struct pfs_caller *c,
			const struct pfs_loc *target, enum pfs_access_op op, struct pfs_caller *eff,
			uint64_t *extra)
{
	*eff = *c;
	const struct pfs_ppath *pp = target ? &target->pp : NULL;
	if (!v->oracle || !pp || !pp->pid || *extra)
		return 0;
	eff->cap_eff &= ~(1ull << CAP_SYS_PTRACE);
	if (ungated(pp->rest) && op != PFS_OP_OPEN_W)
		return 0;
	struct pfs_oracle_answer a;
	pfs_oracle_ask(v->oracle, c, &v->gidmap, pp->tid ? pp->tid : pp->pid,
		       target->path + strlen("/proc/"), op, &a);
	if (a.access == -EACCES || a.access == -EPERM)
		return a.access;
	if (a.ptrace)
		*extra |= 1ull << CAP_SYS_PTRACE;
	return 0;
}

static bool id_mapped(const struct pfs_idmap *m, uint32_t outside)
{
	return !m->n || pfs_idmap_in(m, outside) != 65534u || pfs_idmap_out(m, 65534u) == outside;
}

/*
 * The DAC overrides count in the caller's user namespace only for an inode
 * whose owner and group are mapped there (capable_wrt_inode_uidgid); this
 * thread, in the daemon's namespace, would have them over every inode.
 */
static void drop_unmapped_dac(const struct pfs_view *v, const struct pfs_loc *target,
			      struct pfs_caller *eff)
{
	const uint64_t dac = (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH);
	if (!target || !(eff->cap_eff & dac) || (!v->uidmap.n && !v->gidmap.n))
		return;
	struct stat st;
	if (fstatat(target->dirfd, pfs_rel(target->rel), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    id_mapped(&v->uidmap, st.st_uid) && id_mapped(&v->gidmap, st.st_gid))
		return;
	eff->cap_eff &= ~dac;
}

static int run_as(const struct pfs_view *v, struct pfs_caller *c, bool full,
		  const struct pfs_loc *target, enum pfs_access_op op, pfs_as_fn fn, void *arg)
{
	struct pfs_saved_creds saved;
	struct pfs_caller eff = *c;
	uint64_t extra = 0;
	if (full) {
		extra = own_group_caps(c, target ? &target->pp : NULL);
		int r = oracle_check(v, c, target, op, &eff, &extra);
		if (r < 0)
			return r;
		/*
		 * No oracle: the caller's capabilities are of the daemon's own user
		 * namespace (those of a nested one were dropped when loaded), so
		 * the thread may hold them all, as the kernel's ptrace rule needs
		 * (the target's permitted set within the reader's effective one):
		 * an OCI container's processes keep the runtime's default set. The
		 * DAC overrides are then valid over every inode the daemon sees.
		 */
		if (!v->oracle)
			extra |= c->cap_eff;
		else
			drop_unmapped_dac(v, target, &eff);
	}
	int r = pfs_become(&eff, &v->uidmap, &v->gidmap, full, extra, &saved);
	if (r < 0)
		return r;
	r = fn(arg);
	pfs_unbecome(&saved);
	return r;
}

/*
 * Reads whose answer the kernel gives every reader alike: world-readable
 * global files whose content does not depend on the opener's credentials
 * (unlike kallsyms or modules, %pK), per-process files no ptrace check gates,
 * a process's own stat (its ptrace-gated fields, wchan, startcode, the stack
 * pointers, are shown to its own thread group as to the daemon), the mount
 * tables mounts and mountinfo (rendered against the process's root, whoever
 * reads; ungated above), and /proc's
 * listing without hidepid. No need to load the caller's credentials nor to
 * become them.
 */
static bool reader_independent(const struct pfs_view *v, struct pfs_caller *c,
			       const struct pfs_loc *loc, enum pfs_access_op op)
{
	static const char *const global[] = {"meminfo", "uptime",      "stat",	     "cpuinfo",
					     "loadavg", "version",     "vmstat",     "diskstats",
					     "swaps",	"filesystems", "partitions", "cgroups"};
	if (!loc)
		return false;
	const struct pfs_ppath *pp = &loc->pp;
	if (op == PFS_OP_OPENDIR)
		return pp->is_root && v->pid_dirs_public;
	if (op != PFS_OP_OPEN_R)
		return false;
	if (pp->pid)
		return !strcmp(pp->rest, "status") || !strcmp(pp->rest, "cmdline") ||
		       !strcmp(pp->rest, "comm") || !strcmp(pp->rest, "statm") ||
		       !strcmp(pp->rest, "mountinfo") || !strcmp(pp->rest, "mounts") ||
		       (!strcmp(pp->rest, "stat") && view_caller_tgid(v, c) == pp->pid);
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (!strcmp(pp->rest, global[i]))
			return true;
	return false;
}

int view_as_caller(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *target,
		   enum pfs_access_op op, pfs_as_fn fn, void *arg)
{
	if (!v->as_caller || reader_independent(v, c, target, op))
		return fn(arg);
	int r = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	if (r < 0)
		return r;
	return run_as(v, c, true, target, op, fn, arg);
}

int view_as_caller_cheap(const struct pfs_view *v, struct pfs_caller *c,
			 const struct pfs_loc *target, enum pfs_access_op op, pfs_as_fn fn,
			 void *arg)
{
	if (!v->as_caller)
		return fn(arg);
	int r = c->creds_loaded ? -EACCES : run_as(v, c, false, target, op, fn, arg);
	if (r != -EACCES && r != -EPERM)
		return r;
	int lr = pfs_caller_load_creds(v->backing_fd, c, &v->gidmap, v->mount_userns_ino);
	if (lr < 0)
		return lr == -ENOENT ? r : lr;
	return run_as(v, c, true, target, op, fn, arg);
}

/*
 * Two ioctls where the kernel has them (Linux 6.11) instead of reading the
 * caller's status (a tenth of an open+read+close through FUSE). The caller is
 * in the request, so its thread group is held and the numbers cannot move.
 */
int pfs_view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c)
{
	if (c->tgid)
		return 0;
	pid_t tgid = 0;
	int r = pfs_pidns_tgid(&v->pidns, c->tid, &tgid);
	if (r == -EOPNOTSUPP)
		return pfs_caller_tgid(v->backing_fd, c);
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	c->tgid = tgid;
	return 0;
}

pid_t view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c)
{
	return pfs_view_caller_tgid(v, c) < 0 ? 0 : c->tgid;
}

void pfs_view_probe_public(struct pfs_view *v)
{
	v->pid_dirs_public = false;
	if (!v->as_caller)
		return;
	/* nobody looks at pid 1 (root's, in every pid namespace) through the backing */
	pid_t p = fork();
	if (p == 0) {
		bool ok = syscall(SYS_setgroups, 0, NULL) == 0 &&
			  syscall(SYS_setresgid, 65534, 65534, 65534) == 0 &&
			  syscall(SYS_setresuid, 65534, 65534, 65534) == 0;
		struct stat st;
		_exit(ok && fstatat(v->backing_fd, "1/status", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				      st.st_uid != 65534
			      ? 0
			      : 1);
	}
	int status = 0;
	if (p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		v->pid_dirs_public = true;
}

/*
 * An lstat whose answer is the same for every caller, so that no credential
 * switch is needed (and no reading of the caller's status): /proc itself and
 * the entries directly in /proc, /proc/<pid>, /proc/<pid>/task and
 * /proc/<pid>/task/<tid>. Each of those directories is searchable by every
 * uid (0555; procfs checks nothing else there but hidepid, which
 * pid_dirs_public rules out), and the attributes are the process's or the
 * kernel's, not the reader's. Deeper entries keep the switch: fd/, map_files/
 * (ptrace checks), /proc/tty/driver (0500).
 */
bool view_stat_public(const struct pfs_view *v, const struct pfs_loc *loc)
{
	return v->pid_dirs_public && !strchr(loc->pp.rest, '/');
}
