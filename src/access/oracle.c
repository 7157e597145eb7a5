/* The ptrace oracle (pfs/oracle.h): a single-threaded helper in the mount's user ns. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/oracle.h"

struct oracle_req {
	pid_t tid;
	pid_t caller_tid; /* the caller's own thread, in the backing's pid namespace */
	int mode;
	uid_t uid; /* inside the mount's user namespace */
	gid_t gid;
	int ngroups;
	gid_t groups[PFS_MAX_GROUPS];
	uint64_t cap_eff;
	uint64_t cap_prm;
	int op;
	char rel[256];
	size_t len; /* PFS_OP_WRITE: data[0..len) in one write */
	char data[PFS_ORACLE_WRITE_MAX];
};

/* The answer to PFS_OP_WRITE and PFS_OP_READ_AS: bytes or -errno, and what was read. */
struct oracle_io {
	int r;
	char data[PFS_ORACLE_WRITE_MAX];
};

struct pfs_oracle {
	pthread_mutex_t lock;
	int sock;
};

static int sys_capset(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{(uint32_t)eff, (uint32_t)prm, 0},
					      {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), 0}};
	return (int)syscall(SYS_capset, &h, d);
}

static uint64_t sys_capprm(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return d[0].permitted | ((uint64_t)d[1].permitted << 32);
}

