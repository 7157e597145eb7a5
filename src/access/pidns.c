#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/pidns.h"

/*
 * The daemon's own pid namespace, if it is the backing's: the daemon's NSpid
 * there has one number only when the backing's namespace is its deepest one
 * (an ancestor's would list the daemon's number at each level down).
 */
static int own_pidns_if_backing(int backing_fd)
{
	char text[4096];
	ssize_t n = pfs_read_small_at(backing_fd, "self/status", text, sizeof(text));
	if (n < 0)
		return (int)n;
	const char *v = pfs_status_field(text, "NSpid");
	char *end = NULL;
	if (!v || strtol(v, &end, 10) <= 0 || (*end != '\n' && *end != '\0'))
		return -EXDEV;
	int fd = openat(backing_fd, "self/ns/pid", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Whether the namespace fd is the daemon's: the backing shows the daemon, in that very one. */
static bool is_own(int backing_fd, int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(backing_fd, "self/ns/pid", &b, 0) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int pfs_pidns_open(int backing_fd, struct pfs_pidns *ns)
{
	*ns = (struct pfs_pidns){.fd = -1};
	/* its init's, which a daemon outside the namespace (pfs run) may open */
	int fd = openat(backing_fd, "1/ns/pid", O_RDONLY | O_CLOEXEC);
	bool ours = true;
	if (fd >= 0) {
		ours = is_own(backing_fd, fd);
	} else {
		if (errno != EACCES)
			return -errno;
		fd = own_pidns_if_backing(backing_fd);
		if (fd < 0)
			return fd;
	}
	/* pid 1 leads its group; its number comes back through the two ioctls (Linux 6.11) */
	int one = ioctl(fd, NS_GET_TGID_FROM_PIDNS, 1);
	ns->translates = one > 0 && ioctl(fd, NS_GET_PID_IN_PIDNS, one) == 1;
	ns->ours = ours;
	ns->fd = fd;
	ns->open = true;
	return 0;
}

void pfs_pidns_close(struct pfs_pidns *ns)
{
	if (ns->open)
		close(ns->fd);
	*ns = (struct pfs_pidns){.fd = -1};
}

bool pfs_pidns_maps_to_ours(const struct pfs_pidns *ns)
{
	return ns->open && (ns->ours || ns->translates);
}

int pfs_pidns_to_ours(const struct pfs_pidns *ns, pid_t pid, pid_t *out)
{
	if (!pfs_pidns_maps_to_ours(ns))
		return -EOPNOTSUPP;
	int p = ns->ours ? pid : ioctl(ns->fd, NS_GET_PID_FROM_PIDNS, pid);
	if (p <= 0)
		return p < 0 ? -errno : -ESRCH;
	*out = p;
	return 0;
}

int pfs_pidns_tgid(const struct pfs_pidns *ns, pid_t tid, pid_t *tgid)
{
	if (!ns->open || !ns->translates)
		return -EOPNOTSUPP;
	if (tid <= 0)
		return -ESRCH;
	int ours = ioctl(ns->fd, NS_GET_TGID_FROM_PIDNS, tid);
	if (ours <= 0)
		return ours < 0 ? -errno : -ESRCH;
	int theirs = ns->ours ? ours : ioctl(ns->fd, NS_GET_PID_IN_PIDNS, ours);
	if (theirs <= 0)
		return theirs < 0 ? -errno : -ESRCH;
	*tgid = theirs;
	return 0;
}
