#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/cleanup.h"

/* Most proc files fit this: the first read's buffer, which is also the charge of a render. */
#define FIRST_READ 16384

/*
 * Appends what fd gives until EOF or max bytes; keeps out NUL-terminated.
 * Each read fills the free room; with little left the buffer grows to 16 KiB
 * first, then as pfs_buf grows (doubles, then by a quarter). (It started at
 * 128 KiB: a mapping and its page faults per render, and 128 KiB of the
 * snapshot budget for a 1 KiB status.) With at >= 0 it preads from there
 * on, as a read of a kept fd after lseek(fd, at) would, in one call less.
 * single: the file is one record, and a read shorter than asked is its end.
 */
static int read_fd_into(int fd, off_t at, bool single, size_t max, struct pfs_buf *out)
{
	size_t start = out->len;
	while (out->len - start < max) {
		size_t chunk = out->cap - out->len > 4096  ? out->cap - out->len - 1
			       : out->len < FIRST_READ - 1 ? FIRST_READ - 1 - out->len
							   : pfs_buf_next_cap(out->cap) - out->cap;
		if (chunk > max - (out->len - start))
			chunk = max - (out->len - start);
		int r = pfs_buf_reserve(out, chunk);
		if (r < 0)
			return r;
		ssize_t n = at < 0 ? read(fd, out->data + out->len, chunk)
				   : pread(fd, out->data + out->len, chunk,
					   at + (off_t)(out->len - start));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (single && (size_t)n < chunk)
			break;
	}
	int r = pfs_buf_reserve(out, 0);
	if (r < 0)
		return r;
	out->data[out->len] = '\0';
	return 0;
}

int pfs_read_at_most(int dirfd, const char *rel, int extra_flags, size_t max, struct pfs_buf *out)
{
	cleanup_close int fd =
		openat(dirfd, pfs_rel(rel), O_RDONLY | O_CLOEXEC | O_NOCTTY | extra_flags);
	if (fd < 0)
		return -errno;
	return read_fd_into(fd, -1, false, max, out);
}

int pfs_read_whole(int dirfd, const char *rel, int *kept, unsigned flags, struct pfs_buf *out)
{
	bool single = flags & PFS_READ_SINGLE;
	if (kept && *kept >= 0)
		return read_fd_into(*kept, 0, single, SIZE_MAX, out);
	cleanup_close int own = openat(dirfd, pfs_rel(rel), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (own < 0)
		return -errno;
	if (!kept)
		return read_fd_into(own, -1, single, SIZE_MAX, out);
	int r = read_fd_into(own, 0, single, SIZE_MAX, out);
	if (r == -ESPIPE) /* not seekable: no rewind through it, read it as it comes */
		return read_fd_into(own, -1, single, SIZE_MAX, out);
	if (r == 0)
		*kept = steal_fd(own);
	return r;
}

DIR *pfs_fdopendir_owned(int fd)
{
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

DIR *pfs_opendir_at(int dirfd, const char *rel)
{
	return pfs_fdopendir_owned(openat(dirfd, pfs_rel(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

int pfs_read_all_at(int dirfd, const char *rel, struct pfs_buf *out)
{
	return pfs_read_at_most(dirfd, rel, 0, SIZE_MAX, out);
}

/* Hands on the whole lines pending, or all that is pending when last. */
static int lines_flush(struct pfs_lines *l, bool last)
{
	struct pfs_buf *b = &l->buf;
	if (!b->len)
		return 0;
	size_t n = b->len;
	if (!last) {
		const char *nl = memrchr(b->data, '\n', b->len);
		if (!nl)
			return 0;
		n = (size_t)(nl - b->data) + 1;
	}
	int r = l->fn(l->opaque, b->data, n);
	if (r < 0)
		return r;
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
	return 0;
}

int pfs_lines_push(struct pfs_lines *l, const char *data, size_t len)
{
	int r = pfs_buf_append(&l->buf, data, len);
	return r < 0 ? r : lines_flush(l, false);
}

int pfs_lines_end(struct pfs_lines *l)
{
	int r = lines_flush(l, true);
	pfs_buf_free(&l->buf);
	return r;
}

int pfs_lines_feed(const char *in, size_t len, size_t step, pfs_lines_fn *fn, void *opaque)
{
	struct pfs_lines l = PFS_LINES_INIT(fn, opaque);
	if (step == 0)
		step = 1;
	int r = 0;
	for (size_t off = 0; r == 0 && off < len; off += step)
		r = pfs_lines_push(&l, in + off, len - off < step ? len - off : step);
	int e = pfs_lines_end(&l);
	return r ? r : e;
}

int pfs_read_lines_at(int dirfd, const char *rel, size_t chunk, pfs_lines_fn *fn, void *opaque)
{
	cleanup_close int fd = openat(dirfd, pfs_rel(rel), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct pfs_lines l = PFS_LINES_INIT(fn, opaque);
	struct pfs_buf *b = &l.buf;
	int r = 0;
	if (chunk < 2)
		chunk = 2;
	for (;;) {
		/* Full (chunk - 1 bytes, a capacity of chunk): hand its whole lines on. */
		if (b->len + 1 >= chunk && (r = lines_flush(&l, false)) < 0)
			break;
		/* Fill to chunk - 1; a line as long as the buffer doubles it. */
		size_t room = b->len + 1 < chunk ? chunk - 1 - b->len : b->len + 1;
		if ((r = pfs_buf_reserve(b, room)) < 0)
			break;
		ssize_t n = read(fd, b->data + b->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			r = lines_flush(&l, true);
			break;
		}
		b->len += (size_t)n;
	}
	pfs_buf_free(b);
	return r;
}

ssize_t pfs_read_small_at(int dirfd, const char *rel, char *buf, size_t size)
{
	cleanup_close int fd = openat(dirfd, pfs_rel(rel), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int pfs_write_str_at(int dirfd, const char *rel, const char *val)
{
	cleanup_close int fd = openat(dirfd, pfs_rel(rel), O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int pfs_readlink_at(int dirfd, const char *rel, struct pfs_buf *out)
{
	char tmp[PATH_MAX];
	ssize_t n = readlinkat(dirfd, pfs_rel(rel), tmp, sizeof(tmp));
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(tmp))
		return -ENAMETOOLONG;
	return pfs_buf_append(out, tmp, (size_t)n);
}

const char *pfs_status_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == '\t' || *p == ' ')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}
