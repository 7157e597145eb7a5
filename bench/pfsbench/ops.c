/* pfsbench: the measured operations (read, pread, readdir, readlink, stat, ps walk). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfsbench.h"

#define READ_CHUNK (128u << 10)

char *rbuf;

/* open + read to EOF + close. Returns bytes read or -errno. */
long read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	long total = 0;
	for (;;) {
		size_t room = RBUF_SIZE - (size_t)total;
		ssize_t n = read(fd, rbuf + total, room < READ_CHUNK ? room : READ_CHUNK);
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		total += n;
		if ((size_t)total == RBUF_SIZE)
			total = 0; /* keep reading to EOF; content is not kept */
	}
	close(fd);
	return total;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Lists a directory; calls fn for each name if given. Returns entries or -errno. */
static long list_dir(const char *path, void (*fn)(const char *name, void *arg), void *arg)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[32768];
	long count = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (fn)
				fn(d->d_name, arg);
			count++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return count;
}

bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

struct walk {
	const char *prefix;
	long procs, files;
	int err;
};

static void walk_one(const char *name, void *arg)
{
	struct walk *w = arg;
	if (!is_pid_name(name))
		return;
	static const char *const names[] = {"stat", "status", "cmdline"};
	char path[PATH_MAX];
	w->procs++;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", w->prefix, name, names[i]);
		long r = read_file(path);
		if (r >= 0)
			w->files++;
		else if (r != -ENOENT && r != -ESRCH && !w->err)
			w->err = (int)-r;
	}
}

/* ps aux: list /proc, read stat, status and cmdline of each pid. */
static long ps_walk(const char *prefix, long *procs)
{
	struct walk w = {.prefix = prefix};
	long r = list_dir(prefix, walk_one, &w);
	if (r < 0)
		return r;
	if (w.err)
		return -w.err;
	*procs = w.procs;
	return 0;
}

/* One operation. fd is an open fd for OP_PREAD. Returns 0 or -errno. */
int do_op(enum op_kind kind, const char *path, int fd, long *seen)
{
	long r = 0;
	switch (kind) {
	case OP_READ:
		r = read_file(path);
		break;
	case OP_PREAD:
		r = pread(fd, rbuf, READ_CHUNK, 0) < 0 ? -errno : 0;
		break;
	case OP_READDIR:
		r = list_dir(path, NULL, NULL);
		break;
	case OP_READLINK: {
		char buf[PATH_MAX];
		r = readlink(path, buf, sizeof(buf)) < 0 ? -errno : 0;
		break;
	}
	case OP_STAT: {
		struct stat st;
		r = stat(path, &st) < 0 ? -errno : 0;
		break;
	}
	case OP_WALK:
		r = ps_walk(path, seen);
		break;
	}
	return r < 0 ? (int)r : 0;
}
