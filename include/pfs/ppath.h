/* Logical /proc paths: which process (and task) a path belongs to, and what follows. */
#ifndef PFS_PPATH_H
#define PFS_PPATH_H

#include <stdbool.h>
#include <sys/types.h>

struct pfs_ppath {
	pid_t pid; /* the /proc/<pid> component, 0 for global paths */
	pid_t tid; /* the task/<tid> component, 0 if none */
	const char
		*rest; /* what follows "/proc/", "/proc/P/" or "/proc/P/task/T/"; "" for the dir */
	bool is_root; /* "/proc" itself */
	bool fd_entry; /* rest is fd/N or fdinfo/N */
	bool map_files_entry; /* rest is map_files/<range> */
};

/* Parses "/proc[/...]". Returns -EINVAL for anything else. */
int pfs_ppath_parse(const char *path, struct pfs_ppath *out);
/* Parses an all-digit component; 0 if it is not one. */
pid_t pfs_parse_pid(const char *s, size_t len);

#endif
