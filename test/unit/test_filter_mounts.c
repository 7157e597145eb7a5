/* Mount-table filters: mountinfo, mounts, mountstats. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pfs/mountinfo.h"
#include "test_filter_util.h"

typedef int (*mfilter)(const struct pfs_policy *, const char *, size_t, struct pfs_buf *,
		       const struct pfs_trace *);

/* Runs f; returns its result, output in *out (caller frees). */
static int run(mfilter f, const struct pfs_policy *p, const char *in, size_t len, char **out,
	       struct tr_rec *rec)
{
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_trace t = rec ? tr_recorder(rec) : (struct pfs_trace){0};
	int r = f(p, in, len, &b, rec ? &t : NULL);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0); /* NUL-terminated even when empty */
	*out = pfs_buf_steal(&b, NULL);
	return r;
}

static void expect(mfilter f, const struct pfs_policy *p, const char *in, const char *want)
{
	char *out;
	cr_assert_eq(run(f, p, in, strlen(in), &out, NULL), 0);
	cr_assert_str_eq(out, want);
	free(out);
}

static void expect_identity_file(mfilter f, const struct pfs_policy *p, const char *path)
{
	size_t len;
	char *in = tp_read_file(path, &len), *out;
	cr_assert_eq(run(f, p, in, len, &out, NULL), 0, "%s", path);
	cr_assert_eq(strlen(out), len, "%s: length differs", path);
	cr_assert_eq(memcmp(in, out, len), 0, "%s: content differs", path);
	free(in);
	free(out);
}

/* A policy with a rule of each kind that matches nothing: the parse path runs. */
static struct pfs_policy *nonmatching_policy(void)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "no-such-fs");
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "x"), PFS_MNT_TARGET, "/no/such");
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_REDACT_OPTIONS, NULL);
	tp_mount_option(r, "no_such_option");
	return p;
}

Test(filter_mounts, identity_empty_and_nonmatching_policy_live_and_fixtures)
{
	static const struct {
		mfilter f;
		const char *path;
	} files[] = {
		{pfs_filter_mountinfo, "/proc/self/mountinfo"},
		{pfs_filter_mounts, "/proc/self/mounts"},
		{pfs_filter_mountstats, "/proc/self/mountstats"},
		{pfs_filter_mountinfo, FILTER_FIXTURES "docker-overlay.mountinfo"},
		{pfs_filter_mountinfo, FILTER_FIXTURES "k8s-pod.mountinfo"},
		{pfs_filter_mounts, FILTER_FIXTURES "docker-overlay.mounts"},
		{pfs_filter_mounts, FILTER_FIXTURES "k8s-pod.mounts"},
		{pfs_filter_mountstats, FILTER_FIXTURES "nfs.mountstats"},
	};
	struct pfs_policy *empty = tp_new(), *nm = nonmatching_policy();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		expect_identity_file(files[i].f, empty, files[i].path);
		expect_identity_file(files[i].f, nm, files[i].path);
		expect_identity_file(files[i].f, NULL, files[i].path);
	}
	tp_free(empty);
	tp_free(nm);
}

static const char *MI = "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			"21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
			"22 20 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k\n"
			"23 22 0:7 / /tmp/a rw - tmpfs tmpfs rw\n"
			"24 23 0:8 / /tmp/a/b rw - ramfs none rw\n"
			"25 24 8:2 /home/u/web\\040app /tmp/a/b/app rw - ext4 /dev/sda2 rw\n"
			"26 21 0:5 /sys /proc/sys ro - proc proc rw\n";

