/*
 * sys_probe OP: calls one system call directly, by number, and prints OK
 * (with what it learnt) or the errno's name.
 *   listmount      listmount(2) of the caller's mount namespace: "OK <count>"
 *   statmount      statmount(2) of the mount of /: "OK <fstype> <mount point>"
 *   nr N           syscall(N) with zero arguments
 *   i386           int $0x80 getpid, in a child: how the child ended
 *   x32            the x32 getpid (0x40000000 | 39), in a child: how it ended
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_STATMOUNT 457
#define NR_LISTMOUNT 458
#define LSMT_ROOT 0xffffffffffffffffULL
#define STATMOUNT_MNT_POINT 0x10U
#define STATMOUNT_FS_TYPE 0x20U
#define STATX_MNT_ID_UNIQUE_ 0x4000U

struct mnt_id_req {
	uint32_t size, spare;
	uint64_t mnt_id, param;
};

/* struct statmount as of Linux 6.8: strings at offset 512, the fields' offsets below */
#define SM_FS_TYPE 36
#define SM_MNT_POINT 108
#define SM_STR 512

static int listmount_(void)
{
	struct mnt_id_req req = {.size = sizeof(req), .mnt_id = LSMT_ROOT};
	uint64_t ids[1024];
	long n = syscall(NR_LISTMOUNT, &req, ids, 1024, 0);
	if (n < 0)
		return errno;
	printf("OK %ld\n", n);
	return -1;
}

static int statmount_(void)
{
	struct statx stx;
	if (statx(AT_FDCWD, "/", 0, STATX_MNT_ID_UNIQUE_, &stx) < 0)
		return errno;
	struct mnt_id_req req = {.size = sizeof(req),
				 .mnt_id = stx.stx_mnt_id,
				 .param = STATMOUNT_FS_TYPE | STATMOUNT_MNT_POINT};
	static char buf[65536];
	if (syscall(NR_STATMOUNT, &req, buf, sizeof(buf), 0) < 0)
		return errno;
	uint32_t fs, mp;
	memcpy(&fs, buf + SM_FS_TYPE, 4);
	memcpy(&mp, buf + SM_MNT_POINT, 4);
	printf("OK %s %s\n", buf + SM_STR + fs, buf + SM_STR + mp);
	return -1;
}

/* Runs the other ABI's getpid in a child; prints how the child ended. */
static int other_abi(bool i386)
{
	pid_t p = fork();
	if (p < 0)
		return errno;
	if (p == 0) {
		/* the kernel's own verdict, not a sanitizer's handler */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGSYS, SIG_DFL);
		long r;
		if (i386)
			__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		else
			r = syscall(0x40000000 | 39);
		_exit(r > 0 ? 0 : 1);
	}
	int st;
	if (waitpid(p, &st, 0) < 0)
		return errno;
	if (WIFSIGNALED(st))
		printf("signal %s\n", sigabbrev_np(WTERMSIG(st)));
	else
		printf("exit %d\n", WEXITSTATUS(st));
	return -1;
}

static int run(int argc, char **argv)
{
	const char *op = argv[1];
	if (!strcmp(op, "listmount"))
		return listmount_();
	if (!strcmp(op, "statmount"))
		return statmount_();
	if (!strcmp(op, "nr") && argc > 2)
		return syscall(atol(argv[2]), 0, 0, 0, 0, 0, 0) < 0 ? errno : 0;
	if (!strcmp(op, "i386") || !strcmp(op, "x32"))
		return other_abi(!strcmp(op, "i386"));
	fprintf(stderr, "sys_probe: unknown op %s\n", op);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sys_probe listmount|statmount|nr N|i386|x32\n");
		return 2;
	}
	int e = run(argc, argv);
	if (e >= 0)
		printf("%s\n", e ? strerrorname_np(e) : "OK");
	return 0;
}
