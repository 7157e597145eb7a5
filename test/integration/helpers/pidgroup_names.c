/*
 * pidgroup_names: a process whose threads carry other names than its leader.
 *   threads LEADER THREAD   leader named LEADER, one thread named THREAD;
 *                           prints "PID TID", then waits to be killed
 *   flip A B                the leader renames itself A, B, A, ... forever;
 *                           prints its pid first
 *   read DIR N NAME         reads DIR/comm, stat, status and sched (DIR a
 *                           process directory) N times each; prints how
 *                           many reads showed NAME
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t thread_tid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;

static void *named_thread(void *name)
{
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&lock);
	thread_tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&lock);
	for (;;)
		pause();
	return NULL;
}

static int threads(const char *leader, char *thread)
{
	prctl(PR_SET_NAME, leader);
	pthread_t t;
	if (pthread_create(&t, NULL, named_thread, thread) != 0)
		return 1;
	pthread_mutex_lock(&lock);
	while (!thread_tid)
		pthread_cond_wait(&ready, &lock);
	pthread_mutex_unlock(&lock);
	printf("%d %d\n", (int)getpid(), (int)thread_tid);
	fflush(stdout);
	for (;;)
		pause();
}

static _Noreturn void flip(const char *a, const char *b)
{
	printf("%d\n", (int)getpid());
	fflush(stdout);
	for (unsigned long i = 0;; i++)
		prctl(PR_SET_NAME, i & 1 ? b : a);
}

static long count_in(const char *path, int n, const char *name)
{
	long hits = 0;
	char buf[8192];
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		if (strstr(buf, name))
			hits++;
	}
	return hits;
}

static int reader(const char *dir, int n, const char *name)
{
	static const char *const files[] = {"comm", "stat", "status", "sched"};
	long hits = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		hits += count_in(path, n, name);
	}
	printf("%ld\n", hits);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "threads"))
		return threads(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "flip"))
		flip(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "read"))
		return reader(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr,
		"usage: pidgroup_names threads LEADER THREAD | flip A B | read DIR N NAME\n");
	return 2;
}
