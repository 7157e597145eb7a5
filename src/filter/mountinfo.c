/* Mount table line parsing and the kernel's octal escaping. See pfs/mountinfo.h. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/mountinfo.h"

bool pfs_next_line(const char *in, size_t len, size_t *pos, const char **line, size_t *line_len,
		   bool *has_nl)
{
	if (*pos >= len)
		return false;
	const char *start = in + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	*line = start;
	if (nl) {
		*line_len = (size_t)(nl - start);
		*has_nl = true;
		*pos += *line_len + 1;
	} else {
		*line_len = len - *pos;
		*has_nl = false;
		*pos = len;
	}
	return true;
}

/* Next field up to a single space; *p advances past the space. */
static bool next_token(const char **p, const char *end, struct pfs_field *f)
{
	if (*p > end)
		return false;
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	f->s = *p;
	if (sp) {
		f->len = (size_t)(sp - *p);
		*p = sp + 1;
	} else {
		f->len = (size_t)(end - *p);
		*p = end + 1; /* past the end: no more tokens */
	}
	return true;
}

static bool parse_uint(const struct pfs_field *f, int base, unsigned long max, unsigned long *out)
{
	if (f->len == 0 || f->len > 20)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < f->len; i++) {
		char c = f->s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		if (v > (max - d) / (unsigned long)base)
			return false;
		v = v * (unsigned long)base + d;
	}
	*out = v;
	return true;
}

static bool parse_int_field(const struct pfs_field *f, int *out)
{
	unsigned long v;
	if (!parse_uint(f, 10, INT_MAX, &v))
		return false;
	*out = (int)v;
	return true;
}

static bool parse_devno(const struct pfs_field *f, unsigned *major, unsigned *minor)
{
	const char *colon = memchr(f->s, ':', f->len);
	if (!colon)
		return false;
	struct pfs_field a = {f->s, (size_t)(colon - f->s)};
	struct pfs_field b = {colon + 1, f->len - a.len - 1};
	unsigned long ma, mi;
	if (!parse_uint(&a, 10, UINT_MAX, &ma) || !parse_uint(&b, 10, UINT_MAX, &mi))
		return false;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return true;
}

static bool field_is(const struct pfs_field *f, const char *s)
{
	size_t n = strlen(s);
	return f->len == n && memcmp(f->s, s, n) == 0;
}

int pfs_mountinfo_parse_line(const char *line, size_t len, struct pfs_mount_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len))
		return -EBADMSG;
	const char *p = line, *end = line + len;
	struct pfs_field f[6];
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!next_token(&p, end, &f[i]) || f[i].len == 0)
			return -EBADMSG;
	if (!parse_int_field(&f[0], &e->id) || !parse_int_field(&f[1], &e->parent) ||
	    !parse_devno(&f[2], &e->major, &e->minor))
		return -EBADMSG;
	e->root = f[3];
	e->target = f[4];
	e->mnt_opts = f[5];
	/* Optional fields up to the "-" separator. */
	e->optional.s = p <= end ? p : end;
	struct pfs_field t;
	for (;;) {
		if (!next_token(&p, end, &t) || t.len == 0)
			return -EBADMSG;
		if (field_is(&t, "-"))
			break;
	}
	e->optional.len = t.s > e->optional.s ? (size_t)(t.s - 1 - e->optional.s) : 0;
	if (!next_token(&p, end, &e->fstype) || e->fstype.len == 0)
		return -EBADMSG;
	/* The source may be empty (mount("", ...)). */
	if (!next_token(&p, end, &e->source) || p > end)
		return -EBADMSG;
	/* Super options: the rest of the line (a filesystem may print spaces). */
	e->super_opts.s = p;
	e->super_opts.len = (size_t)(end - p);
	if (e->super_opts.len == 0)
		return -EBADMSG;
	return 0;
}

