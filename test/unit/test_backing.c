#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfs/backing.h"

static char dir[] = "/tmp/pfs-backing-XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void write_file(const char *name, const char *text)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	close(dfd);
}

Test(backing, a_kept_fd_is_read_again_from_its_start, .init = make_dir)
{
	write_file("f", "first\n");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int kept = -1;
	struct pfs_buf out = PFS_BUF_INIT;
	cr_assert_eq(pfs_read_whole(dfd, "f", &kept, 0, &out), 0);
	cr_assert_str_eq(out.data, "first\n");
	cr_assert_geq(kept, 0, "the fd it opened is left for the next read");
	/* the same inode rewritten in place: the kept fd sees it, from offset 0 */
	cr_assert_eq(pwrite(kept, "again!", 6, 0), -1, "kept read-only");
	int w = openat(dfd, "f", O_WRONLY);
	cr_assert_eq(pwrite(w, "again!\n", 7, 0), 7);
	close(w);
	pfs_buf_reset(&out);
	int before = kept;
	cr_assert_eq(pfs_read_whole(dfd, "f", &kept, 0, &out), 0);
	cr_assert_str_eq(out.data, "again!\n");
	cr_assert_eq(kept, before, "read through the same fd");
	/* a file renamed away is still the kept fd's: no path is looked up again */
	cr_assert_eq(renameat(dfd, "f", dfd, "g"), 0);
	pfs_buf_reset(&out);
	cr_assert_eq(pfs_read_whole(dfd, "f", &kept, 0, &out), 0);
	cr_assert_str_eq(out.data, "again!\n");
	close(kept);
	kept = -1;
	pfs_buf_reset(&out);
	cr_assert_eq(pfs_read_whole(dfd, "f", &kept, 0, &out), -ENOENT);
	cr_assert_eq(kept, -1, "nothing kept on an error");
	pfs_buf_free(&out);
	close(dfd);
}

/* A FIFO with "abc" in it and its writer open for a second: EOF comes only after that. */
static pid_t fifo_writer(const char *path)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, "abc", 3) != 3)
			_exit(1);
		sleep(1);
		_exit(0);
	}
	return pid;
}

Test(backing, a_single_record_ends_at_a_short_read, .init = make_dir, .timeout = 10)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct pfs_buf out = PFS_BUF_INIT;
	struct timespec a, b;

	pid_t pid = fifo_writer(path);
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(pfs_read_whole(dfd, "fifo", NULL, PFS_READ_SINGLE, &out), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_str_eq(out.data, "abc");
	cr_assert_lt(b.tv_sec - a.tv_sec, 1, "no second read waited for the end");
	waitpid(pid, NULL, 0);

	/* not seekable: read as it comes, and no fd is kept for a rewind */
	pid = fifo_writer(path);
	int kept = -1;
	pfs_buf_reset(&out);
	cr_assert_eq(pfs_read_whole(dfd, "fifo", &kept, 0, &out), 0);
	cr_assert_str_eq(out.data, "abc", "without single: read to the writer's end");
	cr_assert_eq(kept, -1);
	waitpid(pid, NULL, 0);
	pfs_buf_free(&out);
	close(dfd);
}
