/* The inode table: one node per looked-up /proc path, kept while the kernel holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/ppath.h"

void pfs_nodes_init(struct pfs_fs *fs)
{
	struct pfs_node *r = &fs->root;
	memset(r, 0, sizeof(*r));
	r->id = FUSE_ROOT_ID;
	r->name = "";
	r->path = "/proc";
	r->rel = "";
	r->anchor_fd = -1;
	r->pidfd = -1;
	r->type = S_IFDIR;
	r->nlookup = 1;
	pthread_mutex_init(&fs->nodes_lock, NULL);
}

void pfs_node_loc(struct pfs_fs *fs, const struct pfs_node *n, struct pfs_loc *loc)
{
	int dirfd = n->anchor ? n->anchor->anchor_fd : fs->view.backing_fd;
	pfs_loc_init(loc, dirfd, n->rel, n->path);
}

bool pfs_node_gone(const struct pfs_node *n)
{
	return n->anchor && n->anchor->anchor_fd < 0;
}

bool pfs_magic_name(struct pfs_fs *fs, const struct pfs_node *dir, const char *name)
{
	if (!dir->anchor)
		return false;
	struct pfs_loc loc;
	pfs_node_loc(fs, dir, &loc);
	return pfs_view_is_magic_name(&loc, name);
}

/* The type a magic node is served with: the target's own only when asked (a stat). */
static mode_t served_type(mode_t real, bool real_type)
{
	if (S_ISSOCK(real))
		return S_IFSOCK;
	if (real_type && (S_ISFIFO(real) || S_ISCHR(real) || S_ISBLK(real)))
		return real & S_IFMT;
	return S_IFREG;
}

int pfs_magic_stat(struct pfs_fs *fs, const struct pfs_node *dir, const char *name,
		   struct pfs_caller *c, bool real_type, struct stat *st)
{
	if (pfs_node_gone(dir))
		return -ENOENT;
	struct pfs_loc loc;
	pfs_node_loc(fs, dir, &loc);
	char entry[32];
	int r = pfs_view_magic_lookup(&fs->view, c, &loc, name, entry, sizeof(entry), st);
	if (r < 0)
		return r;
	mode_t type = served_type(st->st_mode, real_type);
	if (!S_ISREG(st->st_mode))
		st->st_size = 0;
	if (!S_ISCHR(type) && !S_ISBLK(type))
		st->st_rdev = 0;
	st->st_mode = type | (st->st_mode & 07777);
	st->st_nlink = 1;
	return 0;
}

int pfs_magic_lookup_stat(struct pfs_fs *fs, const struct pfs_node *dir, const char *name,
			  struct pfs_caller *c, struct stat *st)
{
	return pfs_magic_stat(fs, dir, name, c, pfs_caller_intent(fs, c) == PFS_INTENT_STAT, st);
}

int pfs_magic_getattr(struct pfs_fs *fs, const struct pfs_node *n, struct pfs_caller *c,
		      struct stat *st)
{
	int r = pfs_magic_stat(fs, n->parent, n->name, c, n->type != S_IFREG, st);
	if (r == 0) /* an inode never changes type; a new object gets a new node at lookup */
		st->st_mode = n->type | (st->st_mode & 07777);
	return r;
}

/* A pid directory under /proc, or a tid directory under /proc/<pid>/task. */
static bool is_process_dir(struct pfs_fs *fs, const struct pfs_node *parent, const char *name)
{
	if (!pfs_parse_pid(name, strlen(name)))
		return false;
	if (parent == &fs->root)
		return true;
	return !strcmp(parent->name, "task") && parent->parent &&
	       parent->parent == parent->parent->anchor && parent->parent->anchor_fd >= 0;
}

uint64_t pfs_nodes_freed(struct pfs_fs *fs)
{
	return atomic_load(&fs->nodes_freed);
}

