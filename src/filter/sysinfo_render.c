/*
 * Pure renderers of the sandbox's meminfo, cpuinfo, stat, uptime, loadavg,
 * swaps and diskstats, from its cgroup statistics and the host's file. Each keeps the
 * host file's layout (labels, column widths, lines it does not know) and
 * replaces the figures the sandbox has its own values for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/sysinfo.h"

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The CPUs of the cpuset that are online on the host, before any quota. */
static unsigned cpuset_count(const struct pfs_sysinfo_ctx *c)
{
	unsigned n = c->host_ncpus ? c->host_ncpus : 1;
	if (!c->cg || !c->cg->has_cpuset)
		return n;
	unsigned k = 0;
	for (unsigned i = 0; i < c->host_ncpus; i++)
		k += pfs_cg_cpu_allowed(c->cg, i);
	return k ? k : n;
}

unsigned pfs_sysinfo_ncpus(const struct pfs_sysinfo_ctx *c)
{
	unsigned n = cpuset_count(c);
	const struct pfs_cg_stats *s = c->cg;
	if (s && s->quota_us > 0 && s->period_us) {
		uint64_t q = ((uint64_t)s->quota_us + s->period_us - 1) / s->period_us;
		if (q < n)
			n = (unsigned)q;
	}
	return n;
}

int pfs_sysinfo_nth_cpu(const struct pfs_sysinfo_ctx *c, unsigned i)
{
	for (unsigned h = 0, k = 0; h < c->host_ncpus && h < PFS_CG_MAX_CPUS; h++)
		if (!c->cg || pfs_cg_cpu_allowed(c->cg, h)) {
			if (k == i)
				return (int)h;
			k++;
		}
	return -1;
}

/* d as an integer, clamped to [0, UINT64_MAX] (a double past it is UB to convert). */
static uint64_t to_u64(double d)
{
	if (!(d > 0))
		return 0;
	return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

/* The decimal number at p (after blanks), reading nothing at or past end. */
static uint64_t num_in(const char *p, const char *end, const char **after)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	uint64_t v = 0;
	const char *d = p;
	for (; d < end && *d >= '0' && *d <= '9'; d++)
		v = v * 10 + (uint64_t)(*d - '0');
	if (after)
		*after = d;
	return v;
}

/* One line of a "Key:   value" file; len excludes the newline. */
struct kv_line {
	const char *s;
	size_t len;
	size_t key_len; /* up to and excluding ':' */
};

static bool next_line(const char **p, const char *end, struct kv_line *l)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	l->s = *p;
	l->len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	const char *colon = memchr(l->s, ':', l->len);
	l->key_len = colon ? (size_t)(colon - l->s) : l->len;
	*p = nl ? nl + 1 : end;
	return true;
}

/* An unchanged line, copied with its newline. */
static int put_line(struct pfs_buf *out, const struct kv_line *l)
{
	int r = pfs_buf_append(out, l->s, l->len);
	return r < 0 ? r : pfs_buf_append(out, "\n", 1);
}

static bool key_is(const struct kv_line *l, const char *key)
{
	return l->key_len == strlen(key) && !memcmp(l->s, key, l->key_len);
}

/* The first number after the colon of key in a meminfo-like text, or 0. */
static uint64_t field(const char *in, size_t len, const char *key)
{
	const char *p = in, *end = in + len;
	struct kv_line l;
	while (next_line(&p, end, &l))
		if (key_is(&l, key) && l.key_len < l.len)
			return num_in(l.s + l.key_len + 1, l.s + l.len, NULL);
	return 0;
}

/* The sandbox's swap: its limit within the host's swap, and what it uses. */
static void swap_figures(const struct pfs_cg_stats *s, uint64_t host_swap_kb, uint64_t *total_kb,
			 uint64_t *used_kb)
{
	uint64_t total = host_swap_kb;
	if (s->has_swap && s->swap_limit != PFS_CG_UNLIMITED)
		total = min_u64(total, s->swap_limit / 1024);
	*total_kb = total;
	*used_kb = min_u64(s->swap_usage / 1024, total);
}

