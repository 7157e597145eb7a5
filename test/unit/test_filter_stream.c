/*
 * Streamed filters: maps, smaps and numa_maps filtered a piece at a time, as
 * the daemon reads the backing (pfs_read_lines_at), must give what the
 * whole-text filter gives, wherever the pieces are cut: every record split at
 * every offset by a chunk boundary.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "test_filter_util.h"

struct feed {
	pfs_filter_piece_fn *fn;
	struct pfs_filter_piece f;
	struct pfs_buf out;
	bool ended; /* a piece ended inside a line: it must be the last */
};

static int feed_piece(void *opaque, const char *lines, size_t len)
{
	struct feed *x = opaque;
	cr_assert(!x->ended, "a piece after one that did not end at a line end");
	cr_assert_gt(len, 0);
	if (lines[len - 1] != '\n')
		x->ended = true; /* only the last may lack its '\n' */
	return x->fn(&x->f, lines, len, &x->out);
}

struct filter_case {
	const char *name;
	pfs_filter_piece_fn *fn;
};

static const struct filter_case cases[] = {
	{"maps", pfs_filter_maps_piece},
	{"smaps", pfs_filter_smaps_piece},
	{"numa_maps", pfs_filter_numa_maps_piece},
};

/* The whole-text filter: one piece. */
static int whole(pfs_filter_piece_fn *fn, const struct pfs_policy *p, const char *in, size_t len,
		 struct pfs_buf *out)
{
	struct pfs_filter_piece f = {p, NULL, 0};
	return fn(&f, in, len, out);
}

/* in pushed in pieces of size bytes through pfs_lines: r and output as whole. */
static void pushed_as_whole(pfs_filter_piece_fn *fn, const struct pfs_policy *p, const char *in,
			    size_t len, size_t size, int want_r, const struct pfs_buf *want)
{
	struct feed x = {fn, {p, NULL, 0}, PFS_BUF_INIT, false};
	int r = pfs_lines_feed(in, len, size, feed_piece, &x);
	cr_assert_eq(r, want_r, "pieces of %zu: r %d, whole %d", size, r, want_r);
	if (r == 0) {
		cr_assert_eq(x.out.len, want->len, "pieces of %zu", size);
		cr_assert_eq(memcmp(x.out.data, want->data, want->len), 0, "pieces of %zu", size);
	}
	pfs_buf_free(&x.out);
}

/* Every piece size from 1 to max (and the whole length) gives the whole filter's output. */
static void every_size(const struct filter_case *c, const struct pfs_policy *p, const char *in,
		       size_t len, size_t max)
{
	struct pfs_buf want = PFS_BUF_INIT;
	int want_r = whole(c->fn, p, in, len, &want);
	for (size_t size = 1; size <= max && size <= len; size++)
		pushed_as_whole(c->fn, p, in, len, size, want_r, &want);
	pushed_as_whole(c->fn, p, in, len, len ? len : 1, want_r, &want);
	pfs_buf_free(&want);
}

static struct pfs_policy *maps_policy(void)
{
	struct pfs_policy *p = tp_new();
	tp_maps(p, PFS_MAPS_DROP, "/usr/lib/locale/*", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "*libc*", "a b\nc");
	tp_maps(p, PFS_MAPS_DROP, "[vdso]", NULL);
	tp_maps(p, PFS_MAPS_REDACT, "[stack]", NULL);
	tp_maps(p, PFS_MAPS_DROP, "[heap]", NULL);
	return p;
}

#define NUMA                                                                                       \
	"55d4c8e00000 default file=/usr/bin/cat mapped=2 N0=2 kernelpagesize_kB=4\n"               \
	"55d4c9a3e000 default heap anon=3 dirty=3 N0=3 kernelpagesize_kB=4\n"                      \
	"7f31f0000000 prefer (many) file=/usr/lib/locale/C.utf8/LC_CTYPE mapped=1 N0=1\n"          \
	"7f31f0200000 default file=/usr/lib/x86_64-linux-gnu/libc.so.6 mapped=40 N0=40\n"          \
	"7f31f0400000 default anon=1 dirty=1 N0=1 kernelpagesize_kB=4\n"                           \
	"7ffc11e4a000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4"

