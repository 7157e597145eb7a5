/*
 * pfs run: option checks, then the launcher's half of the set-up (clone,
 * id maps, the daemon), then the wait. The sandbox's half is run_sandbox.c.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/cli.h"
#include "launcher_i.h"
#include "pfs/log.h"
#include "pfs/monitor.h"

static int fail(int code, const struct pfs_error *err)
{
	fprintf(stderr, "pfs run: %s\n", err->msg[0] ? err->msg : strerror(err->code));
	return code;
}

/* Checks that need no namespace: usage errors (125) before any set-up. */
static int check_usage(struct pfs_run_opts *o, struct pfs_error *err)
{
	struct stat st;
	if (o->rootfs && (stat(o->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)))
		return pfs_err_set(err, ENOENT,
				   "--rootfs %s: not a directory; give the path of an unpacked "
				   "root filesystem",
				   o->rootfs);
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct pfs_mount_spec *m = &o->mounts[i];
		if (m->kind == PFS_MNT_BIND && stat(m->src, &st) < 0)
			return pfs_err_set(err, errno,
					   "--bind %s:%s: %s on the host; fix the source", m->src,
					   m->dst, strerror(errno));
	}
	return pfs_run_resolve_policy(o, err);
}

static void warn_fallback(const struct pfs_run_opts *o, const struct pfs_error *why)
{
	fprintf(stderr,
		"pfs run: WARNING: %s\npfs run: --fallback kernel mounts a kernel procfs with "
		"hidepid=invisible,subset=pid at /proc instead.\n"
		"pfs run: protections LOST: the policy is not applied (no mount, maps, fd, "
		"environ filtering or redaction; per-process files show the kernel's "
		"content); system-wide files (meminfo, cpuinfo, stat, sys/...) are absent, so "
		"tools like free, top or ps may fail.\n",
		why->msg);
}

/*
 * Clones the init into its namespaces, directly into its cgroup when there is
 * one (so that the new cgroup namespace is rooted there: /proc/self/cgroup
 * shows "0::/"). *in_cgroup tells whether that worked; when it did not (v1
 * hierarchies, no cgroup), the init unshares its cgroup namespace itself once
 * the launcher has moved it (PFS_MAPPED_UNSHARE_CGROUPNS).
 */
static pid_t clone_sandbox(const struct pfs_run_opts *o, int cgroup_fd, int *pidfd, bool *in_cgroup)
{
	uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
			 CLONE_NEWCGROUP | CLONE_PIDFD;
	if (!o->net_host)
		flags |= CLONE_NEWNET;
	struct clone_args ca = {
		.flags = flags, .pidfd = (uint64_t)(uintptr_t)pidfd, .exit_signal = SIGCHLD};
	*in_cgroup = false;
	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
		pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			*in_cgroup = true;
			return pid;
		}
		ca.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		ca.cgroup = 0;
	}
	ca.flags &= ~(uint64_t)CLONE_NEWCGROUP;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/*
 * The memory holding the command line (main's argv[0] is argv[-1] here: see
 * src/pfs/main.c), so that the init can blank it: /proc/1/cmdline inside
 * must not show the host's command line (paths, --bind sources).
 */
static void find_arg_area(struct pfs_run_opts *o, int argc, char **argv)
{
	char *lo = argv[-1], *hi = argv[-1] + strlen(argv[-1]) + 1;
	for (int i = 0; i < argc; i++) {
		if (argv[i] < lo)
			lo = argv[i];
		if (argv[i] + strlen(argv[i]) + 1 > hi)
			hi = argv[i] + strlen(argv[i]) + 1;
	}
	o->arg_area = lo;
	o->arg_len = (size_t)(hi - lo);
}

/*
 * A cgroup for every sandbox, v2 or v1 (hybrid hosts): it enforces the memory
 * and thread limits, and `sysinfo virtual` shows its limits and usage as the
 * sandbox's machine. Without one, rlimits and the monitor enforce.
 */
static void make_cgroup(const struct pfs_run_opts *o, struct pfs_cgroup *cg)
{
	char name[64];
	snprintf(name, sizeof(name), "pfs-run-%d", (int)getpid());
	struct pfs_error err = {0};
	int r = pfs_cgroup_create(NULL, name, &o->limits, cg, &err);
	if (r < 0 && r != -EOPNOTSUPP)
		pfs_warn("pfs run: no cgroup (%s); limits are enforced by rlimits and the "
			 "monitor only",
			 err.msg);
	else if (r < 0)
		pfs_debug("run: no usable cgroup (%s); limits by rlimits and the monitor", err.msg);
}

