#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/caller.h"

#define OVERFLOW_ID 65534u

void pfs_caller_init(struct pfs_caller *c, pid_t tid, uid_t uid, gid_t gid)
{
	memset(c, 0, sizeof(*c));
	c->tid = tid;
	c->uid = uid;
	c->gid = gid;
}

int pfs_caller_tgid(int backing_fd, struct pfs_caller *c)
{
	if (c->tgid)
		return 0;
	if (c->tid <= 0)
		return -ENOENT;
	char rel[32], text[2048];
	snprintf(rel, sizeof(rel), "%d/status", c->tid);
	ssize_t n = pfs_read_small_at(backing_fd, rel, text, sizeof(text));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	const char *v = pfs_status_field(text, "Tgid");
	if (!v)
		return -EBADMSG;
	c->tgid = (pid_t)strtol(v, NULL, 10);
	return c->tgid > 0 ? 0 : -ENOENT;
}

int pfs_caller_load_creds(int backing_fd, struct pfs_caller *c, const struct pfs_idmap *gidmap,
			  uint64_t mount_userns_ino)
{
	if (c->creds_loaded)
		return 0;
	if (c->tid <= 0)
		return -ENOENT;
	char rel[32], text[4096];
	snprintf(rel, sizeof(rel), "%d/status", c->tid);
	ssize_t n = pfs_read_small_at(backing_fd, rel, text, sizeof(text));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	const char *v = pfs_status_field(text, "Tgid");
	if (v && !c->tgid)
		c->tgid = (pid_t)strtol(v, NULL, 10);
	v = pfs_status_field(text, "Groups");
	c->ngroups = 0;
	while (v && *v && *v != '\n' && c->ngroups < PFS_MAX_GROUPS) {
		char *end = NULL;
		unsigned long g = strtoul(v, &end, 10);
		if (end == v)
			break;
		/* status shows ids as the daemon sees them: already outside ids */
		c->groups[c->ngroups++] = (gid_t)g;
		v = end;
		while (*v == ' ')
			v++;
	}
	(void)gidmap;
	v = pfs_status_field(text, "CapEff");
	c->cap_eff = v ? strtoull(v, NULL, 16) : 0;
	v = pfs_status_field(text, "CapPrm");
	c->cap_prm = v ? strtoull(v, NULL, 16) : 0;
	if (mount_userns_ino) {
		char link[64], nsrel[32];
		snprintf(nsrel, sizeof(nsrel), "%d/ns/user", c->tid);
		ssize_t l = readlinkat(backing_fd, nsrel, link, sizeof(link) - 1);
		if (l < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		link[l] = '\0';
		char want[64];
		snprintf(want, sizeof(want), "user:[%" PRIu64 "]", mount_userns_ino);
		/* Capabilities held in a nested user namespace mean nothing for our targets. */
		if (strcmp(link, want) != 0)
			c->cap_eff = c->cap_prm = 0;
	}
	c->creds_loaded = true;
	return 0;
}

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