Test(filter_mounts, drop_by_fstype_reparents_chain)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "tmpfs");
	struct tr_rec rec;
	char *out;
	cr_assert_eq(run(pfs_filter_mountinfo, p, MI, strlen(MI), &out, &rec), 0);
	cr_assert_str_eq(out, "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			      "21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
			      "24 20 0:8 / /tmp/a/b rw - ramfs none rw\n"
			      "25 24 8:2 /home/u/web\\040app /tmp/a/b/app rw - ext4 /dev/sda2 rw\n"
			      "26 21 0:5 /sys /proc/sys ro - proc proc rw\n");
	cr_assert_eq(rec.n, 3);
	cr_assert_eq(rec.ev[0].action, PFS_TR_DROPPED);
	cr_assert_str_eq(rec.ev[0].what, "22 20 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k");
	cr_assert_eq(rec.ev[0].line, 1);
	cr_assert_eq(rec.ev[1].action, PFS_TR_DROPPED);
	cr_assert_eq(rec.ev[2].action, PFS_TR_REPARENTED);
	cr_assert_str_eq(rec.ev[2].what, "24 23 0:8 / /tmp/a/b rw - ramfs none rw");
	cr_assert_eq(rec.ev[2].line, 1);
	free(out);
	tp_free(p);
}

Test(filter_mounts, drop_root_level_mount_reparents_to_outside_parent)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_SOURCE, "/dev/sda1");
	expect(pfs_filter_mountinfo, p, MI,
	       "21 1 0:5 / /proc rw,nosuid - proc proc rw\n"
	       "22 1 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k\n"
	       "23 22 0:7 / /tmp/a rw - tmpfs tmpfs rw\n"
	       "24 23 0:8 / /tmp/a/b rw - ramfs none rw\n"
	       "25 24 8:2 /home/u/web\\040app /tmp/a/b/app rw - ext4 /dev/sda2 rw\n"
	       "26 21 0:5 /sys /proc/sys ro - proc proc rw\n");
	tp_free(p);
}

Test(filter_mounts, reparent_when_child_listed_before_parent)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/x*");
	expect(pfs_filter_mountinfo, p,
	       "30 32 0:1 / /x/y/z rw - ramfs r rw\n"
	       "31 1 0:2 / / rw - ext4 /dev/a rw\n"
	       "32 33 0:3 / /x/y rw - ramfs r rw\n"
	       "33 31 0:4 / /x rw - ramfs r rw\n",
	       "31 1 0:2 / / rw - ext4 /dev/a rw\n");
	struct pfs_policy *q = tp_new();
	tp_mount_match(tp_mount(q, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/x/y");
	tp_mount_match(tp_mount(q, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/x");
	expect(pfs_filter_mountinfo, q,
	       "30 32 0:1 / /x/y/z rw - ramfs r rw\n"
	       "31 1 0:2 / / rw - ext4 /dev/a rw\n"
	       "32 33 0:3 / /x/y rw - ramfs r rw\n"
	       "33 31 0:4 / /x rw - ramfs r rw\n",
	       "30 31 0:1 / /x/y/z rw - ramfs r rw\n"
	       "31 1 0:2 / / rw - ext4 /dev/a rw\n");
	tp_free(p);
	tp_free(q);
}

Test(filter_mounts, matches_are_anded_and_use_unescaped_values)
{
	struct pfs_policy *p = tp_new();
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_FSTYPE, "ext4");
	tp_mount_match(r, PFS_MNT_ROOT, "/home/*/web app");
	expect(pfs_filter_mountinfo, p, MI,
	       "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	       "21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
	       "22 20 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k\n"
	       "23 22 0:7 / /tmp/a rw - tmpfs tmpfs rw\n"
	       "24 23 0:8 / /tmp/a/b rw - ramfs none rw\n"
	       "26 21 0:5 /sys /proc/sys ro - proc proc rw\n");
	tp_free(p);
	/* The escaped form does not match: values are unescaped first. */
	p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_ROOT, "*\\\\040*");
	expect(pfs_filter_mountinfo, p, MI, MI);
	tp_free(p);
	/* fstype matches but root does not: kept. */
	p = tp_new();
	r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_FSTYPE, "proc");
	tp_mount_match(r, PFS_MNT_ROOT, "/sys");
	expect(pfs_filter_mountinfo, p, MI,
	       "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	       "21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
	       "22 20 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k\n"
	       "23 22 0:7 / /tmp/a rw - tmpfs tmpfs rw\n"
	       "24 23 0:8 / /tmp/a/b rw - ramfs none rw\n"
	       "25 24 8:2 /home/u/web\\040app /tmp/a/b/app rw - ext4 /dev/sda2 rw\n");
	tp_free(p);
}

