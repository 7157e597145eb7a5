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
#include "pfs/oracle.h"

static int resolve_policy_path(char **out, struct pfs_error *err)
{
	const struct pfs_fs_options *o = &pfs_fs.opt;
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

int pfs_fs_load_policy(struct pfs_policy **out, struct pfs_error *err)
{
	if (!pfs_fs.policy_path)
		return pfs_policy_new_empty(out);
	return pfs_policy_load(pfs_fs.policy_path, out, err);
}

static int open_backing(struct pfs_error *err)
{
	const struct pfs_fs_options *o = &pfs_fs.opt;
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
	pfs_fs.view.as_caller = fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	if (!pfs_fs.view.as_caller)
		pfs_warn("the backing is not a procfs; serving it with the daemon's credentials");
	pfs_fs.view.backing_fd = fd;
	return 0;
}

/* The mount's user namespace is that of the backing's pid 1 (the sandbox's init). */
static void load_id_maps(void)
{
	char text[4096];
	struct pfs_view *v = &pfs_fs.view;
	if (pfs_read_small_at(v->backing_fd, "1/uid_map", text, sizeof(text)) > 0)
		pfs_idmap_parse(text, &v->uidmap);
	if (pfs_read_small_at(v->backing_fd, "1/gid_map", text, sizeof(text)) > 0)
		pfs_idmap_parse(text, &v->gidmap);
	struct stat st, own;
	if (fstatat(v->backing_fd, "1/ns/user", &st, 0) == 0)
		v->mount_userns_ino = st.st_ino;
	/* Another user namespace: the kernel's ptrace rules need the oracle. */
	if (v->mount_userns_ino && stat("/proc/self/ns/user", &own) == 0 &&
	    own.st_ino != v->mount_userns_ino) {
		int r = pfs_oracle_start(v->backing_fd, &v->oracle);
		if (r < 0)
			pfs_warn("cannot start the ptrace oracle (%s): other processes' "
				 "ptrace-gated files are refused",
				 strerror(-r));
	}
}

int pfs_fs_setup(struct pfs_error *err)
{
	int r = open_backing(err);
	if (r < 0)
		return r;
	r = resolve_policy_path(&pfs_fs.policy_path, err);
	if (r < 0)
		return r;
	struct pfs_policy *p = NULL;
	r = pfs_fs_load_policy(&p, err);
	if (r < 0)
		return r;
	if (pfs_fs.opt.rw && p->rw_forbidden) {
		pfs_policy_free(p);
		return pfs_err_set(err, EPERM,
				   "the policy says `proc-rw forbid` but the mount asks for rw; "
				   "mount read-only or change the policy");
	}
	pfs_fs.view.policy = p;
	pfs_view_policy_changed(&pfs_fs.view);
	pfs_fs.view.rw = pfs_fs.opt.rw;
	pfs_fs.view.pidns_pid_max = pfs_fs.opt.pidns_pid_max;
	load_id_maps();
	pthread_rwlock_init(&pfs_fs.policy_lock, NULL);
	return 0;
}

/* Collects cached (caller-independent) entries so the kernel forgets them. */
static void collect(struct pfs_node *n, struct pfs_inval_list *l)
{
	struct pfs_node *child, *tmp;
	HASH_ITER (hh, n->children, child, tmp) {
		if (child->per_caller)
			continue;
		if (pfs_inval_push(l, n, child->name) < 0)
			return;
		collect(child, l);
	}
}

static void invalidate_cached_entries(void)
{
	struct pfs_inval_list l = {0};
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	collect(&pfs_fs.root, &l);
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
	/* Outside the lock: the kernel may answer with FORGETs that take it. */
	pfs_inval_flush(&l);
}

static void reload(void)
{
	struct pfs_error err;
	pfs_err_clear(&err);
	struct pfs_policy *p = NULL;
	int r = pfs_fs_load_policy(&p, &err);
	if (r == 0 && pfs_fs.opt.rw && p->rw_forbidden) {
		pfs_policy_free(p);
		r = pfs_err_set(&err, EPERM, "the new policy forbids this rw mount");
	}
	if (r < 0) {
		pfs_err("policy reload refused, the old policy stays active: %s",
			err.msg[0] ? err.msg : strerror(-r));
		return;
	}
	pthread_rwlock_wrlock(&pfs_fs.policy_lock);
	struct pfs_policy *old = (struct pfs_policy *)pfs_fs.view.policy;
	pfs_fs.view.policy = p;
	pfs_view_policy_changed(&pfs_fs.view);
	pthread_rwlock_unlock(&pfs_fs.policy_lock);
	pfs_policy_free(old);
	invalidate_cached_entries();
	pfs_info("policy reloaded from %s", pfs_fs.policy_path ? pfs_fs.policy_path : "(none)");
}

static void *reload_thread(void *arg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) == 0 && sig == SIGHUP)
			reload();
	}
	return NULL;
}

void pfs_fs_start_reload_thread(void)
{
	/* SIGHUP is blocked in every thread (set before any is made) and taken here. */
	pthread_t t;
	if (pthread_create(&t, NULL, reload_thread, NULL) == 0)
		pthread_detach(t);
	else
		pfs_err("cannot start the reload thread: SIGHUP will not reload the policy");
}
