/* The id table (pfs/idtable.h): fixed-size records in a memfd, a free list, generations. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/idtable.h"

#define IDT_MAGIC 0x315444495346504eULL /* "NPFSIDT1" */
#define IDT_VERSION 1
#define HEADER_SIZE 4096

_Static_assert(sizeof(struct pfs_idt_header) <= HEADER_SIZE, "header fits its page");
_Static_assert(sizeof(struct pfs_idrec) == 128, "records are 128 bytes");

static size_t table_bytes(uint32_t capacity)
{
	return HEADER_SIZE + (size_t)capacity * sizeof(struct pfs_idrec);
}

/* Maps len bytes of fd (anonymous memory when fd < 0) into t: 0, or -ENOMEM. */
static int map_table(int fd, size_t len, struct pfs_idtable *t)
{
	int flags = fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED || !p)
		return -ENOMEM;
	t->h = p;
	t->recs = (struct pfs_idrec *)((char *)p + HEADER_SIZE);
	t->map_len = len;
	return 0;
}

static void init_header(struct pfs_idt_header *h, uint32_t capacity)
{
	h->magic = IDT_MAGIC;
	h->version = IDT_VERSION;
	h->capacity = capacity;
}

int pfs_idtable_create(uint32_t capacity, int *fd)
{
	if (capacity == 0)
		return -EINVAL;
	cleanup_close int m = memfd_create("pfs-idtable", MFD_CLOEXEC);
	if (m < 0)
		return -errno;
	/* sparse: only the pages of records in use take memory */
	if (ftruncate(m, (off_t)table_bytes(capacity)) < 0)
		return -errno;
	struct pfs_idtable t = {0};
	int r = map_table(m, HEADER_SIZE, &t);
	if (r < 0)
		return r;
	init_header(t.h, capacity);
	munmap(t.h, HEADER_SIZE);
	*fd = steal_fd(m);
	return 0;
}

#define RECS_PER_PAGE (4096 / sizeof(struct pfs_idrec))
#define TRIM_MIN_RECS (64 * RECS_PER_PAGE) /* a tail of 256 KiB at least */
#define TRIM_MIN_RUN (4 * RECS_PER_PAGE) /* a run of 16 KiB at least inside */

static bool bit_free(const struct pfs_idtable *t, uint32_t slot)
{
	return t->free_bits[slot / 64] >> (slot % 64) & 1;
}

static void bit_set(struct pfs_idtable *t, uint32_t slot, bool is_free)
{
	if (is_free)
		t->free_bits[slot / 64] |= 1ULL << (slot % 64);
	else
		t->free_bits[slot / 64] &= ~(1ULL << (slot % 64));
}

/* The free slots below used_hw, from the records (another process may have written them). */
static int scan_free(struct pfs_idtable *t)
{
	size_t pages = t->h->capacity / RECS_PER_PAGE + 1;
	if (!t->free_bits)
		t->free_bits = calloc((t->h->capacity + 63) / 64, sizeof(uint64_t));
	if (!t->given)
		t->given = calloc((pages + 63) / 64, sizeof(uint64_t));
	if (!t->free_bits || !t->given)
		return -ENOMEM;
	memset(t->free_bits, 0, (t->h->capacity + 63) / 64 * sizeof(uint64_t));
	memset(t->given, 0, (pages + 63) / 64 * sizeof(uint64_t));
	t->hint = t->h->used_hw;
	for (uint32_t i = t->h->used_hw; i-- > 0;) {
		if (t->recs[i].state == PFS_IDREC_FREE) {
			bit_set(t, i, true);
			t->hint = i;
		}
	}
	return 0;
}

