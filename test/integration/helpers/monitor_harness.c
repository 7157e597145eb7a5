/*
 * monitor_harness: what `pfs run` does for the monitor, minimally, so that the
 * monitor can be tested without the launcher.
 *
 *   monitor_harness [--limit SPEC] [--grace MS] [--interval MS] [--result FILE]
 *                   [--events FILE] [--events-period MS] [--no-rlimits]
 *                   [--rlimit-as] [--cgroup] [--daemon-pid PID] [--forward-signals]
 *                   [--raw-status] [-v] -- CMD [ARG...]
 *
 * The child is pid 1 of a new pid + mount namespace: it creates a procfs
 * instance of that namespace (fsopen/fsconfig/fsmount), passes it over a
 * socketpair, applies the rlimits, runs CMD and acts as a tiny init (reaps,
 * exits with CMD's status, 128 + N for a signal N). The parent runs the monitor
 * with that backing fd and writes the result (stdout without --result).
 * --daemon-pid stands in for procfilterfs: its death must end the sandbox (XX).
 * --forward-signals: SIGUSR1/SIGUSR2/SIGHUP/SIGINT to the harness go to the
 * init through the monitor's signal_fd; the init passes them to CMD.
 * --raw-status: the init also sends CMD's raw wait status over the socket and
 * the monitor gets it through its workload_status callback.
 * Exit status: 0 when a result was written, 2 on usage/setup errors, 3 when
 * --cgroup was asked for and no usable cgroup (v2, or v1 on a hybrid host) exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/monitor.h"

static int send_fd(int sock, int fd)
{
	char c[CMSG_SPACE(sizeof(int))];
	memset(c, 0, sizeof(c));
	struct iovec io = {.iov_base = "F", .iov_len = 1};
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1, .msg_control = c, .msg_controllen = sizeof(c)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c[CMSG_SPACE(sizeof(int))];
	char x;
	struct iovec io = {.iov_base = &x, .iov_len = 1};
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1, .msg_control = c, .msg_controllen = sizeof(c)};
	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int make_proc(void)
{
	int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	close(fs);
	return m;
}

static pid_t workload_pid;

static void forward(int sig)
{
	if (workload_pid > 0)
		kill(workload_pid, sig);
}

/* pid 1 of the sandbox */
static void init_main(int sock, const struct pfs_limits *l, unsigned rflags, char **argv)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("harness init: mount namespace");
		_exit(125);
	}
	int pfd = make_proc();
	if (pfd < 0 || send_fd(sock, pfd) < 0) {
		perror("harness init: backing proc");
		_exit(125);
	}
	close(pfd);
	char go;
	if (read(sock, &go, 1) != 1) /* the parent has set up the cgroup */
		_exit(125);
	struct pfs_error err = {0};
	if (!(rflags & PFS_RLIM_NONE) && pfs_limits_apply_rlimits(l, rflags, &err) < 0) {
		fprintf(stderr, "harness init: %s\n", err.msg);
		_exit(125);
	}
	pid_t w = fork();
	if (w < 0)
		_exit(125);
	if (w == 0) {
		close(sock);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	workload_pid = w;
	const int fwd[] = {SIGUSR1, SIGUSR2, SIGHUP, SIGINT};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		signal(fwd[i], forward);
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			_exit(125);
		if (p != w)
			continue;
		(void)!write(sock, &st, sizeof(st));
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

static int raw_status(void *arg)
{
	int sock = *(int *)arg, st;
	struct pollfd p = {.fd = sock, .events = POLLIN};
	if (poll(&p, 1, 0) == 1 && read(sock, &st, sizeof(st)) == (ssize_t)sizeof(st))
		return st;
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: monitor_harness [--limit SPEC] [--grace MS] [--interval MS] "
			"[--result FILE] [--events FILE] [--events-period MS] [--no-rlimits] "
			"[--rlimit-as] [--cgroup] [--daemon-pid PID] [--forward-signals] "
			"[--raw-status] [-v] -- CMD...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"grace", required_argument, NULL, 'g'},
		{"interval", required_argument, NULL, 'i'},
		{"result", required_argument, NULL, 'r'},
		{"events", required_argument, NULL, 'e'},
		{"events-period", required_argument, NULL, 'p'},
		{"no-rlimits", no_argument, NULL, 'N'},
		{"rlimit-as", no_argument, NULL, 'A'},
		{"cgroup", no_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"daemon-pid", required_argument, NULL, 'd'},
		{"forward-signals", no_argument, NULL, 'F'},
		{"raw-status", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct pfs_monitor_config cfg;
	pfs_monitor_config_init(&cfg);
	const char *result = NULL, *events = NULL;
	bool verbose = false, want_cg = false, fwd = false, raw = false;
	struct pfs_error err = {0};
	int c;
	while ((c = getopt_long(argc, argv, "+l:g:i:r:e:p:NAcvd:FR", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (pfs_limits_parse(optarg, &cfg.limits, &err) < 0) {
				fprintf(stderr, "monitor_harness: %s\n", err.msg);
				return 2;
			}
			break;
		case 'g':
			cfg.grace_us = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'i':
			cfg.interval_us = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'r':
			result = optarg;
			break;
		case 'e':
			events = optarg;
			break;
		case 'p':
			cfg.events_period_us = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'N':
			cfg.rlimit_flags |= PFS_RLIM_NONE;
			break;
		case 'A':
			cfg.rlimit_flags |= PFS_RLIM_AS;
			break;
		case 'c':
			want_cg = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'F':
			fwd = true;
			break;
		case 'R':
			raw = true;
			break;
		case 'd':
			cfg.daemon_pidfd = (int)syscall(SYS_pidfd_open, atoi(optarg), 0);
			if (cfg.daemon_pidfd < 0) {
				perror("monitor_harness: pidfd_open(--daemon-pid)");
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	struct pfs_cgroup cg = PFS_CGROUP_INIT;
	if (want_cg) {
		char name[64];
		snprintf(name, sizeof(name), "pfs-harness-%d", (int)getpid());
		int r = pfs_cgroup_create(NULL, name, &cfg.limits, &cg, &err);
		if (r < 0) {
			fprintf(stderr, "monitor_harness: cgroup: %s\n", err.msg);
			return r == -EOPNOTSUPP ? 3 : 2;
		}
		cfg.cgroup = &cg.dirs;
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		perror("monitor_harness: socketpair");
		return 2;
	}
	/* clone3, not unshare(CLONE_NEWPID) + fork: the harness itself must
	 * stay able to create threads (LeakSanitizer needs one) */
	int pidfd = -1;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWPID | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid_t child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (child < 0) {
		perror("monitor_harness: clone3(CLONE_NEWPID)");
		return 2;
	}
	if (child == 0) {
		close(sp[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		init_main(sp[1], &cfg.limits, cfg.rlimit_flags, argv + optind);
	}
	close(sp[1]);
	cfg.init_pid = child;
	cfg.init_pidfd = pidfd;
	cfg.backing_fd = recv_fd(sp[0]);
	if (cfg.backing_fd < 0) {
		fprintf(stderr, "monitor_harness: no backing proc from the init\n");
		kill(child, SIGKILL);
		waitpid(child, NULL, __WALL);
		return 2;
	}
	if (want_cg && pfs_cgroup_add_pid(&cg, child) < 0)
		fprintf(stderr, "monitor_harness: cannot move the init into the cgroup\n");
	FILE *ev = NULL;
	if (events) {
		ev = fopen(events, "we");
		if (!ev) {
			perror(events);
			kill(child, SIGKILL);
			return 2;
		}
		cfg.events = ev;
	}
	if (fwd) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		cfg.signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	}
	if (raw) {
		cfg.workload_status = raw_status;
		cfg.workload_status_arg = &sp[0];
	}
	if (write(sp[0], "G", 1) != 1) {
		perror("monitor_harness: start");
		return 2;
	}
	struct pfs_monitor_result res;
	int r = pfs_monitor_run(&cfg, &res, &err);
	if (r < 0)
		fprintf(stderr, "monitor_harness: %s\n", err.msg);
	FILE *out = result ? fopen(result, "we") : stdout;
	if (!out) {
		perror(result);
		return 2;
	}
	pfs_result_write_json(&res, out);
	if (out != stdout)
		fclose(out);
	if (ev)
		fclose(ev);
	if (verbose) {
		char line[512];
		pfs_result_summary(&res, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	if (want_cg)
		pfs_cgroup_destroy(&cg);
	return r < 0 ? 2 : 0;
}
