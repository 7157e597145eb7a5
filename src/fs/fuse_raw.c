/*
 * Taking over a live FUSE connection: the raw protocol libfuse 3.14 lacks.
 *
 * When the daemon dies, the launcher's supervisor keeps a duplicate of the
 * /dev/fuse fd (the kernel does not abort a connection while an fd of it is
 * open) and starts a new daemon on it. libfuse 3.14 cannot serve such a
 * connection:
 *
 *  - A session only serves after it has processed FUSE_INIT (everything
 *    else is refused with EIO), and the kernel sends INIT once per mount:
 *    the dead daemon answered it. There is no API to start a session as
 *    already initialised. So the first daemon records the kernel's INIT
 *    request in the id table (its bytes, once its reply was written), and
 *    a later daemon feeds the session that same INIT before serving, with a
 *    unique id the kernel never uses, and swallows the reply: libfuse then
 *    negotiates exactly what the kernel already agreed to.
 *  - There is no FUSE_NOTIFY_RESEND (kernel 6.9, protocol 7.40): the
 *    requests the dead daemon had read but not answered stay with the
 *    kernel, and their callers wait forever. The notify is a bare
 *    fuse_out_header written to the fd (error = the notify code, unique 0):
 *    the kernel puts those requests back in its queue, and the new daemon
 *    reads them like new ones. On an older kernel the write fails with
 *    EINVAL: new requests are served, and the callers of the lost ones wait
 *    until they are killed (docs/pfs-run.md, "When the daemon dies").
 *
 * Both need the session's reads and writes, so the daemon serves the
 * connection through fuse_session_custom_io() (plain read and writev, plus
 * these two checks, and the count of each sender's waits: waits.c); on a
 * connection it mounts itself, after fuse_session_mount().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"

#include <linux/fuse.h>

#define PFS_FUSE_NOTIFY_RESEND 7 /* enum fuse_notify_code, kernel 6.9 (7.40) */
#define SYNTH_INIT_UNIQUE 0x7ffffffffffffff0ULL /* never a kernel unique (even, bit 63 clear) */

static struct pfs_idt_header *table(void *userdata)
{
	return ((struct pfs_fs *)userdata)->ids.t.h;
}

static ssize_t raw_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	pfs_waits_seen(userdata, buf, n);
	struct pfs_idt_header *h = table(userdata);
	const struct fuse_in_header *in = buf;
	/* the kernel's INIT, kept until its reply is written (raw_writev) */
	if (n >= (ssize_t)sizeof(*in) && in->opcode == FUSE_INIT && h->init_len == 0 &&
	    (size_t)n <= sizeof(h->init))
		memcpy(h->init, buf, (size_t)n);
	return n;
}

static ssize_t raw_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	if (out->unique == SYNTH_INIT_UNIQUE) {
		/* the reply to our own INIT: the kernel has its answer already */
		size_t total = 0;
		for (int i = 0; i < count; i++)
			total += iov[i].iov_len;
		return (ssize_t)total;
	}
	ssize_t n = writev(fd, iov, count);
	struct pfs_idt_header *h = table(userdata);
	const struct fuse_in_header *init = (const struct fuse_in_header *)h->init;
	if (n >= 0 && h->init_len == 0 && out->error == 0 && init->opcode == FUSE_INIT &&
	    out->unique == init->unique && init->len <= sizeof(h->init))
		h->init_len = init->len;
	return n;
}

static const struct fuse_custom_io raw_io = {.read = raw_read, .writev = raw_writev};

/* "/dev/fd/N": the fd of a connection mounted by someone else (pfs run's init). */
static int mountpoint_fd(const char *mountpoint)
{
	const char *p = mountpoint + strlen("/dev/fd/");
	if (strncmp(mountpoint, "/dev/fd/", strlen("/dev/fd/")) != 0 || *p < '0' || *p > '9')
		return -1;
	char *end = NULL;
	long fd = strtol(p, &end, 10);
	return *end || fd > 1 << 20 ? -1 : (int)fd;
}

int pfs_raw_attach(struct pfs_fs *fs, const char *mountpoint)
{
	int fd = -1;
	if (fs->opt.idtable_fd < 0) {
		/* a connection of its own: the reads still go through raw_read (waits) */
		if (fuse_session_mount(fs->se, mountpoint) != 0)
			return -1;
		fd = fuse_session_fd(fs->se);
	} else {
		fd = mountpoint_fd(mountpoint);
		if (fd < 0) {
			pfs_err("idtable_fd= needs the mount point /dev/fd/N (a mounted "
				"connection)");
			return -1;
		}
	}
	return fuse_session_custom_io(fs->se, &raw_io, fd) == 0 ? 0 : -1;
}