static void node_free(struct pfs_fs *fs, struct pfs_node *n)
{
	atomic_fetch_add(&fs->nodes_freed, 1);
	if (n->anchor_fd >= 0)
		close(n->anchor_fd);
	if (n->pidfd >= 0)
		close(n->pidfd);
	free(n->name);
	free(n->path);
	free(n->last_attr);
	free(n);
}

bool pfs_node_reaped(const struct pfs_node *n)
{
	const struct pfs_node *a = n->anchor;
	struct stat st;
	return a && a->anchor_fd >= 0 &&
	       fstatat(a->anchor_fd, "stat", &st, AT_SYMLINK_NOFOLLOW) < 0;
}

void pfs_node_keep_attr(struct pfs_fs *fs, struct pfs_node *n, const struct stat *st)
{
	pthread_mutex_lock(&fs->nodes_lock);
	if (!n->last_attr)
		n->last_attr = malloc(sizeof(*n->last_attr));
	if (n->last_attr)
		*n->last_attr = *st;
	pthread_mutex_unlock(&fs->nodes_lock);
}

bool pfs_node_last_attr(struct pfs_fs *fs, struct pfs_node *n, struct stat *st)
{
	pthread_mutex_lock(&fs->nodes_lock);
	bool kept = n->last_attr != NULL;
	if (kept)
		*st = *n->last_attr;
	pthread_mutex_unlock(&fs->nodes_lock);
	return kept;
}

/* Called with nodes_lock held. Frees n if nothing holds it, then its parents. */
static void maybe_release(struct pfs_fs *fs, struct pfs_node *n)
{
	while (n && n != &fs->root && n->nlookup == 0 && atomic_load(&n->refs) == 0) {
		struct pfs_node *parent = n->parent;
		if (!n->detached)
			HASH_DEL(parent->children, n);
		pfs_node_id_release(fs, n);
		node_free(fs, n);
		atomic_fetch_sub(&parent->refs, 1);
		n = parent;
	}
}

/*
 * An open takes its reference without nodes_lock: the kernel's lookup
 * reference keeps the node alive while the open is served (no FORGET comes for
 * an inode being opened), so nothing can free it under us.
 */
void pfs_node_ref(struct pfs_fs *fs, struct pfs_node *n)
{
	(void)fs;
	atomic_fetch_add(&n->refs, 1);
}

/*
 * Dropping a reference that is not the last needs no lock. The last one is
 * dropped under nodes_lock, because a release is asynchronous: the node's
 * FORGET may be served first, and then this is what frees it (maybe_release).
 */
void pfs_node_unref(struct pfs_fs *fs, struct pfs_node *n)
{
	unsigned refs = atomic_load(&n->refs);
	while (refs > 1)
		if (atomic_compare_exchange_weak(&n->refs, &refs, refs - 1))
			return;
	pthread_mutex_lock(&fs->nodes_lock);
	atomic_fetch_sub(&n->refs, 1);
	maybe_release(fs, n);
	pthread_mutex_unlock(&fs->nodes_lock);
}

void pfs_node_forget(struct pfs_fs *fs, struct pfs_node *n, uint64_t nlookup)
{
	if (n == &fs->root || n == &fs->ids.stale)
		return;
	pthread_mutex_lock(&fs->nodes_lock);
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	pfs_node_id_count(fs, n);
	maybe_release(fs, n);
	pthread_mutex_unlock(&fs->nodes_lock);
}

struct pfs_node *pfs_node_new(struct pfs_node *parent, const char *name, char *path, int anchor_fd,
			      ino_t backing_ino, mode_t type)
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
	n->pidfd = -1;
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

void pfs_node_attach(struct pfs_node *parent, struct pfs_node *n)
{
	struct pfs_node *old = NULL;
	HASH_FIND_STR(parent->children, n->name, old);
	if (old)
		n->detached = true;
	else
		HASH_ADD_KEYPTR(hh, parent->children, n->name, strlen(n->name), n);
	atomic_fetch_add(&parent->refs, 1);
}