Test(filter_stream, fixtures_in_pieces_of_every_size)
{
	struct pfs_policy *p = maps_policy(), *empty = tp_new();
	size_t ml, sl;
	char *maps = tp_read_file(FILTER_FIXTURES "sample.maps", &ml);
	char *smaps = tp_read_file(FILTER_FIXTURES "sample.smaps", &sl);
	const struct pfs_policy *pols[] = {p, empty, NULL};
	for (size_t i = 0; i < 3; i++) {
		every_size(&cases[0], pols[i], maps, ml, ml);
		/* blocks are about 1 KiB: sizes up to 2 KiB cut each at every offset */
		every_size(&cases[1], pols[i], smaps, sl, 2048);
		every_size(&cases[2], pols[i], NUMA, strlen(NUMA), strlen(NUMA));
	}
	/* the policy does change them: the test compares filtered texts */
	struct pfs_buf out = PFS_BUF_INIT;
	cr_assert_eq(pfs_filter_smaps(p, smaps, sl, &out, NULL), 0);
	cr_assert_lt(out.len, sl);
	cr_assert_null(memmem(out.data, out.len, "LC_CTYPE", 8));
	cr_assert_not_null(memmem(out.data, out.len, "a b\\012c", 8));
	pfs_buf_free(&out);
	free(maps);
	free(smaps);
	tp_free(p);
	tp_free(empty);
}

/* Texts a filter refuses are refused in pieces too, wherever the cut. */
Test(filter_stream, fail_closed_in_pieces)
{
	struct pfs_policy *p = maps_policy();
#define S(x)                                                                                       \
	{                                                                                          \
		x, sizeof(x) - 1                                                                   \
	}
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		S("Rss: 4 kB\n"),
		S("55d4c9a3e000-55d4c9a5f000 rw-p 00000000 00:00 0      [heap]\nnot an "
		  "attribute\n"),
		S("55d4c9a3e000-55d4c9a5f000 rw-p 00000000 00:00 0      [heap]\nRss: 4 kB\nx\n"),
		S("55d4c9a3e000-55d4c9a5f000 rw-p 00000000 00:00 0 /a\0b\n"),
		S("zz default\n"),
	};
#undef S
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t k = 0; k < 3; k++) {
			struct pfs_buf want = PFS_BUF_INIT;
			cr_assert_lt(whole(cases[k].fn, p, bad[i].s, bad[i].len, &want), 0,
				     "%zu %s", i, cases[k].name);
			pfs_buf_free(&want);
			every_size(&cases[k], p, bad[i].s, bad[i].len, bad[i].len);
		}
	tp_free(p);
}

/* A file read through pfs_read_lines_at with every chunk size: the real read loop. */
static void read_in_chunks(const struct filter_case *c, const struct pfs_policy *p,
			   const char *path, size_t max_chunk)
{
	size_t len;
	char *in = tp_read_file(path, &len);
	struct pfs_buf want = PFS_BUF_INIT;
	int want_r = whole(c->fn, p, in, len, &want);
	cr_assert_eq(want_r, 0, "%s", path);
	for (size_t chunk = 1; chunk <= max_chunk; chunk++) {
		struct feed x = {c->fn, {p, NULL, 0}, PFS_BUF_INIT, false};
		int r = pfs_read_lines_at(AT_FDCWD, path, chunk, feed_piece, &x);
		cr_assert_eq(r, 0, "%s in chunks of %zu", path, chunk);
		cr_assert_eq(x.out.len, want.len, "%s in chunks of %zu", path, chunk);
		cr_assert_eq(memcmp(x.out.data, want.data, want.len), 0, "%s in chunks of %zu",
			     path, chunk);
		pfs_buf_free(&x.out);
	}
	pfs_buf_free(&want);
	free(in);
}

Test(filter_stream, read_lines_at_every_chunk_size)
{
	struct pfs_policy *p = maps_policy();
	read_in_chunks(&cases[0], p, FILTER_FIXTURES "sample.maps", 4096);
	read_in_chunks(&cases[1], p, FILTER_FIXTURES "sample.smaps", 2048);
	read_in_chunks(&cases[1], NULL, FILTER_FIXTURES "sample.smaps", 300);
	tp_free(p);
}

static int fail_second(void *opaque, const char *lines, size_t len)
{
	(void)lines;
	(void)len;
	return ++*(int *)opaque == 2 ? -E2BIG : 0;
}

