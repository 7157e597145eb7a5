/* A growable byte buffer, always NUL-terminated after len. */
#ifndef PFS_BUF_H
#define PFS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfs_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define PFS_BUF_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/*
 * Growth: small buffers double; from PFS_BUF_STEP_FROM on they grow by a
 * quarter (whole pages), so a big one's capacity (what the snapshot budget
 * charges) is at most about 1.25 times its content, not twice.
 */
#define PFS_BUF_STEP_FROM (1u << 20)
static inline size_t pfs_buf_next_cap(size_t cap)
{
	return cap < PFS_BUF_STEP_FROM ? cap * 2 : (cap + cap / 4 + 4095) & ~(size_t)4095;
}
int pfs_buf_reserve(struct pfs_buf *b, size_t extra);
int pfs_buf_append(struct pfs_buf *b, const void *data, size_t len);
int pfs_buf_appends(struct pfs_buf *b, const char *s);
int pfs_buf_printf(struct pfs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, right-aligned in width columns (printf's "%*" PRIu64), without printf's cost. */
int pfs_buf_append_u64(struct pfs_buf *b, uint64_t v, unsigned width);
/* Replaces b's bytes [start, end) with len bytes of text, in place. */
int pfs_buf_splice(struct pfs_buf *b, size_t start, size_t end, const char *text, size_t len);
void pfs_buf_reset(struct pfs_buf *b);
void pfs_buf_free(struct pfs_buf *b);
/* Moves b's storage to the caller (who frees it) and resets b. */
char *pfs_buf_steal(struct pfs_buf *b, size_t *len);

static inline void pfs_buf_freep(struct pfs_buf *b)
{
	pfs_buf_free(b);
}
#define cleanup_buf __attribute__((cleanup(pfs_buf_freep)))

#endif
