/*
 * pfs oci-hook: an OCI hook that gives a container procfilterfs as /proc.
 *
 * createRuntime (or prestart, its deprecated twin): the only stage that runs
 * in the runtime's namespaces after the container's namespaces and its
 * kernel /proc exist and before the runtime pivots, masks paths or starts
 * the workload. createContainer and startContainer run inside the
 * container's pid namespace, where a daemon would be visible (runc even
 * looks the hook's path up in the container's root at startContainer).
 *
 * poststop: waits until the supervisor has stopped the daemon (it notices the
 * container's end by itself), forcing it after a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "../launcher/launcher_i.h" /* the pieces pfs run shares with the hook */
#include "pfs/oci.h"
#include "pfs/policy.h"

#define STATE_MAX (1u << 20)
#define POSTSTOP_TIMEOUT_MS 5000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pfs oci-hook [--config FILE] createRuntime|prestart|poststop\n"
		"\n"
		"An OCI hook: the container's state comes on stdin.\n"
		"  createRuntime, prestart  start procfilterfs for the container and mount it\n"
		"                           over the container's /proc\n"
		"  poststop                 wait for (or force) the end of that procfilterfs\n"
		"\n"
		"  --config FILE  the hook's configuration (default %s)\n"
		"\n"
		"Annotations: %s=NAME or %s=FILE choose the policy.\n"
		"See docs/oci.md.\n",
		PFS_OCI_CONFIG, PFS_OCI_ANN_TENANT, PFS_OCI_ANN_POLICY);
}

static int mkdir_p(const char *dir, struct pfs_error *err)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return pfs_err_set(err, ENAMETOOLONG, "state directory path too long");
	for (char *s = p + 1;; s++) {
		bool end = !*s;
		if (*s == '/' || end) {
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				return pfs_err_set(err, errno, "cannot create %s: %s", p,
						   strerror(errno));
			if (end)
				return 0;
			*s = '/';
		}
	}
}

