/*
 * selfcheck MNT [PROCS THREADS ITERS]: PROCS processes x THREADS threads each
 * readlink MNT/self and MNT/thread-self ITERS times, concurrently, and check
 * that every answer is the caller's own tgid and tid. Prints the number of
 * wrong answers; exits 1 if any.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *mnt;
static int iters;

static void *worker(void *arg)
{
	long *bad = arg;
	char self[4096], tself[4096], want_self[64], want_tself[96], buf[128];
	snprintf(self, sizeof(self), "%s/self", mnt);
	snprintf(tself, sizeof(tself), "%s/thread-self", mnt);
	snprintf(want_self, sizeof(want_self), "%d", getpid());
	snprintf(want_tself, sizeof(want_tself), "%d/task/%d", getpid(), gettid());
	for (int i = 0; i < iters; i++) {
		ssize_t n = readlink(self, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = '\0';
		if (strcmp(buf, want_self))
			(*bad)++;
		n = readlink(tself, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = '\0';
		if (strcmp(buf, want_tself))
			(*bad)++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: selfcheck MNT [PROCS THREADS ITERS]\n");
		return 2;
	}
	mnt = argv[1];
	int procs = argc > 2 ? atoi(argv[2]) : 8;
	int threads = argc > 3 ? atoi(argv[3]) : 4;
	iters = argc > 4 ? atoi(argv[4]) : 200;
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 2;
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			pthread_t t[64];
			long bad[64] = {0};
			for (int i = 0; i < threads && i < 64; i++)
				pthread_create(&t[i], NULL, worker, &bad[i]);
			long total = 0;
			for (int i = 0; i < threads && i < 64; i++) {
				pthread_join(t[i], NULL);
				total += bad[i];
			}
			if (write(pipefd[1], &total, sizeof(total)) != sizeof(total))
				_exit(2);
			_exit(0);
		}
	}
	close(pipefd[1]);
	long total = 0, got;
	int reports = 0;
	while (read(pipefd[0], &got, sizeof(got)) == sizeof(got)) {
		total += got;
		reports++;
	}
	while (wait(NULL) > 0)
		;
	printf("%ld\n", reports == procs ? total : -1);
	return total == 0 && reports == procs ? 0 : 1;
}