/* Feeds the session the INIT the kernel sent the first daemon. */
static void synthetic_init(struct pfs_fs *fs)
{
	struct pfs_idt_header *h = fs->ids.t.h;
	/* room past the kernel's request: libfuse reads the init_in it knows */
	uint8_t *buf = calloc(1, sizeof(h->init) + 256);
	if (!buf)
		return;
	memcpy(buf, h->init, h->init_len);
	struct fuse_in_header *in = (struct fuse_in_header *)buf;
	in->unique = SYNTH_INIT_UNIQUE;
	struct fuse_buf fb = {.size = h->init_len, .mem = buf};
	fuse_session_process_buf(fs->se, &fb);
	free(buf);
}

/*
 * The process entries the kernel may hold with a timeout (cache.c): their
 * exit watchers died with the previous daemon, so they are invalidated and
 * looked up again (which watches them anew). From a thread of its own: the
 * kernel takes the directory's lock for it, which a lookup that waits for
 * this daemon's loop may hold.
 */
static void *invalidate_later(void *arg)
{
	struct pfs_fs *fs = arg;
	struct pfs_inval_list l = {0};
	const struct pfs_idtable *t = &fs->ids.t;
	for (uint32_t i = 0; i < t->h->used_hw; i++) {
		const struct pfs_idrec *r = &t->recs[i];
		if (r->state == PFS_IDREC_NODE && (r->flags & PFS_IDREC_PROCDIR) &&
		    !(r->flags & PFS_IDREC_UNNAMED) && r->parent == PFS_ID_ROOT && r->nlookup &&
		    pfs_inval_push(fs, &l, &fs->root, r->name) < 0)
			break;
	}
	pfs_inval_flush(fs, &l);
	return NULL;
}

static void invalidate_process_entries(struct pfs_fs *fs)
{
	pthread_t th;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &a, invalidate_later, fs) != 0)
		pfs_warn("cannot invalidate the process entries the kernel caches: an exited "
			 "process's entry may stay for up to a minute (its lookups fail)");
	pthread_attr_destroy(&a);
}

int pfs_raw_takeover(struct pfs_fs *fs, int fd)
{
	struct pfs_idt_header *h = fs->ids.t.h;
	/* counted here, not at start-up: a spare (pfs_raw_standby) may wait long before,
	 * while the daemon it replaces allocated and freed records */
	uint32_t epoch = ++h->epoch;
	if (pfs_idtable_rescan(&fs->ids.t) < 0)
		return -ENOMEM;
	if (fs->opt.idtable_fd < 0 || epoch <= 1)
		return 0; /* the first daemon of this connection */
	if (h->init_len) {
		synthetic_init(fs);
		invalidate_process_entries(fs);
	} else {
		pfs_warn("taking over a connection whose INIT was not answered: waiting for it");
	}
	struct fuse_out_header resend = {.len = sizeof(resend), .error = PFS_FUSE_NOTIFY_RESEND};
	if (write(fd, &resend, sizeof(resend)) != (ssize_t)sizeof(resend)) {
		int e = errno;
		pfs_warn("FUSE_NOTIFY_RESEND refused (%s; Linux 6.9 or later is needed): requests "
			 "the previous daemon had read stay unanswered until their callers are "
			 "killed",
			 strerror(e));
		return -e;
	}
	pfs_info("took over the connection (daemon %u of it); the kernel resends what the "
		 "previous one had not answered",
		 h->epoch);
	return 0;
}

/*
 * A spare: the supervisor starts the next daemon ahead of time, so a death
 * costs only its wake-up. It is set up (policy, backing, oracle) and says so
 * ('P' on ready_fd), then waits; at the byte it loads the policy file again
 * (it may have changed while it waited) and serves. EOF: not needed, exit.
 */
void pfs_raw_standby(struct pfs_fs *fs)
{
	int fd = fs->opt.standby_fd;
	if (fd < 0)
		return;
	if (fs->opt.ready_fd >= 0 && write(fs->opt.ready_fd, "P", 1) != 1)
		pfs_warn("cannot signal standby on fd %d", fs->opt.ready_fd);
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR && !fuse_session_exited(fs->se));
	if (n != 1)
		_exit(0); /* never served: nothing to flush */
	close(fd);
	pfs_fs_reload(fs);
}