static int count_pieces(void *opaque, const char *lines, size_t len)
{
	size_t *max = opaque;
	cr_assert_eq(lines[len - 1], '\n');
	if (len > *max)
		*max = len;
	return 0;
}

Test(filter_stream, read_lines_at_errors_and_piece_sizes)
{
	int calls = 0;
	cr_assert_eq(pfs_read_lines_at(AT_FDCWD, FILTER_FIXTURES "sample.smaps", 512, fail_second,
				       &calls),
		     -E2BIG);
	cr_assert_eq(calls, 2);
	cr_assert_eq(pfs_read_lines_at(AT_FDCWD, "/no/such/file", 512, fail_second, &calls),
		     -ENOENT);
	/* pieces stay within the chunk: the memory held is one chunk, not the file */
	size_t max = 0;
	cr_assert_eq(pfs_read_lines_at(AT_FDCWD, FILTER_FIXTURES "sample.smaps", 1024, count_pieces,
				       &max),
		     0);
	cr_assert_gt(max, 0);
	cr_assert_leq(max, 1023);
	/* a line longer than the chunk is handed on whole */
	char path[] = "/tmp/pfs-stream-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	char line[5000];
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	cr_assert_eq(write(fd, "a\n", 2), 2);
	cr_assert_eq(write(fd, line, sizeof(line)), (ssize_t)sizeof(line));
	cr_assert_eq(write(fd, "b\n", 2), 2);
	close(fd);
	max = 0;
	cr_assert_eq(pfs_read_lines_at(AT_FDCWD, path, 64, count_pieces, &max), 0);
	cr_assert_geq(max, sizeof(line));
	unlink(path);
}

/* smaps_rollup reads its sibling smaps in pieces: the sums equal those over the whole smaps. */
struct sibling {
	const char *path;
	size_t chunk;
};

static int sibling_lines(void *ctx, const char *name, pfs_lines_fn *fn, void *opaque)
{
	const struct sibling *s = ctx;
	cr_assert_str_eq(name, "smaps");
	return pfs_read_lines_at(AT_FDCWD, s->path, s->chunk, fn, opaque);
}

Test(filter_stream, smaps_rollup_from_smaps_read_in_pieces)
{
	struct pfs_policy *p = maps_policy();
	size_t rl, sl;
	char *rollup = tp_read_file("/proc/self/smaps_rollup", &rl);
	char *smaps = tp_read_file(FILTER_FIXTURES "sample.smaps", &sl);
	struct pfs_ppath pp = {.pid = 1, .rest = "smaps_rollup"};
	const struct pfs_filter_kind *k = pfs_filter_kind_of(&pp);
	cr_assert_not_null(k);
	const char *bad_rollup = "55d000000000-7ffc00021000 ---p 00000000 00:00 0 [rollup]\n"
				 "Mystery:  4 kB\n";
	const char *rollups[] = {rollup, bad_rollup};
	for (size_t i = 0; i < 2; i++) {
		size_t len = strlen(rollups[i]);
		struct pfs_buf want = PFS_BUF_INIT;
		int want_r = pfs_filter_smaps_rollup(p, rollups[i], len, smaps, sl, &want, NULL);
		cr_assert_eq(want_r, i == 0 ? 0 : -EBADMSG);
		if (i == 0) /* the policy drops blocks: the rollup is recomputed, not passed */
			cr_assert(want.len != rl || memcmp(want.data, rollup, rl) != 0);
		for (size_t chunk = 2; chunk <= 1100; chunk += 7) {
			struct sibling s = {FILTER_FIXTURES "sample.smaps", chunk};
			struct pfs_filter_in in = {.policy = p,
						   .data = rollups[i],
						   .len = len,
						   .read_sibling_lines = sibling_lines,
						   .ctx = &s};
			struct pfs_buf out = PFS_BUF_INIT;
			cr_assert_eq(k->filter(&in, &out), want_r, "chunk %zu", chunk);
			if (want_r == 0)
				cr_assert_str_eq(out.data, want.data, "chunk %zu", chunk);
			pfs_buf_free(&out);
		}
		pfs_buf_free(&want);
	}
	free(rollup);
	free(smaps);
	tp_free(p);
}
