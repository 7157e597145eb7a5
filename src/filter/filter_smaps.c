/*
 * smaps and smaps_rollup filters.
 *
 * smaps is a sequence of blocks: a maps header line, then "Key: value" lines.
 * A block follows its header's fate (the maps decision): dropped whole, or
 * its header redacted. smaps_rollup is recomputed from the visible smaps
 * blocks when a mapping is dropped, so hidden mappings do not count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter_maps_i.h"
#include "pfs/backing.h"
#include "pfs/cleanup.h"
#include "pfs/filter.h"

/* "Key:" with Key = [A-Za-z_][A-Za-z0-9_]*; *key_len excludes the colon. */
static bool attr_key(const char *line, size_t len, size_t *key_len)
{
	size_t i = 0;
	while (i < len &&
	       (line[i] == '_' || (line[i] >= 'A' && line[i] <= 'Z') ||
		(line[i] >= 'a' && line[i] <= 'z') || (i > 0 && line[i] >= '0' && line[i] <= '9')))
		i++;
	*key_len = i;
	return i > 0 && i < len && line[i] == ':';
}

/* Walks smaps, deciding each block. cb runs for every line (header or not). */
struct smaps_walk {
	const struct pfs_policy *p;
	struct pfs_buf scratch;
	bool in_block;
	bool dropped; /* the current block is dropped */
	bool any_dropped;
	const struct pfs_maps_rule *first_drop; /* the first rule that dropped a block */
	struct maps_line hdr;
	const struct pfs_maps_rule *rule;
};

/* Classifies one smaps line and updates w. 1: header, 0: attribute. */
static int smaps_step(struct smaps_walk *w, const char *line, size_t len)
{
	size_t kl;
	if (maps_is_header(line, len)) {
		int r = maps_parse_line(line, len, &w->hdr);
		if (r == 0)
			r = maps_decide(w->p, w->hdr.path, &w->scratch, &w->rule);
		if (r < 0)
			return r;
		w->in_block = true;
		w->dropped = w->rule && w->rule->action == PFS_MAPS_DROP;
		w->any_dropped |= w->dropped;
		if (w->dropped && !w->first_drop)
			w->first_drop = w->rule;
		return 1;
	}
	if (!w->in_block || !attr_key(line, len, &kl))
		return -EBADMSG;
	return 0;
}

int pfs_filter_smaps(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		     const struct pfs_trace *t)
{
	struct pfs_filter_piece f = {p, t, 0};
	return pfs_filter_smaps_piece(&f, in, len, out);
}

/* The fate of the block a piece ends in, for the lines of the next (f->state). */
enum { SMAPS_NO_BLOCK, SMAPS_KEPT, SMAPS_DROPPED };

int pfs_filter_smaps_piece(struct pfs_filter_piece *f, const char *in, size_t len,
			   struct pfs_buf *out)
{
	const struct pfs_policy *p = f->policy;
	if (!p || p->n_maps_rules == 0)
		return pfs_buf_append(out, in, len);
	struct smaps_walk w = {.p = p,
			       .scratch = PFS_BUF_INIT,
			       .in_block = f->state != SMAPS_NO_BLOCK,
			       .dropped = f->state == SMAPS_DROPPED};
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	int r = 0;
	while (r >= 0 && pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		r = smaps_step(&w, line, ll);
		if (r == 1)
			r = maps_emit_line(line, ll, nl, &w.hdr, w.rule, out, f->trace);
		else if (r == 0 && !w.dropped)
			r = pfs_buf_append(out, line, ll + (nl ? 1 : 0));
	}
	pfs_buf_free(&w.scratch);
	f->state = !w.in_block ? SMAPS_NO_BLOCK : w.dropped ? SMAPS_DROPPED : SMAPS_KEPT;
	return r < 0 ? r : 0;
}

/* smaps_rollup recomputation. */

#define ROLLUP_MAX_KEYS 64

struct rollup_key {
	struct pfs_field name; /* without the colon */
	const char *line;
	size_t line_len;
	bool has_nl;
	size_t num_off, num_len; /* the digits in line */
	unsigned long long sum;
};

struct block_acc { /* per smaps block, for the derived Pss_Anon/File/Shmem */
	unsigned long long rss, pss, anon;
	bool valid;
	bool anon_mapping; /* no backing inode */
	bool shmem;
};

static bool name_is(struct pfs_field f, const char *s)
{
	return f.len == strlen(s) && memcmp(f.s, s, f.len) == 0;
}

/* The value of "Key:   123 kB": the digit run after the colon and spaces. */
static bool attr_value(const char *line, size_t len, size_t key_len, size_t *off, size_t *n,
		       unsigned long long *v)
{
	size_t i = key_len + 1;
	while (i < len && line[i] == ' ')
		i++;
	size_t s = i;
	unsigned long long x = 0;
	while (i < len && line[i] >= '0' && line[i] <= '9' && i - s < 19)
		x = x * 10 + (unsigned long long)(line[i++] - '0');
	if (i == s || (i < len && line[i] != ' '))
		return false;
	*off = s;
	*n = i - s;
	*v = x;
	return true;
}

