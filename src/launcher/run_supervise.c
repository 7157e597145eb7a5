/*
 * The object supervisor: a launcher thread answering the seccomp
 * notifications of run_notify.c. It looks at the caller's real fd and only when that fd is a file of the sandbox's FUSE /proc answers what the
 * kernel's proc answers; every other call continues unchanged in the kernel,
 * with the caller's credentials (SECCOMP_USER_NOTIF_FLAG_CONTINUE: the
 * supervisor never decides a permission, so a changed fd table between its
 * look and the call can only change the caller's own outcome).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/log.h"

struct supervisor {
	int listener;
	long proc_mnt_id;
};

/*
 * Whether fd of the notifying process is a file of the FUSE /proc: its mount
 * id, from fdinfo (the launcher may not stat a file of the sandbox's FUSE
 * mount: FUSE refuses processes outside the mounter's user namespace).
 */
static bool is_proc_file(const struct supervisor *s, const struct seccomp_notif *req, int fd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/fdinfo/%d", req->pid, fd);
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[128];
	long mnt_id = -1;
	while (mnt_id < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, "mnt_id:", 7))
			mnt_id = strtol(line + 7, NULL, 10);
	/* the pid is the caller's only while its notification is pending */
	return mnt_id == s->proc_mnt_id && seccomp_notify_id_valid(s->listener, req->id) == 0;
}

static void decide(const struct supervisor *s, const struct seccomp_notif *req,
		   struct seccomp_notif_resp *resp)
{
	resp->id = req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	int in_fd = -1;
	if (req->data.nr == __NR_sendfile)
		in_fd = (int)req->data.args[1];
	else if (req->data.nr == __NR_splice)
		in_fd = (int)req->data.args[0];
	/*
	 * A proc file has no splice: the kernel says EINVAL (and callers such as
	 * shutil.copyfile then read). Through FUSE the page cache would answer
	 * 0 bytes, a silent empty copy.
	 */
	if (in_fd >= 0 && is_proc_file(s, req, in_fd)) {
		resp->flags = 0;
		resp->error = -EINVAL;
	}
}

static void *supervise(void *arg)
{
	struct supervisor *s = arg;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		goto out;
	for (;;) {
		struct pollfd p = {.fd = s->listener, .events = POLLIN};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* every process of the filter is gone */
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(s->listener, req) < 0)
			continue; /* the caller went away, or a signal */
		decide(s, req, resp);
		seccomp_notify_respond(s->listener, resp); /* ENOENT: the caller went away */
	}
out:
	seccomp_notify_free(req, resp);
	close(s->listener);
	free(s);
	return NULL;
}

int pfs_supervise_start(int listener, unsigned proc_mnt_id, struct pfs_error *err)
{
	struct supervisor *s = calloc(1, sizeof(*s));
	if (!s) {
		close(listener);
		return pfs_err_set(err, ENOMEM, "out of memory");
	}
	s->listener = listener;
	s->proc_mnt_id = (long)proc_mnt_id;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* signals to the launcher are the main thread's to wait for and forward */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int r = pthread_create(&t, &a, supervise, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (r != 0) {
		close(listener);
		free(s);
		return pfs_err_set(err, r, "cannot start the object supervisor: %s", strerror(r));
	}
	return 0;
}