Test(filter_mounts, drop_by_option_glob_in_either_field)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_OPTION, "size=*");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_OPTION, "nosuid");
	expect(pfs_filter_mountinfo, p,
	       "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	       "21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
	       "22 20 0:6 / /tmp rw - tmpfs tmpfs rw,size=4k\n",
	       "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n");
	tp_free(p);
}

Test(filter_mounts, rewrite_source_escapes_new_value)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "host disk\\#1"), PFS_MNT_SOURCE,
		       "/dev/sd*");
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "second"), PFS_MNT_SOURCE, "*");
	struct tr_rec rec;
	char *out;
	const char *in = "25 24 8:2 /home/u/web\\040app /app rw - ext4 /dev/sda2 rw\n";
	cr_assert_eq(run(pfs_filter_mountinfo, p, in, strlen(in), &out, &rec), 0);
	cr_assert_str_eq(
		out, "25 24 8:2 /home/u/web\\040app /app rw - ext4 host\\040disk\\134\\0431 rw\n");
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REWRITTEN);
	cr_assert_eq(rec.ev[0].line, 1);
	free(out);
	expect(pfs_filter_mounts, p, "/dev/sda2 /app ext4 rw 0 0\n",
	       "host\\040disk\\134\\0431 /app ext4 rw 0 0\n");
	expect(pfs_filter_mountstats, p, "device /dev/sda2 mounted on /app with fstype ext4\n",
	       "device host\\040disk\\134\\0431 mounted on /app with fstype ext4\n");
	tp_free(p);
}

Test(filter_mounts, redact_options_in_mount_and_super_options)
{
	struct pfs_policy *p = tp_new();
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_REDACT_OPTIONS, NULL);
	tp_mount_match(r, PFS_MNT_FSTYPE, "overlay");
	tp_mount_option(r, "lowerdir");
	tp_mount_option(r, "upperdir");
	tp_mount_option(r, "workdir");
	r = tp_mount(p, PFS_MNT_REDACT_OPTIONS, "a,b=c");
	tp_mount_option(r, "secret");
	struct tr_rec rec;
	char *out;
	const char *in = "612 547 0:54 / / rw,secret=x,relatime master:301 - overlay overlay "
			 "rw,lowerdir=/l1:/l2,upperdir=/u\\040x,workdir=/w,xino=off,lowerdir\n"
			 "613 612 0:57 / /proc rw - proc proc rw,secret=y\n";
	cr_assert_eq(run(pfs_filter_mountinfo, p, in, strlen(in), &out, &rec), 0);
	cr_assert_str_eq(out, "612 547 0:54 / / rw,secret=a\\054b\\075c,relatime master:301 - "
			      "overlay overlay rw,lowerdir=redacted,upperdir=redacted,"
			      "workdir=redacted,xino=off,lowerdir\n"
			      "613 612 0:57 / /proc rw - proc proc rw,secret=a\\054b\\075c\n");
	cr_assert_eq(rec.n, 3);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REDACTED);
	cr_assert_eq(rec.ev[0].line, 1);
	cr_assert_eq(rec.ev[1].action, PFS_TR_REDACTED);
	cr_assert_eq(rec.ev[1].line, 2);
	cr_assert_eq(rec.ev[2].line, 2);
	cr_assert_str_eq(rec.ev[2].what, "613 612 0:57 / /proc rw - proc proc rw,secret=y");
	free(out);
	expect(pfs_filter_mounts, p, "overlay / overlay rw,lowerdir=/l,upperdir=/u 0 0\n",
	       "overlay / overlay rw,lowerdir=redacted,upperdir=redacted 0 0\n");
	tp_free(p);
}

Test(filter_mounts, drop_wins_over_edits)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "x"), PFS_MNT_FSTYPE, "*");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "proc");
	expect(pfs_filter_mountinfo, p,
	       "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n21 20 0:5 / /proc rw - proc proc rw\n",
	       "20 1 8:1 / / rw - ext4 x rw\n");
	tp_free(p);
}

