#include <errno.h>
#include <string.h>

#include "pfs/ppath.h"

pid_t pfs_parse_pid(const char *s, size_t len)
{
	if (len == 0 || len > 9 || s[0] == '0')
		return 0;
	pid_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static size_t comp_len(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash ? (size_t)(slash - s) : strlen(s);
}

static const char *next_comp(const char *s, size_t len)
{
	return s[len] == '/' ? s + len + 1 : s + len;
}

int pfs_ppath_parse(const char *path, struct pfs_ppath *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(path, "/proc", 5) != 0 || (path[5] && path[5] != '/'))
		return -EINVAL;
	const char *p = path[5] ? path + 6 : path + 5;
	out->rest = p;
	out->is_root = !*p;
	size_t len = comp_len(p);
	pid_t pid = pfs_parse_pid(p, len);
	if (!pid)
		return 0;
	out->pid = pid;
	p = next_comp(p, len);
	len = comp_len(p);
	if (len == 4 && !strncmp(p, "task", 4) && p[4] == '/') {
		const char *t = p + 5;
		size_t tlen = comp_len(t);
		pid_t tid = pfs_parse_pid(t, tlen);
		if (tid) {
			out->tid = tid;
			p = next_comp(t, tlen);
		}
	}
	out->rest = p;
	len = comp_len(p);
	if (p[len] == '/' && p[len + 1]) {
		if ((len == 2 && !strncmp(p, "fd", 2)) || (len == 6 && !strncmp(p, "fdinfo", 6)))
			out->fd_entry = true;
		else if (len == 9 && !strncmp(p, "map_files", 9))
			out->map_files_entry = true;
	}
	return 0;
}
