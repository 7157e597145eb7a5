/*
 * `pfs run`: the sandbox launcher (src/launcher/). Internal API between its
 * files; docs/pfs-run.md describes the command.
 *
 * Processes:
 *   launcher (host namespaces) -- clone(NEW user,mnt,pid,ipc,uts,cgroup[,net])
 *     +-- sandbox init (pid 1 inside): builds the root, the backing proc and
 *     |     the FUSE /proc, then forks the workload and becomes a tiny init.
 *     |     +-- workload
 *     +-- procfilterfs daemon (host namespaces), serving the FUSE fd.
 * Run by an unprivileged user, the launcher first enters a user namespace of
 * its own (run_outer.c): the sandbox's is its child, the daemon runs in it.
 */
#ifndef PFS_LAUNCHER_I_H
#define PFS_LAUNCHER_I_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "pfs/buf.h"
#include "pfs/err.h"
#include "pfs/limits.h"
#include "pfs/monitor.h"

/* Exit codes of `pfs run` itself (documented in docs/pfs-run.md). */
enum {
	PFS_RUN_EXIT_DAEMON = 122, /* procfilterfs died during the run */
	PFS_RUN_EXIT_SETUP = 123, /* sandbox set-up failed (kernel, mounts, FUSE) */
	PFS_RUN_EXIT_USAGE = 125, /* bad option, policy or combination */
	PFS_RUN_EXIT_NOEXEC = 126, /* the command exists but cannot be executed */
	PFS_RUN_EXIT_NOTFOUND = 127 /* the command was not found */
};

enum pfs_mount_kind { PFS_MNT_BIND, PFS_MNT_TMPFS };

/* Whose ids the sandbox's ids are (docs/pfs-run.md, "Run by an unprivileged user"). */
enum pfs_id_mode {
	PFS_IDS_HOST_ROOT, /* run by root: map_base.. on the host */
	PFS_IDS_SINGLE, /* unprivileged, no subordinate range: only the user's own ids */
	PFS_IDS_SUBORDINATE, /* unprivileged: the user's range of /etc/subuid, /etc/subgid */
};

struct pfs_mount_spec {
	enum pfs_mount_kind kind;
	char *src; /* BIND only: host path */
	char *dst; /* absolute path inside the sandbox */
	bool ro;
	int tree_fd; /* set up inside: open_tree clone of src, -1 until then */
};

struct pfs_run_opts {
	/* policy */
	const char *policy_file; /* resolved: the file the daemon loads */
	const char *tenant;
	const char *policy_dir;
	bool proc_rw;
	bool fallback_kernel; /* --fallback kernel */
	const char *unsafe_kernel_proc; /* --unsafe-kernel-proc PATH */
	const char *daemon_path; /* procfilterfs binary */
	const char *dev_fuse; /* /dev/fuse, or PFS_DEV_FUSE for tests */
	/* root */
	const char *rootfs;
	struct pfs_mount_spec *mounts;
	size_t n_mounts;
	/* namespaces and identity */
	bool net_host;
	uid_t uid;
	gid_t gid;
	enum pfs_id_mode id_mode; /* set by pfs_outer_plan */
	uid_t map_base; /* root launcher: host ids of the sandbox's 0..map_count-1 */
	bool map_base_set; /* --uid-map-base given */
	uint32_t map_count;
	const char *hostname;
	/* process */
	const char *cwd;
	char **env; /* K=V */
	size_t n_env;
	bool clear_env;
	uint64_t cap_add; /* bit mask of CAP_* kept */
	bool seccomp;
	bool memory_deny; /* the policy's `process-memory deny` (seccomp part) */
	const char *limit_spec; /* --limit, merged over the policy's */
	struct pfs_limits limits;
	/* output */
	const char *result_file;
	const char *events_file;
	unsigned restarts_max; /* --daemon-restarts N: restarts of a dead daemon ... */
	unsigned restarts_window_s; /* ... within S seconds (run_super.c) */
	int verbose;
	char **argv; /* the workload */
	char *owned_policy; /* storage of a resolved policy path */
	char *arg_area; /* the process's command line memory, scrubbed by the init */
	size_t arg_len;
	unsigned long pidns_pid_max; /* kernel/pid_max of the sandbox's pid ns, from the init */
	pid_t cgroup_pid; /* a process in the sandbox's own cgroup (the init), or 0 */
	int idtable_fd; /* the daemons' id table (run_super.c); 0 or -1: none (OCI hook) */
	int ref_mnt_fd, ref_root_fd; /* the init's mount ns and root, for later daemons; 0/-1 */
};

