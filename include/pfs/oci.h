/*
 * `pfs oci-hook` and `pfs oci-runtime` (src/oci/): procfilterfs as the /proc
 * of OCI containers (runc, crun, podman, containerd). Internal API between
 * the files of src/oci; docs/oci.md describes the commands.
 *
 * Processes, at the createRuntime hook (host namespaces):
 *   runtime -- pfs oci-hook createRuntime
 *                +-- enter: setns(container user, mnt, pid)
 *                |     +-- maker (pid ns of the container): backing procfs,
 *                |           FUSE mount over <rootfs>/proc, fds to the hook
 *                +-- supervisor (setsid, outlives the hook): watches the
 *                      container's init with a pidfd, stops the daemon
 *                      +-- procfilterfs daemon
 */
#ifndef PFS_OCI_H
#define PFS_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pfs/err.h"

#define PFS_OCI_CONFIG "/etc/procfilterfs/oci-hook.conf"
#define PFS_OCI_STATE_DIR "/run/procfilterfs/oci"
#define PFS_OCI_ANN_TENANT "io.procfilterfs.tenant"
#define PFS_OCI_ANN_POLICY "io.procfilterfs.policy"

/* The hook's configuration file (oci_config.c). */
struct pfs_oci_config {
	char *policy_dir; /* tenants and annotation policies live here */
	char *policy; /* default policy file (relative: to policy_dir) */
	char *tenant; /* default tenant instead of policy */
	char *daemon; /* the procfilterfs binary; NULL: found next to pfs */
	char *state_dir; /* per-container state: PFS_OCI_STATE_DIR */
	char *runtime; /* oci-runtime: the runtime it wraps */
	bool policy_any_path; /* io.procfilterfs.policy may name any file */
	bool debug; /* the daemon logs every request (-d) */
};

/* Reads path (required when given; the default path may be absent). */
int pfs_oci_config_load(const char *path, bool required, struct pfs_oci_config *c,
			struct pfs_error *err);
void pfs_oci_config_free(struct pfs_oci_config *c);

/* What the hook needs from the state (stdin) and the bundle's config.json. */
struct pfs_oci_strv {
	char **v;
	size_t n;
};

struct pfs_oci_spec {
	char *id;
	pid_t pid; /* the container's init, 0 when stopped */
	char *bundle;
	char *rootfs; /* absolute */
	bool has_proc; /* config.json mounts a proc at /proc */
	bool proc_ro; /* its options say ro */
	char *ann_tenant; /* annotations, NULL when absent */
	char *ann_policy;
	struct pfs_oci_strv masked, readonly; /* linux.maskedPaths, readonlyPaths */
};

/* oci_spec.c: state is the hook's stdin; config.json is read when with_config. */
int pfs_oci_spec_read(const char *state, size_t len, bool with_config, struct pfs_oci_spec *s,
		      struct pfs_error *err);
void pfs_oci_spec_free(struct pfs_oci_spec *s);
/* Reads all of fd, at most max bytes, NUL-terminated. */
int pfs_oci_read_all(int fd, size_t max, char **out, size_t *len);

/* oci_policy.c */
/* The base policy: annotation, else the configuration's default. */
int pfs_oci_policy_resolve(const struct pfs_oci_config *c, const struct pfs_oci_spec *s,
			   char **path, struct pfs_error *err);
/* Writes to f the container's policy: the base plus its OCI masks (dirs
 * told apart on the backing proc). */
int pfs_oci_policy_write(FILE *f, const char *base, const struct pfs_oci_spec *s, int backing_fd,
			 struct pfs_error *err);

/* oci_enter.c: the backing procfs and the FUSE mount, made in the container. */
struct pfs_oci_made {
	int backing_fd;
	int fuse_fd;
	unsigned long pid_max; /* of the container's pid namespace */
};
/* root: the container's root in its mount namespace, NULL for the backing only. */
int pfs_oci_enter_and_mount(const struct pfs_oci_spec *s, const char *root, int ctr_pidfd,
			    const char *dev_fuse, struct pfs_oci_made *m, struct pfs_error *err);

/*
 * oci_gate.c: runc refuses a /proc that is not procfs in its own init
 * (libcontainer's EnsureProcHandle), so for runc the mount waits for the
 * workload's execve: every thread of the init is traced, and the exec stops
 * the new image before its first instruction.
 */
bool pfs_oci_gate_wanted(pid_t pid);
int pfs_oci_gate_seize(pid_t pid, struct pfs_error *err);
/* 1: pid is stopped at its exec; 0: it ended first; -errno. */
int pfs_oci_gate_wait(pid_t pid);
void pfs_oci_gate_release(pid_t pid);

/* oci_supervise.c */
struct pfs_oci_daemon_args {
	const char *daemon_path;
	const char *policy_file;
	const char *state_dir; /* this container's directory */
	bool rw;
	bool debug;
	unsigned long pid_max;
	int ctr_pidfd;
	const struct pfs_oci_spec *spec;
	bool gate; /* mount at the workload's exec (runc), not now */
};
/* Forks the supervisor; returns once the daemon serves (or, gated, once the
 * init is traced), or with its error. */
int pfs_oci_supervise(const struct pfs_oci_daemon_args *a, int backing_fd, int fuse_fd,
		      struct pfs_error *err);
/* poststop: waits for the supervisor of dir to finish, stops it after timeout_ms. */
int pfs_oci_stop(const char *dir, int timeout_ms, struct pfs_error *err);

/* Front ends (src/pfs/main.c dispatches). */
int pfs_cmd_oci_hook(int argc, char **argv);
int pfs_cmd_oci_runtime(int argc, char **argv, const char *runtime);

#endif
