/* Removal of the empty cgroups that a killed pfs run left behind (v1 and v2 alike). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pfs/backing.h"
#include "pfs/monitor.h"

void pfs_cgroup_sweep_stale(int parent_fd, int min_age_s)
{
	DIR *d = pfs_opendir_at(parent_fd, ".");
	if (!d)
		return;
	time_t now = time(NULL);
	for (struct dirent *e; (e = readdir(d));) {
		char *end = NULL;
		if (strncmp(e->d_name, "pfs-run-", 8) != 0)
			continue;
		long pid = strtol(e->d_name + 8, &end, 10);
		struct stat st;
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_ctime < min_age_s)
			continue;
		(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}
