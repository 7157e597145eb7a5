/*
 * /proc/<pid>/fdinfo/<n>: "mnt_id:\t<id>" is the id of the mount the open
 * file is on, field 1 of mountinfo. For a file on a mount that `mount drop`
 * removes, that id would name no line of the filtered mountinfo (and show
 * that a hidden mount exists): it becomes the id of the mount the filtered
 * table shows in its place, the nearest surviving ancestor. docs/leaks.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "filter_paired_i.h"
#include "pfs/filter.h"
#include "pfs/mountinfo.h"

static const char key[] = "mnt_id:\t";

int pfs_filter_fdinfo(const struct pfs_policy *p, const char *in, size_t len, const char *mountinfo,
		      size_t mi_len, struct pfs_buf *out, const struct pfs_trace *t)
{
	if (!p || !p->n_mount_rules)
		return pfs_buf_append(out, in, len);
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	int r = 0;
	while (r == 0 && pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		if (ll < strlen(key) || memcmp(line, key, strlen(key)) != 0) {
			r = pfs_buf_append(out, line, ll + nl);
			continue;
		}
		char num[16];
		size_t nlen = ll - strlen(key);
		if (nlen >= sizeof(num))
			return -EBADMSG;
		memcpy(num, line + strlen(key), nlen);
		num[nlen] = '\0';
		char *end;
		long id = strtol(num, &end, 10);
		if (*end || end == num || id < 0 || id > 0x7fffffff)
			return -EBADMSG;
		int shown;
		const struct pfs_rule_src *rule;
		r = pfs_mountinfo_visible_mount(p, mountinfo, mi_len, (int)id, &shown, &rule);
		if (r < 0)
			return r;
		if (r == 1) { /* no mount of the table stands for it */
			pfs_trace_emit(t, PFS_TR_DROPPED, line, ll, rule);
			r = 0;
			continue;
		}
		if (shown == id) {
			r = pfs_buf_append(out, line, ll + nl);
			continue;
		}
		pfs_trace_emit(t, PFS_TR_REWRITTEN, line, ll, rule);
		r = pfs_buf_printf(out, "%s%d%s", key, shown, nl ? "\n" : "");
	}
	return r;
}

int pfs_fk_fdinfo(const struct pfs_filter_in *in, struct pfs_buf *out);
int pfs_fk_fdinfo(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_fk_with_mountinfo(in, out, pfs_filter_fdinfo);
}
