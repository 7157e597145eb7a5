/*
 * readmode PATH CHUNK: reads PATH to EOF in CHUNK-byte reads and writes the
 * bytes to stdout. `readmode PATH rewind` reads once, seeks to 0, reads again
 * and prints both results separated by a line "--rewind--".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, size_t chunk)
{
	char *buf = malloc(chunk);
	if (!buf)
		return 1;
	ssize_t n;
	while ((n = read(fd, buf, chunk)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	if (n < 0)
		perror("readmode: read");
	free(buf);
	return n < 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: readmode PATH CHUNK|rewind\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "rewind")) {
		int r = copy(fd, 65536);
		usleep(100000);
		fputs("--rewind--\n", stdout);
		if (lseek(fd, 0, SEEK_SET) != 0)
			return 1;
		return r | copy(fd, 65536);
	}
	return copy(fd, (size_t)atol(argv[2]));
}