static int access_as(int backing, int op, const char *rel)
{
	int fd = -1;
	char buf[4096];
	switch (op) {
	case PFS_OP_OPEN_R:
	case PFS_OP_OPEN_W:
		fd = openat(backing, rel,
			    (op == PFS_OP_OPEN_R ? O_RDONLY : O_WRONLY) | O_NONBLOCK | O_CLOEXEC);
		break;
	case PFS_OP_OPENDIR:
		fd = openat(backing, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			/* to the end: map_files/ checks after the dots */
			long n;
			while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
				;
			if (n < 0) {
				int e = errno;
				close(fd);
				return -e;
			}
		}
		break;
	case PFS_OP_READLINK:
		return readlinkat(backing, rel, buf, sizeof(buf)) < 0 ? -errno : 0;
	case PFS_OP_LSTAT: {
		struct stat st;
		return fstatat(backing, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	}
	default:
		return 0;
	}
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The effective capabilities of task tid, in its own user namespace. */
static uint64_t cap_eff_of(int backing, pid_t tid)
{
	char rel[32], text[4096];
	snprintf(rel, sizeof(rel), "%d/status", (int)tid);
	int fd = openat(backing, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	const char *line = strstr(text, "\nCapEff:");
	return line ? strtoull(line + strlen("\nCapEff:"), NULL, 16) : 0;
}

/*
 * A forked child of the helper becomes the caller entirely: its ids, its
 * user namespace (a nested one the caller made, joined with the helper's
 * capabilities over it) and its effective capabilities there, then opens and
 * writes or reads. The kernel's checks on an id map are on the opener's
 * namespace and credentials (owner, CAP_SETFCAP of the namespace's creator,
 * the parent's CAP_SETUID), and it renders the map's ids for the opener's
 * namespace, so both are the caller's exactly. The child exits with the
 * answer: a namespace once joined cannot be left.
 */
static _Noreturn void io_in_child(int backing, const struct oracle_req *q, int out)
{
	static struct oracle_io io;
	int r = -EPERM;
	char rel[32];
	snprintf(rel, sizeof(rel), "%d/ns/user", (int)q->caller_tid);
	int ns = openat(backing, rel, O_RDONLY | O_CLOEXEC);
	uint64_t eff = cap_eff_of(backing, q->caller_tid);
	struct stat mine, theirs;
	bool join = ns >= 0 && fstat(ns, &theirs) == 0 && stat("/proc/self/ns/user", &mine) == 0 &&
		    mine.st_ino != theirs.st_ino;
	uint64_t prm = sys_capprm();
	if (ns >= 0 && prctl(PR_SET_KEEPCAPS, 1) == 0 &&
	    syscall(SYS_setresgid, q->gid, q->gid, q->gid) == 0 &&
	    syscall(SYS_setresuid, q->uid, q->uid, q->uid) == 0 && sys_capset(prm, prm) == 0 &&
	    (!join || setns(ns, CLONE_NEWUSER) == 0)) {
		prm = sys_capprm();
		if (sys_capset(eff & prm, prm) == 0) {
			bool w = q->op == PFS_OP_WRITE;
			int fd = openat(backing, q->rel, (w ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
			ssize_t n = fd < 0 ? -1
				    : w	   ? write(fd, q->data, q->len)
					   : read(fd, io.data, sizeof(io.data));
			r = n < 0 ? -errno : (int)n;
		}
	} else {
		r = -errno;
	}
	io.r = r;
	if (write(out, &io, sizeof(io)) != sizeof(io))
		_exit(1);
	_exit(0);
}

static void io_as_caller(int backing, const struct oracle_req *q, struct oracle_io *io)
{
	io->r = -EIO;
	int p[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		io->r = -errno;
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		io_in_child(backing, q, p[1]);
	}
	close(p[1]);
	if (pid < 0 || recv(p[0], io, sizeof(*io), 0) != sizeof(*io))
		io->r = pid < 0 ? -errno : -EIO;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * In the helper: becomes the caller (real and effective ids, groups,
 * effective capabilities; the saved uid stays 0 so that it can come back),
 * asks the kernel, comes back. Proc's checks use the fs ids and the effective
 * set (PTRACE_MODE_*_FSCREDS); the permitted set stays the helper's.
 */
static void answer(int backing, const struct oracle_req *q, uint64_t prm,
		   struct pfs_oracle_answer *a)
{
	*a = (struct pfs_oracle_answer){-EACCES, false};
	int ng = q->ngroups < 0 || q->ngroups > PFS_MAX_GROUPS ? 0 : q->ngroups;
	syscall(SYS_setgroups, ng, q->groups); /* may be denied in this userns: best effort */
	if (syscall(SYS_setresgid, q->gid, q->gid, 0) == 0 &&
	    syscall(SYS_setresuid, q->uid, q->uid, 0) == 0 &&
	    sys_capset(q->cap_eff & prm, prm) == 0) {
		char rel[64];
		int r = 0;
		if (q->mode == PFS_PTRACE_ATTACH) {
			snprintf(rel, sizeof(rel), "%d/mem", (int)q->tid);
			int fd = openat(backing, rel, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				r = -errno;
			else
				close(fd);
		} else {
			/* exe is gated by ptrace_may_access(READ_FSCREDS) alone */
			char buf[16];
			snprintf(rel, sizeof(rel), "%d/exe", (int)q->tid);
			if (readlinkat(backing, rel, buf, sizeof(buf)) < 0)
				r = -errno;
		}
		/* ENOENT (no mm, gone): no ptrace refusal */
		a->ptrace = r != -EACCES && r != -EPERM;
		a->access = access_as(backing, q->op, q->rel);
	}
	/* back to root of the user namespace; failing that, answer nothing more */
	if (syscall(SYS_setresuid, 0, 0, 0) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
	    sys_capset(prm, prm) < 0 || syscall(SYS_setgroups, 0, NULL) < 0)
		_exit(1);
}

static _Noreturn void helper(int sock, int backing, int userns)
{
	/* nothing of the daemon's but these: the FUSE fd above all */
	sock = fcntl(sock, F_DUPFD, 100);
	backing = fcntl(backing, F_DUPFD, 100);
	int ns = userns >= 0 ? fcntl(userns, F_DUPFD, 100) : 0;
	if (sock < 0 || backing < 0 || ns < 0 || dup2(sock, 3) < 0 || dup2(backing, 4) < 0 ||
	    (userns >= 0 && dup2(ns, 5) < 0))
		_exit(1);
	syscall(SYS_close_range, userns >= 0 ? 6 : 5, ~0U, 0);
	sock = 3;
	backing = 4;
	/* pid 1's link needs ptrace access to it: a rootless daemon may lack that */
	ns = userns >= 0 ? 5 : openat(backing, "1/ns/user", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWUSER) < 0)
		_exit(1);
	close(ns);
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
		_exit(1);
	uint64_t prm = sys_capprm();
	for (;;) {
		struct oracle_req q;
		ssize_t n = recv(sock, &q, sizeof(q), 0);
		if (n <= 0)
			_exit(0);
		struct pfs_oracle_answer a = {-EACCES, false};
		bool io = q.op == PFS_OP_WRITE || q.op == PFS_OP_READ_AS;
		static struct oracle_io out;
		out.r = -EACCES;
		if (n == (ssize_t)sizeof(q) && q.len <= sizeof(q.data)) {
			q.rel[sizeof(q.rel) - 1] = '\0';
			if (io)
				io_as_caller(backing, &q, &out);
			else
				answer(backing, &q, prm, &a);
		}
		ssize_t sent = io ? send(sock, &out, sizeof(out), MSG_NOSIGNAL)
				  : send(sock, &a, sizeof(a), MSG_NOSIGNAL);
		if (sent <= 0)
			_exit(0);
	}
}

int pfs_oracle_start(int backing_fd, int userns_fd, struct pfs_oracle **out)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0)
		helper(sv[1], backing_fd, userns_fd);
	close(sv[1]);
	struct pfs_oracle *o = calloc(1, sizeof(*o));
	if (!o) {
		close(sv[0]);
		return -ENOMEM;
	}
	pthread_mutex_init(&o->lock, NULL);
	o->sock = sv[0];
	*out = o;
	return 0;
}

void pfs_oracle_stop(struct pfs_oracle *o)
{
	if (!o)
		return;
	close(o->sock);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

static void fill(struct oracle_req *q, const struct pfs_caller *c, const struct pfs_idmap *gidmap,
		 pid_t tid, const char *rel, enum pfs_access_op op)
{
	const char *below = strchr(rel, '/');
	q->tid = tid;
	q->caller_tid = c->tid;
	q->mode = pfs_ptrace_mode_of(below ? below + 1 : "");
	q->uid = c->uid;
	q->gid = c->gid;
	q->cap_eff = c->cap_eff;
	q->cap_prm = c->cap_prm;
	q->op = op;
	snprintf(q->rel, sizeof(q->rel), "%s", rel);
	for (int i = 0; i < c->ngroups && i < PFS_MAX_GROUPS; i++) {
		uint32_t g = pfs_idmap_in(gidmap, c->groups[i]);
		if (g != 65534u)
			q->groups[q->ngroups++] = g;
	}
}

static void exchange(struct pfs_oracle *o, const struct oracle_req *q,
		     struct pfs_oracle_answer *ans)
{
	struct pfs_oracle_answer a;
	pthread_mutex_lock(&o->lock);
	if (send(o->sock, q, sizeof(*q), MSG_NOSIGNAL) != sizeof(*q) ||
	    recv(o->sock, &a, sizeof(a), 0) != sizeof(a))
		a = (struct pfs_oracle_answer){-EACCES,
					       false}; /* the helper is gone: fail closed */
	pthread_mutex_unlock(&o->lock);
	*ans = a;
}

void pfs_oracle_ask(struct pfs_oracle *o, const struct pfs_caller *c,
		    const struct pfs_idmap *gidmap, pid_t tid, const char *rel,
		    enum pfs_access_op op, struct pfs_oracle_answer *ans)
{
	cleanup_free struct oracle_req *q = calloc(1, sizeof(*q));
	if (!q) {
		*ans = (struct pfs_oracle_answer){-ENOMEM, false};
		return;
	}
	fill(q, c, gidmap, tid, rel, op);
	exchange(o, q, ans);
}

int pfs_oracle_io(struct pfs_oracle *o, const struct pfs_caller *c, const struct pfs_idmap *gidmap,
		  const char *rel, enum pfs_access_op op, char *data, size_t len)
{
	if (len > PFS_ORACLE_WRITE_MAX)
		return -EINVAL; /* the kernel takes at most a page per map write too */
	cleanup_free struct oracle_req *q = calloc(1, sizeof(*q));
	cleanup_free struct oracle_io *io = malloc(sizeof(*io));
	if (!q || !io)
		return -ENOMEM;
	fill(q, c, gidmap, c->tid, rel, op);
	if (op == PFS_OP_WRITE) {
		memcpy(q->data, data, len);
		q->len = len;
	}
	pthread_mutex_lock(&o->lock);
	if (send(o->sock, q, sizeof(*q), MSG_NOSIGNAL) != sizeof(*q) ||
	    recv(o->sock, io, sizeof(*io), 0) != sizeof(*io))
		io->r = -EACCES; /* the helper is gone: fail closed */
	pthread_mutex_unlock(&o->lock);
	if (op == PFS_OP_READ_AS && io->r > 0)
		memcpy(data, io->data, (size_t)io->r < len ? (size_t)io->r : len);
	return io->r;
}

enum pfs_ptrace_mode pfs_ptrace_mode_of(const char *rest)
{
	static const char *const attach[] = {"mem", "stack", "syscall", "personality"};
	for (size_t i = 0; i < sizeof(attach) / sizeof(attach[0]); i++)
		if (!strcmp(rest, attach[i]))
			return PFS_PTRACE_ATTACH;
	return PFS_PTRACE_READ;
}
