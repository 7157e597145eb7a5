/* uid_map/gid_map parsing and id translation. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pfs/idmap.h"

#define OVERFLOW_ID 65534u

int pfs_idmap_parse(const char *text, struct pfs_idmap *m)
{
	m->n = 0;
	const char *p = text;
	while (*p) {
		unsigned long v[3];
		int i;
		for (i = 0; i < 3; i++) {
			char *end = NULL;
			v[i] = strtoul(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		if (i < 3)
			break;
		if (m->n == (int)(sizeof(m->r) / sizeof(m->r[0])))
			return -E2BIG;
		m->r[m->n++] =
			(struct pfs_idmap_range){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
		while (*p == '\n' || *p == ' ')
			p++;
	}
	/* The identity map "0 0 4294967295" needs no translation. */
	if (m->n == 1 && m->r[0].inside == 0 && m->r[0].outside == 0 && m->r[0].count == UINT32_MAX)
		m->n = 0;
	return 0;
}

uint32_t pfs_idmap_out(const struct pfs_idmap *m, uint32_t inside)
{
	if (!m->n)
		return inside;
	for (int i = 0; i < m->n; i++)
		if (inside >= m->r[i].inside && inside - m->r[i].inside < m->r[i].count)
			return m->r[i].outside + (inside - m->r[i].inside);
	return UINT32_MAX;
}

uint32_t pfs_idmap_in(const struct pfs_idmap *m, uint32_t outside)
{
	if (!m->n)
		return outside;
	for (int i = 0; i < m->n; i++)
		if (outside >= m->r[i].outside && outside - m->r[i].outside < m->r[i].count)
			return m->r[i].inside + (outside - m->r[i].outside);
	return OVERFLOW_ID;
}
