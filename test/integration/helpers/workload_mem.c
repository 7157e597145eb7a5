/* workload_mem MIB [HOLD_MS]: touches MIB MiB of anonymous memory, holds it
 * for HOLD_MS (default 500), exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload_mem MIB [HOLD_MS]\n");
		return 2;
	}
	size_t mib = strtoul(argv[1], NULL, 10);
	unsigned hold = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 500;
	size_t len = mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = 1;
	usleep(hold * 1000u);
	return 0;
}