static int rollup_parse(const char *in, size_t len, struct maps_line *hdr, struct rollup_key *k,
			size_t *nk)
{
	size_t pos = 0, ll, n = 0;
	const char *line;
	bool nl, first = true;
	while (pfs_next_line(in, len, &pos, &line, &ll, &nl)) {
		if (first) {
			int r = maps_parse_line(line, ll, hdr);
			if (r < 0)
				return r;
			first = false;
			continue;
		}
		size_t kl, off, num;
		unsigned long long v;
		if (n == ROLLUP_MAX_KEYS || !attr_key(line, ll, &kl) ||
		    !attr_value(line, ll, kl, &off, &num, &v))
			return -EBADMSG;
		k[n] = (struct rollup_key){.name = {line, kl},
					   .line = line,
					   .line_len = ll,
					   .has_nl = nl,
					   .num_off = off,
					   .num_len = num};
		n++;
	}
	if (first)
		return -EBADMSG;
	*nk = n;
	return 0;
}

static struct rollup_key *find_key(struct rollup_key *k, size_t nk, struct pfs_field name)
{
	for (size_t i = 0; i < nk; i++)
		if (k[i].name.len == name.len && memcmp(k[i].name.s, name.s, name.len) == 0)
			return &k[i];
	return NULL;
}

static void add_named(struct rollup_key *k, size_t nk, const char *name, unsigned long long v)
{
	struct pfs_field f = {name, strlen(name)};
	struct rollup_key *x = find_key(k, nk, f);
	if (x)
		x->sum += v;
}

/*
 * The per-type split of Pss is not in smaps: estimate it per block (the
 * anonymous share of Pss is Pss * Anonymous / Rss; the rest is file or shmem).
 */
static void block_done(struct block_acc *b, struct rollup_key *k, size_t nk)
{
	if (!b->valid)
		return;
	unsigned long long anon = b->rss ? b->pss * b->anon / b->rss : 0;
	if (anon > b->pss || b->anon_mapping)
		anon = b->pss;
	add_named(k, nk, "Pss_Anon", anon);
	add_named(k, nk, b->shmem ? "Pss_Shmem" : "Pss_File", b->pss - anon);
	*b = (struct block_acc){0};
}

static bool is_shmem_path(struct pfs_field path)
{
	static const char *const pre[] = {"/dev/shm/", "/memfd:", "/SYSV", "/dev/zero"};
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++)
		if (path.len >= strlen(pre[i]) && memcmp(path.s, pre[i], strlen(pre[i])) == 0)
			return true;
	return false;
}

/*
 * The sums of the visible smaps blocks, fed smaps a piece of whole lines at a
 * time (rollup_piece), so the rollup never holds the whole smaps.
 */
struct rollup_acc {
	struct smaps_walk w;
	struct block_acc b;
	struct rollup_key *k;
	size_t nk;
	bool seen; /* a visible block: first, last are the visible address range */
	unsigned long first, last;
	bool found[ROLLUP_MAX_KEYS]; /* a block (any, dropped too) has the key */
	bool any; /* smaps is not empty */
};

/* An attribute line of smaps (smaps_step checked its key). */
static int rollup_attr(struct rollup_acc *a, const char *line, size_t ll)
{
	size_t kl, off, n;
	unsigned long long v;
	attr_key(line, ll, &kl);
	struct pfs_field name = {line, kl};
	struct rollup_key *x = find_key(a->k, a->nk, name);
	if (x)
		a->found[x - a->k] = true;
	if (a->w.dropped)
		return 0;
	bool numeric = attr_value(line, ll, kl, &off, &n, &v);
	if (x && !numeric)
		return -EBADMSG; /* a key the rollup sums is a number in every visible block */
	if (x && numeric && !name_is(name, "Pss_Anon") && !name_is(name, "Pss_File") &&
	    !name_is(name, "Pss_Shmem"))
		x->sum += v;
	if (numeric && name_is(name, "Rss"))
		a->b.rss = v;
	else if (numeric && name_is(name, "Pss"))
		a->b.pss = v;
	else if (numeric && name_is(name, "Anonymous"))
		a->b.anon = v;
	return 0;
}

static int rollup_piece(void *opaque, const char *smaps, size_t len)
{
	struct rollup_acc *a = opaque;
	size_t pos = 0, ll;
	const char *line;
	bool nl;
	int r = 0;
	a->any |= len > 0;
	while (r >= 0 && pfs_next_line(smaps, len, &pos, &line, &ll, &nl)) {
		r = smaps_step(&a->w, line, ll);
		if (r == 1) {
			block_done(&a->b, a->k, a->nk);
			/* The kernel's rollup leaves out the gate area ([vsyscall]). */
			if (name_is(a->w.hdr.path, "[vsyscall]"))
				a->w.dropped = true;
			if (!a->w.dropped) {
				a->b.valid = true;
				a->b.anon_mapping = a->w.hdr.inode == 0;
				a->b.shmem = is_shmem_path(a->w.hdr.path);
				if (!a->seen)
					a->first = a->w.hdr.start;
				a->last = a->w.hdr.end;
				a->seen = true;
			}
		} else if (r == 0) {
			r = rollup_attr(a, line, ll);
		}
	}
	return r < 0 ? r : 0;
}

