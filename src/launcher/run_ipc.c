/* Messages (with fds) between the launcher and the sandbox init. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

#define MAX_FDS 4

int pfs_msg_send(int sock, const struct pfs_msg *m, const int *fds, size_t n_fds)
{
	if (n_fds > MAX_FDS)
		return -EINVAL;
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n_fds) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*m) ? 0 : -EIO;
}

int pfs_msg_recv(int sock, struct pfs_msg *m, int *fds, size_t max_fds, size_t *n_fds)
{
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	if (n_fds)
		*n_fds = 0;
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	size_t got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int tmp[MAX_FDS];
		memcpy(tmp, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (got < max_fds && fds)
				fds[got++] = tmp[i];
			else
				close(tmp[i]);
		}
	}
	if (n_fds)
		*n_fds = got;
	else
		for (size_t i = 0; i < got; i++)
			close(fds[i]);
	if (n != (ssize_t)sizeof(*m))
		return -EIO;
	m->err.msg[sizeof(m->err.msg) - 1] = '\0';
	return 0;
}

int pfs_msg_send_error(int sock, int code, const struct pfs_error *err)
{
	struct pfs_msg m = {.type = PFS_MSG_ERROR, .code = code};
	if (err)
		m.err = *err;
	return pfs_msg_send(sock, &m, NULL, 0);
}