Test(filter_mounts, rule_without_conditions_matches_every_mount)
{
	struct pfs_policy *p = tp_new();
	tp_mount(p, PFS_MNT_REWRITE_SOURCE, "none");
	expect(pfs_filter_mounts, p, "/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n",
	       "none / ext4 rw 0 0\nnone /proc proc rw 0 0\n");
	tp_free(p);
}

Test(filter_mounts, fail_closed_on_garbage)
{
	struct pfs_policy *p = nonmatching_policy();
	static const char *bad[] = {
		"20 1 8:1 / / rw - ext4 /dev/sda1 rw\n21 20 0:5 / /proc\n",
		"20 1 8:1 / / rw - ext4 /dev/sda1 rw\n\n",
		"hello world\n",
		"20 1 8:1 / / rw - ext4 /dev/sda1 rw\n21 20 0:5 / /pr",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out;
		cr_assert_eq(run(pfs_filter_mountinfo, p, bad[i], strlen(bad[i]), &out, NULL),
			     -EBADMSG, "accepted: %s", bad[i]);
		free(out);
	}
	char *out;
	const char *m = "/dev/sda1 / ext4 rw 0\n";
	cr_assert_eq(run(pfs_filter_mounts, p, m, strlen(m), &out, NULL), -EBADMSG);
	free(out);
	m = "\topts: rw\ndevice a mounted on / with fstype ext4\n";
	cr_assert_eq(run(pfs_filter_mountstats, p, m, strlen(m), &out, NULL), -EBADMSG);
	free(out);
	m = "device a mounted at / with fstype ext4\n";
	cr_assert_eq(run(pfs_filter_mountstats, p, m, strlen(m), &out, NULL), -EBADMSG);
	free(out);
	tp_free(p);
}

Test(filter_mounts, cycle_of_dropped_mounts_fails_closed)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "ramfs");
	const char *in = "1 2 0:1 / /a rw - ramfs r rw\n2 1 0:1 / /b rw - ramfs r rw\n"
			 "3 1 0:1 / /c rw - ext4 r rw\n";
	char *out;
	cr_assert_eq(run(pfs_filter_mountinfo, p, in, strlen(in), &out, NULL), -EBADMSG);
	free(out);
	tp_free(p);
}

Test(filter_mounts, missing_final_newline_is_kept)
{
	struct pfs_policy *p = nonmatching_policy();
	expect(pfs_filter_mountinfo, p, "20 1 8:1 / / rw - ext4 /dev/sda1 rw",
	       "20 1 8:1 / / rw - ext4 /dev/sda1 rw");
	expect(pfs_filter_mountinfo, p, "", "");
	tp_free(p);
}

/* The (source, target, fstype) triples of a filtered table, one per line. */
static char *triples(const char *table, bool mountinfo)
{
	struct pfs_buf b = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(table, strlen(table), &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		int r = mountinfo ? pfs_mountinfo_parse_line(line, ll, &e)
				  : pfs_mounts_parse_line(line, ll, &e);
		cr_assert_eq(r, 0);
		pfs_buf_printf(&b, "%.*s %.*s %.*s\n", (int)e.source.len, e.source.s,
			       (int)e.target.len, e.target.s, (int)e.fstype.len, e.fstype.s);
	}
	pfs_buf_append(&b, "", 0);
	return pfs_buf_steal(&b, NULL);
}

static const char *pair_mi; /* the mountinfo given to the paired variants */
static size_t pair_mi_len;

static int mounts_paired(const struct pfs_policy *p, const char *in, size_t len,
			 struct pfs_buf *out, const struct pfs_trace *t)
{
	return pfs_filter_mounts_paired(p, in, len, pair_mi, pair_mi_len, out, t);
}

static int mountstats_paired(const struct pfs_policy *p, const char *in, size_t len,
			     struct pfs_buf *out, const struct pfs_trace *t)
{
	return pfs_filter_mountstats_paired(p, in, len, pair_mi, pair_mi_len, out, t);
}

