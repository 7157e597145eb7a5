#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/caller.h"

void pfs_caller_init(struct pfs_caller *c, pid_t tid, uid_t uid, gid_t gid)
{
	memset(c, 0, sizeof(*c));
	c->tid = tid;
	c->uid = uid;
	c->gid = gid;
}

/*
 * The caller's status, read once per request (the caller is request-scoped):
 * its thread group, groups and capabilities all come from this one reading,
 * whichever is asked for first.
 */
static int read_status(int backing_fd, struct pfs_caller *c)
{
	if (c->status_read)
		return 0;
	if (c->tid <= 0)
		return -ENOENT;
	char rel[32], text[4096];
	snprintf(rel, sizeof(rel), "%d/status", c->tid);
	ssize_t n = pfs_read_small_at(backing_fd, rel, text, sizeof(text));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	const char *v = pfs_status_field(text, "Tgid");
	if (!v)
		return -EBADMSG;
	if (!c->tgid)
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
	v = pfs_status_field(text, "CapEff");
	c->cap_eff = v ? strtoull(v, NULL, 16) : 0;
	v = pfs_status_field(text, "CapPrm");
	c->cap_prm = v ? strtoull(v, NULL, 16) : 0;
	c->status_read = true;
	return 0;
}

int pfs_caller_tgid(int backing_fd, struct pfs_caller *c)
{
	if (c->tgid)
		return 0;
	int r = read_status(backing_fd, c);
	if (r < 0)
		return r;
	return c->tgid > 0 ? 0 : -ENOENT;
}

int pfs_caller_load_creds(int backing_fd, struct pfs_caller *c, const struct pfs_idmap *gidmap,
			  uint64_t mount_userns_ino)
{
	if (c->creds_loaded)
		return 0;
	int r = read_status(backing_fd, c);
	if (r < 0)
		return r;
	(void)gidmap;
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
