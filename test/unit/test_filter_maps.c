/* Memory-map filters: maps, smaps, smaps_rollup, numa_maps, map_files ranges. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pfs/mountinfo.h"
#include "test_filter_util.h"

typedef int (*ffilter)(const struct pfs_policy *, const char *, size_t, struct pfs_buf *,
		       const struct pfs_trace *);

static int run(ffilter f, const struct pfs_policy *p, const char *in, size_t len, char **out,
	       struct tr_rec *rec)
{
	struct pfs_buf b = PFS_BUF_INIT;
	struct pfs_trace t = rec ? tr_recorder(rec) : (struct pfs_trace){0};
	int r = f(p, in, len, &b, rec ? &t : NULL);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	*out = pfs_buf_steal(&b, NULL);
	return r;
}

static void expect(ffilter f, const struct pfs_policy *p, const char *in, const char *want)
{
	char *out;
	cr_assert_eq(run(f, p, in, strlen(in), &out, NULL), 0);
	cr_assert_str_eq(out, want);
	free(out);
}

static struct pfs_policy *nonmatching_policy(void)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/no/such/file", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "/no/such/other*", NULL);
	return p;
}

static void identity(ffilter f, const struct pfs_policy *p, const char *path)
{
	size_t len;
	char *in = tp_read_file(path, &len), *out;
	cr_assert_eq(run(f, p, in, len, &out, NULL), 0, "%s", path);
	cr_assert_eq(strlen(out), len, "%s", path);
	cr_assert_eq(memcmp(in, out, len), 0, "%s", path);
	free(in);
	free(out);
}

Test(filter_maps, identity_on_live_files)
{
	struct pfs_policy *empty = tp_new(), *nm = nonmatching_policy();
	static const struct {
		ffilter f;
		const char *path;
	} files[] = {
		{pfs_filter_maps, "/proc/self/maps"},
		{pfs_filter_smaps, "/proc/self/smaps"},
		{pfs_filter_numa_maps, "/proc/self/numa_maps"},
		{pfs_filter_maps, FILTER_FIXTURES "sample.maps"},
		{pfs_filter_smaps, FILTER_FIXTURES "sample.smaps"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		identity(files[i].f, empty, files[i].path);
		identity(files[i].f, nm, files[i].path);
		identity(files[i].f, NULL, files[i].path);
	}
	size_t rl, sl;
	char *rollup = tp_read_file("/proc/self/smaps_rollup", &rl);
	char *smaps = tp_read_file("/proc/self/smaps", &sl);
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_filter_smaps_rollup(nm, rollup, rl, smaps, sl, &b, NULL), 0);
	cr_assert_eq(b.len, rl);
	cr_assert_eq(memcmp(b.data, rollup, rl), 0);
	pfs_buf_free(&b);
	free(rollup);
	free(smaps);
	tp_free(empty);
	tp_free(nm);
}

/* Kernel layout: the pathname starts at column 73 (64-bit). */
#define L_LIBC                                                                                     \
	"7f0000001000-7f0000002000 r-xp 00001000 fe:00 1234                       "                \
	"/usr/lib/libc.so.6"
#define L_LIBC_RED                                                                                 \
	"7f0000001000-7f0000002000 r-xp 00001000 fe:00 1234                       [redacted]"
#define L_SECRET                                                                                   \
	"7f0000003000-7f0000004000 rw-s 00000000 00:05 99                         /tmp/secret "    \
	"file (deleted)"
#define L_ANON "7f0000005000-7f0000006000 rw-p 00000000 00:00 0 "
#define L_HEAP "55d000000000-55d000021000 rw-p 00000000 00:00 0                          [heap]"
#define L_STACK "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]"
#define L_VSYS "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]"
#define MAPS L_HEAP "\n" L_LIBC "\n" L_SECRET "\n" L_ANON "\n" L_STACK "\n" L_VSYS "\n"

Test(filter_maps, kernel_column_layout_of_fixture_lines)
{
	cr_assert_eq(strstr(L_LIBC, "/usr") - L_LIBC, 73);
	cr_assert_eq(strstr(L_HEAP, "[heap]") - L_HEAP, 73);
	cr_assert_eq(strstr(L_VSYS, "[vsyscall]") - L_VSYS, 73);
}