/* Every key of smaps_rollup is in some smaps block, or derived: else it cannot be recomputed. */
static int rollup_keys_known(const struct rollup_acc *a)
{
	for (size_t i = 0; i < a->nk; i++)
		if (!a->found[i] && a->any && !name_is(a->k[i].name, "Pss_Anon") &&
		    !name_is(a->k[i].name, "Pss_File") && !name_is(a->k[i].name, "Pss_Shmem"))
			return -EBADMSG;
	return 0;
}

static int rollup_emit(const struct maps_line *hdr, unsigned long first, unsigned long last,
		       struct rollup_key *k, size_t nk, struct pfs_buf *out)
{
	/* Header as the kernel prints it: prefix, padded to column 73, "[rollup]". */
	size_t start = out->len;
	int r = pfs_buf_printf(out, "%08lx-%08lx ---p 00000000 00:00 0 ", first, last);
	size_t col = out->len - start;
	for (; r == 0 && col < 73; col++)
		r = pfs_buf_append(out, " ", 1);
	if (r == 0)
		r = pfs_buf_append(out, hdr->path.s, hdr->path.len);
	if (r == 0)
		r = pfs_buf_append(out, "\n", 1);
	for (size_t i = 0; r == 0 && i < nk; i++) {
		/* Label kept; the number right-aligned in the kernel's width 8. */
		const struct rollup_key *x = &k[i];
		size_t width = x->num_len > 8 ? x->num_len : 8;
		size_t num_end = x->num_off + x->num_len;
		if (num_end < width)
			return -EBADMSG;
		r = pfs_buf_append(out, x->line, num_end - width);
		if (r == 0)
			r = pfs_buf_printf(out, "%8llu", x->sum);
		if (r == 0)
			r = pfs_buf_append(out, x->line + num_end,
					   x->line_len - num_end + (x->has_nl ? 1 : 0));
	}
	return r;
}

/*
 * The rollup recomputed from smaps fed by feed(opaque, rollup_piece, acc):
 * the whole text at once, or the sibling file read a piece at a time.
 */
typedef int rollup_feed_fn(void *opaque, pfs_lines_fn *fn, void *acc);

static int smaps_rollup_fed(const struct pfs_policy *p, const char *rollup, size_t rollup_len,
			    rollup_feed_fn *feed, void *opaque, struct pfs_buf *out,
			    const struct pfs_trace *t)
{
	if (!p || p->n_maps_rules == 0)
		return pfs_buf_append(out, rollup, rollup_len);
	struct rollup_key k[ROLLUP_MAX_KEYS];
	struct maps_line hdr;
	struct rollup_acc a = {.w = {.p = p, .scratch = PFS_BUF_INIT}, .k = k};
	int r = rollup_parse(rollup, rollup_len, &hdr, k, &a.nk);
	if (r == 0)
		r = feed(opaque, rollup_piece, &a);
	pfs_buf_free(&a.w.scratch);
	if (r < 0)
		return r;
	block_done(&a.b, k, a.nk);
	if (!a.seen)
		a.first = a.last = 0;
	const struct pfs_maps_rule *dropper = a.w.first_drop;
	if (!dropper)
		return pfs_buf_append(out, rollup, rollup_len);
	r = rollup_keys_known(&a);
	if (r < 0)
		return r;
	const char *nl = memchr(rollup, '\n', rollup_len);
	pfs_trace_emit(t, PFS_TR_REWRITTEN, rollup, nl ? (size_t)(nl - rollup) : rollup_len,
		       &dropper->src);
	return rollup_emit(&hdr, a.first, a.last, k, a.nk, out);
}

struct whole_text {
	const char *s;
	size_t len;
};

static int feed_whole(void *opaque, pfs_lines_fn *fn, void *acc)
{
	const struct whole_text *w = opaque;
	return fn(acc, w->s, w->len);
}

int pfs_filter_smaps_rollup(const struct pfs_policy *p, const char *rollup, size_t rollup_len,
			    const char *smaps, size_t smaps_len, struct pfs_buf *out,
			    const struct pfs_trace *t)
{
	struct whole_text w = {smaps, smaps_len};
	return smaps_rollup_fed(p, rollup, rollup_len, feed_whole, &w, out, t);
}

int pfs_fk_smaps(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_smaps(in->policy, in->data, in->len, out, in->trace);
}

static int feed_sibling(void *opaque, pfs_lines_fn *fn, void *acc)
{
	const struct pfs_filter_in *in = opaque;
	return in->read_sibling_lines(in->ctx, "smaps", fn, acc);
}

/*
 * The rollup's sums are recomputed from smaps without the hidden mappings,
 * read a piece at a time: a big smaps is never held whole.
 */
int pfs_fk_smaps_rollup(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return smaps_rollup_fed(in->policy, in->data, in->len, feed_sibling, (void *)in, out,
				in->trace);
}
