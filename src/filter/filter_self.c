/*
 * A task reading its own state. The kernel renders stat, status and wchan
 * when the daemon reads them, while the reader is blocked in its FUSE
 * request: it would see itself sleeping (`S`, wchan `request_wait_answer`),
 * where natively a task reading its own file is running. For the reader's
 * own task only, the state is the one it has natively. And every FUSE request
 * made the task sleep once more than natively: those voluntary context
 * switches are taken out again, for any reader (pfs_filter_fuse_waits).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/filter.h"

/*
 * stat: the state is the field after the last ')' (comm may hold any byte),
 * field 3; field 35 is 1 for a sleeping task whose wchan the reader may see,
 * 0 for a running one.
 */
static int running_stat(struct pfs_buf *b)
{
	char *close = b->data ? memrchr(b->data, ')', b->len) : NULL;
	if (!close || (size_t)(close - b->data) + 3 > b->len || close[1] != ' ')
		return -EBADMSG;
	close[2] = 'R';
	char *p = close + 2, *end = b->data + b->len;
	for (int field = 3; field < 35 && p; field++) {
		p = memchr(p, ' ', (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
	if (p && p < end && *p == '1' && (p + 1 == end || p[1] == ' ' || p[1] == '\n'))
		*p = '0';
	return 0;
}

static int running_status(struct pfs_buf *b)
{
	static const char key[] = "\nState:\t";
	char *p = b->data ? memmem(b->data, b->len, key, sizeof(key) - 1) : NULL;
	if (!p)
		return -EBADMSG;
	p += sizeof(key) - 1;
	char *eol = memchr(p, '\n', b->len - (size_t)(p - b->data));
	if (!eol)
		return -EBADMSG;
	static const char running[] = "R (running)";
	size_t add = sizeof(running) - 1;
	cleanup_buf struct pfs_buf out = PFS_BUF_INIT;
	int r = pfs_buf_append(&out, b->data, (size_t)(p - b->data));
	if (r == 0)
		r = pfs_buf_append(&out, running, add);
	if (r == 0)
		r = pfs_buf_append(&out, eol, b->len - (size_t)(eol - b->data));
	if (r < 0)
		return r;
	pfs_buf_free(b);
	*b = out;
	out = (struct pfs_buf)PFS_BUF_INIT;
	return 0;
}

int pfs_filter_running_self(const char *name, struct pfs_buf *b)
{
	if (!strcmp(name, "stat"))
		return running_stat(b);
	if (!strcmp(name, "status"))
		return running_status(b);
	if (!strcmp(name, "wchan")) {
		pfs_buf_reset(b);
		return pfs_buf_append(b, "0", 1);
	}
	return 0;
}

/* Replaces b[start, end) with text. */
static int replace_span(struct pfs_buf *b, size_t start, size_t end, const char *text, size_t len)
{
	cleanup_buf struct pfs_buf out = PFS_BUF_INIT;
	int r = pfs_buf_append(&out, b->data, start);
	if (r == 0)
		r = pfs_buf_append(&out, text, len);
	if (r == 0)
		r = pfs_buf_append(&out, b->data + end, b->len - end);
	if (r < 0)
		return r;
	pfs_buf_free(b);
	*b = out;
	out = (struct pfs_buf)PFS_BUF_INIT;
	return 0;
}

/*
 * The number after key (a line start) less fewer, not below 0. aligned: a
 * sched line, "name   :   N", whose number is right-aligned after the ':'
 * and stays so. A file without the key is left as it is.
 */
static int subtract_field(struct pfs_buf *b, const char *key, uint64_t fewer, bool aligned)
{
	size_t klen = strlen(key);
	char *p = b->data ? memmem(b->data, b->len, key, klen) : NULL;
	if (!p)
		return 0;
	p += klen;
	char *end = b->data + b->len;
	char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	if (aligned) {
		char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -EBADMSG;
		p = colon + 1;
	}
	char *digits = p;
	while (digits < eol && (*digits == ' ' || *digits == '\t'))
		digits++;
	char *stop = digits;
	while (stop < eol && *stop >= '0' && *stop <= '9')
		stop++;
	if (stop == digits || stop != eol)
		return -EBADMSG;
	uint64_t v = strtoull(digits, NULL, 10);
	v = v > fewer ? v - fewer : 0;
	char num[32];
	int n = aligned ? snprintf(num, sizeof(num), "%*" PRIu64, (int)(eol - p), v)
			: snprintf(num, sizeof(num), "%" PRIu64, v);
	if (n < 0 || (size_t)n >= sizeof(num))
		return -EBADMSG;
	char *from = aligned ? p : digits;
	return replace_span(b, (size_t)(from - b->data), (size_t)(eol - b->data), num, (size_t)n);
}

/* status shows its task running: it has not gone to sleep in its request yet. */
static bool status_running(const struct pfs_buf *b)
{
	static const char key[] = "\nState:\tR";
	return b->data && memmem(b->data, b->len, key, sizeof(key) - 1);
}

int pfs_filter_fuse_waits(const char *name, uint64_t waits, bool self, struct pfs_buf *b)
{
	if (!waits)
		return 0;
	if (!strcmp(name, "status")) {
		if (self && status_running(b))
			waits--;
		return subtract_field(b, "\nvoluntary_ctxt_switches:", waits, false);
	}
	if (!strcmp(name, "sched")) {
		int r = subtract_field(b, "\nnr_switches ", waits, true);
		if (r == 0)
			r = subtract_field(b, "\nnr_voluntary_switches ", waits, true);
		return r;
	}
	return 0;
}