/* The launcher's side of the conversation; returns an exit code. */
static int launch(struct pfs_run_opts *o, const struct pfs_cgroup *cg, struct pfs_run_outcome *out,
		  struct pfs_error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		pfs_err_set(err, errno, "socketpair: %s", strerror(errno));
		return PFS_RUN_EXIT_SETUP;
	}
	cleanup_close int sock = sv[0];
	cleanup_close int init_pidfd = -1;
	fflush(NULL);
	bool in_cgroup = false;
	pid_t pid = clone_sandbox(o, cg->dir_fd, &init_pidfd, &in_cgroup);
	if (pid == 0) {
		close(sv[0]);
		struct pfs_sandbox_ctx c = {.o = o, .sock = sv[1]};
		_exit(pfs_sandbox_main(&c));
	}
	close(sv[1]);
	if (pid < 0) {
		pfs_err_set(err, errno,
			    "cannot create the sandbox's namespaces: %s; check that user "
			    "namespaces are enabled (sysctl user.max_user_namespaces) and not "
			    "restricted",
			    strerror(errno));
		return PFS_RUN_EXIT_SETUP;
	}
	struct pfs_super sup = {.o = o,
				.d = {.pid = -1, .pidfd = -1},
				.fuse_fd = -1,
				.gap_r = -1,
				.gap_w = -1,
				.ctl_fd = -1};
	cleanup_close int backing = -1;
	cleanup_close int userns = -1;
	int code = 0;
	struct pfs_msg m;
	int r = pfs_cgroup_exists(cg) && !in_cgroup ? pfs_cgroup_add_pid(cg, pid) : 0;
	bool joined = pfs_cgroup_exists(cg) && r == 0;
	if (r < 0)
		pfs_warn("pfs run: cannot move the sandbox into its cgroup: %s; limits are "
			 "enforced by rlimits and the monitor only",
			 strerror(-r));
	r = pfs_userns_write_maps(pid, o, err);
	if (r < 0) {
		code = PFS_RUN_EXIT_SETUP;
		goto kill_init;
	}
	m = (struct pfs_msg){.type = PFS_MSG_MAPPED,
			     .code = in_cgroup ? 0 : PFS_MAPPED_UNSHARE_CGROUPNS};
	pfs_msg_send(sock, &m, NULL, 0);

	int fds[3] = {-1, -1, -1};
	size_t nfds = 0;
	r = pfs_msg_recv(sock, &m, fds, 3, &nfds);
	if (r == 0 && m.type == PFS_MSG_FDS) {
		backing = nfds > 0 ? fds[0] : -1;
		o->pidns_pid_max = m.err.code > 0 ? (unsigned long)m.err.code : 0;
		o->cgroup_pid = joined ? pid : 0;
		userns = nfds > 1 ? fds[1] : -1;
		cleanup_close int fuse_fd = nfds > 2 ? fds[2] : -1;
		if (fuse_fd >= 0) {
			pfs_debug("run: starting %s", o->daemon_path);
			r = pfs_super_init(&sup, o, backing, userns, fuse_fd, err);
			if (r == 0)
				pfs_upgrade_listen(&sup);
			if (r == 0)
				r = pfs_super_start(&sup, err);
			if (r < 0) {
				code = PFS_RUN_EXIT_SETUP;
				goto kill_init;
			}
		}
		/* fuse_fd closed here: the daemon and the supervisor hold the connection */
		m = (struct pfs_msg){.type = PFS_MSG_GO};
		pfs_msg_send(sock, &m, NULL, 0);
		int listener = -1;
		size_t nl = 0;
		r = pfs_msg_recv(sock, &m, &listener, 1, &nl);
		pfs_debug("run: seccomp listener %s", nl == 1 ? "received" : "absent");
		if (r == 0 && m.type == PFS_MSG_STARTED && nl == 1 &&
		    pfs_supervise_start(listener, (unsigned)m.code, backing, err) < 0)
			pfs_warn("pfs run: %s; sendfile, pidfds and setns on /proc files differ",
				 err->msg);
		else if (nl == 1 && m.type != PFS_MSG_STARTED)
			close(listener);
	}
	if (r < 0 || m.type != PFS_MSG_STARTED) {
		if (r == 0 && m.type == PFS_MSG_ERROR) {
			*err = m.err;
			code = m.code;
		} else {
			pfs_err_set(err, r < 0 ? -r : EPROTO,
				    "the sandbox init died during set-up; run with -v");
			code = PFS_RUN_EXIT_SETUP;
		}
		goto kill_init;
	}
	pfs_debug("run: workload started");
	struct pfs_run_target t = {.init_pid = pid,
				   .init_pidfd = init_pidfd,
				   .sock = sock,
				   .backing_fd = backing,
				   .daemon_pidfd = sup.d.pidfd,
				   .super = sup.d.pidfd >= 0 ? &sup : NULL,
				   .cgroup = pfs_cgroup_exists(cg) ? &cg->dirs : NULL};
	if (backing < 0) {
		pfs_err_set(err, EBADF, "no backing proc for the monitor");
		code = PFS_RUN_EXIT_SETUP;
		goto kill_init;
	}
	r = pfs_run_wait(o, &t, out, err);
	pfs_super_destroy(&sup);
	return r < 0 ? PFS_RUN_EXIT_SETUP : out->exit_code;

