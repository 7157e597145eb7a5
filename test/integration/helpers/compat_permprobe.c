/*
 * compat_permprobe FUSEPROC KERNELPROC: inside a sandbox, starts target
 * processes of several uids (dumpable or not), then, as each of several
 * probers (uid 0 without capabilities, uid 0 with its capabilities, uids 1000
 * and 1001), tries every per-process entry of every process through both
 * procs: open+read for files, opendir for directories, readlink for links.
 * Prints one line per difference and exits 1 if there is any.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

static const char *fuse_root, *kern_root;

static const char *outcome(const char *root, const char *rel, mode_t type, char *buf, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	int e = 0;
	if (S_ISLNK(type)) {
		char t[4096];
		if (readlink(path, t, sizeof(t)) < 0)
			e = errno;
	} else if (S_ISDIR(type)) {
		DIR *d = opendir(path);
		if (!d)
			e = errno;
		else {
			errno = 0;
			while (readdir(d))
				;
			e = errno;
			closedir(d);
		}
	} else {
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			e = errno;
		} else {
			char b[1];
			if (read(fd, b, 1) < 0)
				e = errno + 1000; /* an error at read, not open */
			close(fd);
		}
	}
	if (!e)
		return "ok";
	snprintf(buf, len, "%s%s", e > 1000 ? "read:" : "", strerrorname_np(e % 1000));
	return buf;
}

/* Compares every entry of every process; returns the number of differences. */
static int probe(const char *who)
{
	int diffs = 0;
	DIR *top = opendir(kern_root);
	struct dirent *p;
	while (top && (p = readdir(top))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		char dir[300];
		snprintf(dir, sizeof(dir), "%s/%s", kern_root, p->d_name);
		DIR *d = opendir(dir);
		struct dirent *f;
		while (d && (f = readdir(d))) {
			if (f->d_name[0] == '.')
				continue;
			char rel[600];
			snprintf(rel, sizeof(rel), "%s/%s", p->d_name, f->d_name);
			mode_t type = DTTOIF(f->d_type);
			char b1[64], b2[64];
			const char *k = outcome(kern_root, rel, type, b1, sizeof(b1));
			const char *u = outcome(fuse_root, rel, type, b2, sizeof(b2));
			/* a process that exited in between: both fail, differently */
			if (strcmp(k, u) && kill(atoi(p->d_name), 0) == 0) {
				printf("DIFF %s %s: kernel %s, procfilterfs %s\n", who, rel, k, u);
				diffs++;
			}
		}
		if (d)
			closedir(d);
	}
	if (top)
		closedir(top);
	return diffs;
}

static void drop_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[2] = {{0, 0, 0}, {0, 0, 0}};
	syscall(SYS_capset, &h, c);
}

static void become(uid_t uid, int keep_caps)
{
	gid_t g = uid;
	setgroups(1, &g);
	if (setresgid(g, g, g) < 0 || setresuid(uid, uid, uid) < 0) {
		perror("setresuid");
		_exit(2);
	}
	if (!keep_caps)
		drop_caps();
	/* the id change made us non-dumpable; a runtime would reset it */
	prctl(PR_SET_DUMPABLE, 1);
}

static int stop_pipe[2];

/* A target lives until the main process closes the pipe (it cannot kill other uids). */
static pid_t target(uid_t uid, int dumpable)
{
	pid_t pid = fork();
	if (pid == 0) {
		close(stop_pipe[1]);
		become(uid, 0);
		prctl(PR_SET_DUMPABLE, dumpable);
		char b;
		while (read(stop_pipe[0], &b, 1) > 0)
			;
		_exit(0);
	}
	return pid;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FUSEPROC KERNELPROC\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fuse_root = argv[1];
	kern_root = argv[2];
	if (pipe(stop_pipe) < 0)
		return 2;
	pid_t t[] = {target(0, 1), target(0, 0), target(1000, 1), target(1000, 0), target(1001, 1)};
	usleep(100000);
	struct {
		const char *name;
		uid_t uid;
		int caps;
	} probers[] = {{"uid0-nocaps", 0, 0},
		       {"uid0-caps", 0, 1},
		       {"uid1000", 1000, 0},
		       {"uid1001", 1001, 0}};
	int total = 0;
	for (size_t i = 0; i < sizeof(probers) / sizeof(probers[0]); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			close(stop_pipe[1]);
			if (probers[i].uid || !probers[i].caps)
				become(probers[i].uid, probers[i].caps);
			_exit(probe(probers[i].name) ? 1 : 0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			total++;
	}
	close(stop_pipe[1]);
	(void)t;
	while (wait(NULL) > 0)
		;
	printf("%s\n", total ? "differences found" : "no differences");
	return total ? 1 : 0;
}
