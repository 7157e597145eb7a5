/* Parsers of the proc files the monitor samples: stat, status, limits, fd/. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "pfs/cleanup.h"
#include "monitor_parse_i.h"

/* Parses one unsigned decimal; *p advances past it and leading blanks. */
static int next_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return -EINVAL;
	bool neg = false;
	if (*s == '-') { /* some fields (priority, cutime on odd kernels) */
		neg = true;
		s++;
	}
	if (s >= end || !isdigit((unsigned char)*s))
		return -EINVAL;
	uint64_t v = 0;
	while (s < end && isdigit((unsigned char)*s)) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		s++;
	}
	if (s < end && *s != ' ' && *s != '\n')
		return -EINVAL;
	*out = neg ? 0 : v;
	*p = s;
	return 0;
}

int pfs_parse_proc_stat(const char *buf, size_t len, struct pfs_proc_stat *out)
{
	memset(out, 0, sizeof(*out));
	const char *end = buf + len;
	const char *lp = memchr(buf, '(', len);
	/* comm may contain ')' and spaces: the real end is the last ')' */
	const char *rp = NULL;
	for (const char *q = end; q > buf; q--)
		if (q[-1] == ')') {
			rp = q - 1;
			break;
		}
	if (!lp || !rp || rp < lp)
		return -EINVAL;
	uint64_t pid = 0;
	const char *p = buf;
	if (next_u64(&p, lp, &pid) < 0)
		return -EINVAL;
	out->pid = (pid_t)pid;
	size_t cl = (size_t)(rp - lp - 1);
	if (cl >= sizeof(out->comm))
		cl = sizeof(out->comm) - 1;
	memcpy(out->comm, lp + 1, cl);
	out->comm[cl] = '\0';
	p = rp + 1;
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return -EINVAL;
	out->state = *p++;
	/* fields 4.. ; index f is the field number */
	for (int f = 4; f <= 24; f++) {
		uint64_t v;
		if (next_u64(&p, end, &v) < 0)
			return -EINVAL;
		switch (f) {
		case 4:
			out->ppid = (pid_t)v;
			break;
		case 14:
			out->utime = v;
			break;
		case 15:
			out->stime = v;
			break;
		case 16:
			out->cutime = v;
			break;
		case 17:
			out->cstime = v;
			break;
		case 20:
			out->num_threads = v;
			break;
		case 22:
			out->starttime = v;
			break;
		case 23:
			out->vsize = v;
			break;
		case 24:
			out->rss_pages = v;
			break;
		default:
			break;
		}
	}
	return 0;
}

static bool key_is(const char *line, size_t n, const char *key)
{
	size_t k = strlen(key);
	return n > k && !memcmp(line, key, k) && line[k] == ':';
}

/* "VmRSS:\t  1234 kB" -> bytes; "Threads:\t3" -> 3 */
static int line_value(const char *line, size_t n, size_t klen, uint64_t *out)
{
	const char *p = line + klen + 1, *end = line + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	uint64_t v = 0;
	if (p >= end || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (p < end && isdigit((unsigned char)*p)) {
		if (v > UINT64_MAX / 10 - 9)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	while (p < end && *p == ' ')
		p++;
	if (end - p >= 2 && !memcmp(p, "kB", 2)) {
		if (v > UINT64_MAX / 1024)
			return -ERANGE;
		v *= 1024;
	}
	*out = v;
	return 0;
}

int pfs_parse_proc_status(const char *buf, size_t len, struct pfs_proc_status *out)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"VmRSS", offsetof(struct pfs_proc_status, vm_rss)},
		{"VmHWM", offsetof(struct pfs_proc_status, vm_hwm)},
		{"VmSize", offsetof(struct pfs_proc_status, vm_size)},
		{"Threads", offsetof(struct pfs_proc_status, threads)},
		{"voluntary_ctxt_switches", offsetof(struct pfs_proc_status, vol_ctxt)},
		{"nonvoluntary_ctxt_switches", offsetof(struct pfs_proc_status, nonvol_ctxt)},
	};
	memset(out, 0, sizeof(*out));
	const char *p = buf, *end = buf + len;
	bool saw_name = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (key_is(p, n, "Name"))
			saw_name = true;
		else if (key_is(p, n, "State")) {
			const char *s = p + 6;
			while (s < p + n && (*s == ' ' || *s == '\t'))
				s++;
			if (s < p + n)
				out->state = *s;
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
				if (!key_is(p, n, keys[i].key))
					continue;
				uint64_t *slot = (uint64_t *)((char *)out + keys[i].off);
				if (line_value(p, n, strlen(keys[i].key), slot) < 0)
					return -EINVAL;
				break;
			}
		}
		p += n + (nl ? 1 : 0);
	}
	return saw_name && out->state ? 0 : -EINVAL;
}

