/* workload_fds N [HOLD_MS]: opens /dev/null N times, holds them for HOLD_MS
 * (default 1000), exits 0 if all N opened, 3 if the kernel refused some. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload_fds N [HOLD_MS]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	unsigned hold = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000;
	int opened = 0;
	for (int i = 0; i < n; i++) {
		if (open("/dev/null", O_RDONLY) < 0)
			break;
		opened++;
	}
	usleep(hold * 1000u);
	return opened == n ? 0 : 3;
}
