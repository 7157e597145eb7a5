#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/budget.h"
#include "pfs/buf.h"

int pfs_buf_reserve(struct pfs_buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = pfs_buf_next_cap(cap);
	int r = pfs_charge_grow(cap - b->cap);
	if (r < 0)
		return r;
	char *p = realloc(b->data, cap);
	if (!p) {
		pfs_charge_shrink(cap - b->cap);
		return -ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int pfs_buf_append(struct pfs_buf *b, const void *data, size_t len)
{
	int r = pfs_buf_reserve(b, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int pfs_buf_appends(struct pfs_buf *b, const char *s)
{
	return pfs_buf_append(b, s, strlen(s));
}

/* Formats into the free room first: a second pass only when it did not fit. */
int pfs_buf_printf(struct pfs_buf *b, const char *fmt, ...)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= room) {
		int r = pfs_buf_reserve(b, (size_t)n);
		if (r < 0) {
			if (b->data)
				b->data[b->len] = '\0';
			return r;
		}
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

int pfs_buf_append_u64(struct pfs_buf *b, uint64_t v, unsigned width)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t pad = width > n ? width - n : 0;
	int r = pfs_buf_reserve(b, pad + n);
	if (r < 0)
		return r;
	memset(b->data + b->len, ' ', pad);
	memcpy(b->data + b->len + pad, digits + sizeof(digits) - n, n);
	b->len += pad + n;
	b->data[b->len] = '\0';
	return 0;
}

int pfs_buf_splice(struct pfs_buf *b, size_t start, size_t end, const char *text, size_t len)
{
	if (start > end || end > b->len)
		return -EINVAL;
	size_t cut = end - start;
	if (len > cut) {
		int r = pfs_buf_reserve(b, len - cut);
		if (r < 0)
			return r;
	}
	if (!b->data)
		return 0; /* nothing, replaced with nothing */
	memmove(b->data + start + len, b->data + end, b->len - end);
	if (len)
		memcpy(b->data + start, text, len);
	b->len = b->len - cut + len;
	b->data[b->len] = '\0';
	return 0;
}

void pfs_buf_reset(struct pfs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void pfs_buf_free(struct pfs_buf *b)
{
	pfs_charge_shrink(b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *pfs_buf_steal(struct pfs_buf *b, size_t *len)
{
	if (pfs_buf_reserve(b, 0) < 0)
		return NULL;
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