/* a + b into out (size bytes): 0 or -ENAMETOOLONG. */
static inline int pfs_path_join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s%s", a, b);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* run_opts.c */
void pfs_run_usage(FILE *f);
/* 0, 1 for --help (usage printed by the caller), or -errno with err set. */
int pfs_run_parse(int argc, char **argv, struct pfs_run_opts *o, struct pfs_error *err);
void pfs_run_opts_free(struct pfs_run_opts *o);

/* run_policy.c: resolves --policy/--tenant, checks combinations, merges limits. */
int pfs_run_resolve_policy(struct pfs_run_opts *o, struct pfs_error *err);

/* run_userns.c */
int pfs_userns_check(struct pfs_error *err);
int pfs_userns_write_maps(pid_t pid, const struct pfs_run_opts *o, struct pfs_error *err);

/* run_outer.c: an unprivileged launcher's own user namespace. */
#define PFS_OUTER_SUB_BASE 65536u /* where the subordinate range starts in it */
struct pfs_outer {
	uid_t uid; /* the launcher's ids on the host */
	gid_t gid;
	uint32_t sub_uid, sub_gid, count; /* the subordinate ranges (PFS_IDS_SUBORDINATE) */
};
/* Chooses o->id_mode and checks --uid/--gid against it; no side effect. */
int pfs_outer_plan(struct pfs_run_opts *o, struct pfs_outer *plan, struct pfs_error *err);
/* Moves the calling (single-threaded) launcher into its outer user namespace. */
int pfs_outer_enter(const struct pfs_run_opts *o, const struct pfs_outer *plan,
		    struct pfs_error *err);

/* run_caps.c */
int pfs_cap_from_name(const char *name, int *cap);
int pfs_caps_drop_bounding(uint64_t keep, struct pfs_error *err);
int pfs_caps_set(uint64_t keep, bool ambient, struct pfs_error *err);

/* run_syscalls.c: the workload's system calls, resolved to numbers. */
struct pfs_syscall {
	const char *name;
	int nr;
	bool by_number; /* libseccomp has no name for it: nr from our table */
	int verdict; /* 0: allowed, else the errno it fails with */
};
/* Every listed call, allowed or refused; anything else gets ENOSYS. *out is free()d. */
int pfs_syscalls_plan(bool memory_deny, struct pfs_syscall **out, size_t *n, struct pfs_error *err);

/* run_seccomp.c */
int pfs_seccomp_apply(bool memory_deny, struct pfs_error *err);
/* The filters pfs_seccomp_apply loads, as text (`pfs run -v`). */
int pfs_seccomp_describe(bool memory_deny, struct pfs_buf *out, struct pfs_error *err);

/*
 * The object supervisor (run_notify.c, run_supervise.c): the workload
 * installs a notification filter and passes its listener over chan; the init
 * takes it (-errno when none came) and hands it to the launcher, which
 * answers the notifications in a thread.
 */
int pfs_notify_install(int chan, struct pfs_error *err);
int pfs_notify_take(int chan, int *listener, unsigned *proc_mnt_id);
int pfs_supervise_start(int listener, unsigned proc_mnt_id, int backing, struct pfs_error *err);

/* run_rootfs.c: inside the sandbox's namespaces. */
int pfs_root_open_sources(struct pfs_run_opts *o, int *root_tree, struct pfs_error *err);
int pfs_root_build(struct pfs_run_opts *o, int root_tree, const char *newroot,
		   struct pfs_error *err);
