/* Startup: the backing, the policy, id maps; and reload on SIGHUP. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/log.h"
#include "pfs/nsview.h"
#include "pfs/oracle.h"
#include "pfs/sysinfo.h"

static int resolve_policy_path(struct pfs_fs *fs, char **out, struct pfs_error *err)
{
	const struct pfs_fs_options *o = &fs->opt;
	*out = NULL;
	if (o->policy && o->tenant)
		return pfs_err_set(err, EINVAL, "both policy= and tenant= given; use one of them");
	if (o->policy) {
		*out = strdup(o->policy);
		return *out ? 0 : -ENOMEM;
	}
	if (o->tenant)
		return pfs_policy_tenant_path(o->policy_dir ? o->policy_dir : PFS_POLICY_DIR,
					      o->tenant, out, err);
	return 0;
}

int pfs_fs_load_policy(struct pfs_fs *fs, struct pfs_policy **out, struct pfs_error *err)
{
	if (!fs->policy_path)
		return pfs_policy_new_empty(out);
	return pfs_policy_load(fs->policy_path, out, err);
}

static int open_backing(struct pfs_fs *fs, struct pfs_error *err)
{
	const struct pfs_fs_options *o = &fs->opt;
	int fd;
	if (o->backing_fd >= 0) {
		fd = o->backing_fd;
	} else {
		const char *dir = o->backing ? o->backing : "/proc";
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return pfs_err_set(err, errno,
					   "cannot open backing=%s: %s; give a procfs directory",
					   dir, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return pfs_err_set(err, ENOTDIR,
				   "the backing is not a directory; give backing=DIR or an fd of "
				   "a procfs instance with backing_fd=N");
	struct statfs sf;
	/* Callers' credentials come from the backing: a fixture tree has none to give. */
	fs->view.as_caller = fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	if (!fs->view.as_caller)
		pfs_warn("the backing is not a procfs; serving it with the daemon's credentials");
	fs->view.backing_fd = fd;
	int r = fs->view.as_caller ? pfs_pidns_open(fd, &fs->view.pidns) : 0;
	if (r < 0)
		pfs_debug("callers' thread groups come from their status: the backing's pid "
			  "namespace does not translate (%s)",
			  strerror(-r));
	return 0;
}

/*
 * The mount's user namespace is that of the backing's pid 1 (the sandbox's
 * init). When the daemon is in it too (an OCI hook run by rootless podman),
 * the ids it sees are already the mount's: no map, and no oracle.
 */
static void load_id_maps(struct pfs_fs *fs)
{
	char text[4096];
	struct pfs_view *v = &fs->view;
	struct stat st, own;
	int ufd = fs->opt.userns_fd;
	if (ufd >= 0 ? fstat(ufd, &st) == 0 : fstatat(v->backing_fd, "1/ns/user", &st, 0) == 0)
		v->mount_userns_ino = st.st_ino;
	bool same = v->mount_userns_ino && stat("/proc/self/ns/user", &own) == 0 &&
		    own.st_ino == v->mount_userns_ino;
	if (same)
		return;
	if (pfs_read_small_at(v->backing_fd, "1/uid_map", text, sizeof(text)) > 0)
		pfs_idmap_parse(text, &v->uidmap);
	if (pfs_read_small_at(v->backing_fd, "1/gid_map", text, sizeof(text)) > 0)
		pfs_idmap_parse(text, &v->gidmap);
	/* Another user namespace: the kernel's ptrace rules need the oracle. */
	if (v->mount_userns_ino) {
		int r = pfs_oracle_start(v->backing_fd, ufd, &v->oracle);
		if (r < 0)
			pfs_warn("cannot start the ptrace oracle (%s): other processes' "
				 "ptrace-gated files are refused",
				 strerror(-r));
	}
}