/* This container's state directory, fresh (a stale one of a reused id is cleared). */
static int make_state_dir(const char *base, const char *id, char *out, size_t size,
			  struct pfs_error *err)
{
	int r = mkdir_p(base, err);
	if (r < 0)
		return r;
	if (snprintf(out, size, "%s/%s", base, id) >= (int)size)
		return pfs_err_set(err, ENAMETOOLONG, "state directory path too long");
	if (mkdir(out, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return pfs_err_set(err, errno, "cannot create %s: %s", out, strerror(errno));
	pfs_oci_stop(out, 0, NULL);
	if (mkdir(out, 0700) < 0)
		return pfs_err_set(err, errno, "cannot create %s: %s", out, strerror(errno));
	return 0;
}

/* The container's policy file: written, then loaded once more as the daemon will. */
static int write_policy(const char *dir, const char *base, const struct pfs_oci_spec *s,
			int backing_fd, char *path, size_t size, bool *rw_forbidden,
			struct pfs_error *err)
{
	snprintf(path, size, "%s/policy", dir);
	cleanup_fclose FILE *f = fopen(path, "we");
	if (!f)
		return pfs_err_set(err, errno, "cannot write %s: %s", path, strerror(errno));
	int r = pfs_oci_policy_write(f, base, s, backing_fd, err);
	if (r < 0)
		return r;
	struct pfs_policy *p = NULL;
	r = pfs_policy_load(path, &p, err);
	if (r < 0)
		return r;
	*rw_forbidden = p->rw_forbidden;
	pfs_policy_free(p);
	return 0;
}

static int start(const struct pfs_oci_config *c, const struct pfs_oci_spec *s,
		 struct pfs_error *err)
{
	if (!s->has_proc)
		return 0; /* no /proc in this container: nothing to filter */
	if (s->pid <= 0)
		return pfs_err_set(err, EINVAL, "the OCI state has no pid; is this createRuntime?");
	cleanup_close int ctr = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (ctr < 0)
		return pfs_err_set(err, errno, "the container's init %d: %s", (int)s->pid,
				   strerror(errno));
	cleanup_free char *base = NULL;
	int r = pfs_oci_policy_resolve(c, s, &base, err);
	if (r < 0)
		return r;
	struct pfs_run_opts fo = {.daemon_path = c->daemon};
	r = pfs_daemon_find(&fo, err);
	if (r < 0)
		return r;
	char dir[PATH_MAX], policy[PATH_MAX + 16];
	r = make_state_dir(c->state_dir, s->id, dir, sizeof(dir), err);
	if (r < 0)
		return r;
	/* runc: the mount waits for the workload's exec (oci_gate.c); the
	 * backing made now serves the policy's masks only */
	bool gate = pfs_oci_gate_wanted(s->pid);
	struct pfs_oci_made m = {.backing_fd = -1, .fuse_fd = -1};
	r = pfs_oci_enter_and_mount(s, gate ? NULL : s->rootfs, ctr, "/dev/fuse", &m, err);
	cleanup_close int backing = m.backing_fd;
	cleanup_close int fuse = m.fuse_fd;
	bool rw_forbidden = false;
	if (r == 0)
		r = write_policy(dir, base, s, backing, policy, sizeof(policy), &rw_forbidden, err);
	if (r == 0) {
		struct pfs_oci_daemon_args a = {.daemon_path = fo.daemon_path,
						.policy_file = policy,
						.state_dir = dir,
						.rw = !s->proc_ro && !rw_forbidden,
						.debug = c->debug,
						.pid_max = m.pid_max,
						.ctr_pidfd = ctr,
						.spec = s,
						.gate = gate};
		r = pfs_oci_supervise(&a, backing, fuse, err);
	}
	if (r < 0)
		pfs_oci_stop(dir, 0, NULL);
	return r;
}

static int stop(const struct pfs_oci_config *c, const struct pfs_oci_spec *s, struct pfs_error *err)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, s->id) >= (int)sizeof(dir))
		return pfs_err_set(err, ENAMETOOLONG, "state directory path too long");
	return pfs_oci_stop(dir, POSTSTOP_TIMEOUT_MS, err);
}

int pfs_cmd_oci_hook(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	const char *config = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return 0;
		}
		if (ch != 'c') {
			usage(stderr);
			return 2;
		}
		config = optarg;
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	const char *stage = argv[optind];
	bool starting = !strcmp(stage, "createRuntime") || !strcmp(stage, "prestart");
	if (!starting && strcmp(stage, "poststop") != 0) {
		fprintf(stderr,
			"pfs oci-hook: stage '%s' is not supported; use createRuntime (or "
			"prestart) and poststop\n",
			stage);
		return 2;
	}
	struct pfs_error err = {0};
	struct pfs_oci_config c = {0};
	struct pfs_oci_spec s = {0};
	cleanup_free char *state = NULL;
	size_t len = 0;
	int r = pfs_oci_read_all(STDIN_FILENO, STATE_MAX, &state, &len);
	if (r < 0)
		pfs_err_set(&err, -r, "cannot read the OCI state from stdin: %s", strerror(-r));
	if (r == 0)
		r = pfs_oci_config_load(config ? config : PFS_OCI_CONFIG, config != NULL, &c, &err);
	if (r == 0)
		r = pfs_oci_spec_read(state, len, starting, &s, &err);
	if (r == 0)
		r = starting ? start(&c, &s, &err) : stop(&c, &s, &err);
	if (r < 0)
		fprintf(stderr, "pfs oci-hook: %s%s%s%s\n", s.id ? "container " : "",
			s.id ? s.id : "", s.id ? ": " : "", err.msg[0] ? err.msg : strerror(-r));
	pfs_oci_spec_free(&s);
	pfs_oci_config_free(&c);
	/* a failed poststop only leaves a warning: the container is gone anyway */
	return r < 0 && starting ? 1 : 0;
}
