/*
 * io_paths MODE FILE: reads FILE to its end by one kernel path and prints the
 * byte count, or the errno name (or SIGBUS) where that path fails. MODE:
 * read, uring (io_uring READ), sendfile, splice, cfr (copy_file_range), mmap.
 * Raw system calls: no liburing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static long by_read(int fd)
{
	static char buf[CHUNK];
	long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

/* One io_uring READ per chunk, at increasing offsets, until 0. */
static long by_uring(int fd)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		return -errno;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
					 MAP_SHARED, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -errno;
	static char buf[CHUNK];
	long total = 0;
	for (;;) {
		unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
		unsigned idx = *tail & *(unsigned *)(sq + p.sq_off.ring_mask);
		memset(&sqes[idx], 0, sizeof(sqes[idx]));
		sqes[idx].opcode = IORING_OP_READ;
		sqes[idx].fd = fd;
		sqes[idx].addr = (unsigned long)buf;
		sqes[idx].len = sizeof(buf);
		sqes[idx].off = (unsigned long)total;
		((unsigned *)(sq + p.sq_off.array))[idx] = idx;
		__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
		if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
			return -errno;
		unsigned *head = (unsigned *)(cq + p.cq_off.head);
		unsigned h = __atomic_load_n(head, __ATOMIC_ACQUIRE);
		struct io_uring_cqe *cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) +
					   (h & *(unsigned *)(cq + p.cq_off.ring_mask));
		int res = cqe->res;
		__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
		if (res < 0)
			return res;
		if (res == 0)
			return total;
		total += res;
	}
}

static long by_sendfile(int fd)
{
	int out = memfd_create("out", 0);
	long total = 0;
	ssize_t n;
	while ((n = sendfile(out, fd, NULL, CHUNK)) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

static long by_splice(int fd)
{
	int p[2];
	if (pipe(p) < 0)
		return -errno;
	static char buf[65536];
	long total = 0;
	ssize_t n;
	while ((n = splice(fd, NULL, p[1], NULL, sizeof(buf), 0)) > 0) {
		total += n;
		if (read(p[0], buf, (size_t)n) != n)
			return -EIO;
	}
	return n < 0 ? -errno : total;
}

static long by_cfr(int fd)
{
	int out = memfd_create("out", 0);
	long total = 0;
	ssize_t n;
	while ((n = copy_file_range(fd, NULL, out, NULL, CHUNK, 0)) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

static sigjmp_buf bus;
static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus, 1);
}

static int by_mmap(int fd)
{
	char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus, 1)) {
		puts("SIGBUS");
		exit(0);
	}
	volatile char c = m[0];
	(void)c;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: io_paths read|uring|sendfile|splice|cfr|mmap FILE\n");
		return 2;
	}
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s\n", strerrorname_np(errno));
		return 1;
	}
	const char *m = argv[1];
	long r = !strcmp(m, "read")	  ? by_read(fd)
		 : !strcmp(m, "uring")	  ? by_uring(fd)
		 : !strcmp(m, "sendfile") ? by_sendfile(fd)
		 : !strcmp(m, "splice")	  ? by_splice(fd)
		 : !strcmp(m, "cfr")	  ? by_cfr(fd)
		 : !strcmp(m, "mmap")	  ? by_mmap(fd)
					  : -EINVAL;
	if (r < 0)
		printf("%s\n", strerrorname_np((int)-r));
	else if (!strcmp(m, "mmap"))
		printf("mapped\n");
	else
		printf("%ld\n", r);
	return 0;
}