/* mountstats device lines rendered from a mountinfo table. */
static char *mountstats_of(const char *mi)
{
	struct pfs_buf b = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(mi, strlen(mi), &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		cr_assert_eq(pfs_mountinfo_parse_line(line, ll, &e), 0);
		pfs_buf_printf(&b, "device %.*s mounted on %.*s with fstype %.*s\n\tage:\t1\n",
			       (int)e.source.len, e.source.s, (int)e.target.len, e.target.s,
			       (int)e.fstype.len, e.fstype.s);
	}
	pfs_buf_append(&b, "", 0);
	return pfs_buf_steal(&b, NULL);
}

/* The (source, target, fstype) triples of a filtered mountstats. */
static char *stat_triples(const char *ms)
{
	struct pfs_buf b = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(ms, strlen(ms), &pos, &line, &ll, &nl)) {
		char src[512], tgt[512], fs[64];
		if (line[0] == '\t')
			continue;
		cr_assert_eq(sscanf(line, "device %511s mounted on %511s with fstype %63s", src,
				    tgt, fs),
			     3, "%.*s", (int)ll, line);
		pfs_buf_printf(&b, "%s %s %s\n", src, tgt, fs);
	}
	pfs_buf_append(&b, "", 0);
	return pfs_buf_steal(&b, NULL);
}

static void check_agree_paired(const char *name, struct pfs_policy *p, size_t want_dropped)
{
	char mi_path[256], m_path[256];
	snprintf(mi_path, sizeof(mi_path), FILTER_FIXTURES "%s.mountinfo", name);
	snprintf(m_path, sizeof(m_path), FILTER_FIXTURES "%s.mounts", name);
	size_t mil, ml;
	char *mi = tp_read_file(mi_path, &mil), *m = tp_read_file(m_path, &ml);
	char *ms = mountstats_of(mi), *mi_out, *m_out, *ms_out;
	pair_mi = mi;
	pair_mi_len = mil;
	struct tr_rec r1, r2, r3;
	cr_assert_eq(run(pfs_filter_mountinfo, p, mi, mil, &mi_out, &r1), 0);
	cr_assert_eq(run(mounts_paired, p, m, ml, &m_out, &r2), 0);
	cr_assert_eq(run(mountstats_paired, p, ms, strlen(ms), &ms_out, &r3), 0);
	char *a = triples(mi_out, true), *b = triples(m_out, false), *c = stat_triples(ms_out);
	cr_assert_str_eq(a, b, "%s: mountinfo and mounts disagree", name);
	cr_assert_str_eq(a, c, "%s: mountinfo and mountstats disagree", name);
	size_t d[3] = {0};
	struct tr_rec *recs[3] = {&r1, &r2, &r3};
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < recs[k]->n; i++)
			d[k] += recs[k]->ev[i].action == PFS_TR_DROPPED;
	cr_assert(d[0] == want_dropped && d[1] == want_dropped && d[2] == want_dropped,
		  "%s: dropped %zu %zu %zu", name, d[0], d[1], d[2]);
	pair_mi = NULL;
	free(mi);
	free(m);
	free(ms);
	free(mi_out);
	free(m_out);
	free(ms_out);
	free(a);
	free(b);
	free(c);
}

