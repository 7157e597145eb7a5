/* workload_noterm SECONDS: ignores SIGTERM and sleeps SECONDS, exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	double s = argc > 1 ? strtod(argv[1], NULL) : 10;
	signal(SIGTERM, SIG_IGN);
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0)
		;
	return 0;
}