struct mem_figures {
	uint64_t total, free, avail, cached, shmem, swap_total, swap_free, used;
};

static void mem_figures(const struct pfs_cg_stats *s, const char *in, size_t len,
			struct mem_figures *m)
{
	uint64_t host_total = field(in, len, "MemTotal");
	m->total = s->mem_limit == PFS_CG_UNLIMITED ? host_total
						    : min_u64(s->mem_limit / 1024, host_total);
	m->used = min_u64(s->mem_usage / 1024, m->total);
	m->free = m->total - m->used;
	/* page cache is part of usage; shmem is not reclaimable, and the
	 * reclaimable part of it all can never exceed what is in use */
	m->cached = min_u64(s->file / 1024, m->used);
	m->shmem = min_u64(s->shmem / 1024, m->cached);
	uint64_t reclaim = (s->active_file + s->inactive_file + s->slab_reclaimable) / 1024;
	m->avail = m->free + min_u64(reclaim, m->used);
	uint64_t used_kb = 0;
	swap_figures(s, field(in, len, "SwapTotal"), &m->swap_total, &used_kb);
	m->swap_free = m->swap_total - used_kb;
}

/* Rewrites the number of a meminfo line, keeping its label and column. */
static int put_num(struct pfs_buf *out, const struct kv_line *l, uint64_t v)
{
	if (l->key_len >= l->len)
		return put_line(out, l); /* no colon: no figure to replace */
	const char *p = l->s + l->key_len + 1, *end = l->s + l->len;
	const char *num = p;
	while (num < end && *num == ' ')
		num++;
	const char *after = num;
	while (after < end && *after >= '0' && *after <= '9')
		after++;
	char digits[24];
	size_t nd = 0;
	do {
		digits[sizeof(digits) - 1 - nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t width = (size_t)(after - p), head = l->key_len + 1, tail = (size_t)(end - after);
	if (width < nd + 1)
		width = nd + 1;
	char line[256];
	if (head + width + tail + 1 > sizeof(line))
		return -EBADMSG;
	memcpy(line, l->s, head);
	memset(line + head, ' ', width - nd);
	memcpy(line + head + width - nd, digits + sizeof(digits) - nd, nd);
	memcpy(line + head + width, after, tail);
	line[head + width + tail] = '\n';
	return pfs_buf_append(out, line, head + width + tail + 1);
}

int pfs_sysinfo_meminfo(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			struct pfs_buf *out)
{
	const struct pfs_cg_stats *s = c->cg;
	if (!s || !s->has_memory)
		return pfs_buf_append(out, in, len);
	struct mem_figures m;
	mem_figures(s, in, len, &m);
	uint64_t host_total = field(in, len, "MemTotal");
#define K(k, v)                                                                                    \
	{                                                                                          \
		k, sizeof(k) - 1, v                                                                \
	}
	const struct {
		const char *key;
		size_t len;
		uint64_t v;
	} set[] = {
		K("MemTotal", m.total),
		K("MemFree", m.free),
		K("MemAvailable", m.avail),
		K("Buffers", 0),
		K("Cached", m.cached),
		K("SwapCached", 0),
		K("Active", min_u64((s->active_anon + s->active_file) / 1024, m.used)),
		K("Inactive", min_u64((s->inactive_anon + s->inactive_file) / 1024, m.used)),
		K("Active(anon)", min_u64(s->active_anon / 1024, m.used)),
		K("Inactive(anon)", min_u64(s->inactive_anon / 1024, m.used)),
		K("Active(file)", min_u64(s->active_file / 1024, m.used)),
		K("Inactive(file)", min_u64(s->inactive_file / 1024, m.used)),
		K("Unevictable", min_u64(s->unevictable / 1024, m.used)),
		K("Mlocked", 0),
		K("SwapTotal", m.swap_total),
		K("SwapFree", m.swap_free),
		K("Dirty", min_u64(s->file_dirty / 1024, m.cached)),
		K("Writeback", min_u64(s->file_writeback / 1024, m.cached)),
		K("AnonPages", min_u64(s->anon / 1024, m.used)),
		K("Mapped", min_u64(s->file_mapped / 1024, m.cached)),
		K("Shmem", m.shmem),
		K("KReclaimable", s->slab_reclaimable / 1024),
		K("Slab", (s->slab_reclaimable + s->slab_unreclaimable) / 1024),
		K("SReclaimable", s->slab_reclaimable / 1024),
		K("SUnreclaim", s->slab_unreclaimable / 1024),
		K("KernelStack", s->kernel_stack / 1024),
		K("PageTables", s->pagetables / 1024),
		K("CommitLimit", m.total / 2 + m.swap_total),
		K("Committed_AS", min_u64((s->anon + s->shmem) / 1024, m.total + m.swap_total)),
	};
#undef K
	const char *p = in, *end = in + len;
	struct kv_line l;
	while (next_line(&p, end, &l)) {
		int r = 0;
		bool done = false;
		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]) && !done; i++)
			if (l.key_len == set[i].len && l.s[0] == set[i].key[0] &&
			    !memcmp(l.s, set[i].key, l.key_len)) {
				r = put_num(out, &l, set[i].v);
				done = true;
			}
		if (!done && l.key_len < l.len && !strncmp(l.s, "DirectMap", 9)) {
			/* the direct map covers the host's RAM: scale it to the sandbox's */
			uint64_t v = num_in(l.s + l.key_len + 1, l.s + l.len, NULL);
			double scaled =
				host_total ? (double)v * (double)m.total / (double)host_total : 0;
			r = put_num(out, &l, min_u64(to_u64(scaled), m.total));
			done = true;
		}
		if (!done && l.key_len < l.len && l.len >= 3 &&
		    !memcmp(l.s + l.len - 3, " kB", 3)) {
			/* whatever else is a size stays within the sandbox's */
			uint64_t v = num_in(l.s + l.key_len + 1, l.s + l.len, NULL);
			if (v > m.total && strncmp(l.s, "Vmalloc", 7) != 0) {
				r = put_num(out, &l, m.total);
				done = true;
			}
		}
		if (!done)
			r = put_line(out, &l);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "processor\t: 3" -> 3; -1 when the line does not start a CPU's block. */
static long processor_no(const struct kv_line *l)
{
	if (l->key_len < 9 || memcmp(l->s, "processor", 9) != 0 || l->key_len == l->len)
		return -1;
	for (size_t i = 9; i < l->key_len; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return -1;
	char *e = NULL;
	long n = strtol(l->s + l->key_len + 1, &e, 10);
	return e == l->s + l->key_len + 1 ? -1 : n;
}

/* Replaces the value of "key\t: v" by n, keeping the label. */
static int put_value(struct pfs_buf *out, const struct kv_line *l, unsigned n)
{
	return pfs_buf_printf(out, "%.*s: %u\n", (int)l->key_len, l->s, n);
}

int pfs_sysinfo_cpuinfo(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			struct pfs_buf *out)
{
	if (!c->cg)
		return pfs_buf_append(out, in, len);
	unsigned n = pfs_sysinfo_ncpus(c), kept = 0;
	enum { OUTSIDE, KEEP, SKIP } state = OUTSIDE;
	const char *p = in, *end = in + len;
	struct kv_line l;
	while (next_line(&p, end, &l)) {
		int r = 0;
		long cpu = processor_no(&l);
		if (cpu >= 0) {
			state = pfs_cg_cpu_allowed(c->cg, (unsigned)cpu) && kept < n ? KEEP : SKIP;
			if (state == KEEP)
				r = put_value(out, &l, kept++);
		} else if (state == SKIP) {
			if (!l.len)
				state = OUTSIDE;
		} else if (state == KEEP &&
			   (key_is(&l, "siblings\t") || key_is(&l, "cpu cores\t"))) {
			r = put_value(out, &l, n);
		} else {
			if (!l.len)
				state = OUTSIDE;
			r = put_line(out, &l);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

struct cpu_ticks {
	uint64_t user, system, idle;
};

/* The sandbox's i-th CPU: its share of the cgroup's usage, idle the rest of its age. */
static struct cpu_ticks cpu_ticks(const struct pfs_sysinfo_ctx *c, unsigned i, unsigned n,
				  bool percpu)
{
	const struct pfs_cg_stats *s = c->cg;
	uint64_t ns = s->cpu_usage_ns / n;
	int h = pfs_sysinfo_nth_cpu(c, i);
	if (percpu && h >= 0)
		ns = s->percpu_ns[h];
	uint64_t us = s->cpu_user_ns + s->cpu_system_ns;
	double user_share = us ? (double)s->cpu_user_ns / (double)us : 1.0;
	double ticks = (double)ns * (double)c->clk_tck / 1e9;
	struct cpu_ticks t;
	t.user = to_u64(ticks * user_share);
	t.system = (uint64_t)ticks - t.user;
	double alive = c->sandbox_age * (double)c->clk_tck;
	t.idle = alive > ticks ? to_u64(alive - ticks) : 0;
	return t;
}

static int put_cpu(struct pfs_buf *out, const char *name, const struct cpu_ticks *t)
{
	return pfs_buf_printf(out, "%s %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", name,
			      t->user, t->system, t->idle);
}

int pfs_sysinfo_stat(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
		     struct pfs_buf *out)
{
	const struct pfs_cg_stats *s = c->cg;
	if (!s || !s->has_cpuacct)
		return pfs_buf_append(out, in, len);
	unsigned n = pfs_sysinfo_ncpus(c);
	/* per-CPU figures only when every allowed CPU is shown */
	bool percpu = s->has_percpu && n == cpuset_count(c);
	struct cpu_ticks total = {0};
	for (unsigned i = 0; i < n; i++) {
		struct cpu_ticks t = cpu_ticks(c, i, n, percpu);
		total.user += t.user;
		total.system += t.system;
		total.idle += t.idle;
	}
	int r = put_cpu(out, "cpu ", &total);
	for (unsigned i = 0; i < n && r >= 0; i++) {
		struct cpu_ticks t = cpu_ticks(c, i, n, percpu);
		char name[16];
		snprintf(name, sizeof(name), "cpu%u", i);
		r = put_cpu(out, name, &t);
	}
	const char *p = in, *end = in + len;
	struct kv_line l;
	while (r >= 0 && next_line(&p, end, &l)) {
		if (l.len >= 3 && !memcmp(l.s, "cpu", 3))
			continue;
		if (l.len > 6 && !memcmp(l.s, "btime ", 6)) {
			uint64_t host_btime = num_in(l.s + 6, l.s + l.len, NULL);
			double later = c->host_uptime - c->sandbox_age;
			uint64_t b = host_btime + to_u64(later + 0.5);
			r = pfs_buf_printf(out, "btime %" PRIu64 "\n", b);
		} else if (l.len > 10 && !memcmp(l.s, "processes ", 10)) {
			r = pfs_buf_printf(out, "processes %" PRIu64 "\n", c->forks);
		} else if (l.len > 14 && !memcmp(l.s, "procs_running ", 14)) {
			r = pfs_buf_printf(out, "procs_running %u\n",
					   c->nr_running ? c->nr_running : 1);
		} else if (l.len > 14 && !memcmp(l.s, "procs_blocked ", 14)) {
			r = pfs_buf_printf(out, "procs_blocked %u\n", c->nr_blocked);
		} else {
			r = put_line(out, &l);
		}
	}
	return r < 0 ? r : 0;
}

int pfs_sysinfo_uptime(const struct pfs_sysinfo_ctx *c, struct pfs_buf *out)
{
	double age = c->sandbox_age > 0 ? c->sandbox_age : 0;
	unsigned n = pfs_sysinfo_ncpus(c);
	/* idle is summed over CPUs, as the kernel's is: what the sandbox's CPUs
	 * did not spend running it */
	double idle = age * n;
	if (c->cg && c->cg->has_cpuacct)
		idle -= (double)c->cg->cpu_usage_ns / 1e9;
	else
		idle = c->host_idle < idle ? c->host_idle : idle;
	if (idle < 0)
		idle = 0;
	return pfs_buf_printf(out, "%.2f %.2f\n", age, idle);
}

int pfs_sysinfo_loadavg(const struct pfs_sysinfo_ctx *c, struct pfs_buf *out)
{
	unsigned running = c->nr_running ? c->nr_running : 1;
	unsigned threads = c->nr_threads > running ? c->nr_threads : running;
	return pfs_buf_printf(out, "%.2f %.2f %.2f %u/%u %ld\n", c->load[0], c->load[1], c->load[2],
			      running, threads, c->last_pid);
}

int pfs_sysinfo_swaps(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
		      struct pfs_buf *out)
{
	const struct pfs_cg_stats *s = c->cg;
	if (!s || !s->has_memory)
		return pfs_buf_append(out, in, len);
	const char *p = in, *end = in + len;
	struct kv_line l;
	if (!next_line(&p, end, &l))
		return 0;
	int r = put_line(out, &l);
	uint64_t host_kb = 0;
	while (next_line(&p, end, &l)) {
		/* Filename Type Size Used Priority: the third word */
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)l.len, l.s);
		char *save = NULL, *w = strtok_r(line, " \t", &save);
		for (int i = 0; i < 2 && w; i++)
			w = strtok_r(NULL, " \t", &save);
		if (w)
			host_kb += strtoull(w, NULL, 10);
	}
	uint64_t total = 0, used = 0;
	swap_figures(s, host_kb, &total, &used);
	if (r < 0 || !total)
		return r;
	return pfs_buf_printf(out, "none%-36s\tvirtual\t\t%" PRIu64 "\t\t%" PRIu64 "\t\t0\n", "",
			      total, used);
}

static const struct pfs_cg_io *io_of(const struct pfs_cg_stats *s, unsigned maj, unsigned min)
{
	for (unsigned i = 0; i < s->n_io; i++)
		if (s->io[i].major == maj && s->io[i].minor == min)
			return &s->io[i];
	return NULL;
}

/* A major or minor number of a diskstats line at *q (after blanks): false if none. */
static bool device_number(const char **q, const char *end, uint64_t *v)
{
	const char *after = NULL;
	*v = num_in(*q, end, &after);
	const char *digits = *q;
	while (digits < after && (*digits == ' ' || *digits == '\t'))
		digits++;
	*q = after;
	return after > digits && after - digits <= 10 && *v <= UINT32_MAX;
}

int pfs_sysinfo_diskstats(const struct pfs_sysinfo_ctx *c, const char *in, size_t len,
			  struct pfs_buf *out)
{
	const struct pfs_cg_stats *s = c->cg;
	if (!s || !s->has_io)
		return pfs_buf_append(out, in, len);
	const char *p = in, *end = in + len;
	struct kv_line l;
	while (next_line(&p, end, &l)) {
		const char *q = l.s, *le = l.s + l.len;
		uint64_t maj = 0, min = 0;
		if (!device_number(&q, le, &maj) || !device_number(&q, le, &min))
			return -EBADMSG;
		while (q < le && *q == ' ')
			q++;
		const char *name = q;
		while (q < le && *q != ' ')
			q++;
		size_t name_len = (size_t)(q - name);
		if (!name_len || name_len > 63)
			return -EBADMSG;
		/* as many figures as the host's kernel prints (14, 18 or 20 columns) */
		unsigned n = 0;
		while (q < le) {
			while (q < le && *q == ' ')
				q++;
			if (q == le)
				break;
			n++;
			while (q < le && *q != ' ')
				q++;
		}
		const struct pfs_cg_io *d = io_of(s, (unsigned)maj, (unsigned)min);
		struct pfs_cg_io z = {0};
		if (!d)
			d = &z;
		/* reads, merged, sectors, ms; writes ...; in flight, ms, weighted ms;
		 * discards ...; flushes, ms */
		uint64_t v[17] = {
			d->rios, 0, d->rbytes / 512, 0, d->wios,	0, d->wbytes / 512, 0, 0,
			0,	 0, d->dios,	     0, d->dbytes / 512};
		/* printf's "%4lu %7lu %s" and " %lu" per figure, without printf: a line a disk */
		int r = pfs_buf_append_u64(out, maj, 4);
		if (r == 0)
			r = pfs_buf_append(out, " ", 1);
		if (r == 0)
			r = pfs_buf_append_u64(out, min, 7);
		if (r == 0)
			r = pfs_buf_append(out, " ", 1);
		if (r == 0)
			r = pfs_buf_append(out, name, name_len);
		for (unsigned i = 0; r == 0 && i < n; i++) {
			r = pfs_buf_append(out, " ", 1);
			if (r == 0)
				r = pfs_buf_append_u64(out, i < 17 ? v[i] : 0, 0);
		}
		if (r < 0 || (r = pfs_buf_append(out, "\n", 1)) < 0)
			return r;
	}
	return 0;
}

int pfs_sysinfo_pid_stat(uint64_t base_ticks, const char *in, size_t len, struct pfs_buf *out)
{
	/* field 22 (starttime) counts from the sandbox's boot: after comm's ')' */
	const char *rp = NULL;
	for (const char *q = in; (q = memchr(q, ')', len - (size_t)(q - in))); q++)
		rp = q;
	if (!rp)
		return -EBADMSG;
	const char *p = rp + 1, *end = in + len;
	for (int f = 3; f < 22 && p < end; f++) {
		p = memchr(p + 1, ' ', (size_t)(end - p - 1));
		if (!p)
			return -EBADMSG;
	}
	p++;
	const char *num_end = NULL;
	uint64_t start = num_in(p, end, &num_end);
	if (p >= end || num_end == p)
		return -EBADMSG;
	uint64_t shifted = start > base_ticks ? start - base_ticks : 0;
	int r = pfs_buf_append(out, in, (size_t)(p - in));
	if (r == 0)
		r = pfs_buf_printf(out, "%" PRIu64, shifted);
	if (r == 0)
		r = pfs_buf_append(out, num_end, (size_t)(end - num_end));
	return r;
}

static uint64_t isqrt(uint64_t v)
{
	if (v < 2)
		return v;
	/* Newton's steps (x + v/x) / 2 without overflow, from v/2 + 1 >= the root */
	uint64_t x = v / 2 + 1;
	for (;;) {
		uint64_t q = v / x;
		uint64_t y = x / 2 + q / 2 + (x & q & 1);
		if (y >= x)
			return x;
		x = y;
	}
}

int pfs_sysinfo_sysctl(const char *rest, const char *in, size_t len, uint64_t sandbox_kb,
		       uint64_t host_kb, uint64_t pids_max, struct pfs_buf *out)
{
	bool by_sqrt = !strcmp(rest, "sys/vm/min_free_kbytes");
	bool threads = !strcmp(rest, "sys/kernel/threads-max");
	if (!host_kb || sandbox_kb >= host_kb)
		return pfs_buf_append(out, in, len);
	/* a line of a few numbers: parsed NUL-terminated, within len */
	char text[256];
	if (len >= sizeof(text))
		return -EBADMSG;
	memcpy(text, in, len);
	text[len] = '\0';
	const char *p = text, *end = text + len;
	while (p < end) {
		size_t sep = strspn(p, " \t\n");
		if (sep) {
			int r = pfs_buf_append(out, p,
					       sep < (size_t)(end - p) ? sep : (size_t)(end - p));
			if (r < 0)
				return r;
			p += sep;
			continue;
		}
		char *num_end = NULL;
		uint64_t v = strtoull(p, &num_end, 10);
		if (num_end == p || num_end > end)
			return -EBADMSG;
		/* these are sized from RAM by the kernel: size them from the sandbox's */
		uint64_t scaled = to_u64((double)v * (double)sandbox_kb / (double)host_kb);
		if (by_sqrt)
			scaled = isqrt(to_u64((double)v * (double)v * (double)sandbox_kb /
					      (double)host_kb));
		if (threads && pids_max != PFS_CG_UNLIMITED && pids_max < scaled)
			scaled = pids_max;
		int r = pfs_buf_printf(out, "%" PRIu64, scaled ? scaled : 1);
		if (r < 0)
			return r;
		p = num_end;
	}
	return 0;
}