static void check_agree(const char *name, struct pfs_policy *p, size_t want_dropped)
{
	char mi_path[256], m_path[256];
	snprintf(mi_path, sizeof(mi_path), FILTER_FIXTURES "%s.mountinfo", name);
	snprintf(m_path, sizeof(m_path), FILTER_FIXTURES "%s.mounts", name);
	size_t mil, ml;
	char *mi = tp_read_file(mi_path, &mil), *m = tp_read_file(m_path, &ml), *mi_out, *m_out;
	struct tr_rec r1, r2;
	cr_assert_eq(run(pfs_filter_mountinfo, p, mi, mil, &mi_out, &r1), 0);
	cr_assert_eq(run(pfs_filter_mounts, p, m, ml, &m_out, &r2), 0);
	char *a = triples(mi_out, true), *b = triples(m_out, false);
	cr_assert_str_eq(a, b, "%s: mountinfo and mounts disagree", name);
	size_t d1 = 0, d2 = 0;
	for (size_t i = 0; i < r1.n; i++)
		d1 += r1.ev[i].action == PFS_TR_DROPPED;
	for (size_t i = 0; i < r2.n; i++)
		d2 += r2.ev[i].action == PFS_TR_DROPPED;
	cr_assert_eq(d1, want_dropped, "%s: dropped %zu", name, d1);
	cr_assert_eq(d2, want_dropped);
	/* No parent id of the filtered mountinfo points to a dropped mount. */
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(mi_out, strlen(mi_out), &pos, &line, &ll, &nl)) {
		struct pfs_mount_entry e;
		cr_assert_eq(pfs_mountinfo_parse_line(line, ll, &e), 0);
		char pat[32];
		snprintf(pat, sizeof(pat), "\n%d ", e.parent);
		bool parent_in_out =
			strstr(mi_out, pat) || (strncmp(mi_out, pat + 1, strlen(pat + 1)) == 0);
		bool parent_in_in = strstr(mi, pat) || (strncmp(mi, pat + 1, strlen(pat + 1)) == 0);
		cr_assert(parent_in_out || !parent_in_in, "%s: dangling parent in '%.*s'", name,
			  (int)ll, line);
	}
	free(mi);
	free(m);
	free(mi_out);
	free(m_out);
	free(a);
	free(b);
}

Test(filter_mounts, mounts_and_mountinfo_agree_on_fixtures)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "tmpfs");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_SOURCE, "/dev/nvme*");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_OPTION, "clientaddr=*");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_TARGET, "/proc/bus");
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "hidden"), PFS_MNT_FSTYPE, "overlay");
	check_agree("docker-overlay", p, 12);
	check_agree("k8s-pod", p, 12);
	tp_free(p);
}

Test(filter_mounts, mountstats_drops_device_line_and_continuations)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "nfs4");
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_REWRITE_SOURCE, "fs");
	tp_mount_match(r, PFS_MNT_TARGET, "/");
	tp_mount_match(r, PFS_MNT_FSTYPE, "ext4");
	struct tr_rec rec;
	char *out;
	size_t len;
	char *in = tp_read_file(FILTER_FIXTURES "nfs.mountstats", &len);
	cr_assert_eq(run(pfs_filter_mountstats, p, in, len, &out, &rec), 0);
	cr_assert_str_eq(out, "device overlay mounted on / with fstype overlay\n"
			      "device fs mounted on / with fstype ext4\n"
			      "device proc mounted on /proc with fstype proc\n"
			      "no device mounted on /mnt/x\\040y with fstype tmpfs\n");
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REWRITTEN);
	cr_assert_eq(rec.ev[0].line, 2);
	cr_assert_eq(rec.ev[1].action, PFS_TR_DROPPED);
	cr_assert_eq(rec.ev[1].line, 1);
	cr_assert_str_eq(rec.ev[1].what, "device 10.42.7.19:/exports mounted on /mnt/shared with "
					 "fstype nfs4 statvers=1.1");
	free(in);
	free(out);
	tp_free(p);
}

Test(filter_mounts, mountstats_conditions_on_unknown_fields_fail_closed)
{
	/* mountstats has no options and no root: such a condition counts as matched. */
	struct pfs_policy *p = tp_new();
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_FSTYPE, "proc");
	tp_mount_match(r, PFS_MNT_OPTION, "hidepid=*");
	expect(pfs_filter_mountstats, p,
	       "device proc mounted on /proc with fstype proc\n"
	       "device /dev/a mounted on / with fstype ext4\n",
	       "device /dev/a mounted on / with fstype ext4\n");
	tp_free(p);
	p = tp_new();
	r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_ROOT, "/secret");
	expect(pfs_filter_mounts, p, "/dev/a / ext4 rw 0 0\n", "");
	tp_free(p);
}

Test(filter_mounts, mountstats_no_device_rewrite)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_REWRITE_SOURCE, "x"), PFS_MNT_SOURCE, "none");
	expect(pfs_filter_mountstats, p, "no device mounted on /a with fstype tmpfs\n",
	       "device x mounted on /a with fstype tmpfs\n");
	tp_free(p);
}

