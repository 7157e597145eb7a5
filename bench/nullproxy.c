/*
 * nullproxy: the FUSE floor for `make bench`. A minimal libfuse low-level
 * passthrough of a backing /proc: lookup, getattr, readlink, open, read,
 * readdir and release map one to one onto *at() calls on a backing dir fd.
 * No filtering, no per-caller logic (so /proc/self resolves to the proxy's
 * own pid), entry and attr timeouts of 1 s, direct_io.
 *
 * With -o memo it does even less: a file's content is read from the backing
 * once, at its first open, and every later open and read of that inode is
 * served from memory, with no system call. What is left is the cost of FUSE
 * itself (the kernel's round trips and libfuse's dispatch), the floor under
 * any daemon that serves /proc's requests, whatever it does per request.
 *
 * usage: nullproxy [-f] [-o backing=DIR] [-o memo] MOUNTPOINT   (plus the usual FUSE options)
 */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

struct node {
	char *rel; /* relative to the backing fd; "." for the root */
	uint64_t nlookup;
	UT_hash_handle hh;
	pthread_mutex_t memo_lock; /* -o memo: the content, read once */
	char *memo;
	size_t memo_len;
	int memo_err; /* the errno of the first read, kept too */
	bool memo_set;
};

struct dir_handle {
	DIR *dp;
	off_t pos;
	struct dirent *entry; /* one entry read ahead that did not fit */
};

static int backing_fd = -1;
static bool memo; /* -o memo */
static struct node root = {.rel = ".", .nlookup = 1, .memo_lock = PTHREAD_MUTEX_INITIALIZER};
static struct node *table;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static const double timeout = 1.0;

static struct node *get(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &root : (struct node *)(uintptr_t)ino;
}

