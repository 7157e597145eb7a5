/*
 * compat_fdkinds FUSEPROC KERNELPROC: opens one fd of each kind (file,
 * deleted file, pipe, socket, eventfd, epoll, signalfd, timerfd, memfd, pts)
 * and prints, per kind, whether readlink and stat through FUSEPROC/self/fd/N
 * equal those through KERNELPROC/self/fd/N. Exit 1 on any difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int bad;

/*
 * The link text of a deleted file or a memfd is an absolute path that no
 * longer exists: following it through FUSE gives ENOENT (docs/compat.md).
 */
static int stat_known_diff(const char *kind)
{
	return !strcmp(kind, "deleted") || !strcmp(kind, "memfd");
}

static void check(const char *kind, int fd, const char *fp, const char *kp)
{
	char a[512], b[512], la[4096] = "", lb[4096] = "";
	snprintf(a, sizeof(a), "%s/self/fd/%d", fp, fd);
	snprintf(b, sizeof(b), "%s/self/fd/%d", kp, fd);
	ssize_t na = readlink(a, la, sizeof(la) - 1), nb = readlink(b, lb, sizeof(lb) - 1);
	if (na < 0 || nb < 0 || strcmp(la, lb)) {
		printf("DIFF %s readlink: procfilterfs [%s] kernel [%s]\n", kind, la, lb);
		bad = 1;
	}
	struct stat sa, sb;
	int ea = stat(a, &sa) < 0 ? errno : 0, eb = stat(b, &sb) < 0 ? errno : 0;
	if (stat_known_diff(kind) && ea == ENOENT && !eb) {
		printf("known %s stat: ENOENT through procfilterfs\n", kind);
	} else if (ea != eb || (!ea && sa.st_ino != sb.st_ino)) {
		printf("DIFF %s stat: procfilterfs %s ino %lu, kernel %s ino %lu\n", kind,
		       strerror(ea), ea ? 0ul : (unsigned long)sa.st_ino, strerror(eb),
		       eb ? 0ul : (unsigned long)sb.st_ino);
		bad = 1;
	}
	if (!ea && !eb && (sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
		printf("type %s: procfilterfs %o kernel %o (documented)\n", kind,
		       sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
	printf("%s %s\n", kind, la);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *fp = argv[1], *kp = argv[2];
	int f = open("/etc/hostname", O_RDONLY);
	int d = open("/tmp/compat-deleted", O_RDWR | O_CREAT, 0600);
	unlink("/tmp/compat-deleted");
	int p[2];
	if (pipe(p) < 0)
		return 2;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int e = eventfd(0, 0);
	int ep = epoll_create1(0);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	int sf = signalfd(-1, &m, 0);
	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	int mf = memfd_create("compat", 0);
	int pt = posix_openpt(O_RDWR | O_NOCTTY);
	if (pt >= 0 && (grantpt(pt) < 0 || unlockpt(pt) < 0))
		pt = -1;
	int ps = pt >= 0 ? open(ptsname(pt), O_RDWR | O_NOCTTY) : -1;
	struct {
		const char *k;
		int fd;
	} all[] = {{"file", f},	   {"deleted", d}, {"pipe", p[0]},   {"socket", s},
		   {"eventfd", e}, {"epoll", ep},  {"signalfd", sf}, {"timerfd", tf},
		   {"memfd", mf},  {"ptmx", pt},   {"pts", ps}};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i].fd < 0) {
			printf("DIFF %s: could not be made\n", all[i].k);
			bad = 1;
			continue;
		}
		check(all[i].k, all[i].fd, fp, kp);
	}
	if (ps >= 0) {
		dup2(ps, 0);
		char *tn = ttyname(0);
		printf("ttyname %s\n", tn ? tn : "(null)");
		if (!tn || strcmp(tn, ptsname(pt))) {
			printf("DIFF ttyname\n");
			bad = 1;
		}
	}
	return bad;
}
