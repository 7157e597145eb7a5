/* Scope-bound cleanup and explicit ownership transfer. */
#ifndef PFS_CLEANUP_H
#define PFS_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void pfs_freep(void *p)
{
	free(*(void **)p);
}

static inline void pfs_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void pfs_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void pfs_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_free __attribute__((cleanup(pfs_freep)))
#define cleanup_close __attribute__((cleanup(pfs_closep)))
#define cleanup_fclose __attribute__((cleanup(pfs_fclosep)))
#define cleanup_closedir __attribute__((cleanup(pfs_closedirp)))

/* Hand a pointer out of a cleanup scope: the variable is left NULL. */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) steal_tmp__ = (p);                                                   \
		(p) = NULL;                                                                        \
		steal_tmp__;                                                                       \
	})

/* Hand an fd out of a cleanup scope: the variable is left -1. */
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int steal_tmp__ = (fd);                                                            \
		(fd) = -1;                                                                         \
		steal_tmp__;                                                                       \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
