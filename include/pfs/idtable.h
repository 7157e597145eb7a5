/*
 * The id table: what a FUSE node id or file handle stands for, in memory
 * that outlives the daemon (a memfd the launcher's supervisor creates and
 * passes to each daemon it starts). The kernel keeps the ids a dead daemon
 * handed out; the next daemon finds in the table how to resolve each again:
 * a node by its parent's id and its name (a process directory also by the
 * process's start time, so a reused pid never resolves to the new process),
 * a file handle by its node and the length and hash of its snapshot.
 *
 * An id is (generation << 32) | slot. A slot's generation grows at each
 * allocation, so an id whose slot was freed and reused never resolves to the
 * new record: a stale id gives an error, never another file. Records are
 * fixed-size; only one daemon writes the table at a time, under its own lock.
 */
#ifndef PFS_IDTABLE_H
#define PFS_IDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFS_IDT_NAME_MAX 79 /* longer names are not recorded: not resolvable again */
#define PFS_IDT_INIT_MAX 256 /* room for the kernel's INIT request */
#define PFS_IDT_DEFAULT_CAP (1u << 20)

enum pfs_idrec_state { PFS_IDREC_FREE = 0, PFS_IDREC_NODE = 1, PFS_IDREC_HANDLE = 2 };
#define PFS_IDREC_MAGIC 0x1 /* node: a relative link text or relay name (magic.c) */
#define PFS_IDREC_PROCDIR 0x2 /* node: a pid or tid directory; ident2 is its start time */
#define PFS_IDREC_UNNAMED 0x4 /* node: the name did not fit; never resolved again */
#define PFS_IDREC_DIR 0x8 /* handle: a directory listing (else file content) */
#define PFS_IDREC_NOREOPEN 0x10 /* handle: cannot be served by another daemon (a relay) */

struct pfs_idrec {
	uint32_t gen; /* of the slot: grows at each allocation */
	uint16_t state; /* enum pfs_idrec_state */
	uint16_t flags;
	uint32_t type; /* node: S_IFMT bits */
	uint32_t spare; /* zero */
	uint64_t parent; /* node: the parent's id (1: root); handle: the node's id */
	uint64_t ident; /* node: the backing's st_ino; handle: bytes (entries) served */
	uint64_t ident2; /* node: start time of a process dir; handle: content hash */
	uint64_t nlookup; /* node: the kernel's lookup count */
	char name[PFS_IDT_NAME_MAX + 1];
};

struct pfs_idt_header {
	uint64_t magic;
	uint32_t version;
	uint32_t capacity; /* records */
	uint32_t used_hw; /* slots below it may be in use; the rest are untouched or trimmed */
	uint32_t gen_floor; /* above every generation a trimmed slot had (pfs_idtable_trim) */
	uint32_t max_gen; /* the largest generation given so far */
	uint32_t epoch; /* daemons that attached so far */
	uint32_t init_len; /* bytes of init[]: the kernel's INIT request, once answered */
	uint8_t init[PFS_IDT_INIT_MAX] __attribute__((aligned(8))); /* read as fuse_in_header */
};

struct pfs_idtable {
	struct pfs_idt_header *h;
	struct pfs_idrec *recs;
	size_t map_len;
	bool shared; /* a memfd's mapping (else private memory) */
	uint64_t *free_bits; /* this process's view: free slots below used_hw */
	uint64_t *given; /* pages of free records given back (pfs_idtable_trim) */
	uint32_t hint; /* no free slot below it */
};

#define PFS_ID_ROOT 1u

static inline uint64_t pfs_id_make(uint32_t slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | slot;
}
static inline uint32_t pfs_id_slot(uint64_t id)
{
	return (uint32_t)id;
}

/* A new table in a memfd of capacity records: *fd is the memfd. 0 or -errno. */
int pfs_idtable_create(uint32_t capacity, int *fd);
/* Maps the table of fd (validated), or a private one of capacity when fd < 0. */
int pfs_idtable_open(int fd, uint32_t capacity, struct pfs_idtable *t);
void pfs_idtable_close(struct pfs_idtable *t);
/* Reads the free slots again: another process wrote the table since it was opened. */
int pfs_idtable_rescan(struct pfs_idtable *t);
/* Allocates a record of state st (zeroed, new generation); its id in *id. -ENOSPC when full. */
int pfs_idtable_alloc(struct pfs_idtable *t, enum pfs_idrec_state st, uint64_t *id);
/* The record of id when it is still that id's (same generation, state st), else NULL. */
struct pfs_idrec *pfs_idtable_get(const struct pfs_idtable *t, uint64_t id,
				  enum pfs_idrec_state st);
/* Frees id's record (no-op when it is no longer id's). */
void pfs_idtable_free(struct pfs_idtable *t, uint64_t id);
/*
 * Gives back the memory of free records: the free end of the table (the
 * lowest free slot is always the next one used, so a burst's records end up
 * there), and runs of whole free pages below it (a burst that ended while a
 * few records above it lived on). gone(from, to, arg), if given, is told of
 * each range of slots given back. Returns the records trimmed.
 */
uint32_t pfs_idtable_trim(struct pfs_idtable *t,
			  void (*gone)(uint32_t from, uint32_t to, void *arg), void *arg);
/* Copies name into r (flags PFS_IDREC_UNNAMED when it does not fit). */
void pfs_idrec_set_name(struct pfs_idrec *r, const char *name);
/* 64-bit FNV-1a of len bytes, for snapshot identity. */
uint64_t pfs_idt_hash(const void *data, size_t len, uint64_t seed);

#endif