static void child_rel(const struct node *parent, const char *name, char *out, size_t size)
{
	if (parent == &root)
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "%s/%s", parent->rel, name);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char rel[PATH_MAX];
	child_rel(get(parent), name, rel, sizeof(rel));
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	if (fstatat(backing_fd, rel, &e.attr, AT_SYMLINK_NOFOLLOW) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	pthread_mutex_lock(&table_lock);
	struct node *n = NULL;
	HASH_FIND_STR(table, rel, n);
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (n) {
			n->rel = strdup(rel);
			pthread_mutex_init(&n->memo_lock, NULL);
		}
		if (!n || !n->rel) {
			pthread_mutex_unlock(&table_lock);
			free(n);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		HASH_ADD_KEYPTR(hh, table, n->rel, strlen(n->rel), n);
	}
	n->nlookup++;
	pthread_mutex_unlock(&table_lock);
	e.ino = (fuse_ino_t)(uintptr_t)n;
	e.attr.st_ino = e.ino;
	e.attr_timeout = e.entry_timeout = timeout;
	fuse_reply_entry(req, &e);
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n = get(ino);
	if (n == &root)
		return;
	pthread_mutex_lock(&table_lock);
	n->nlookup -= nlookup;
	if (n->nlookup == 0) {
		HASH_DEL(table, n);
		pthread_mutex_destroy(&n->memo_lock);
		free(n->memo);
		free(n->rel);
		free(n);
	}
	pthread_mutex_unlock(&table_lock);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	if (fstatat(backing_fd, get(ino)->rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	st.st_ino = ino;
	fuse_reply_attr(req, &st, timeout);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(backing_fd, get(ino)->rel, buf, sizeof(buf) - 1);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

/* -o memo keeps at most this much of a file (pagemap, kcore and mem never end). */
#define MEMO_MAX (64u << 10)

/*
 * -o memo: the content of the node's backing file, read once, without
 * blocking (kmsg), up to MEMO_MAX. Returns 0 or an errno. Not
 * pfs_read_at_most: its reads are of odd sizes (a NUL's room), which
 * pagemap refuses (EINVAL: only whole 8-byte entries).
 */
static int memo_fill(struct node *n)
{
	int fd = openat(backing_fd, n->rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (ssize_t r = 1; buf && r > 0 && len < MEMO_MAX;) {
		if (len == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return e;
		}
		len += (size_t)r;
	}
	close(fd);
	if (!buf)
		return ENOMEM;
	n->memo = buf;
	n->memo_len = len;
	return 0;
}

static void memo_open(fuse_req_t req, struct node *n, struct fuse_file_info *fi)
{
	pthread_mutex_lock(&n->memo_lock);
	if (!n->memo_set) {
		n->memo_err = memo_fill(n);
		n->memo_set = true;
	}
	int e = n->memo_err;
	pthread_mutex_unlock(&n->memo_lock);
	if (e) {
		fuse_reply_err(req, e);
		return;
	}
	fi->fh = 0;
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* After memo_open: the content is set once, before any read of it is possible. */
static void memo_read(fuse_req_t req, const struct node *n, size_t size, off_t off)
{
	size_t avail = (size_t)off < n->memo_len ? n->memo_len - (size_t)off : 0;
	fuse_reply_buf(req, avail ? n->memo + off : NULL, avail < size ? avail : size);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (memo) {
		memo_open(req, get(ino), fi);
		return;
	}
	int fd = openat(backing_fd, get(ino)->rel, (fi->flags & O_ACCMODE) | O_CLOEXEC);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	if (memo) {
		memo_read(req, get(ino), size, off);
		return;
	}
	char stackbuf[64 * 1024];
	char *buf = size <= sizeof(stackbuf) ? stackbuf : malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ssize_t n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	if (buf != stackbuf)
		free(buf);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!memo)
		close((int)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, ENOSYS);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *d = calloc(1, sizeof(*d));
	int fd = openat(backing_fd, get(ino)->rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!d || fd < 0 || !(d->dp = fdopendir(fd))) {
		int e = d ? errno : ENOMEM;
		if (fd >= 0)
			close(fd);
		free(d);
		fuse_reply_err(req, e);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		closedir(d->dp);
		free(d);
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->pos) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->pos = off;
	}
	size_t used = 0;
	for (;;) {
		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry)
				break;
		}
		struct stat st;
		memset(&st, 0, sizeof(st));
		st.st_ino = d->entry->d_ino;
		st.st_mode = (mode_t)d->entry->d_type << 12;
		off_t next = d->entry->d_off;
		size_t len = fuse_add_direntry(req, buf + used, size - used, d->entry->d_name, &st,
					       next);
		if (len > size - used)
			break;
		used += len;
		d->entry = NULL;
		d->pos = next;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.flush = op_flush,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
};

struct options {
	char *backing;
	int memo;
};

static const struct fuse_opt option_spec[] = {
	{"backing=%s", offsetof(struct options, backing), 0},
	{"memo", offsetof(struct options, memo), 1},
	FUSE_OPT_END,
};

int main(int argc, char **argv)
{
	/*
	 * One heap arena, as procfilterfs: a thread arena's heap, when it shrinks,
	 * makes glibc open /proc/sys/vm/overcommit_memory, through this very mount
	 * when the proxy serves /proc (the stress-ng bench): a worker then waits
	 * on its own lookup, and the mount hangs.
	 */
	mallopt(M_ARENA_MAX, 1);
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = {NULL};
	if (fuse_opt_parse(&args, &o, option_spec, NULL) == -1)
		return 2;
	struct fuse_cmdline_opts cl;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return 2;
	if (cl.show_help || !cl.mountpoint) {
		printf("usage: %s [-f] [-o backing=DIR] [-o memo] MOUNTPOINT\n", argv[0]);
		fuse_cmdline_help();
		return cl.show_help ? 0 : 2;
	}
	memo = o.memo;
	backing_fd = open(o.backing ? o.backing : "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (backing_fd < 0) {
		perror("nullproxy: backing");
		return 1;
	}
	fuse_opt_add_arg(&args, "-ofsname=nullproxy,subtype=nullproxy");
	if (getuid() == 0)
		fuse_opt_add_arg(&args, "-oallow_other");
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	int ret = 1;
	if (fuse_set_signal_handlers(se) != 0)
		goto out;
	if (fuse_session_mount(se, cl.mountpoint) != 0)
		goto out_signals;
	fuse_daemonize(cl.foreground);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, 8);
	ret = cl.singlethread ? fuse_session_loop(se) : fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out:
	fuse_session_destroy(se);
	free(cl.mountpoint);
	free(o.backing);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
