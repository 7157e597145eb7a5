/*
 * errno_probe OP PATH [ARG]: performs one syscall and prints "OK" or the
 * errno's name (ENOENT, EACCES, ...). Lets shell tests assert on errno.
 *   open PATH [r|w|rw|dir|nofollow]   read PATH   readlink PATH
 *   stat PATH   lstat PATH   write PATH DATA   list PATH
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {{ENOENT, "ENOENT"},	     {EACCES, "EACCES"},   {EPERM, "EPERM"},
		 {EROFS, "EROFS"},	     {EIO, "EIO"},	   {ESRCH, "ESRCH"},
		 {EINVAL, "EINVAL"},	     {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
		 {ELOOP, "ELOOP"},	     {ENXIO, "ENXIO"},	   {ENOTCONN, "ENOTCONN"},
		 {ENOMEM, "ENOMEM"},	     {EMFILE, "EMFILE"},   {EBADF, "EBADF"},
		 {EOPNOTSUPP, "EOPNOTSUPP"}, {ENOSYS, "ENOSYS"},   {EEXIST, "EEXIST"},
		 {EBUSY, "EBUSY"},	     {EFAULT, "EFAULT"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	static char buf[32];
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int do_open(const char *path, const char *mode)
{
	int flags = O_RDONLY;
	if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else if (!strcmp(mode, "dir"))
		flags = O_RDONLY | O_DIRECTORY;
	else if (!strcmp(mode, "nofollow"))
		flags = O_RDONLY | O_NOFOLLOW;
	int fd = open(path, flags);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	int e = n < 0 ? errno : 0;
	close(fd);
	return e;
}

static int do_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	ssize_t n = write(fd, data, strlen(data));
	int e = n < 0 ? errno : 0;
	close(fd);
	return e;
}

static int do_list(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno;
	errno = 0;
	while (readdir(d))
		;
	int e = errno;
	closedir(d);
	return e;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: errno_probe OP PATH [ARG]\n");
		return 2;
	}
	const char *op = argv[1], *path = argv[2], *arg = argc > 3 ? argv[3] : "r";
	int e;
	struct stat st;
	char link[4096];
	if (!strcmp(op, "open"))
		e = do_open(path, arg);
	else if (!strcmp(op, "read"))
		e = do_read(path);
	else if (!strcmp(op, "readlink"))
		e = readlink(path, link, sizeof(link)) < 0 ? errno : 0;
	else if (!strcmp(op, "stat"))
		e = stat(path, &st) < 0 ? errno : 0;
	else if (!strcmp(op, "lstat"))
		e = lstat(path, &st) < 0 ? errno : 0;
	else if (!strcmp(op, "write"))
		e = do_write(path, arg);
	else if (!strcmp(op, "list"))
		e = do_list(path);
	else {
		fprintf(stderr, "errno_probe: unknown op %s\n", op);
		return 2;
	}
	puts(e ? errname(e) : "OK");
	return 0;
}