Test(filter_maps, drop_and_redact_by_pathname)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_REDACT, "/usr/lib/*", NULL);
	tp_maps(p, PFS_MAPS_DROP, "/tmp/secret file", NULL);
	struct tr_rec rec;
	char *out;
	cr_assert_eq(run(pfs_filter_maps, p, MAPS, strlen(MAPS), &out, &rec), 0);
	cr_assert_str_eq(out, L_HEAP "\n" L_LIBC_RED "\n" L_ANON "\n" L_STACK "\n" L_VSYS "\n");
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REDACTED);
	cr_assert_str_eq(rec.ev[0].what, L_LIBC);
	cr_assert_eq(rec.ev[0].line, 1);
	cr_assert_eq(rec.ev[1].action, PFS_TR_DROPPED);
	cr_assert_str_eq(rec.ev[1].what, L_SECRET);
	cr_assert_eq(rec.ev[1].line, 2);
	free(out);
	tp_free(p);
}

Test(filter_maps, drop_wins_over_earlier_redact_and_custom_value)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_REDACT, "/usr/*", "/sandbox/lib");
	tp_maps(p, PFS_MAPS_DROP, "*libc*", NULL);
	expect(pfs_filter_maps, p, L_LIBC "\n", "");
	tp_free(p);
	p = tp_new();
	tp_maps(p, PFS_MAPS_REDACT, "/usr/*", "/sandbox/lib x");
	expect(pfs_filter_maps, p, L_LIBC "\n",
	       "7f0000001000-7f0000002000 r-xp 00001000 fe:00 1234                       "
	       "/sandbox/lib x\n");
	tp_free(p);
}

Test(filter_maps, pseudo_paths_untouched_unless_named)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/*", NULL);
	expect(pfs_filter_maps, p, MAPS, L_HEAP "\n" L_ANON "\n" L_STACK "\n" L_VSYS "\n");
	tp_free(p);
	p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "\\[heap\\]", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "\\[stack\\]", NULL);
	expect(pfs_filter_maps, p, MAPS,
	       L_LIBC "\n" L_SECRET "\n" L_ANON "\n"
		      "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          "
		      "[redacted]\n" L_VSYS "\n");
	tp_free(p);
	/* No rule can match an anonymous mapping, not even "*". */
	p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "*", NULL);
	expect(pfs_filter_maps, p, MAPS, L_ANON "\n");
	tp_free(p);
}

Test(filter_maps, newline_in_pathname_matched_unescaped)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_REDACT, "/tmp/a\nb", "x\ny");
	expect(pfs_filter_maps, p,
	       "7f0000001000-7f0000002000 r--p 00000000 fe:00 12                         "
	       "/tmp/a\\012b\n",
	       "7f0000001000-7f0000002000 r--p 00000000 fe:00 12                         "
	       "x\\012y\n");
	tp_free(p);
}

Test(filter_maps, fail_closed_on_garbage)
{
	struct pfs_policy *p = nonmatching_policy();
	static const char *bad[] = {
		"garbage\n",
		"7f0000001000-7f0000002000 r-xp 00001000 fe:00\n",
		"7f0000001000-7f0000002000 r-xq 00001000 fe:00 1 /x\n",
		"7f0000001000 r-xp 00001000 fe:00 1 /x\n",
		"7f0000001000-7f0000002000 r-xp 00001000 fe:00 1   \n",
		"7F0000001000-7f0000002000 r-xp 00001000 fe:00 1 /x\n",
		L_LIBC "\n\n",
		"7f0000001000-7f0000002000 r-x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out;
		cr_assert_eq(run(pfs_filter_maps, p, bad[i], strlen(bad[i]), &out, NULL), -EBADMSG,
			     "accepted: %s", bad[i]);
		free(out);
	}
	tp_free(p);
}

#define BLOCK_ATTRS(rss, pss, anon)                                                                \
	"Size:                  8 kB\n"                                                            \
	"Rss:                  " rss " kB\n"                                                       \
	"Pss:                  " pss " kB\n"                                                       \
	"Anonymous:            " anon " kB\n"                                                      \
	"VmFlags: rd mr mw me \n"