int pfs_fs_setup(struct pfs_fs *fs, struct pfs_error *err)
{
	int r = open_backing(fs, err);
	if (r < 0)
		return r;
	r = resolve_policy_path(fs, &fs->policy_path, err);
	if (r < 0)
		return r;
	struct pfs_policy *p = NULL;
	r = pfs_fs_load_policy(fs, &p, err);
	if (r < 0)
		return r;
	if (fs->opt.rw && p->rw_forbidden) {
		pfs_policy_free(p);
		return pfs_err_set(err, EPERM,
				   "the policy says `proc-rw forbid` but the mount asks for rw; "
				   "mount read-only or change the policy");
	}
	fs->view.policy = p;
	pfs_view_policy_changed(&fs->view);
	fs->view.rw = fs->opt.rw;
	fs->view.pidns_pid_max = fs->opt.pidns_pid_max;
	fs->view.enter_ns = fs->opt.enter_ns;
	r = pfs_sysinfo_open(fs->view.backing_fd, fs->opt.cgroup_pid, &fs->view.sysinfo);
	if (r < 0)
		return pfs_err_set(err, -r,
				   "cannot open the cgroups of cgroup_pid=%d: %s; give the pid of "
				   "a process in the sandbox",
				   fs->opt.cgroup_pid, strerror(-r));
	load_id_maps(fs);
	if (fs->opt.ref_mnt_fd >= 0 && fs->opt.ref_root_fd >= 0)
		pfs_ns_reference_adopt(fs->opt.ref_mnt_fd, fs->opt.ref_root_fd);
	pfs_view_probe_public(&fs->view);
	pfs_view_reference_open(&fs->view);
	pthread_rwlock_init(&fs->policy_lock, NULL);
	return 0;
}

/*
 * Collects cached entries so the kernel forgets them: the caller-independent
 * ones and the process directories (cache.c; their subtrees go with them).
 */
static void collect(struct pfs_fs *fs, struct pfs_node *n, struct pfs_inval_list *l)
{
	struct pfs_node *child, *tmp;
	HASH_ITER (hh, n->children, child, tmp) {
		if (child->per_caller && child->anchor != child)
			continue;
		if (pfs_inval_push(fs, l, n, child->name) < 0)
			return;
		collect(fs, child, l);
	}
}

static void invalidate_cached_entries(struct pfs_fs *fs)
{
	struct pfs_inval_list l = {0};
	pthread_mutex_lock(&fs->nodes_lock);
	collect(fs, &fs->root, &l);
	pthread_mutex_unlock(&fs->nodes_lock);
	/* Outside the lock: the kernel may answer with FORGETs that take it. */
	pfs_inval_flush(fs, &l);
}

void pfs_fs_reload(struct pfs_fs *fs)
{
	struct pfs_error err;
	pfs_err_clear(&err);
	struct pfs_policy *p = NULL;
	int r = pfs_fs_load_policy(fs, &p, &err);
	if (r == 0 && fs->opt.rw && p->rw_forbidden) {
		pfs_policy_free(p);
		r = pfs_err_set(&err, EPERM, "the new policy forbids this rw mount");
	}
	if (r < 0) {
		pfs_err("policy reload refused, the old policy stays active: %s",
			err.msg[0] ? err.msg : strerror(-r));
		return;
	}
	pthread_rwlock_wrlock(&fs->policy_lock);
	struct pfs_policy *old = (struct pfs_policy *)fs->view.policy;
	fs->view.policy = p;
	pfs_view_policy_changed(&fs->view);
	pthread_rwlock_unlock(&fs->policy_lock);
	pfs_policy_free(old);
	invalidate_cached_entries(fs);
	pfs_info("policy reloaded from %s", fs->policy_path ? fs->policy_path : "(none)");
}

static void *reload_thread(void *arg)
{
	struct pfs_fs *fs = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) == 0 && sig == SIGHUP)
			pfs_fs_reload(fs);
	}
	return NULL;
}

void pfs_fs_start_reload_thread(struct pfs_fs *fs)
{
	/* SIGHUP is blocked in every thread (set before any is made) and taken here. */
	pthread_t t;
	if (pthread_create(&t, NULL, reload_thread, fs) == 0)
		pthread_detach(t);
	else
		pfs_err("cannot start the reload thread: SIGHUP will not reload the policy");
}
