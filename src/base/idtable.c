/* The id table (pfs/idtable.h): fixed-size records in a memfd, a free list, generations. */
#include <errno.h>
#include <stdatomic.h>
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

int pfs_idtable_open(int fd, uint32_t capacity, struct pfs_idtable *t)
{
	memset(t, 0, sizeof(*t));
	if (fd < 0) {
		if (capacity == 0)
			return -EINVAL;
		int r = map_table(-1, table_bytes(capacity), t);
		if (r == 0)
			init_header(t->h, capacity);
		return r;
	}
	struct pfs_idt_header h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -EINVAL;
	if (h.magic != IDT_MAGIC || h.version != IDT_VERSION || h.capacity == 0 ||
	    h.init_len > PFS_IDT_INIT_MAX)
		return -EINVAL;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)table_bytes(h.capacity))
		return -EINVAL;
	return map_table(fd, table_bytes(h.capacity), t);
}

void pfs_idtable_close(struct pfs_idtable *t)
{
	if (t->h)
		munmap(t->h, t->map_len);
	memset(t, 0, sizeof(*t));
}

int pfs_idtable_alloc(struct pfs_idtable *t, enum pfs_idrec_state st, uint64_t *id)
{
	struct pfs_idt_header *h = t->h;
	uint32_t slot;
	if (h->free_head && h->free_head <= h->used_hw) {
		slot = h->free_head - 1;
		h->free_head = t->recs[slot].next_free;
	} else if (h->used_hw < h->capacity) {
		slot = h->used_hw++;
	} else {
		return -ENOSPC;
	}
	struct pfs_idrec *r = &t->recs[slot];
	uint32_t gen = r->gen + 1;
	if (gen == 0)
		gen = 1;
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
	struct pfs_idrec *r = &t->recs[slot];
	r->state = PFS_IDREC_FREE;
	r->next_free = t->h->free_head;
	t->h->free_head = slot + 1;
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
	const unsigned char *p = data;
	uint64_t h = seed ? seed : 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
