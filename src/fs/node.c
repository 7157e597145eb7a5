/* The inode table: one node per looked-up /proc path, kept while the kernel holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/ppath.h"

struct pfs_node *pfs_node_get(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &pfs_fs.root : (struct pfs_node *)(uintptr_t)ino;
}

fuse_ino_t pfs_node_ino(const struct pfs_node *n)
{
	return n == &pfs_fs.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

void pfs_nodes_init(void)
{
	struct pfs_node *r = &pfs_fs.root;
	memset(r, 0, sizeof(*r));
	r->name = "";
	r->path = "/proc";
	r->rel = "";
	r->anchor_fd = -1;
	r->type = S_IFDIR;
	r->nlookup = 1;
	pthread_mutex_init(&pfs_fs.nodes_lock, NULL);
}

void pfs_node_loc(const struct pfs_node *n, struct pfs_loc *loc)
{
	int dirfd = n->anchor ? n->anchor->anchor_fd : pfs_fs.view.backing_fd;
	pfs_loc_init(loc, dirfd, n->rel, n->path);
}

/* A pid directory under /proc, or a tid directory under /proc/<pid>/task. */
static bool is_process_dir(const struct pfs_node *parent, const char *name)
{
	if (!pfs_parse_pid(name, strlen(name)))
		return false;
	if (parent == &pfs_fs.root)
		return true;
	return !strcmp(parent->name, "task") && parent->parent &&
	       parent->parent == parent->parent->anchor && parent->parent->anchor_fd >= 0;
}

static atomic_uint_fast64_t nodes_freed;

uint64_t pfs_nodes_freed(void)
{
	return atomic_load(&nodes_freed);
}

static void node_free(struct pfs_node *n)
{
	atomic_fetch_add(&nodes_freed, 1);
	if (n->anchor_fd >= 0)
		close(n->anchor_fd);
	free(n->name);
	free(n->path);
	free(n);
}

/* Called with nodes_lock held. Frees n if nothing holds it, then its parents. */
static void maybe_release(struct pfs_node *n)
{
	while (n && n != &pfs_fs.root && n->nlookup == 0 && n->refs == 0) {
		struct pfs_node *parent = n->parent;
		if (!n->detached)
			HASH_DEL(parent->children, n);
		node_free(n);
		parent->refs--;
		n = parent;
	}
}

void pfs_node_ref(struct pfs_node *n)
{
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	n->refs++;
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
}

void pfs_node_unref(struct pfs_node *n)
{
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	n->refs--;
	maybe_release(n);
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
}

void pfs_node_forget(struct pfs_node *n, uint64_t nlookup)
{
	if (n == &pfs_fs.root)
		return;
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	maybe_release(n);
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
}

static struct pfs_node *node_new(struct pfs_node *parent, const char *name, char *path,
				 int anchor_fd, ino_t backing_ino, mode_t type)
{
	struct pfs_node *n = calloc(1, sizeof(*n));
	char *nm = strdup(name);
	if (!n || !nm) {
		free(n);
		free(nm);
		return NULL;
	}
	n->parent = parent;
	n->name = nm;
	n->path = path;
	n->anchor_fd = anchor_fd;
	n->backing_ino = backing_ino;
	n->type = type;
	if (anchor_fd >= 0) {
		n->anchor = n;
		n->rel = path + strlen(path);
	} else {
		n->anchor = parent->anchor;
		size_t skip = n->anchor ? strlen(n->anchor->path) + 1 : strlen("/proc/");
		n->rel = path + skip;
	}
	/* self/thread-self: the entry is the same for everyone; READLINK is never cached. */
	n->per_caller = n->anchor != NULL;
	return n;
}

/* Finds or makes parent/name (with nodes_lock); takes path and anchor_fd. */
static int insert(struct pfs_node *parent, const char *name, char **path, int anchor_fd,
		  const struct stat *st, bool magic, struct pfs_node **out)
{
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	struct pfs_node *n = NULL;
	HASH_FIND_STR(parent->children, name, n);
	if (n && ((n->type != (st->st_mode & S_IFMT)) ||
		  ((anchor_fd >= 0 || magic) && n->backing_ino != st->st_ino))) {
		HASH_DEL(parent->children, n); /* a new process (or object) under an old name */
		n->detached = true;
		n = NULL;
	}
	if (!n) {
		n = node_new(parent, name, *path, anchor_fd, st->st_ino, st->st_mode & S_IFMT);
		if (!n) {
			pthread_mutex_unlock(&pfs_fs.nodes_lock);
			if (anchor_fd >= 0)
				close(anchor_fd);
			return -ENOMEM;
		}
		n->magic = magic;
		*path = NULL;
		HASH_ADD_KEYPTR(hh, parent->children, n->name, strlen(n->name), n);
		parent->refs++;
	} else if (anchor_fd >= 0) {
		close(anchor_fd);
	}
	n->nlookup++;
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
	*out = n;
	return 0;
}

/*
 * The lookup proper: decide visibility for this caller, stat as the caller,
 * then find or make the node. A pid directory whose backing inode changed is a
 * different process: the old node is detached and a new one made.
 */
int pfs_node_lookup(struct pfs_node *parent, const char *name, struct pfs_node **out,
		    struct stat *st, struct pfs_caller *c)
{
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -ENOENT;
	if (parent->anchor && parent->anchor->anchor_fd < 0)
		return -ENOENT;
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/%s", parent->path, name) < 0)
		return -ENOMEM;

	bool magic = pfs_magic_name(parent, name);
	if (magic) {
		int mr = pfs_magic_lookup_stat(parent, name, c, st);
		if (mr < 0)
			return mr;
		return insert(parent, name, &path, -1, st, true, out);
	}

	struct pfs_loc loc;
	int pdir = parent->anchor ? parent->anchor->anchor_fd : pfs_fs.view.backing_fd;
	size_t skip = parent->anchor ? strlen(parent->anchor->path) + 1 : strlen("/proc/");
	if (pfs_loc_init(&loc, pdir, path + skip, path) < 0)
		return -ENOENT;
	struct pfs_path_decision d;
	pfs_view_decide(&pfs_fs.view, c, &loc, &d);
	int r = pfs_view_visible(&pfs_fs.view, c, &loc, &d);
	if (r < 0)
		return r;

	cleanup_close int anchor_fd = -1;
	if (is_process_dir(parent, name)) {
		anchor_fd = openat(pdir, loc.rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (anchor_fd < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		loc.dirfd = anchor_fd;
		loc.rel = "";
	}
	r = pfs_ns_enter(c, pfs_ns_needs(&loc, false) & PFS_NS_SYSCTL);
	if (r == 0)
		r = pfs_view_stat(&pfs_fs.view, c, &loc, st);
	if (r < 0)
		return r;

	return insert(parent, name, &path, steal_fd(anchor_fd), st, false, out);
}

static void destroy_tree(struct pfs_node *n)
{
	struct pfs_node *child, *tmp;
	HASH_ITER (hh, n->children, child, tmp) {
		HASH_DEL(n->children, child);
		destroy_tree(child);
		node_free(child);
	}
}

void pfs_nodes_destroy(void)
{
	pthread_mutex_lock(&pfs_fs.nodes_lock);
	destroy_tree(&pfs_fs.root);
	pthread_mutex_unlock(&pfs_fs.nodes_lock);
}
