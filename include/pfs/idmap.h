/*
 * User namespace id maps: uid_map/gid_map text, and ids translated between
 * the mount's user namespace and the daemon's. Pure: no process is read.
 */
#ifndef PFS_IDMAP_H
#define PFS_IDMAP_H

#include <stdint.h>

struct pfs_idmap_range {
	uint32_t inside, outside, count;
};

/* A uid_map/gid_map: ids of the mount's user namespace <-> the daemon's. */
struct pfs_idmap {
	struct pfs_idmap_range r[16];
	int n; /* 0 = identity */
};

/* Parses uid_map text ("inside outside count" lines). */
int pfs_idmap_parse(const char *text, struct pfs_idmap *m);
/* Maps an inside id out; (uint32_t)-1 when unmapped. */
uint32_t pfs_idmap_out(const struct pfs_idmap *m, uint32_t inside);
/* Maps an outside id in; overflow id 65534 when unmapped. */
uint32_t pfs_idmap_in(const struct pfs_idmap *m, uint32_t outside);

#endif
