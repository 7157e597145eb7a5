/*
 * manymaps N: maps N one-page regions with alternating protections, so the
 * process's maps has N separate lines, prints its pid, then sleeps until
 * killed. A stable, big maps file for the tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4000;
	long page = sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, (size_t)page * (size_t)n * 2, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 1;
	for (int i = 0; i < n; i++)
		mprotect(base + (size_t)page * (size_t)i * 2, (size_t)page,
			 (i % 2) ? PROT_READ : PROT_READ | PROT_WRITE);
	printf("%d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
