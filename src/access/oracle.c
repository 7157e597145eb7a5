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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/backing.h"
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
	unsigned ns; /* PFS_OP_RENDER: the caller's namespaces to render in (PFS_ORACLE_NS_*) */
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
 * effective capabilities; the saved uid stays 0 so that it can come back).
 * Proc's checks use the fs ids and the effective set
 * (PTRACE_MODE_*_FSCREDS); the permitted set stays the helper's.
 */
static bool become(const struct oracle_req *q, uint64_t prm)
{
	int ng = q->ngroups < 0 || q->ngroups > PFS_MAX_GROUPS ? 0 : q->ngroups;
	syscall(SYS_setgroups, ng, q->groups); /* may be denied in this userns: best effort */
	bool ok = syscall(SYS_setresgid, q->gid, q->gid, 0) == 0 &&
		  syscall(SYS_setresuid, q->uid, q->uid, 0) == 0 &&
		  sys_capset(q->cap_eff & prm, prm) == 0;
	/* a change of ids resets dumpability to fs.suid_dumpable: never dumpable */
	prctl(PR_SET_DUMPABLE, 0);
	return ok;
}

/* Back to root of the user namespace; failing that, answer nothing more. */
static void come_back(uint64_t prm)
{
	if (syscall(SYS_setresuid, 0, 0, 0) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
	    sys_capset(prm, prm) < 0 || syscall(SYS_setgroups, 0, NULL) < 0)
		_exit(1);
}

/* Asks the kernel for the caller's ptrace access and op on rel. */
static void answer(int backing, const struct oracle_req *q, uint64_t prm,
		   struct pfs_oracle_answer *a)
{
	*a = (struct pfs_oracle_answer){-EACCES, false};
	if (become(q, prm)) {
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
	come_back(prm);
}

/*
 * Enters the caller's namespaces of q->ns (as root of this user namespace:
 * setns needs CAP_SYS_ADMIN over them). Kept until another caller's differ.
 */
static int enter_caller_ns(int backing, const struct oracle_req *q)
{
	static const struct {
		unsigned bit;
		const char *name;
		int type;
	} t[] = {{PFS_ORACLE_NS_IPC, "ipc", CLONE_NEWIPC},
		 {PFS_ORACLE_NS_NET, "net", CLONE_NEWNET},
		 {PFS_ORACLE_NS_UTS, "uts", CLONE_NEWUTS}};
	static ino_t cur[3];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!(q->ns & t[i].bit))
			continue;
		char rel[64];
		snprintf(rel, sizeof(rel), "%d/ns/%s", (int)q->caller_tid, t[i].name);
		struct stat st;
		if (fstatat(backing, rel, &st, 0) < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		if (st.st_ino == cur[i])
			continue;
		int fd = openat(backing, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ESRCH ? -ENOENT : -errno;
		int r = setns(fd, t[i].type) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
		cur[i] = st.st_ino;
	}
	return 0;
}

/* Reads dirfd/rel to its end into memfd m, at most max bytes. 0 or -errno. */
static int read_into(int dirfd, const char *rel, int m, size_t max)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	static char buf[16384];
	size_t total = 0;
	int e = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : 0;
			break;
		}
		if ((total += (size_t)n) > max) {
			e = -EFBIG;
			break;
		}
		if (write(m, buf, (size_t)n) != n) {
			e = -EIO;
			break;
		}
	}
	close(fd);
	return e;
}

static int read_as_caller(int dirfd, const struct oracle_req *q, uint64_t prm, int m)
{
	int r = become(q, prm) ? read_into(dirfd, q->rel, m, 64u << 20) : -EACCES;
	come_back(prm);
	return r;
}

/*
 * The last pid allocated in the sandbox, as the content shows it (the
 * child's own pid, the last one allocated): the one before it, as a reader
 * that did not fork for it sees. The content ends with that number.
 */
static void unsee_self(int m, pid_t self)
{
	char text[256];
	ssize_t n = pread(m, text, sizeof(text) - 1, 0);
	if (n <= 0 || n == (ssize_t)sizeof(text) - 1)
		return;
	text[n] = '\0';
	char *end = text + strcspn(text, "\n"), *num = end;
	while (num > text && num[-1] >= '0' && num[-1] <= '9')
		num--;
	if (num == end || strtol(num, NULL, 10) != self)
		return;
	int len = snprintf(num, sizeof(text) - (size_t)(num - text), "%d\n", (int)self - 1);
	size_t total = (size_t)(num - text) + (size_t)len;
	if (ftruncate(m, 0) < 0 || pwrite(m, text, total, 0) != (ssize_t)total)
		return; /* the read then fails on the short content: no worse than before */
}

/*
 * The same from a child in the sandbox's pid namespace (the helper's
 * pid_for_children), for files with pid columns (sysvipc, loadavg,
 * ns_last_pid): the kernel writes them in the reader's pid namespace. The
 * child, like the helper, is never dumpable: the sandbox sees it for its
 * short life, and may kill it (then EIO), not ptrace it. It gives its pid
 * back (ns_last_pid), so that the sandbox's next pid is what it would have
 * been.
 */
struct child_args {
	int backing, dirfd, m;
	const struct oracle_req *q;
	uint64_t prm;
};