int pfs_mounts_parse_line(const char *line, size_t len, struct pfs_mount_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = e->parent = -1;
	if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len))
		return -EBADMSG;
	const char *p = line, *end = line + len;
	if (!next_token(&p, end, &e->source) || !next_token(&p, end, &e->target) ||
	    e->target.len == 0 || !next_token(&p, end, &e->fstype) || e->fstype.len == 0 || p > end)
		return -EBADMSG;
	/* The last two fields are " freq passno"; options are what lies between. */
	const char *q = end;
	struct pfs_field tail[2];
	for (int i = 1; i >= 0; i--) {
		const char *sp = q;
		while (sp > p && sp[-1] != ' ')
			sp--;
		if (sp == p)
			return -EBADMSG;
		tail[i].s = sp;
		tail[i].len = (size_t)(q - sp);
		q = sp - 1;
	}
	unsigned long v;
	if (!parse_uint(&tail[0], 10, INT_MAX, &v) || !parse_uint(&tail[1], 10, INT_MAX, &v))
		return -EBADMSG;
	e->freq = tail[0];
	e->passno = tail[1];
	e->mnt_opts.s = p;
	e->mnt_opts.len = (size_t)(q - p);
	if (e->mnt_opts.len == 0)
		return -EBADMSG;
	return 0;
}

const struct pfs_field *pfs_mount_entry_field(const struct pfs_mount_entry *e,
					      enum pfs_mount_field f)
{
	switch (f) {
	case PFS_MNT_FSTYPE:
		return &e->fstype;
	case PFS_MNT_SOURCE:
		return &e->source;
	case PFS_MNT_TARGET:
		return &e->target;
	case PFS_MNT_ROOT:
		return &e->root;
	case PFS_MNT_OPTION:
		break;
	}
	return NULL;
}

bool pfs_mount_opt_next(struct pfs_field *list, struct pfs_field *opt)
{
	if (!list->s)
		return false;
	const char *c = memchr(list->s, ',', list->len);
	opt->s = list->s;
	if (c) {
		opt->len = (size_t)(c - list->s);
		list->len -= opt->len + 1;
		list->s = c + 1;
	} else {
		opt->len = list->len;
		list->s = NULL;
		list->len = 0;
	}
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Decodes one unit at s[i]: returns the byte and sets *used. */
static char decode_at(const char *s, size_t len, size_t i, size_t *used)
{
	if (s[i] == '\\' && len - i >= 4 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
	    is_octal(s[i + 2]) && is_octal(s[i + 3])) {
		*used = 4;
		return (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
	}
	*used = 1;
	return s[i];
}

ssize_t pfs_mount_unescape(const char *s, size_t len, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t used;
		char c = decode_at(s, len, i, &used);
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		dst[o++] = c;
		i += used;
	}
	if (cap == 0)
		return -ENAMETOOLONG;
	dst[o] = '\0';
	return (ssize_t)o;
}

int pfs_mount_unescape_buf(const char *s, size_t len, struct pfs_buf *out)
{
	int r = pfs_buf_reserve(out, len);
	if (r < 0)
		return r;
	/* Most fields have no escape: everything before the first backslash at once. */
	const char *bs = memchr(s, '\\', len);
	size_t i = bs ? (size_t)(bs - s) : len;
	memcpy(out->data + out->len, s, i);
	out->len += i;
	while (i < len) {
		size_t used;
		out->data[out->len++] = decode_at(s, len, i, &used);
		i += used;
	}
	out->data[out->len] = '\0';
	return 0;
}

int pfs_mount_escape(const char *s, size_t len, const char *special, struct pfs_buf *out)
{
	int r = pfs_buf_reserve(out, len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c && strchr(special, c))) {
			char esc[5] = {'\\', (char)('0' + (c >> 6)), (char)('0' + ((c >> 3) & 7)),
				       (char)('0' + (c & 7)), 0};
			r = pfs_buf_append(out, esc, 4);
		} else {
			r = pfs_buf_append(out, s + i, 1);
		}
		if (r < 0)
			return r;
	}
	return 0;
}