/* Finds or makes parent/name (with nodes_lock); takes path and anchor_fd. */
static int insert(struct pfs_fs *fs, struct pfs_node *parent, const char *name, char **path,
		  int anchor_fd, const struct stat *st, bool magic, struct pfs_node **out)
{
	pthread_mutex_lock(&fs->nodes_lock);
	struct pfs_node *n = NULL;
	HASH_FIND_STR(parent->children, name, n);
	if (n && ((n->type != (st->st_mode & S_IFMT)) ||
		  ((anchor_fd >= 0 || magic) && n->backing_ino != st->st_ino))) {
		HASH_DEL(parent->children, n); /* a new process (or object) under an old name */
		n->detached = true;
		n = NULL;
	}
	if (!n) {
		n = pfs_node_new(parent, name, *path, anchor_fd, st->st_ino, st->st_mode & S_IFMT);
		int r = n ? 0 : -ENOMEM;
		if (n) {
			n->magic = magic;
			r = pfs_node_id_assign(fs, n);
		}
		if (r < 0) {
			pthread_mutex_unlock(&fs->nodes_lock);
			if (n) {
				n->path = NULL; /* still the caller's */
				node_free(fs, n);
			} else if (anchor_fd >= 0) {
				close(anchor_fd);
			}
			return r;
		}
		*path = NULL;
		HASH_ADD_KEYPTR(hh, parent->children, n->name, strlen(n->name), n);
		atomic_fetch_add(&parent->refs, 1);
	} else if (anchor_fd >= 0) {
		close(anchor_fd);
	}
	n->nlookup++;
	pfs_node_id_count(fs, n);
	pthread_mutex_unlock(&fs->nodes_lock);
	*out = n;
	return 0;
}

/*
 * The lookup proper: decide visibility for this caller, stat as the caller,
 * then find or make the node. A pid directory whose backing inode changed is a
 * different process: the old node is detached and a new one made.
 */
int pfs_node_lookup(struct pfs_fs *fs, struct pfs_node *parent, const char *name,
		    struct pfs_node **out, struct stat *st, struct pfs_caller *c)
{
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -ENOENT;
	if (pfs_node_gone(parent))
		return -ENOENT;
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/%s", parent->path, name) < 0)
		return -ENOMEM;

	bool magic = pfs_magic_name(fs, parent, name);
	if (magic) {
		int mr = pfs_magic_lookup_stat(fs, parent, name, c, st);
		if (mr < 0)
			return mr;
		return insert(fs, parent, name, &path, -1, st, true, out);
	}

	struct pfs_loc loc;
	int pdir = parent->anchor ? parent->anchor->anchor_fd : fs->view.backing_fd;
	size_t skip = parent->anchor ? strlen(parent->anchor->path) + 1 : strlen("/proc/");
	if (pfs_loc_init(&loc, pdir, path + skip, path) < 0)
		return -ENOENT;
	struct pfs_path_decision d;
	int r = pfs_view_reach(&fs->view, c, &loc, PFS_REACH_SEE, &d);
	if (r < 0)
		return r;

	cleanup_close int anchor_fd = -1;
	if (is_process_dir(fs, parent, name)) {
		anchor_fd = openat(pdir, loc.rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (anchor_fd < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		loc.dirfd = anchor_fd;
		loc.rel = "";
	}
	r = pfs_view_stat(&fs->view, c, &loc, st);
	if (r < 0)
		return r;

	return insert(fs, parent, name, &path, steal_fd(anchor_fd), st, false, out);
}

static void destroy_tree(struct pfs_fs *fs, struct pfs_node *n)
{
	struct pfs_node *child, *tmp;
	HASH_ITER (hh, n->children, child, tmp) {
		HASH_DEL(n->children, child);
		destroy_tree(fs, child);
		node_free(fs, child);
	}
}

void pfs_nodes_destroy(struct pfs_fs *fs)
{
	pthread_mutex_lock(&fs->nodes_lock);
	destroy_tree(fs, &fs->root);
	pthread_mutex_unlock(&fs->nodes_lock);
}
