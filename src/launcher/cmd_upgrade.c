/*
 * pfs upgrade --sandbox PID (--binary PATH | --reload): asks the `pfs run`
 * whose pid is PID to replace its /proc daemon with the binary PATH (a live
 * upgrade: the new daemon takes the FUSE connection over, run_upgrade.c), or
 * to make its daemon reload the policy (SIGHUP). Prints the new daemon's pid.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/cli.h"
#include "launcher_i.h"

#define ANSWER_TIMEOUT_MS 30000

static void usage(FILE *f)
{
	fprintf(f, "usage: pfs upgrade --sandbox PID --binary PATH\n"
		   "       pfs upgrade --sandbox PID --reload\n"
		   "\n"
		   "Replaces the /proc daemon of the running `pfs run` PID with the procfilterfs\n"
		   "binary PATH, without ending the sandbox (a live upgrade); or makes its\n"
		   "daemon reload the policy file. Prints the pid of the daemon that serves.\n"
		   "Exit status: 0 done, 1 refused or failed (the message says why), 2 usage.\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	fprintf(stderr, "pfs upgrade: ");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

/* Sends req to the launcher pid and prints its answer: 0, or 1. */
static int ask(pid_t pid, const char *req)
{
	struct sockaddr_un a;
	socklen_t len;
	if (pfs_upgrade_addr(pid, &a, &len) < 0)
		return fail("bad pid %d", (int)pid);
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, len) < 0)
		return fail("no pfs run with a daemon answers as that pid (%s); give the pid of "
			    "`pfs run` (not of the workload)",
			    strerror(errno));
	/* it is that pfs run: the socket's owner is the pid given */
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.pid != pid)
		return fail("the control socket is not held by pid %d; refusing", (int)pid);
	if (send(fd, req, strlen(req) + 1, MSG_NOSIGNAL) < 0)
		return fail("cannot send the request: %s", strerror(errno));
	char answer[700] = "";
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ANSWER_TIMEOUT_MS) != 1 || recv(fd, answer, sizeof(answer) - 1, 0) <= 0)
		return fail("no answer from pfs run %d", (int)pid);
	char *msg = strchr(answer, ' ');
	if (!msg)
		return fail("bad answer: %s", answer);
	*msg++ = '\0';
	if (strcmp(answer, "0") != 0)
		return fail("%s", msg);
	printf("daemon %s\n", msg);
	return 0;
}

int pfs_cmd_upgrade(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"sandbox", required_argument, NULL, 's'},
		{"binary", required_argument, NULL, 'b'},
		{"reload", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	long pid = 0;
	const char *binary = NULL;
	bool reload = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 's':
			pid = strtol(optarg, &end, 10);
			if (!*optarg || *end || pid <= 0 || pid > INT_MAX) {
				fprintf(stderr, "pfs upgrade: --sandbox '%s': give a pid\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			binary = optarg;
			break;
		case 'r':
			reload = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!pid || (!binary == !reload) || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (reload)
		return ask((pid_t)pid, "reload");
	char abs[PATH_MAX], req[PATH_MAX + 16];
	if (!realpath(binary, abs))
		return fail("--binary: %s", strerror(errno));
	snprintf(req, sizeof(req), "upgrade %s", abs);
	return ask((pid_t)pid, req);
}
