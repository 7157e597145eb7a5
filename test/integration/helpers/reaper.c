/*
 * reaper TIMEOUT_MS CMD [ARGS...]: runs CMD as a child subreaper, so that the
 * processes it leaves behind (an OCI hook's supervisor, conmon) are reaped
 * here instead of by pid 1. After CMD exits, waits up to TIMEOUT_MS for every
 * remaining descendant to end; exits with CMD's status, or 124 (and names
 * the survivors) when some are still running then: a leak.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void name_survivors(void)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "ps -o pid,comm,args --ppid %d >&2", (int)getpid());
	if (system(cmd) < 0)
		perror("reaper: ps");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: reaper TIMEOUT_MS CMD [ARGS...]\n");
		return 2;
	}
	long timeout = strtol(argv[1], NULL, 10);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	pid_t cmd = fork();
	if (cmd == 0) {
		execvp(argv[2], argv + 2);
		perror("reaper: exec");
		_exit(127);
	}
	int code = 125;
	long deadline = -1;
	for (;;) {
		int st = 0;
		pid_t p = waitpid(-1, &st, deadline < 0 ? 0 : WNOHANG);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return code; /* ECHILD: every descendant has ended */
		if (p == cmd) {
			code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			deadline = now_ms() + timeout;
		}
		if (p == 0) {
			if (now_ms() > deadline) {
				fprintf(stderr,
					"reaper: processes still running %ld ms after %s:\n",
					timeout, argv[2]);
				name_survivors();
				return 124;
			}
			usleep(10000);
		}
	}
}
