/* workload_spin SECONDS [THREADS]: burns SECONDS of CPU in total (over THREADS
 * threads, default 1), measured by the process CPU clock, and exits 0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double target;

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	volatile unsigned long x = 0;
	while (cpu_now() < target)
		for (int i = 0; i < 10000; i++)
			x++;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload_spin SECONDS [THREADS]\n");
		return 2;
	}
	target = strtod(argv[1], NULL);
	int n = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t t[64];
	if (n < 1 || n > 64)
		return 2;
	for (int i = 1; i < n; i++)
		pthread_create(&t[i], NULL, spin, NULL);
	spin(NULL);
	for (int i = 1; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