#define SMAPS                                                                                      \
	L_HEAP "\n" BLOCK_ATTRS(" 8", " 8", " 8") L_LIBC "\n" BLOCK_ATTRS(" 4", " 2", " 0")        \
		L_SECRET "\n" BLOCK_ATTRS("16", "16", " 0") L_STACK                                \
		"\n" BLOCK_ATTRS(" 4", " 4", " 4")

Test(filter_maps, smaps_blocks_follow_header)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/tmp/*", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "*libc*", NULL);
	struct tr_rec rec;
	char *out;
	cr_assert_eq(run(pfs_filter_smaps, p, SMAPS, strlen(SMAPS), &out, &rec), 0);
	cr_assert_str_eq(out, L_HEAP "\n" BLOCK_ATTRS(" 8", " 8", " 8") L_LIBC_RED "\n" BLOCK_ATTRS(
				      " 4", " 2", " 0") L_STACK "\n" BLOCK_ATTRS(" 4", " 4", " 4"));
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REDACTED);
	cr_assert_eq(rec.ev[1].action, PFS_TR_DROPPED);
	cr_assert_str_eq(rec.ev[1].what, L_SECRET);
	free(out);
	/* Fail closed: attributes before any header, or an unknown line. */
	const char *bad[] = {"Rss: 4 kB\n", L_HEAP "\nnot an attribute\n", L_HEAP "\n: 4\n"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(run(pfs_filter_smaps, p, bad[i], strlen(bad[i]), &out, NULL), -EBADMSG,
			     "%s", bad[i]);
		free(out);
	}
	tp_free(p);
}

#define ROLLUP_HDR(a, b) a "-" b " ---p 00000000 00:00 0                          [rollup]\n"
#define ROLLUP                                                                                     \
	ROLLUP_HDR("55d000000000", "7ffc00021000")                                                 \
	"Rss:                  32 kB\n"                                                            \
	"Pss:                  30 kB\n"                                                            \
	"Pss_Anon:             12 kB\n"                                                            \
	"Pss_File:             18 kB\n"                                                            \
	"Pss_Shmem:             0 kB\n"                                                            \
	"Anonymous:            12 kB\n"

Test(filter_maps, smaps_rollup_recomputed_from_visible_blocks)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/tmp/*", NULL);
	struct pfs_buf b = PFS_BUF_INIT;
	struct tr_rec rec;
	struct pfs_trace t = tr_recorder(&rec);
	cr_assert_eq(
		pfs_filter_smaps_rollup(p, ROLLUP, strlen(ROLLUP), SMAPS, strlen(SMAPS), &b, &t),
		0);
	cr_assert_str_eq(
		b.data, ROLLUP_HDR("55d000000000", "7ffc00021000") "Rss:                  16 kB\n"
								   "Pss:                  14 kB\n"
								   "Pss_Anon:             12 kB\n"
								   "Pss_File:              2 kB\n"
								   "Pss_Shmem:             0 kB\n"
								   "Anonymous:            12 kB\n");
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.ev[0].action, PFS_TR_REWRITTEN);
	cr_assert_eq(rec.ev[0].line, 1);
	pfs_buf_free(&b);
	tp_free(p);

	/* Dropping the first and last mappings narrows the header's range. */
	p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "\\[heap\\]", NULL);
	tp_maps(p, PFS_MAPS_DROP, "\\[stack\\]", NULL);
	cr_assert_eq(
		pfs_filter_smaps_rollup(p, ROLLUP, strlen(ROLLUP), SMAPS, strlen(SMAPS), &b, NULL),
		0);
	cr_assert_str_eq(
		b.data, ROLLUP_HDR("7f0000001000", "7f0000004000") "Rss:                  20 kB\n"
								   "Pss:                  18 kB\n"
								   "Pss_Anon:              0 kB\n"
								   "Pss_File:             18 kB\n"
								   "Pss_Shmem:             0 kB\n"
								   "Anonymous:             0 kB\n");
	pfs_buf_free(&b);

	/* A rollup key no smaps block carries cannot be recomputed: fail closed. */
	const char *odd = ROLLUP_HDR("55d000000000", "7ffc00021000") "Mystery:  4 kB\n";
	cr_assert_eq(pfs_filter_smaps_rollup(p, odd, strlen(odd), SMAPS, strlen(SMAPS), &b, NULL),
		     -EBADMSG);
	pfs_buf_free(&b);
	/* Redaction alone does not change the numbers: rollup passes. */
	tp_free(p);
	p = tp_new();
	tp_maps(p, PFS_MAPS_REDACT, "*", NULL);
	cr_assert_eq(
		pfs_filter_smaps_rollup(p, ROLLUP, strlen(ROLLUP), SMAPS, strlen(SMAPS), &b, NULL),
		0);
	cr_assert_str_eq(b.data, ROLLUP);
	pfs_buf_free(&b);
	tp_free(p);
}