int pfs_root_pivot(const char *newroot, bool root_ro, struct pfs_error *err);
int pfs_root_open_target(int root_fd, const char *path, bool dir, int *out, struct pfs_error *err);

/* run_dev.c */
int pfs_dev_build(const char *newroot, struct pfs_error *err);

/* run_proc.c */
int pfs_proc_backing_open(int *backing_fd, struct pfs_error *err);
int pfs_proc_fuse_open(const struct pfs_run_opts *o, int *fuse_fd, struct pfs_error *err);
int pfs_proc_fuse_mount(const struct pfs_run_opts *o, const char *newroot, int fuse_fd,
			struct pfs_error *err);
/* Mounts the FUSE /proc on target, also for pfs oci-hook; flags beyond nosuid,nodev,noexec. */
int pfs_proc_fuse_mount_at(const char *target, int fd, unsigned long flags, struct pfs_error *err);
int pfs_proc_kernel_mount(const struct pfs_run_opts *o, const char *newroot, struct pfs_error *err);
int pfs_proc_unsafe_mount(const char *newroot, const char *path, int backing_fd,
			  struct pfs_error *err);
int pfs_fuse_check(const struct pfs_run_opts *o, struct pfs_error *err);
int pfs_net_lo_up(struct pfs_error *err);

/* run_ipc.c: messages between the launcher and the sandbox init. */
enum pfs_msg_type {
	PFS_MSG_MAPPED = 1, /* launcher -> init: id maps written */
	PFS_MSG_FDS, /* init -> launcher: backing fd [+ fuse fd] */
	PFS_MSG_GO, /* launcher -> init: daemon serving, go on */
	PFS_MSG_STARTED, /* init -> launcher: workload forked */
	PFS_MSG_ERROR, /* init -> launcher: set-up failed (code + err) */
	PFS_MSG_STATUS, /* init -> launcher: the workload's wait status */
	PFS_MSG_LISTENER, /* workload -> init: seccomp listener + mount id of /proc (code) */
};

/* MAPPED's code: the init was moved into its cgroup after the clone */
#define PFS_MAPPED_UNSHARE_CGROUPNS 1

struct pfs_msg {
	int type;
	int code; /* ERROR: exit code; STATUS: wait status; FDS: number of fds */
	struct pfs_error err;
};

int pfs_msg_send(int sock, const struct pfs_msg *m, const int *fds, size_t n_fds);
/* Receives one message; fds[] gets up to max_fds fds. -EPIPE at EOF. */
int pfs_msg_recv(int sock, struct pfs_msg *m, int *fds, size_t max_fds, size_t *n_fds);
int pfs_msg_send_error(int sock, int code, const struct pfs_error *err);

/* run_sandbox.c: the body of the sandbox init (child of clone). Never returns. */
struct pfs_sandbox_ctx {
	struct pfs_run_opts *o;
	int sock; /* to the launcher */
};
int pfs_sandbox_main(void *arg);

/* run_init.c */
int pfs_init_run(struct pfs_run_opts *o, int sock, struct pfs_error *err);

/* run_daemon.c */
struct pfs_daemon {
	pid_t pid;
	int pidfd;
};
int pfs_daemon_find(struct pfs_run_opts *o, struct pfs_error *err);
int pfs_daemon_start(const struct pfs_run_opts *o, int backing_fd, int userns_fd, int fuse_fd,
		     struct pfs_daemon *d, struct pfs_error *err);
/* Starts it without waiting: *ready_rd gets its ready byte ('P' for a spare on
 * standby_fd, then 'R' once it serves); standby_fd -1: not a spare. */
int pfs_daemon_spawn(const struct pfs_run_opts *o, int backing_fd, int userns_fd, int fuse_fd,
		     int standby_fd, struct pfs_daemon *d, int *ready_rd, struct pfs_error *err);