Test(filter_mounts, paired_tables_agree_on_root_and_option_conditions)
{
	struct pfs_policy *p = tp_new();
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_ROOT, "/var/lib/kubelet/*");
	r = tp_mount(p, PFS_MNT_DROP, NULL);
	tp_mount_match(r, PFS_MNT_ROOT, "/home/*");
	tp_mount_match(r, PFS_MNT_OPTION, "errors=remount-ro");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_OPTION, "clientaddr=*");
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "mqueue");
	r = tp_mount(p, PFS_MNT_REWRITE_SOURCE, "hidden");
	tp_mount_match(r, PFS_MNT_ROOT, "/var/lib/docker/*");
	check_agree_paired("k8s-pod", p, 5);
	check_agree_paired("docker-overlay", p, 2);
	tp_free(p);
}

Test(filter_mounts, paired_falls_back_fail_closed_when_tables_disagree)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_ROOT, "/secret");
	const char *mi =
		"20 1 8:1 / / rw - ext4 /dev/a rw\n21 20 8:1 /secret /s rw - ext4 /dev/a rw\n";
	const char *m = "/dev/a / ext4 rw 0 0\n/dev/a /s ext4 rw 0 0\n";
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_filter_mounts_paired(p, m, strlen(m), mi, strlen(mi), &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "/dev/a / ext4 rw 0 0\n");
	pfs_buf_reset(&b);
	/* One mount more in mounts (read apart): fail closed, every mount matches root=. */
	const char *m2 = "/dev/a / ext4 rw 0 0\n/dev/a /s ext4 rw 0 0\n/dev/b /t ext4 rw 0 0\n";
	cr_assert_eq(pfs_filter_mounts_paired(p, m2, strlen(m2), mi, strlen(mi), &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "");
	pfs_buf_reset(&b);
	/* Same for a target that differs, and for an unparsable mountinfo. */
	const char *m3 = "/dev/a / ext4 rw 0 0\n/dev/a /other ext4 rw 0 0\n";
	cr_assert_eq(pfs_filter_mounts_paired(p, m3, strlen(m3), mi, strlen(mi), &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "");
	pfs_buf_reset(&b);
	cr_assert_eq(pfs_filter_mounts_paired(p, m, strlen(m), "junk\n", 5, &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "");
	pfs_buf_reset(&b);
	const char *ms = "device /dev/a mounted on / with fstype ext4\n"
			 "no device mounted on /s with fstype ext4\n";
	const char *mi_none =
		"20 1 8:1 / / rw - ext4 /dev/a rw\n21 20 8:1 /secret /s rw - ext4 none rw\n";
	cr_assert_eq(
		pfs_filter_mountstats_paired(p, ms, strlen(ms), mi_none, strlen(mi_none), &b, NULL),
		0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "device /dev/a mounted on / with fstype ext4\n");
	pfs_buf_free(&b);
	tp_free(p);
}

Test(filter_mounts, mountstats_redacts_nfs_opts_line)
{
	struct pfs_policy *p = tp_new();
	struct pfs_mount_rule *r = tp_mount(p, PFS_MNT_REDACT_OPTIONS, NULL);
	tp_mount_match(r, PFS_MNT_FSTYPE, "nfs4");
	tp_mount_option(r, "clientaddr");
	tp_mount_option(r, "addr");
	struct tr_rec rec;
	char *out;
	const char *in = "device proc mounted on /proc with fstype proc\n"
			 "device srv:/e mounted on /m with fstype nfs4 statvers=1.1\n"
			 "\topts:\trw,vers=4.2,addr=10.0.0.1,clientaddr=10.0.0.2,local_lock=none\n"
			 "\tage:\t5\n";
	cr_assert_eq(run(pfs_filter_mountstats, p, in, strlen(in), &out, &rec), 0);
	cr_assert_str_eq(out,
			 "device proc mounted on /proc with fstype proc\n"
			 "device srv:/e mounted on /m with fstype nfs4 statvers=1.1\n"
			 "\topts:\trw,vers=4.2,addr=redacted,clientaddr=redacted,local_lock=none\n"
			 "\tage:\t5\n");
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REDACTED);
	cr_assert_eq(rec.ev[0].line, 1);
	free(out);
	tp_free(p);
}

Test(filter_mounts, dropped_self_parented_root)
{
	/* initramfs without pivot_root: rootfs is its own parent. */
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "rootfs");
	struct tr_rec rec;
	char *out;
	const char *in = "1 1 0:2 / / rw - rootfs rootfs rw\n"
			 "2 1 0:3 / /proc rw - proc proc rw\n"
			 "3 2 0:4 / /proc/x rw - tmpfs t rw\n";
	cr_assert_eq(run(pfs_filter_mountinfo, p, in, strlen(in), &out, &rec), 0);
	cr_assert_str_eq(out, "2 2 0:3 / /proc rw - proc proc rw\n"
			      "3 2 0:4 / /proc/x rw - tmpfs t rw\n");
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[1].action, PFS_TR_REPARENTED);
	free(out);
	tp_free(p);
}

