/*
 * poll() on /proc files. The kernel's mount tables (mounts, mountinfo; not
 * mountstats) report POLLPRI | POLLERR once per open file after the mount
 * namespace changed; every other proc file we serve has no poll of its own
 * and is always ready (the kernel's DEFAULT_POLLMASK).
 *
 * An open of a mount table also opens the backing's file as the opener (a
 * watch): the kernel then keeps the change state of that open for us. One
 * thread waits for POLLPRI with epoll on the watches somebody polls, marks a
 * watch changed and wakes the poller the kernel asked us to notify (FUSE_POLL
 * with a poll handle). A watch joins the epoll set at its first such
 * FUSE_POLL, not at open: most opens of a mount table only read it, and the
 * kernel's own change state of the open needs no epoll to be asked (look()).
 * A FUSE_POLL reports a change once, as the kernel does.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/cleanup.h"
#include "pfs/log.h"

/* What a proc file without a poll operation reports. */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
/* What a mount table reports without a change. */
#define TABLE_POLLMASK (POLLIN | POLLRDNORM)
/* epoll data of the stop eventfd; watches count from 1. */
#define STOP_ID 0

struct pfs_poll_watch {
	uint64_t id; /* epoll data; 0 until it joins the epoll set (then in by_id) */
	int fd; /* the backing's file, opened as the opener */
	bool changed; /* not reported by a FUSE_POLL yet; poller lock */
	uint64_t gen; /* changes seen; poller lock */
	struct fuse_pollhandle *ph; /* the kernel's waiter to notify; poller lock */
	UT_hash_handle hh;
};

struct pfs_poller {
	pthread_mutex_t lock;
	int epfd;
	int stopfd;
	pthread_t thread;
	uint64_t next_id; /* lock */
	struct pfs_poll_watch *by_id; /* lock */
};

/* With the lock: a change of w, reported at the next FUSE_POLL; wakes the waiter. */
static void changed(struct pfs_poll_watch *w)
{
	w->changed = true;
	w->gen++;
	if (!w->ph)
		return;
	fuse_lowlevel_notify_poll(w->ph);
	fuse_pollhandle_destroy(w->ph);
	w->ph = NULL;
}

/* With the lock: a change that the watcher has not seen yet counts now, as natively. */
static void look(struct pfs_poll_watch *w)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLPRI};
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLPRI | POLLERR))) {
		w->changed = true;
		w->gen++;
	}
}

static void *poller_main(void *arg)
{
	struct pfs_fs *fs = arg;
	struct pfs_poller *p = fs->poller;
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(p->epfd, ev, (int)ARRAY_SIZE(ev), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pfs_err("poll watcher: epoll_wait: %s; mount changes are not reported",
				strerror(errno));
			return NULL;
		}
		pthread_mutex_lock(&p->lock);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == STOP_ID) {
				pthread_mutex_unlock(&p->lock);
				return NULL;
			}
			struct pfs_poll_watch *w = NULL;
			HASH_FIND(hh, p->by_id, &ev[i].data.u64, sizeof(uint64_t), w);
			if (w)
				changed(w);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

/* With the lock when it joined the epoll set. */
static void watch_free(struct pfs_poller *p, struct pfs_poll_watch *w)
{
	if (w->id) {
		HASH_DEL(p->by_id, w);
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	}
	close(w->fd);
	if (w->ph)
		fuse_pollhandle_destroy(w->ph);
	free(w);
}

static void poller_free(struct pfs_poller *p)
{
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->stopfd >= 0)
		close(p->stopfd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pfs_poller_start(struct pfs_fs *fs)
{
	struct pfs_poller *p = calloc(1, sizeof(*p));
	if (!p)
		goto fail;
	pthread_mutex_init(&p->lock, NULL);
	p->next_id = STOP_ID + 1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->stopfd = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STOP_ID};
	if (p->epfd < 0 || p->stopfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->stopfd, &ev) < 0) {
		poller_free(p);
		goto fail;
	}
	fs->poller = p;
	if (pthread_create(&p->thread, NULL, poller_main, fs) == 0)
		return;
	fs->poller = NULL;
	poller_free(p);