Test(filter_maps, live_drop_is_consistent_across_maps_smaps_rollup)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "*/libc*", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "*/ld-linux*", NULL);
	size_t sl, rl;
	char *smaps = tp_read_file("/proc/self/smaps", &sl);
	char *rollup = tp_read_file("/proc/self/smaps_rollup", &rl);
	/* maps as the headers of the same smaps read: live files drift between reads. */
	struct pfs_buf mb = PFS_BUF_INIT;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(smaps, sl, &pos, &line, &ll, &nl))
		if (line[0] >= '0' && line[0] <= 'f' && memchr(line, '-', ll) &&
		    !memchr(line, ':', (size_t)((char *)memchr(line, '-', ll) - line)))
			cr_assert_eq(pfs_buf_append(&mb, line, ll + 1), 0);
	size_t ml;
	char *maps = pfs_buf_steal(&mb, &ml);
	cr_assert(strstr(maps, "libc"), "test needs libc mapped");
	char *mo, *so;
	cr_assert_eq(run(pfs_filter_maps, p, maps, ml, &mo, NULL), 0);
	cr_assert_eq(run(pfs_filter_smaps, p, smaps, sl, &so, NULL), 0);
	cr_assert_null(strstr(mo, "libc"));
	cr_assert_null(strstr(mo, "ld-linux"));
	cr_assert(strstr(mo, "[redacted]"));
	cr_assert_null(strstr(so, "libc"));
	/* Every maps line appears as an smaps header. */
	size_t n = 0;
	pos = 0;
	while (pfs_next_line(mo, strlen(mo), &pos, &line, &ll, &nl)) {
		char hdr[512];
		snprintf(hdr, sizeof(hdr), "%.*s\n", (int)ll, line);
		cr_assert(strstr(so, hdr), "smaps lacks %s", hdr);
		n++;
	}
	cr_assert_gt(n, 3);
	size_t nl_len;
	char *numa = tp_read_file("/proc/self/numa_maps", &nl_len), *no;
	cr_assert(strstr(numa, "libc"));
	cr_assert_eq(run(pfs_filter_numa_maps, p, numa, nl_len, &no, NULL), 0);
	cr_assert_null(strstr(no, "libc"));
	cr_assert_null(strstr(no, "ld-linux"));
	cr_assert(strstr(no, "file=[redacted]"));
	free(numa);
	free(no);
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(pfs_filter_smaps_rollup(p, rollup, rl, smaps, sl, &b, NULL), 0);
	cr_assert(strstr(b.data, "[rollup]\nRss:"));
	cr_assert_neq(strcmp(b.data, rollup), 0);
	pfs_buf_free(&b);
	free(maps);
	free(smaps);
	free(rollup);
	free(mo);
	free(so);
	tp_free(p);
}

