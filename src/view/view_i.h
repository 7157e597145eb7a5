/* Shared between the view's source files; not a public interface. */
#ifndef PFS_VIEW_I_H
#define PFS_VIEW_I_H

#include "pfs/oracle.h"
#include "pfs/view.h"

typedef int (*pfs_as_fn)(void *arg);
/*
 * Runs fn as the caller, with its groups and namespace-safe capabilities:
 * for reads whose content the kernel shapes by the reader's privilege (stat
 * hides addresses, kallsyms zeroes them). target is the path being accessed
 * (NULL for none). fn returns 0 or -errno.
 */
int view_as_caller(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *target,
		   enum pfs_access_op op, pfs_as_fn fn, void *arg);
/*
 * The same for yes/no questions (attributes, lookups): tries the caller's fs
 * ids alone first, which needs no read of the caller's status, and the full
 * credentials only if the kernel refuses.
 */
int view_as_caller_cheap(const struct pfs_view *v, struct pfs_caller *c,
			 const struct pfs_loc *target, enum pfs_access_op op, pfs_as_fn fn,
			 void *arg);

/* Whether an lstat of loc gives every caller the same answer: no switch (view_access.c). */
bool view_stat_public(const struct pfs_view *v, const struct pfs_loc *loc);

/*
 * A stat made on the backing, as the caller sees it: a process gone while
 * answering (ESRCH) is ENOENT, and owners are mapped into the mount's ids.
 */
int view_stat_result(const struct pfs_view *v, int r, struct stat *st);

/* The namespaces (PFS_NS_*) a read of loc needs; is_link: a readlink. */
unsigned view_ns_needs(const struct pfs_view *v, const struct pfs_loc *loc, bool is_link);
/* Enters the caller's namespaces in needs, when the view enters namespaces at all. */
int view_enter_ns(const struct pfs_view *v, const struct pfs_caller *c, unsigned needs);

/* The thread group (leader pid) of task tid, from one reading of its status. */
int view_leader_of(const struct pfs_view *v, pid_t tid, pid_t *leader);
/* pfs_view_pid_visible for a pid known to lead its thread group. */
int view_group_visible(const struct pfs_view *v, struct pfs_caller *c, pid_t leader);
/*
 * After rendering: a file that shows its group leader's name (comm, stat,
 * status, sched) is visible only if the name it shows is, so that a process
 * changing its name between the decision and the read is never shown under
 * a hidden name. -ENOENT when hidden.
 */
int view_rendered_visible(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			  const char *text, size_t len);

/* The three mount tables of a process. */
enum view_mount_table { VIEW_MT_MOUNTINFO, VIEW_MT_MOUNTS, VIEW_MT_MOUNTSTATS };
/*
 * The mount table `table` (of kind MOUNTINFO, MOUNTS or MOUNTSTATS; mi is the
 * mountinfo read with it, the same text for MOUNTINFO) of a process on
 * another root than the reference, without the mounts that show what the
 * policy drops from the reference's mountinfo ref_mi (mount_identity.c).
 */
int view_mounts_by_identity(const struct pfs_policy *p, const char *ref_mi, size_t ref_len,
			    const char *mi, size_t mi_len, const char *table, size_t table_len,
			    enum view_mount_table kind, struct pfs_buf *out);

/* The caller's tgid if the policy or the file needs it; 0 if unknown. */
pid_t view_caller_tgid(const struct pfs_view *v, struct pfs_caller *c);

/* `process-memory deny`: another process's mem, pagemap and map_files/ become DENY. */
void view_memory_decide(const struct pfs_view *v, struct pfs_caller *c, const struct pfs_loc *loc,
			struct pfs_path_decision *d);

#endif
