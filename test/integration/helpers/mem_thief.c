/*
 * mem_thief HOW PID NAME: a hostile sibling. Reads the value of the
 * environment variable NAME of process PID from its memory, at
 * env_start..env_end of /proc/PID/stat, and prints the value, or
 * "STEP:ERRNO" for the step that failed (open, read, attach, ...).
 *   mem       pread of /proc/PID/mem
 *   vm        process_vm_readv(2)
 *   ptrace    PTRACE_ATTACH, then PTRACE_PEEKDATA
 *   seize     PTRACE_SEIZE + PTRACE_INTERRUPT, then PTRACE_PEEKDATA
 *   write     process_vm_writev(2) of one byte over the value (prints OK)
 * PID may be "self" for mem.
 * mem_thief open PID FILE: opens /proc/PID/FILE (a directory: opendir) and
 * prints OK or the errno's name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char *env;
static size_t env_len;

static int fail(const char *step, int e)
{
	printf("%s:%s\n", step, strerrorname_np(e));
	return 1;
}

/* env_start and env_end: fields 50 and 51 of stat, counted after the comm. */
static int env_range(const char *pid, unsigned long *start, unsigned long *end)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? errno : EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return EIO;
	int field = 2;
	for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
		field++;
		if (field == 50)
			*start = strtoul(tok, NULL, 10);
		if (field == 51)
			*end = strtoul(tok, NULL, 10);
	}
	return *start && *end > *start ? 0 : EFAULT;
}

static int show(const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < env_len; i += strlen(env + i) + 1) {
		if (!strncmp(env + i, name, nl) && env[i + nl] == '=') {
			printf("%s\n", env + i + nl + 1);
			return 0;
		}
	}
	printf("notfound\n");
	return 0;
}

static int by_mem(const char *pid, unsigned long start)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", errno);
	ssize_t n = pread(fd, env, env_len, (off_t)start);
	int e = errno;
	close(fd);
	return n < 0 ? fail("read", e) : 0;
}

static int by_vm(pid_t pid, unsigned long start, bool write)
{
	struct iovec local = {env, write ? 1 : env_len};
	struct iovec remote = {(void *)start, local.iov_len};
	ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(pid, &local, 1, &remote, 1, 0);
	return n < 0 ? fail(write ? "process_vm_writev" : "process_vm_readv", errno) : 0;
}

static int by_ptrace(pid_t pid, unsigned long start, bool seize)
{
	long r = seize ? ptrace(PTRACE_SEIZE, pid, 0, 0) : ptrace(PTRACE_ATTACH, pid, 0, 0);
	if (r < 0)
		return fail(seize ? "seize" : "attach", errno);
	if (seize && ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
		return fail("interrupt", errno);
	waitpid(pid, NULL, __WALL);
	for (size_t i = 0; i < env_len; i += sizeof(long)) {
		errno = 0;
		long w = ptrace(PTRACE_PEEKDATA, pid, start + i, 0);
		if (errno)
			return fail("peek", errno);
		memcpy(env + i, &w, env_len - i < sizeof(w) ? env_len - i : sizeof(w));
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

static int open_file(const char *pid, const char *file)
{
	char path[256];
	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	DIR *d = opendir(path);
	if (d) {
		closedir(d);
		return puts("OK");
	}
	if (errno != ENOTDIR)
		return fail("opendir", errno);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", errno);
	char c[8]; /* pagemap reads whole entries */
	ssize_t n = read(fd, c, sizeof(c));
	close(fd);
	if (n < 0 && errno != EIO) /* mem at offset 0: nothing mapped there */
		return fail("read", errno);
	return puts("OK");
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mem_thief mem|vm|ptrace|seize|write|open PID NAME|FILE\n");
		return 2;
	}
	const char *how = argv[1], *pid = argv[2];
	if (!strcmp(how, "open"))
		return open_file(pid, argv[3]) < 0;
	unsigned long start = 0, end = 0;
	int e = env_range(pid, &start, &end);
	if (e)
		return !fail("stat", e);
	env_len = end - start;
	env = calloc(1, env_len + 1);
	if (!env)
		return 1;
	pid_t p = (pid_t)atoi(pid);
	if (!strcmp(how, "mem"))
		e = by_mem(pid, start);
	else if (!strcmp(how, "vm") || !strcmp(how, "write"))
		e = by_vm(p, start, !strcmp(how, "write"));
	else if (!strcmp(how, "ptrace") || !strcmp(how, "seize"))
		e = by_ptrace(p, start, !strcmp(how, "seize"));
	else
		return 2;
	if (e) /* printed */
		return 0;
	if (!strcmp(how, "write"))
		return puts("OK") < 0;
	return show(argv[3]);
}
