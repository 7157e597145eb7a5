/*
 * workload_pidreuse [MS]: makes a pid be reused while the monitor samples.
 * Child A lives MS ms (default 300) and is reaped; then child B is created
 * with A's pid (clone3 set_tid: needs CAP_SYS_ADMIN over the pid namespace)
 * and lives MS ms too. Prints "reused PID" and exits 0 (1 on failure).
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t fork_with_pid(pid_t want)
{
	pid_t tid = want;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	ca.set_tid = (uint64_t)(uintptr_t)&tid;
	ca.set_tid_size = 1;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

int main(int argc, char **argv)
{
	unsigned ms = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
	pid_t a = fork();
	if (a < 0)
		return 1;
	if (a == 0) {
		usleep(ms * 1000u);
		_exit(0);
	}
	waitpid(a, NULL, 0);
	usleep(50000); /* a different starttime (clock ticks) */
	pid_t b = fork_with_pid(a);
	if (b < 0) {
		perror("clone3 set_tid");
		return 1;
	}
	if (b == 0) {
		usleep(ms * 1000u);
		_exit(0);
	}
	waitpid(b, NULL, 0);
	printf("reused %d\n", (int)b);
	return b == a ? 0 : 1;
}
