/* workload_fork DEPTH [HOLD_MS]: a bounded fork bomb. Every process forks
 * DEPTH times over, so 2^DEPTH processes exist; each holds for HOLD_MS
 * (default 3000) and reaps its children. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload_fork DEPTH [HOLD_MS]\n");
		return 2;
	}
	int depth = atoi(argv[1]);
	unsigned hold = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3000;
	if (depth < 0 || depth > 10)
		return 2;
	for (int i = 0; i < depth; i++)
		if (fork() < 0)
			break;
	usleep(hold * 1000u);
	while (wait(NULL) > 0)
		;
	return 0;
}