fail:
	pfs_err("cannot start the poll watcher: poll() on mount tables never reports a change");
}

void pfs_poller_stop(struct pfs_fs *fs)
{
	struct pfs_poller *p = fs->poller;
	if (!p)
		return;
	uint64_t one = 1;
	if (write(p->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(p->thread, NULL);
	else
		pthread_cancel(p->thread);
	/* The session is over: no handle is released any more. */
	struct pfs_poll_watch *w, *tmp;
	HASH_ITER (hh, p->by_id, w, tmp)
		watch_free(p, w);
	fs->poller = NULL;
	poller_free(p);
}

struct pfs_poll_watch *pfs_poll_watch(struct pfs_fs *fs, struct pfs_caller *opener,
				      const struct pfs_loc *loc)
{
	struct pfs_poller *p = fs->poller;
	if (!p || !pfs_view_change_events(loc))
		return NULL;
	pfs_policy_rdlock(fs);
	int fd = pfs_view_open_fd(&fs->view, opener, loc);
	pfs_policy_unlock(fs);
	struct pfs_poll_watch *w = fd >= 0 ? calloc(1, sizeof(*w)) : NULL;
	if (!w) {
		pfs_warn("%s: cannot watch for mount changes: %s", loc->path,
			 strerror(fd < 0 ? -fd : ENOMEM));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	w->fd = fd;
	return w;
}

/* With the lock: w joins the epoll set, to wake a waiter at a change; false if it cannot. */
static bool watch_join(struct pfs_poller *p, struct pfs_poll_watch *w)
{
	if (w->id)
		return true;
	struct epoll_event ev = {.events = EPOLLPRI, .data.u64 = p->next_id};
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
		pfs_warn("cannot watch a mount table for changes: %s; poll() waits in vain",
			 strerror(errno));
		return false;
	}
	w->id = p->next_id++;
	HASH_ADD(hh, p->by_id, id, sizeof(uint64_t), w);
	return true;
}

void pfs_poll_unwatch(struct pfs_fs *fs, struct pfs_poll_watch *w)
{
	struct pfs_poller *p = fs->poller;
	if (!w || !p)
		return;
	/* a RELEASE comes after every other request on its file: only the poller thread races */
	if (!w->id) {
		watch_free(p, w);
		return;
	}
	pthread_mutex_lock(&p->lock);
	watch_free(p, w);
	pthread_mutex_unlock(&p->lock);
}

bool pfs_poll_stale(struct pfs_fs *fs, struct pfs_poll_watch *w, uint64_t *seen)
{
	struct pfs_poller *p = fs->poller;
	if (!w || !p)
		return false;
	pthread_mutex_lock(&p->lock);
	look(w);
	bool stale = w->gen != *seen;
	*seen = w->gen;
	pthread_mutex_unlock(&p->lock);
	return stale;
}

void pfs_poll_reply(fuse_req_t req, struct pfs_poll_watch *w, struct fuse_pollhandle *ph)
{
	struct pfs_fs *fs = pfs_req_fs(req);
	struct pfs_poller *p = fs->poller;
	if (!w || !p) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, DEFAULT_POLLMASK);
		return;
	}
	unsigned revents = TABLE_POLLMASK;
	pthread_mutex_lock(&p->lock);
	look(w);
	if (w->changed)
		revents |= POLLPRI | POLLERR;
	w->changed = false;
	if (ph && !watch_join(p, w)) {
		fuse_pollhandle_destroy(ph);
	} else if (ph) {
		if (w->ph)
			fuse_pollhandle_destroy(w->ph);
		w->ph = ph;
	}
	pthread_mutex_unlock(&p->lock);
	fuse_reply_poll(req, revents);
}