static char *fdinfo_of(const struct pfs_policy *p, const char *in, struct tr_rec *rec)
{
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_trace t = tr_recorder(rec);
	cr_assert_eq(pfs_filter_fdinfo(p, in, strlen(in), MI, strlen(MI), &b, &t), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	return pfs_buf_steal(&b, NULL);
}

Test(filter_mounts, fdinfo_mnt_id_names_the_visible_ancestor)
{
	struct pfs_policy *p = tp_new();
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "tmpfs");
	struct tr_rec rec = {0};
	/* 23 (/tmp/a) and its parent 22 (/tmp) are dropped: the root, 20, stands for them */
	char *out = fdinfo_of(p, "pos:\t0\nflags:\t0100000\nmnt_id:\t23\nino:\t7\n", &rec);
	cr_assert_str_eq(out, "pos:\t0\nflags:\t0100000\nmnt_id:\t20\nino:\t7\n");
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REWRITTEN);
	cr_assert_str_eq(rec.ev[0].what, "mnt_id:\t23");
	free(out);
	/* a surviving mount (24, below the dropped ones) keeps its id */
	rec.n = 0;
	out = fdinfo_of(p, "pos:\t0\nmnt_id:\t24\n", &rec);
	cr_assert_str_eq(out, "pos:\t0\nmnt_id:\t24\n");
	cr_assert_eq(rec.n, 0);
	free(out);
	tp_free(p);
}

Test(filter_mounts, fdinfo_mnt_id_without_visible_ancestor_or_unparsable)
{
	struct pfs_policy *p = tp_new();
	/* the root (20) is dropped: its parent outside the table (1) stands for it,
	 * as its children's parent field says in the filtered mountinfo */
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_SOURCE, "/dev/sda1");
	struct tr_rec rec = {0};
	char *out = fdinfo_of(p, "pos:\t0\nmnt_id:\t20\nino:\t7\n", &rec);
	cr_assert_str_eq(out, "pos:\t0\nmnt_id:\t1\nino:\t7\n");
	free(out);
	/* a dropped namespace root (its own parent): nothing stands for it, the line goes */
	const char *mi = "30 30 0:1 / / rw - tmpfs none rw\n31 30 8:1 / /x rw - ext4 /dev/a rw\n";
	const char *in = "pos:\t0\nmnt_id:\t30\nino:\t7\n";
	tp_mount_match(tp_mount(p, PFS_MNT_DROP, NULL), PFS_MNT_FSTYPE, "tmpfs");
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_filter_fdinfo(p, in, strlen(in), mi, strlen(mi), &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, "pos:\t0\nino:\t7\n");
	pfs_buf_reset(&b);
	/* fail closed: an mnt_id line that is not a number is not served */
	static const char *const bad[] = {"mnt_id:\tx1\n", "mnt_id:\t\n", "mnt_id:\t-3\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(pfs_filter_fdinfo(p, bad[i], strlen(bad[i]), MI, strlen(MI), &b, NULL),
			     -EBADMSG, "%s", bad[i]);
	pfs_buf_free(&b);
	tp_free(p);
}