kill_init:
	syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, NULL, 0);
	waitid(P_PIDFD, (id_t)init_pidfd, &(siginfo_t){0}, WEXITED);
	pfs_super_destroy(&sup);
	return code;
}

/* -v: the filters the workload will get, as applied (names resolved to numbers). */
static int print_seccomp(const struct pfs_run_opts *o, struct pfs_error *err)
{
	cleanup_buf struct pfs_buf text = PFS_BUF_INIT;
	int r = pfs_seccomp_describe(o->memory_deny, &text, err);
	if (r < 0)
		return r;
	fprintf(stderr, "%s", text.data);
	return 0;
}

int pfs_cmd_run(int argc, char **argv)
{
	struct pfs_run_opts o;
	struct pfs_error err = {0};
	int r = pfs_run_parse(argc, argv, &o, &err);
	if (r == 1) {
		pfs_run_usage(stdout);
		pfs_run_opts_free(&o);
		return 0;
	}
	pfs_log_init("pfs", o.verbose > 0 ? PFS_LOG_DEBUG : PFS_LOG_WARN, 0);
	find_arg_area(&o, argc, argv);
	int code = PFS_RUN_EXIT_USAGE;
	if (r < 0 || check_usage(&o, &err) < 0)
		goto out;
	code = PFS_RUN_EXIT_SETUP;
	if (pfs_userns_check(&err) < 0)
		goto out;
	struct pfs_outer outer;
	if (pfs_outer_plan(&o, &outer, &err) < 0) {
		code = err.code == EINVAL ? PFS_RUN_EXIT_USAGE : PFS_RUN_EXIT_SETUP;
		goto out;
	}
	if (pfs_fuse_check(&o, &err) < 0) {
		if (!o.fallback_kernel)
			goto out;
		warn_fallback(&o, &err);
		err = (struct pfs_error){0};
	} else {
		o.fallback_kernel = false;
		if (pfs_daemon_find(&o, &err) < 0)
			goto out;
	}
	if (o.unsafe_kernel_proc)
		fprintf(stderr,
			"pfs run: WARNING: --unsafe-kernel-proc mounts the unfiltered kernel "
			"procfs at %s inside the sandbox; this defeats the filter (testing "
			"only)\n",
			o.unsafe_kernel_proc);
	pfs_debug("run: policy %s, /proc %s", o.policy_file, o.proc_rw ? "rw" : "ro");
	if (o.verbose && o.seccomp && print_seccomp(&o, &err) < 0)
		goto out;
	if (pfs_outer_enter(&o, &outer, &err) < 0)
		goto out;
	struct pfs_run_outcome out = {.status = -1};
	struct pfs_cgroup cg = PFS_CGROUP_INIT;
	make_cgroup(&o, &cg);
	code = launch(&o, &cg, &out, &err);
	if (pfs_cgroup_exists(&cg))
		pfs_cgroup_destroy(&cg);
	if (err.code || err.msg[0]) {
		fail(code, &err);
		if (!out.message[0])
			snprintf(out.message, sizeof(out.message), "%.500s", err.msg);
		out.res.status = PFS_ST_XX;
		err = (struct pfs_error){0};
	} else if (out.message[0]) {
		fprintf(stderr, "pfs run: %s\n", out.message);
	}
	if (o.verbose) {
		char line[256];
		if (pfs_result_summary(&out.res, line, sizeof(line)) >= 0)
			fprintf(stderr, "%s\n", line);
	}
	if (o.result_file && pfs_run_write_result(&o, &out, &err) < 0)
		fail(0, &err);
	pfs_run_opts_free(&o);
	return code;
out:
	fail(code, &err);
	if (r >= 0 && o.result_file) {
		/* refused before starting: the result says why */
		struct pfs_run_outcome refused = {.status = -1, .res.status = PFS_ST_XX};
		snprintf(refused.message, sizeof(refused.message), "%.500s", err.msg);
		if (pfs_run_write_result(&o, &refused, &err) < 0)
			fail(0, &err);
	}
	pfs_run_opts_free(&o);
	return code;
}
