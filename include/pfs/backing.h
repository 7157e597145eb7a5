/* Reading the backing proc through directory fds. */
#ifndef PFS_BACKING_H
#define PFS_BACKING_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "pfs/buf.h"

/* Reads the whole file dirfd/rel (rel "" = dirfd itself) into out. */
int pfs_read_all_at(int dirfd, const char *rel, struct pfs_buf *out);
/* The file is one record (a seq_file's single_open): a read shorter than asked is its end. */
#define PFS_READ_SINGLE 1u
/*
 * As pfs_read_all_at, with flags (PFS_READ_*). kept: from offset 0 of *kept
 * when it is an fd (kept from an earlier call, left open); else the file is
 * opened, read, and its fd left in *kept for the next call (not when it
 * cannot be read at an offset). NULL: opened and closed.
 */
int pfs_read_whole(int dirfd, const char *rel, int *kept, unsigned flags, struct pfs_buf *out);
/* Appends at most max bytes of dirfd/rel (opened with extra_flags too) to out. */
int pfs_read_at_most(int dirfd, const char *rel, int extra_flags, size_t max, struct pfs_buf *out);
/*
 * Line pieces: bytes pushed are handed to fn in pieces that end at a line end
 * (not NUL-terminated); the partial line after the last '\n' waits for the
 * next push, and pfs_lines_end hands on what is left (a last line without its
 * '\n'). So a consumer of whole lines (a filter) sees every line whole, and
 * only one piece and a partial line are held at a time.
 */
typedef int pfs_lines_fn(void *opaque, const char *lines, size_t len);
struct pfs_lines {
	struct pfs_buf buf; /* the bytes not handed on yet */
	pfs_lines_fn *fn;
	void *opaque;
};
#define PFS_LINES_INIT(fn, opaque)                                                                 \
	{                                                                                          \
		PFS_BUF_INIT, (fn), (opaque)                                                       \
	}
/* Appends data and hands on the whole lines pending: 0 or fn's error. */
int pfs_lines_push(struct pfs_lines *l, const char *data, size_t len);
/* Hands on the rest and frees the buffer (also after an error). */
int pfs_lines_end(struct pfs_lines *l);
/*
 * A text in memory handed to fn as if read step bytes at a time (the pieces
 * pfs_read_lines_at would make of a file read that way): 0 or fn's error.
 */
int pfs_lines_feed(const char *in, size_t len, size_t step, pfs_lines_fn *fn, void *opaque);
/*
 * Reads dirfd/rel to EOF through line pieces of about chunk bytes (a line
 * longer than chunk makes its piece longer): the memory held is one piece,
 * however big the file. 0, -errno of the read, or fn's error.
 */
#define PFS_READ_PIECE (64u << 10)
int pfs_read_lines_at(int dirfd, const char *rel, size_t chunk, pfs_lines_fn *fn, void *opaque);
/* Reads up to size-1 bytes of a small file; NUL-terminates. Returns length or -errno. */
ssize_t pfs_read_small_at(int dirfd, const char *rel, char *buf, size_t size);
/* Writes the string val to rel at dirfd in one write(2): 0 or -errno. */
int pfs_write_str_at(int dirfd, const char *rel, const char *val);
/* readlinkat into out (not NUL-counted). */
int pfs_readlink_at(int dirfd, const char *rel, struct pfs_buf *out);
/* A DIR stream over fd, which it takes (closed on failure too). NULL + errno on failure. */
DIR *pfs_fdopendir_owned(int fd);
/* The directory dirfd/rel (rel "" = dirfd itself) as a DIR stream; NULL + errno on failure. */
DIR *pfs_opendir_at(int dirfd, const char *rel);
/* rel or "." when rel is empty: for the *at() calls. */
static inline const char *pfs_rel(const char *rel)
{
	return (rel && *rel) ? rel : ".";
}

/* Finds "Key:\t" in a status-like text and returns a pointer to its value. */
const char *pfs_status_field(const char *text, const char *key);

#endif
