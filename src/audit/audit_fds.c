/*
 * pfs audit: maps pathnames and fd targets of visible processes.
 * maps: libraries or files whose pathname names a host storage path.
 * fd: inherited descriptors to host paths, to files outside the sandbox's
 * root (live view: the target text does not resolve to the same file), and
 * to sockets of another network namespace (not listed in /proc/net tables).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define MAPS_MAX (4 * 1024 * 1024)
#define NET_MAX (8 * 1024 * 1024)

/* The pathname of a maps line: what follows the 5th field, or NULL. */
static const char *maps_pathname(const char *line)
{
	const char *p = line;
	for (int f = 0; f < 5; f++) {
		p += strspn(p, " ");
		if (!*p)
			return NULL;
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	return *p ? p : NULL;
}

static int maps_one(const struct pfs_audit_opts *o, pid_t pid, struct pfs_findings *out)
{
	char rel[48], path[64];
	snprintf(rel, sizeof(rel), "%d/maps", (int)pid);
	snprintf(path, sizeof(path), "/proc/%s", rel);
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read(o->proc_fd, rel, MAPS_MAX, &b) < 0)
		return 0;
	for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *name = maps_pathname(line), *which = NULL;
		if (!name || !pfs_audit_host_path(o, name, &which))
			continue;
		cleanup_free char *why = NULL, *glob = NULL, *rule = NULL;
		cleanup_free char *esc = pfs_audit_glob_escape(which);
		if (!esc ||
		    asprintf(&why,
			     "a mapped file's pathname lies under the host path %s: the daemon "
			     "rendered it against the host's root, or a host directory is bound in",
			     which) < 0 ||
		    asprintf(&glob, "%s/*", esc) < 0)
			return -ENOMEM;
		rule = pfs_audit_rule_maps(glob);
		if (!rule)
			return -ENOMEM;
		int r = pfs_audit_add(out, "maps", "maps-host-path", PFS_SEV_MEDIUM, PFS_AK_MAPS,
				      path, line, name, why, rule);
		if (r < 0)
			return r;
	}
	return 0;
}

int pfs_audit_maps(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = pfs_audit_list_pids(o, &pids, &n);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (size_t i = 0; i < n; i++)
		if ((r = maps_one(o, pids[i], out)) < 0)
			return r;
	return 0;
}

struct inodes {
	unsigned long *v;
	size_t n, cap;
};

static int inodes_push(struct inodes *s, unsigned long ino)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		unsigned long *v = reallocarray(s->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ino;
	return 0;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return (x > y) - (x < y);
}

/* Socket inodes of the tree's network namespace. -ENOENT: no net/unix to compare with. */
static int net_inodes(const struct pfs_audit_opts *o, struct inodes *s)
{
	static const struct {
		const char *file;
		int col;
	} tables[] = {{"net/unix", 6},	   {"net/tcp", 9},     {"net/tcp6", 9},	 {"net/udp", 9},
		      {"net/udp6", 9},	   {"net/raw", 9},     {"net/raw6", 9},	 {"net/udplite", 9},
		      {"net/udplite6", 9}, {"net/netlink", 9}, {"net/packet", 8}};
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		int r = pfs_audit_read_self(o, tables[t].file, NET_MAX, &b);
		if (r < 0) {
			if (t == 0)
				return -ENOENT;
			continue;
		}
		char *save = NULL;
		strtok_r(b.data, "\n", &save); /* the header line */
		for (char *line = strtok_r(NULL, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *tok, *ts = NULL;
			int col = 0;
			for (tok = strtok_r(line, " \t", &ts); tok && col < tables[t].col;
			     tok = strtok_r(NULL, " \t", &ts))
				col++;
			if (!tok)
				continue;
			char *end;
			unsigned long ino = strtoul(tok, &end, 10);
			if (*end == '\0' && ino && (r = inodes_push(s, ino)) < 0)
				return r;
		}
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_ul);
	return 0;
}

struct fd_ctx {
	const struct pfs_audit_opts *o;
	struct pfs_findings *out;
	struct inodes sockets; /* socket inodes seen in fd/ */
	char (*sock_entries)[96];
	pid_t outside_pid; /* the process whose outside-root fds are being merged */
	size_t outside_idx; /* its finding in out */
};

/* glob: the fd rule's target glob, NULL for no rule. */
static int add_fd(struct fd_ctx *c, const char *check, enum pfs_severity sev, const char *path,
		  const char *entry, const char *target, const char *why, const char *glob)
{
	cleanup_free char *rule = glob ? pfs_audit_rule_fd(glob) : NULL;
	if (glob && !rule)
		return -ENOMEM;
	return pfs_audit_add(c->out, "fd", check, sev, PFS_AK_FD, path, entry, target, why, rule);
}

