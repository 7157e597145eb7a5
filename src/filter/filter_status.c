/*
 * /proc/<pid>/status ids. The daemon reads status in its own user namespace;
 * a reader inside the sandbox must see ids of the mount's user namespace
 * (Uid, Gid: real, effective, saved, fs; Groups), as the kernel would show it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/filter.h"

static int map_line(const struct pfs_idmap *m, const char *p, const char *end, struct pfs_buf *out)
{
	while (p < end) {
		const char *sep = p;
		while (sep < end && (*sep == '\t' || *sep == ' '))
			sep++;
		int r = pfs_buf_append(out, p, (size_t)(sep - p));
		if (r < 0)
			return r;
		if (sep == end)
			break;
		char *num_end = NULL;
		unsigned long id = strtoul(sep, &num_end, 10);
		if (num_end == sep || num_end > end)
			return -EBADMSG;
		r = pfs_buf_printf(out, "%u", pfs_idmap_in(m, (uint32_t)id));
		if (r < 0)
			return r;
		p = num_end;
	}
	return 0;
}

int pfs_filter_status_ids(const struct pfs_idmap *uidmap, const struct pfs_idmap *gidmap,
			  const char *in, size_t len, struct pfs_buf *out)
{
	if (!uidmap->n && !gidmap->n)
		return pfs_buf_append(out, in, len);
	const char *p = in, *end = in + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const struct pfs_idmap *m = NULL;
		size_t key = 0;
		if (!strncmp(p, "Uid:", 4))
			m = uidmap, key = 4;
		else if (!strncmp(p, "Gid:", 4))
			m = gidmap, key = 4;
		else if (!strncmp(p, "Groups:", 7))
			m = gidmap, key = 7;
		int r;
		if (m && (size_t)(eol - p) >= key) {
			r = pfs_buf_append(out, p, key);
			if (r == 0)
				r = map_line(m, p + key, eol, out);
		} else {
			r = pfs_buf_append(out, p, (size_t)(eol - p));
		}
		if (r == 0 && nl)
			r = pfs_buf_append(out, "\n", 1);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int pfs_fk_status(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_status_ids(in->uidmap, in->gidmap, in->data, in->len, out);
}
