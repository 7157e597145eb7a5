/*
 * The sandbox's init (pid 1): forks the workload, which drops privileges and
 * execs; then reaps zombies, forwards signals to the workload, and exits with
 * the workload's status (128+N for a signal N).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/monitor.h"

extern char **environ;

static const int forwarded[] = {SIGTERM, SIGINT,   SIGHUP,  SIGQUIT, SIGUSR1,
				SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

static void noop(int sig)
{
	(void)sig;
}

static int build_env(const struct pfs_run_opts *o)
{
	if (o->clear_env) {
		if (clearenv() != 0)
			return -ENOMEM;
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	}
	for (size_t i = 0; i < o->n_env; i++)
		if (putenv(o->env[i]) != 0)
			return -errno;
	return 0;
}

static int drop_to(const struct pfs_run_opts *o, struct pfs_error *err)
{
	int r = pfs_caps_drop_bounding(o->cap_add, err);
	if (r < 0)
		return r;
	bool keep = o->uid != 0 && o->cap_add;
	if (keep && prctl(PR_SET_KEEPCAPS, 1) < 0)
		return pfs_err_set(err, errno, "PR_SET_KEEPCAPS: %s", strerror(errno));
	gid_t g = o->gid;
	if ((geteuid() == 0 && setgroups(1, &g) < 0 && errno != EPERM) ||
	    setresgid(o->gid, o->gid, o->gid) < 0 || setresuid(o->uid, o->uid, o->uid) < 0)
		return pfs_err_set(err, errno, "cannot switch to uid %u gid %u: %s", o->uid, o->gid,
				   strerror(errno));
	r = pfs_caps_set(o->cap_add, o->uid != 0, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return pfs_err_set(err, errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/*
	 * The id changes made the workload non-dumpable: its files in /proc would
	 * be root's and other processes of its own uid could not ptrace-read it.
	 * Container runtimes reset this; so do we (exec of an unreadable or
	 * set-id binary clears it again, as the kernel decides).
	 */
	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		return pfs_err_set(err, errno, "PR_SET_DUMPABLE: %s", strerror(errno));
	/* after the credential changes, which clear it; then check the parent */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != 1)
		return pfs_err_set(err, ESRCH, "the sandbox init died during set-up");
	return 0;
}

/* The workload child: returns only on failure (code and err set). */
static int workload(const struct pfs_run_opts *o, int chan, struct pfs_error *err)
{
	sigset_t none;
	sigemptyset(&none);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* not interactive: no controlling terminal either, so no TIOCSTI even
	 * without seccomp (signals from the launcher are forwarded by the init) */
	if (!isatty(STDIN_FILENO))
		setsid();
	if (chdir(o->cwd) < 0) {
		pfs_err_set(err, errno,
			    "--cwd %s: %s inside the sandbox; give an existing directory", o->cwd,
			    strerror(errno));
		return PFS_RUN_EXIT_USAGE;
	}
	if (build_env(o) < 0) {
		pfs_err_set(err, ENOMEM, "cannot build the environment");
		return PFS_RUN_EXIT_SETUP;
	}
	/* only stdin, stdout and stderr cross the exec (the error pipe closes there) */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		pfs_err_set(err, errno, "close_range: %s; Linux 5.11 or later is needed",
			    strerror(errno));
		return PFS_RUN_EXIT_SETUP;
	}
	int r = drop_to(o, err);
	if (r == 0)
		r = pfs_notify_install(chan, err);
	if (r == 0 && o->seccomp)
		r = pfs_seccomp_apply(o->memory_deny, err);
	if (r < 0)
		return PFS_RUN_EXIT_SETUP;
	execvp(o->argv[0], o->argv);
	int e = errno;
	if (e == ENOENT) {
		pfs_err_set(err, e,
			    "%s: command not found inside the sandbox; check the name, PATH, or "
			    "the root (--rootfs/--bind)",
			    o->argv[0]);
		return PFS_RUN_EXIT_NOTFOUND;
	}
	pfs_err_set(err, e, "%s: cannot execute: %s; check its permissions and format", o->argv[0],
		    strerror(e));
	return PFS_RUN_EXIT_NOEXEC;
}

/* The init's /proc/1/cmdline: "pfs-init", not the host's command line. o's strings go with it. */
static void blank_command_line(struct pfs_run_opts *o)
{
	if (o->arg_area && o->arg_len > sizeof("pfs-init")) {
		memset(o->arg_area, 0, o->arg_len);
		memcpy(o->arg_area, "pfs-init", sizeof("pfs-init"));
	}
}