/* Live view: does the target text name the very file the fd holds, inside our root? */
static bool outside_root(const struct pfs_audit_opts *o, const char *rel, const char *target)
{
	struct stat held, named;
	if (fstatat(o->proc_fd, rel, &held, 0) < 0)
		return false; /* gone, or not followable: no evidence */
	if (stat(target, &named) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	return held.st_dev != named.st_dev || held.st_ino != named.st_ino;
}

/* "socket:[12345]" -> 12345 */
static bool socket_inode(const char *target, unsigned long *ino)
{
	if (strncmp(target, "socket:[", 8) != 0)
		return false;
	char *end;
	errno = 0;
	*ino = strtoul(target + 8, &end, 10);
	return errno == 0 && end != target + 8 && end[0] == ']' && end[1] == '\0';
}

static int fd_one(struct fd_ctx *c, pid_t pid, const char *fdname)
{
	char rel[64], path[80], target[4096];
	snprintf(rel, sizeof(rel), "%d/fd/%s", (int)pid, fdname);
	snprintf(path, sizeof(path), "/proc/%s", rel);
	ssize_t n = readlinkat(c->o->proc_fd, rel, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	cleanup_free char *entry = NULL;
	if (asprintf(&entry, "%s -> %s", path, target) < 0)
		return -ENOMEM;
	const char *which = NULL;
	unsigned long ino;
	if (socket_inode(target, &ino)) {
		int r = inodes_push(&c->sockets, ino);
		if (r < 0)
			return r;
		char(*se)[96] = reallocarray(c->sock_entries, c->sockets.cap, sizeof(*se));
		if (!se)
			return -ENOMEM;
		c->sock_entries = se;
		snprintf(se[c->sockets.n - 1], sizeof(se[0]), "%s", entry);
		return 0;
	}
	if (target[0] != '/')
		return 0; /* pipe:, anon_inode:, ... */
	if (pfs_audit_host_path(c->o, target, &which)) {
		cleanup_free char *why = NULL;
		if (asprintf(&why,
			     "an open descriptor to a host file under %s, typically inherited from "
			     "a launcher that did not close it: the process can read (or write) it "
			     "whatever the mounts say",
			     which) < 0)
			return -ENOMEM;
		cleanup_free char *esc = pfs_audit_glob_escape(which);
		cleanup_free char *glob = NULL;
		if (!esc || asprintf(&glob, "%s/*", esc) < 0)
			return -ENOMEM;
		return add_fd(c, "fd-host-path", PFS_SEV_HIGH, path, entry, target, why, glob);
	}
	if (c->o->live && !strstr(target, " (deleted)") && strncmp(target, "/memfd:", 7) != 0 &&
	    outside_root(c->o, rel, target)) {
		if (c->outside_pid == pid) {
			/* one finding per process: the first target, counted */
			c->out->v[c->outside_idx].count++;
			return 0;
		}
		cleanup_free char *glob = pfs_audit_glob_escape(target);
		if (!glob)
			return -ENOMEM;
		size_t before = c->out->n;
		int r = add_fd(c, "fd-outside-root", PFS_SEV_HIGH, path, entry, target,
			       "an open descriptor to a file outside the sandbox's root (its path "
			       "does not lead to the same file here): an inherited host file",
			       glob);
		c->outside_pid = c->out->n > before ? pid : 0;
		c->outside_idx = before;
		return r;
	}
	return 0;
}

static int fds_of(struct fd_ctx *c, pid_t pid)
{
	char rel[32];
	snprintf(rel, sizeof(rel), "%d/fd", (int)pid);
	int dfd = openat(c->o->proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	cleanup_closedir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		int r = fd_one(c, pid, e->d_name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int foreign_sockets(struct fd_ctx *c)
{
	struct inodes known = {0};
	int r = net_inodes(c->o, &known);
	if (r == -ENOENT || (!r && !known.n)) {
		free(known.v);
		return 0; /* nothing to compare with */
	}
	for (size_t i = 0; !r && i < c->sockets.n; i++) {
		unsigned long ino = c->sockets.v[i];
		if (bsearch(&ino, known.v, known.n, sizeof(ino), cmp_ul))
			continue;
		char value[48], path[96];
		snprintf(value, sizeof(value), "socket:[%lu]", ino);
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(c->sock_entries[i], " "),
			 c->sock_entries[i]);
		r = add_fd(c, "fd-foreign-socket", PFS_SEV_HIGH, path, c->sock_entries[i], value,
			   "a socket that the sandbox's network namespace does not list: it was "
			   "inherited from the host (or another namespace). Close it in the "
			   "launcher; a policy can only hide the entry, not revoke the descriptor",
			   NULL);
	}
	free(known.v);
	return r;
}

int pfs_audit_fds(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = pfs_audit_list_pids(o, &pids, &n);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	struct fd_ctx c = {.o = o, .out = out};
	for (size_t i = 0; !r && i < n; i++)
		if (pids[i] != o->self_pid)
			r = fds_of(&c, pids[i]);
	/* Net tables read after the fds: a socket created in between is listed. */
	if (!r && c.sockets.n)
		r = foreign_sockets(&c);
	free(c.sockets.v);
	free(c.sock_entries);
	return r;
}