int pfs_idtable_open(int fd, uint32_t capacity, struct pfs_idtable *t)
{
	memset(t, 0, sizeof(*t));
	int r;
	if (fd < 0) {
		if (capacity == 0)
			return -EINVAL;
		r = map_table(-1, table_bytes(capacity), t);
		if (r == 0)
			init_header(t->h, capacity);
	} else {
		struct pfs_idt_header h;
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			return -EINVAL;
		if (h.magic != IDT_MAGIC || h.version != IDT_VERSION || h.capacity == 0 ||
		    h.init_len > PFS_IDT_INIT_MAX || h.used_hw > h.capacity)
			return -EINVAL;
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_size < (off_t)table_bytes(h.capacity))
			return -EINVAL;
		r = map_table(fd, table_bytes(h.capacity), t);
		t->shared = true;
	}
	if (r == 0)
		r = scan_free(t);
	if (r < 0)
		pfs_idtable_close(t);
	return r;
}

int pfs_idtable_rescan(struct pfs_idtable *t)
{
	return scan_free(t);
}

void pfs_idtable_close(struct pfs_idtable *t)
{
	if (t->h)
		munmap(t->h, t->map_len);
	free(t->free_bits);
	free(t->given);
	memset(t, 0, sizeof(*t));
}

/* The lowest free slot below used_hw, or used_hw when none. */
static uint32_t lowest_free(struct pfs_idtable *t)
{
	uint32_t hw = t->h->used_hw;
	for (uint32_t w = t->hint / 64; (uint64_t)w * 64 < hw; w++) {
		uint64_t bits = t->free_bits[w];
		if (w == t->hint / 64)
			bits &= ~0ULL << (t->hint % 64);
		if (bits) {
			uint32_t slot = w * 64 + (uint32_t)__builtin_ctzll(bits);
			if (slot < hw) {
				t->hint = slot;
				return slot;
			}
			break;
		}
	}
	t->hint = hw;
	return hw;
}

int pfs_idtable_alloc(struct pfs_idtable *t, enum pfs_idrec_state st, uint64_t *id)
{
	struct pfs_idt_header *h = t->h;
	uint32_t slot = lowest_free(t);
	if (slot == h->used_hw) {
		if (h->used_hw >= h->capacity)
			return -ENOSPC;
		h->used_hw++;
	} else {
		bit_set(t, slot, false);
	}
	uint32_t page = slot / (uint32_t)RECS_PER_PAGE;
	t->given[page / 64] &= ~(1ULL << (page % 64));
	struct pfs_idrec *r = &t->recs[slot];
	uint32_t gen = r->gen + 1;
	if (gen < h->gen_floor)
		gen = h->gen_floor;
	if (gen == 0)
		gen = 1;
	if (gen > h->max_gen)
		h->max_gen = gen;
	/* the generation first: a crash mid-way leaves a record no old id matches */
	r->gen = gen;
	atomic_thread_fence(memory_order_release);
	memset((char *)r + sizeof(r->gen), 0, sizeof(*r) - sizeof(r->gen));
	r->state = (uint16_t)st;
	*id = pfs_id_make(slot, gen);
	return 0;
}

struct pfs_idrec *pfs_idtable_get(const struct pfs_idtable *t, uint64_t id, enum pfs_idrec_state st)
{
	uint32_t slot = pfs_id_slot(id);
	if (!t->h || slot >= t->h->used_hw || (id >> 32) == 0)
		return NULL;
	struct pfs_idrec *r = &t->recs[slot];
	if (r->gen != (uint32_t)(id >> 32) || r->state != st)
		return NULL;
	return r;
}

void pfs_idtable_free(struct pfs_idtable *t, uint64_t id)
{
	uint32_t slot = pfs_id_slot(id);
	if (!t->h || slot >= t->h->used_hw || t->recs[slot].gen != (uint32_t)(id >> 32) ||
	    t->recs[slot].state == PFS_IDREC_FREE)
		return;
	t->recs[slot].state = PFS_IDREC_FREE;
	bit_set(t, slot, true);
	if (slot < t->hint)
		t->hint = slot;
}

/* Whether the page of records from slot first (a page boundary) is all free and still held. */
static bool page_to_give(const struct pfs_idtable *t, uint32_t first)
{
	uint32_t page = first / RECS_PER_PAGE;
	if (t->given[page / 64] >> (page % 64) & 1)
		return false;
	for (uint32_t i = first; i < first + RECS_PER_PAGE; i++)
		if (!bit_free(t, i))
			return false;
	return true;
}

