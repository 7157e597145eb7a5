/* Logical /proc paths: which process a path belongs to, and what kind of file it is. */
#ifndef PFS_PPATH_H
#define PFS_PPATH_H

#include <stdbool.h>
#include <sys/types.h>

enum pfs_file_kind {
	PFS_FK_PLAIN, /* served as the backing has it (content rules may still apply) */
	PFS_FK_MOUNTINFO,
	PFS_FK_MOUNTS,
	PFS_FK_MOUNTSTATS,
	PFS_FK_MAPS,
	PFS_FK_SMAPS,
	PFS_FK_SMAPS_ROLLUP,
	PFS_FK_NUMA_MAPS,
	PFS_FK_ENVIRON,
	PFS_FK_STATUS,
};

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
/* The file kind from the part of the path below the process directory. */
enum pfs_file_kind pfs_file_kind(const struct pfs_ppath *pp);
/* Parses an all-digit component; 0 if it is not one. */
pid_t pfs_parse_pid(const char *s, size_t len);

#endif