static const char *const rlimit_rows[PFS_NRLIMITS] = {
	[RLIMIT_CPU] = "Max cpu time",
	[RLIMIT_FSIZE] = "Max file size",
	[RLIMIT_DATA] = "Max data size",
	[RLIMIT_STACK] = "Max stack size",
	[RLIMIT_CORE] = "Max core file size",
	[RLIMIT_RSS] = "Max resident set",
	[RLIMIT_NPROC] = "Max processes",
	[RLIMIT_NOFILE] = "Max open files",
	[RLIMIT_MEMLOCK] = "Max locked memory",
	[RLIMIT_AS] = "Max address space",
	[RLIMIT_LOCKS] = "Max file locks",
	[RLIMIT_SIGPENDING] = "Max pending signals",
	[RLIMIT_MSGQUEUE] = "Max msgqueue size",
	[RLIMIT_NICE] = "Max nice priority",
	[RLIMIT_RTPRIO] = "Max realtime priority",
	[RLIMIT_RTTIME] = "Max realtime timeout",
};

const char *pfs_rlimit_name(int r)
{
	static const char *const names[PFS_NRLIMITS] = {
		[RLIMIT_CPU] = "cpu",		[RLIMIT_FSIZE] = "fsize",
		[RLIMIT_DATA] = "data",		[RLIMIT_STACK] = "stack",
		[RLIMIT_CORE] = "core",		[RLIMIT_RSS] = "rss",
		[RLIMIT_NPROC] = "nproc",	[RLIMIT_NOFILE] = "nofile",
		[RLIMIT_MEMLOCK] = "memlock",	[RLIMIT_AS] = "as",
		[RLIMIT_LOCKS] = "locks",	[RLIMIT_SIGPENDING] = "sigpending",
		[RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",
		[RLIMIT_RTPRIO] = "rtprio",	[RLIMIT_RTTIME] = "rttime",
	};
	return r >= 0 && r < PFS_NRLIMITS && names[r] ? names[r] : "?";
}

static int limit_value(const char **p, const char *end, uint64_t *out)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (end - *p >= 9 && !memcmp(*p, "unlimited", 9)) {
		*p += 9;
		*out = UINT64_MAX;
		return 0;
	}
	return next_u64(p, end, out);
}

int pfs_parse_proc_limits(const char *buf, size_t len, struct pfs_rlim_pair out[PFS_NRLIMITS])
{
	memset(out, 0, sizeof(*out) * PFS_NRLIMITS);
	const char *p = buf, *end = buf + len;
	int rows = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		for (int r = 0; r < PFS_NRLIMITS; r++) {
			size_t k = strlen(rlimit_rows[r]);
			if ((size_t)(le - p) <= k || memcmp(p, rlimit_rows[r], k) != 0 ||
			    p[k] != ' ')
				continue;
			const char *q = p + k;
			if (limit_value(&q, le, &out[r].soft) < 0 ||
			    limit_value(&q, le, &out[r].hard) < 0)
				return -EINVAL;
			out[r].present = true;
			rows++;
			break;
		}
		p = le + (nl ? 1 : 0);
	}
	return rows ? 0 : -EINVAL;
}

size_t pfs_count_dirents(const char *buf, size_t len)
{
	size_t n = 0, off = 0;
	while (off + offsetof(struct dirent64, d_name) < len) {
		const struct dirent64 *d = (const struct dirent64 *)(buf + off);
		if (d->d_reclen == 0)
			break;
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
		off += d->d_reclen;
	}
	return n;
}