/* Makes the init itself harmless: no capabilities, not dumpable. */
static void harden_init(void)
{
	struct pfs_error ignored;
	pfs_caps_drop_bounding(0, &ignored);
	pfs_caps_set(0, false, &ignored);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0);
}

/*
 * To the workload's process group when it leads one (a non-interactive
 * workload, in its own session: like a terminal's ^C, the whole job gets it),
 * else to the workload alone.
 */
static void forward(pid_t w, int sig)
{
	if (getpgid(w) != w || kill(-w, sig) < 0)
		kill(w, sig);
}

static int exit_code_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return PFS_RUN_EXIT_SETUP;
}

int pfs_init_run(struct pfs_run_opts *o, int sock, struct pfs_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	struct sigaction sa = {.sa_handler = noop};
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		sigaddset(&set, forwarded[i]);
		sigaction(forwarded[i], &sa, NULL);
	}
	sigaddset(&set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/*
	 * Not at a terminal, the launcher forwards ^C (SI_USER). In the launcher's
	 * process group the init would also get the terminal's own SIGINT
	 * (SI_KERNEL, ignored), and a forward arriving while that one is still
	 * pending merges into it and is lost: leave the group.
	 */
	if (!isatty(STDIN_FILENO))
		(void)setpgid(0, 0);

	/* the init too: the monitor checks every process's rlimits against the plan */
	if (pfs_limits_apply_rlimits(&o->limits, 0, err) < 0) {
		pfs_msg_send_error(sock, PFS_RUN_EXIT_SETUP, err);
		return PFS_RUN_EXIT_SETUP;
	}
	int ep[2], chan[2], go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		pfs_err_set(err, errno, "pipe: %s", strerror(errno));
		pfs_msg_send_error(sock, PFS_RUN_EXIT_SETUP, err);
		return PFS_RUN_EXIT_SETUP;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0) {
		pfs_err_set(err, errno, "socketpair: %s", strerror(errno));
		pfs_msg_send_error(sock, PFS_RUN_EXIT_SETUP, err);
		return PFS_RUN_EXIT_SETUP;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		pfs_err_set(err, errno, "pipe: %s", strerror(errno));
		pfs_msg_send_error(sock, PFS_RUN_EXIT_SETUP, err);
		return PFS_RUN_EXIT_SETUP;
	}
	pid_t w = fork();
	if (w == 0) {
		close(ep[0]);
		close(chan[0]);
		close(sock); /* the workload must not talk to the launcher */
		/* its copy of o's strings is its own; it runs once the init's are gone */
		close(go[1]);
		char ready;
		while (read(go[0], &ready, 1) < 0 && errno == EINTR)
			;
		close(go[0]);
		struct pfs_msg m = {.type = PFS_MSG_ERROR};
		m.code = workload(o, chan[1], &m.err);
		if (write(ep[1], &m, sizeof(m)) < 0)
			_exit(m.code);
		_exit(m.code);
	}
	close(ep[1]);
	close(chan[1]);
	close(go[0]);
	blank_command_line(o); /* o's strings are gone from here on */
	close(go[1]);
	if (w < 0) {
		pfs_err_set(err, errno, "fork: %s", strerror(errno));
		pfs_msg_send_error(sock, PFS_RUN_EXIT_SETUP, err);
		return PFS_RUN_EXIT_SETUP;
	}
	struct pfs_msg m;
	ssize_t n;
	do
		n = read(ep[0], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(m)) {
		/* the workload failed before exec */
		m.err.msg[sizeof(m.err.msg) - 1] = '\0';
		pfs_msg_send_error(sock, m.code, &m.err);
		waitpid(w, NULL, 0);
		return m.code;
	}
	/* the listener, if the workload made one, rides with STARTED (code: /proc's mount id) */
	struct pfs_msg started = {.type = PFS_MSG_STARTED};
	int listener = -1;
	unsigned proc_mnt = 0;
	if (pfs_notify_take(chan[0], &listener, &proc_mnt) == 0)
		started.code = (int)proc_mnt;
	close(chan[0]);
	pfs_msg_send(sock, &started, &listener, listener >= 0 ? 1 : 0);
	if (listener >= 0)
		close(listener);
	harden_init();

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/*
			 * Terminal-generated signals (SI_KERNEL) reach the foreground
			 * group directly: an interactive workload has them already,
			 * and for another the launcher forwards them (SI_USER). Once.
			 */
			if (si.si_code != SI_KERNEL)
				forward(w, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != w)
				continue;
			struct pfs_msg done = {.type = PFS_MSG_STATUS, .code = st};
			pfs_msg_send(sock, &done, NULL, 0);
			return exit_code_of(st);
		}
	}
}