static int child_main(void *arg)
{
	struct child_args *a = arg;
	int r = read_as_caller(a->dirfd, a->q, a->prm, a->m);
	pid_t self = (pid_t)syscall(SYS_getpid);
	if (r == 0 && a->q->ns & PFS_ORACLE_NS_LAST_PID)
		unsee_self(a->m, self);
	char last[16] = "", before[16];
	int len = snprintf(before, sizeof(before), "%d", (int)self - 1);
	if (pfs_read_small_at(a->backing, "sys/kernel/ns_last_pid", last, sizeof(last)) > 0 &&
	    strtol(last, NULL, 10) == self) {
		int fd = openat(a->backing, "sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		/* best effort: a failure only leaves a gap in the sandbox's pids */
		if (fd >= 0) {
			ssize_t w = write(fd, before, (size_t)len);
			(void)w;
			close(fd);
		}
	}
	return r < 0 ? -r : 0;
}

/*
 * A vfork-like child (shared memory, the helper waits) is cheap: no page
 * tables copied. Credentials are per task: the child's changes stay its own.
 */
static int read_in_child(int backing, int dirfd, const struct oracle_req *q, uint64_t prm, int m)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct child_args a = {backing, dirfd, m, q, prm};
	pid_t p = clone(child_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (p < 0)
		return -errno;
	int st = 0;
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}

/*
 * Opens and reads rel (relative to dirfd: a process directory pins its
 * process) as the caller, in its namespaces: a memfd of the content.
 */
static int render(int backing, int dirfd, const struct oracle_req *q, uint64_t prm)
{
	int r = enter_caller_ns(backing, q);
	if (r < 0)
		return r;
	int m = (int)syscall(SYS_memfd_create, "pfs-render", MFD_CLOEXEC);
	if (m < 0)
		return -errno;
	r = q->ns & PFS_ORACLE_NS_PID ? read_in_child(backing, dirfd, q, prm, m)
				      : read_as_caller(dirfd, q, prm, m);
	if (r < 0) {
		close(m);
		return r;
	}
	return m;
}

/* Sends len bytes of msg, with fd (if >= 0) as SCM_RIGHTS. */
static ssize_t send_with_fd(int sock, const void *msg, size_t len, int fd)
{
	struct iovec iov = {(void *)msg, len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/* Receives at most len bytes into msg, and the fd that came along in *fd (or -1). */
static ssize_t recv_with_fd(int sock, void *msg, size_t len, int *fd)
{
	struct iovec iov = {msg, len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	*fd = -1;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
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
	/* pid 1's links: readable only with the daemon's privilege, before setns */
	int pidns = openat(backing, "1/ns/pid", O_RDONLY | O_CLOEXEC);
	/* pid 1's user namespace link needs ptrace access to it: a rootless daemon may lack that */
	ns = userns >= 0 ? 5 : openat(backing, "1/ns/user", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWUSER) < 0)
		_exit(1);
	close(ns);
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
		_exit(1);
	prctl(PR_SET_DUMPABLE, 0);
	/* children (read_in_child) in the sandbox's pid namespace; without it, the host's */
	if (pidns >= 0) {
		(void)setns(pidns, CLONE_NEWPID);
		close(pidns);
	}
	uint64_t prm = sys_capprm();
	for (;;) {
		struct oracle_req q = {0};
		int dirfd;
		ssize_t n = recv_with_fd(sock, &q, sizeof(q), &dirfd);
		if (n <= 0)
			_exit(0);
		struct pfs_oracle_answer a = {-EACCES, false};
		bool io = q.op == PFS_OP_WRITE || q.op == PFS_OP_READ_AS;
		static struct oracle_io out;
		out.r = -EACCES;
		int fd = -1;
		if (n == (ssize_t)sizeof(q) && q.len <= sizeof(q.data)) {
			q.rel[sizeof(q.rel) - 1] = '\0';
			if (io) {
				io_as_caller(backing, &q, &out);
			} else if (q.op == PFS_OP_RENDER) {
				fd = render(backing, dirfd >= 0 ? dirfd : backing, &q, prm);
				a.access = fd < 0 ? fd : 0;
			} else {
				answer(backing, &q, prm, &a);
			}
		}
		if (dirfd >= 0)
			close(dirfd);
		ssize_t sent = io ? send(sock, &out, sizeof(out), MSG_NOSIGNAL)
				  : send_with_fd(sock, &a, sizeof(a), fd);
		if (fd >= 0)
			close(fd);
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

/* One request with dirfd (if >= 0) and its answer: the fd that came back, or -1. */
static int exchange_fd(struct pfs_oracle *o, const struct oracle_req *q, int dirfd,
		       struct pfs_oracle_answer *a)
{
	int fd = -1;
	pthread_mutex_lock(&o->lock);
	if (send_with_fd(o->sock, q, sizeof(*q), dirfd) != sizeof(*q) ||
	    recv_with_fd(o->sock, a, sizeof(*a), &fd) != sizeof(*a))
		*a = (struct pfs_oracle_answer){-EACCES,
						false}; /* the helper is gone: fail closed */
	pthread_mutex_unlock(&o->lock);
	return fd;
}

int pfs_oracle_render(struct pfs_oracle *o, const struct pfs_caller *c,
		      const struct pfs_idmap *gidmap, int dirfd, const char *rel, unsigned ns,
		      struct pfs_buf *out)
{
	cleanup_free struct oracle_req *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	fill(q, c, gidmap, c->tid, pfs_rel(rel), PFS_OP_RENDER);
	q->ns = ns;
	struct pfs_oracle_answer a = {0};
	cleanup_close int fd = exchange_fd(o, q, dirfd, &a);
	if (a.access < 0)
		return a.access;
	if (fd < 0)
		return -EIO;
	char buf[16384];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = pfs_buf_append(out, buf, (size_t)n);
		if (r < 0)
			return r;
		off += n;
	}
}

enum pfs_ptrace_mode pfs_ptrace_mode_of(const char *rest)
{
	static const char *const attach[] = {"mem", "stack", "syscall", "personality"};
	for (size_t i = 0; i < sizeof(attach) / sizeof(attach[0]); i++)
		if (!strcmp(rest, attach[i]))
			return PFS_PTRACE_ATTACH;
	return PFS_PTRACE_READ;
}