/* Waits for one byte on ready_fd (10 s at most) or the daemon's death. */
int pfs_daemon_wait(int ready_fd, int pidfd, pid_t pid, struct pfs_error *err);
/* Waits grace_ms for the daemon to exit, then SIGTERM, then SIGKILL; reaps it. */
void pfs_daemon_stop(struct pfs_daemon *d, int grace_ms);

/*
 * run_super.c: the daemon's supervisor. Holds a duplicate of the FUSE fd and
 * the id table; restarts a dead daemon on the same connection (bounded by
 * --daemon-restarts) and replaces it on `pfs upgrade` (run_upgrade.c).
 * Everything after pfs_super_start runs on the launcher's watcher thread.
 */
struct pfs_super {
	struct pfs_run_opts *o; /* daemon_path changes on an upgrade */
	int backing_fd, userns_fd; /* borrowed */
	int fuse_fd; /* our duplicate: the connection outlives the daemon */
	struct pfs_daemon d; /* the current daemon */
	struct pfs_daemon spare; /* started ahead, waiting on spare_go; pidfd -1 if none */
	int spare_ready, spare_go; /* its ready byte ('P', then 'R'); our byte wakes it */
	int gap_r, gap_w; /* struct pfs_daemon_gap records, to the monitor */
	int ctl_fd; /* `pfs upgrade` requests (listening), or -1 */
	uint64_t *deaths; /* times of the deaths within the window */
	size_t n_deaths;
	uint32_t restarts; /* restarts and upgrades so far */
	char reason[400]; /* why the sandbox ends, when the supervisor gave up */
	char daemon_buf[4096]; /* an upgraded daemon's path */
};
int pfs_super_init(struct pfs_super *s, struct pfs_run_opts *o, int backing_fd, int userns_fd,
		   int fuse_fd, struct pfs_error *err);
int pfs_super_start(struct pfs_super *s, struct pfs_error *err);
/* The daemon's pidfd is readable: 1 when a new daemon serves, 0 when the death is
 * to be handled as before (reason set when the budget ran out), -1 when a restart
 * failed (reason set; the old daemon is reaped, *si says how it ended). */
int pfs_super_daemon_died(struct pfs_super *s, siginfo_t *si);
/* Reaps the current (dead or killed) daemon and starts d again; gap from t0 (us). */
int pfs_super_replace(struct pfs_super *s, uint64_t t0, siginfo_t *si, const char *cause,
		      struct pfs_error *err);
void pfs_super_destroy(struct pfs_super *s);
/* Ends the spare daemon (an upgrade: it runs the old binary). */
void pfs_super_drop_spare(struct pfs_super *s);
/* run_upgrade.c: the control socket of `pfs upgrade --sandbox PID`. */
void pfs_upgrade_listen(struct pfs_super *s);
void pfs_upgrade_serve(struct pfs_super *s);
/* The socket's abstract name for the launcher pid. */
int pfs_upgrade_addr(pid_t launcher, struct sockaddr_un *a, socklen_t *len);

/* run_wait.c: waits for the sandbox through the monitor; writes the result. */
struct pfs_run_target {
	pid_t init_pid;
	int init_pidfd;
	int sock; /* to the init: the workload's status arrives there */
	int backing_fd; /* for the monitor */
	int daemon_pidfd; /* -1 without a daemon (--fallback kernel) */
	struct pfs_super *super; /* NULL without a daemon */
	const struct pfs_cgdirs *cgroup; /* NULL without a cgroup */
};
struct pfs_run_outcome {
	int exit_code; /* what pfs run exits with */
	int status; /* the workload's wait status when known, else -1 */
	bool daemon_died;
	char message[512]; /* printed by pfs run when set */
	struct pfs_monitor_result res;
};
int pfs_run_wait(const struct pfs_run_opts *o, const struct pfs_run_target *t,
		 struct pfs_run_outcome *out, struct pfs_error *err);
int pfs_run_write_result(const struct pfs_run_opts *o, struct pfs_run_outcome *out,
			 struct pfs_error *err);

#endif