/* Gives back the memory of the records [from, to), whole pages; gone() is told. */
static void give_back(struct pfs_idtable *t, uint32_t from, uint32_t to,
		      void (*gone)(uint32_t from, uint32_t to, void *arg), void *arg)
{
	if (to <= from)
		return;
	madvise(&t->recs[from], (size_t)(to - from) * sizeof(struct pfs_idrec),
		t->shared ? MADV_REMOVE : MADV_DONTNEED);
	for (uint32_t page = from / RECS_PER_PAGE; page < to / RECS_PER_PAGE; page++)
		t->given[page / 64] |= 1ULL << (page % 64);
	if (gone)
		gone(from, to, arg);
}

uint32_t pfs_idtable_trim(struct pfs_idtable *t,
			  void (*gone)(uint32_t from, uint32_t to, void *arg), void *arg)
{
	struct pfs_idt_header *h = t->h;
	uint32_t hw = h->used_hw, end = hw;
	while (end > 0 && bit_free(t, end - 1))
		end--;
	end = (uint32_t)((end + RECS_PER_PAGE - 1) / RECS_PER_PAGE * RECS_PER_PAGE);
	if (end > hw)
		end = hw;
	/* runs of free pages below the used end, and the free tail, where worth it */
	uint32_t runs[64][2];
	size_t nruns = 0;
	uint32_t run = UINT32_MAX;
	for (uint32_t p = 0; p < end && nruns < 64; p += RECS_PER_PAGE) {
		bool give = p + RECS_PER_PAGE <= end && page_to_give(t, p);
		if (give && run == UINT32_MAX)
			run = p;
		if (!give && run != UINT32_MAX) {
			if (p - run >= TRIM_MIN_RUN) {
				runs[nruns][0] = run;
				runs[nruns++][1] = p;
			}
			run = UINT32_MAX;
		}
	}
	if (run != UINT32_MAX && end - run >= TRIM_MIN_RUN && nruns < 64) {
		runs[nruns][0] = run;
		runs[nruns++][1] = end;
	}
	bool tail = hw - end >= TRIM_MIN_RECS;
	if (!nruns && !tail)
		return 0;
	/* first: slots used again get a generation above any they had */
	h->gen_floor = h->max_gen + 1;
	atomic_thread_fence(memory_order_release);
	uint32_t trimmed = 0;
	for (size_t i = 0; i < nruns; i++) {
		give_back(t, runs[i][0], runs[i][1], gone, arg);
		trimmed += runs[i][1] - runs[i][0];
	}
	if (tail) {
		h->used_hw = end;
		for (uint32_t i = end; i < hw; i++)
			bit_set(t, i, false);
		if (t->hint > end)
			t->hint = end;
		/* the tail's pages count as held again: slots there are used next */
		give_back(t, end, end + (hw - end) / RECS_PER_PAGE * RECS_PER_PAGE, gone, arg);
		for (uint32_t page = end / RECS_PER_PAGE; page <= hw / RECS_PER_PAGE; page++)
			t->given[page / 64] &= ~(1ULL << (page % 64));
		trimmed += hw - end;
	}
	return trimmed;
}

void pfs_idrec_set_name(struct pfs_idrec *r, const char *name)
{
	size_t n = strlen(name);
	if (n > PFS_IDT_NAME_MAX) {
		r->flags |= PFS_IDREC_UNNAMED;
		n = 0;
	}
	memcpy(r->name, name, n);
	r->name[n] = '\0';
}

uint64_t pfs_idt_hash(const void *data, size_t len, uint64_t seed)
{
	/* FNV-1a over 8-byte words, then the tail: a snapshot is hashed at each render */
	const unsigned char *p = data;
	uint64_t h = (seed ? seed : 0xcbf29ce484222325ULL) ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
