/*
 * A task reading its own state. The kernel renders stat, status and wchan
 * when the daemon reads them, while the reader is blocked in its FUSE
 * request: it would see itself sleeping (`S`, wchan `request_wait_answer`),
 * where natively a task reading its own file is running. For the reader's
 * own task only, the state is the one it has natively.
 */
#include <errno.h>
#include <string.h>

#include "pfs/filter.h"

/* stat: the state is the field after the last ')' (comm may hold any byte). */
static int running_stat(struct pfs_buf *b)
{
	char *close = b->data ? memrchr(b->data, ')', b->len) : NULL;
	if (!close || (size_t)(close - b->data) + 3 > b->len || close[1] != ' ')
		return -EBADMSG;
	close[2] = 'R';
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
