#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/become.h"

/*
 * Raw syscalls: glibc's setgroups() applies to every thread of the process,
 * and so would its set*id wrappers. Here only the calling thread changes.
 */
static int thread_setgroups(int n, const gid_t *g)
{
	return syscall(SYS_setgroups, n, g) < 0 ? -errno : 0;
}

static int thread_seteuid(uid_t u)
{
	return syscall(SYS_setresuid, (uid_t)-1, u, (uid_t)-1) < 0 ? -errno : 0;
}

static int thread_setegid(gid_t g)
{
	return syscall(SYS_setresgid, (gid_t)-1, g, (gid_t)-1) < 0 ? -errno : 0;
}

static int thread_capget(struct __user_cap_data_struct caps[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	return syscall(SYS_capget, &h, caps) < 0 ? -errno : 0;
}

static int thread_capset(const struct __user_cap_data_struct caps[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	return syscall(SYS_capset, &h, caps) < 0 ? -errno : 0;
}

/*
 * Capabilities the caller keeps when acting through us. Only those whose
 * kernel checks are made against the target's user namespace are safe to
 * carry over: CAP_SYS_PTRACE (ptrace_may_access) and the DAC overrides (checked
 * against the inode's ids being mapped). Anything checked in the initial user
 * namespace (CAP_SYS_RESOURCE, CAP_SYS_ADMIN, ...) is never granted.
 */
static uint64_t carried_caps(uint64_t cap_eff)
{
	const uint64_t ok = (1ull << CAP_SYS_PTRACE) | (1ull << CAP_DAC_OVERRIDE) |
			    (1ull << CAP_DAC_READ_SEARCH);
	return cap_eff & ok;
}

static uint64_t effective_caps(const struct pfs_saved_creds *own)
{
	return own->caps[0].effective | (uint64_t)own->caps[1].effective << 32;
}

/*
 * Whether switching to (uid, gid, groups, capabilities kept) would leave
 * the thread as it is: its ids, its groups (or groups nobody here can
 * change), and no capability it holds that the switch would drop. Also, as
 * always, a non-root thread asked for the fs ids alone with its own ids.
 */
static bool same_as_own(const struct pfs_saved_creds *own, uid_t uid, gid_t gid, bool full,
			int ngroups, const gid_t *groups, bool groups_fixed, uint64_t keep)
{
	if (uid != own->fsuid || gid != own->fsgid)
		return false;
	if (own->fsuid != 0 && !full && keep == 0)
		return true;
	bool same_groups =
		groups_fixed ||
		(ngroups == own->ngroups &&
		 (!ngroups || !memcmp(groups, own->groups, sizeof(gid_t) * (size_t)ngroups)));
	return same_groups && (effective_caps(own) & ~keep) == 0;
}

int pfs_become(const struct pfs_caller *c, const struct pfs_idmap *uidmap,
	       const struct pfs_idmap *gidmap, bool full, uint64_t extra_caps,
	       struct pfs_saved_creds *saved)
{
	uint32_t ouid = pfs_idmap_out(uidmap, c->uid);
	uint32_t ogid = pfs_idmap_out(gidmap, c->gid);
	if (ouid == UINT32_MAX || ogid == UINT32_MAX)
		return -EACCES; /* the caller's ids mean nothing outside: no access */
	/*
	 * The thread's own credentials, read once: every become is paired with
	 * an unbecome, so they are what the thread has whenever it gets here.
	 */
	static __thread struct pfs_saved_creds own;
	/*
	 * A user namespace whose setgroups is "deny" (a rootless launcher's
	 * single-id mode) refuses it even to root. Nobody below it can change
	 * groups either: the callers have the groups we have, so keep them.
	 */
	static __thread bool groups_fixed;
	if (!own.active) {
		int r = thread_capget(own.caps);
		if (r < 0)
			return r;
		own.ngroups = getgroups(PFS_MAX_GROUPS, own.groups);
		if (own.ngroups < 0)
			return -errno;
		own.fsuid = geteuid();
		own.fsgid = getegid();
		own.active = true;
		groups_fixed =
			own.fsuid == 0 && thread_setgroups(own.ngroups, own.groups) == -EPERM;
	}
	*saved = own;

	/*
	 * The thread already has exactly the credentials it would switch to:
	 * no switch, and nothing to restore (saved inactive). Nothing the
	 * caller lacks is kept: same ids, the groups it would get, and every
	 * capability the thread holds is one it would keep.
	 */
	uint64_t keep = (full ? carried_caps(c->cap_eff) : 0) | extra_caps;
	if (same_as_own(&own, ouid, ogid, full, full ? c->ngroups : 0, c->groups, groups_fixed,
			keep)) {
		saved->active = false;
		return 0;
	}
	/*
	 * Effective ids, not only fs ids: some proc checks (sysctl) look at the
	 * euid. The real and saved ids stay, so the thread can switch back.
	 */
	if (thread_setegid(ogid) < 0)
		goto fail;
	if (!groups_fixed && thread_setgroups(full ? c->ngroups : 0, c->groups) < 0 &&
	    saved->fsuid == 0)
		goto fail;
	if (thread_seteuid(ouid) < 0)
		goto fail;
	/* A non-zero euid already cleared the effective set; set exactly what is carried. */
	struct __user_cap_data_struct caps[2];
	memcpy(caps, saved->caps, sizeof(caps));
	caps[0].effective &= (uint32_t)keep;
	caps[1].effective &= (uint32_t)(keep >> 32);
	if (thread_capset(caps) < 0)
		goto fail;
	return 0;
fail:
	pfs_unbecome(saved);
	return -EACCES;
}

void pfs_unbecome(struct pfs_saved_creds *saved)
{
	if (!saved->active)
		return;
	/* euid first: it brings the capabilities back that the rest needs. */
	thread_seteuid(saved->fsuid);
	thread_capset(saved->caps);
	thread_setegid(saved->fsgid);
	thread_setgroups(saved->ngroups, saved->groups);
	saved->active = false;
}