Test(filter_maps, numa_maps)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/tmp/secret file", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "/usr/*", "a=b c");
	tp_maps(p, PFS_MAPS_DROP, "\\[heap\\]", NULL);
	struct tr_rec rec;
	char *out;
	const char *in = "55d000000000 default heap anon=8 dirty=8 N0=8 kernelpagesize_kB=4\n"
			 "7f0000001000 default file=/usr/lib/libc.so.6 mapped=1 N0=1 "
			 "kernelpagesize_kB=4\n"
			 "7f0000003000 prefer (many):0 file=/tmp/secret\\040file\\040(deleted) "
			 "dirty=1 N0=1 kernelpagesize_kB=4\n"
			 "7f0000005000 default anon=1 dirty=1 N0=1 kernelpagesize_kB=4\n"
			 "7ffc00000000 default stack anon=4 dirty=4 N0=4 kernelpagesize_kB=4\n";
	cr_assert_eq(run(pfs_filter_numa_maps, p, in, strlen(in), &out, &rec), 0);
	cr_assert_str_eq(out,
			 "7f0000001000 default file=a\\075b\\040c mapped=1 N0=1 "
			 "kernelpagesize_kB=4\n"
			 "7f0000005000 default anon=1 dirty=1 N0=1 kernelpagesize_kB=4\n"
			 "7ffc00000000 default stack anon=4 dirty=4 N0=4 kernelpagesize_kB=4\n");
	cr_assert_eq(rec.n, 3);
	cr_assert_eq(rec.ev[0].action, PFS_TR_DROPPED);
	cr_assert_eq(rec.ev[0].line, 3);
	cr_assert_eq(rec.ev[1].action, PFS_TR_REDACTED);
	cr_assert_eq(rec.ev[1].line, 2);
	cr_assert_eq(rec.ev[2].action, PFS_TR_DROPPED);
	cr_assert_eq(rec.ev[2].line, 1);
	free(out);
	const char *bad = "zz default\n";
	cr_assert_eq(run(pfs_filter_numa_maps, p, bad, strlen(bad), &out, NULL), -EBADMSG);
	free(out);
	tp_free(p);
}

Test(filter_maps, map_files_range_follows_maps)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/tmp/*", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "*libc*", NULL);
	bool hidden;
	cr_assert_eq(
		pfs_maps_range_hidden(p, MAPS, strlen(MAPS), "7f0000003000-7f0000004000", &hidden),
		0);
	cr_assert(hidden);
	cr_assert_eq(
		pfs_maps_range_hidden(p, MAPS, strlen(MAPS), "7f0000001000-7f0000002000", &hidden),
		0);
	cr_assert(hidden, "a redacted mapping's link would name its path");
	cr_assert_eq(
		pfs_maps_range_hidden(p, MAPS, strlen(MAPS), "55d000000000-55d000021000", &hidden),
		0);
	cr_assert_not(hidden);
	/* Unknown or malformed ranges are hidden (fail closed). */
	const char *odd[] = {"1000-2000", "07f0000001000-7f0000002000", "7F0000001000-7f0000002000",
			     "7f0000001000", ""};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(pfs_maps_range_hidden(p, MAPS, strlen(MAPS), odd[i], &hidden), 0);
		cr_assert(hidden, "%s", odd[i]);
	}
	/* Without maps rules nothing is hidden and maps is not even read. */
	struct pfs_policy *empty = tp_new();
	cr_assert_eq(pfs_maps_range_hidden(empty, "garbage", 7, "1-2", &hidden), 0);
	cr_assert_not(hidden);
	tp_free(empty);
	tp_free(p);
}

Test(filter_maps, map_files_names_on_this_machine_match_maps)
{
	/* map_files names are lowercase hex without leading zeros; each is a maps range. */
	struct pfs_policy *p = nonmatching_policy();
	size_t ml;
	char *maps = tp_read_file("/proc/self/maps", &ml);
	FILE *ls = popen("ls /proc/self/map_files", "r");
	cr_assert_not_null(ls);
	char name[128];
	size_t n = 0;
	while (fgets(name, sizeof(name), ls)) {
		name[strcspn(name, "\n")] = '\0';
		bool hidden = true;
		cr_assert_eq(pfs_maps_range_hidden(p, maps, ml, name, &hidden), 0);
		n++;
		/* ls ran in another process: just check the name's format is accepted. */
		cr_assert(name[0] != '0' || name[1] == '-', "%s", name);
	}
	pclose(ls);
	cr_assert_gt(n, 0);
	/* Our own maps: every range, reformatted as map_files names it, is found visible. */
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	while (pfs_next_line(maps, ml, &pos, &line, &ll, &nl)) {
		unsigned long a, b;
		cr_assert_eq(sscanf(line, "%lx-%lx", &a, &b), 2);
		snprintf(name, sizeof(name), "%lx-%lx", a, b);
		bool hidden = true;
		cr_assert_eq(pfs_maps_range_hidden(p, maps, ml, name, &hidden), 0);
		cr_assert_not(hidden, "%s", name);
	}
	free(maps);
	tp_free(p);
}
