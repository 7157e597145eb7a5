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
#include <stdint.h>
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

/*
 * The line that starts with key (key begins with a newline) in b, looked for
 * from the start or from the end: each key is the name of one of the
 * kernel's lines, found once, and the search starts at the end it is near.
 * memmem's set-up alone cost more than these scans of a status.
 */
static char *find_line(const struct pfs_buf *b, const char *key, bool from_end)
{
	if (!b->data)
		return NULL;
	size_t klen = strlen(key);
	char *start = b->data, *end = b->data + b->len;
	for (char *p = from_end ? end : start; p;) {
		p = from_end ? memrchr(start, '\n', (size_t)(p - start))
			     : memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		if ((size_t)(end - p) >= klen && p[1] == key[1] && !memcmp(p, key, klen))
			return p;
		if (!from_end)
			p++;
	}
	return NULL;
}

static int running_status(struct pfs_buf *b)
{
	static const char key[] = "\nState:\t", running[] = "R (running)";
	char *p = find_line(b, key, false);
	if (!p)
		return -EBADMSG;
	p += sizeof(key) - 1;
	char *eol = memchr(p, '\n', b->len - (size_t)(p - b->data));
	if (!eol)
		return -EBADMSG;
	return pfs_buf_splice(b, (size_t)(p - b->data), (size_t)(eol - b->data), running,
			      sizeof(running) - 1);
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

/*
 * The number after key (a line start) less fewer, not below 0. aligned: a
 * sched line, "name   :   N", whose number is right-aligned after the ':'
 * and stays so. A file without the key is left as it is.
 */
static int subtract_field(struct pfs_buf *b, const char *key, uint64_t fewer, bool aligned)
{
	char *p = find_line(b, key, true);
	if (!p)
		return 0;
	p += strlen(key);
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
	uint64_t v = 0; /* strtoull's value: past UINT64_MAX, UINT64_MAX */
	for (const char *d = digits; d < stop; d++) {
		unsigned digit = (unsigned)(*d - '0');
		v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
	}
	v = v > fewer ? v - fewer : 0;
	/* the number, right-aligned in the field's width when aligned, without printf */
	char num[32];
	size_t n = 0, width = aligned ? (size_t)(eol - p) : 0;
	if (width > sizeof(num))
		return -EBADMSG; /* wider than any of the kernel's fields */
	do {
		num[sizeof(num) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width && n < sizeof(num))
		num[sizeof(num) - ++n] = ' ';
	char *from = aligned ? p : digits;
	return pfs_buf_splice(b, (size_t)(from - b->data), (size_t)(eol - b->data),
			      num + sizeof(num) - n, n);
}

/* status shows its task running: it has not gone to sleep in its request yet. */
static bool status_running(const struct pfs_buf *b)
{
	static const char key[] = "\nState:\t";
	const char *p = find_line(b, key, false); /* a line of its own, and near the start */
	return p && (size_t)(b->data + b->len - p) > sizeof(key) - 1 && p[sizeof(key) - 1] == 'R';
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
