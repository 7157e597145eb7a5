/*
 * Content filters. Each takes the backing content and writes the filtered
 * content to out (appending). They fail closed: content a filter cannot parse
 * gives -EBADMSG and out must not be served. No filter passes anything it did
 * not understand.
 */
#ifndef PFS_FILTER_H
#define PFS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfs/backing.h"
#include "pfs/buf.h"
#include "pfs/idmap.h"
#include "pfs/policy.h"
#include "pfs/ppath.h"
#include "pfs/trace.h"

/*
 * The registry of the files the filters claim, one row per kind: read by the
 * view (which filter renders a file, which namespaces its read needs) and so
 * by the daemon, `pfs policy explain` and `pfs audit --policy`. A new kind is
 * one row in filter_kinds.c plus its own file.
 */
struct pfs_filter_in {
	const struct pfs_policy *policy;
	const char *data; /* the backing content, never NULL */
	size_t len;
	const struct pfs_idmap *uidmap, *gidmap; /* mount's user ns <-> daemon */
	const struct pfs_trace *trace;
	/* A sibling file in the same process directory, read as the reader. */
	int (*read_sibling)(void *ctx, const char *name, struct pfs_buf *out);
	/* The same, handed to fn in pieces of whole lines as it is read (pfs_read_lines_at). */
	int (*read_sibling_lines)(void *ctx, const char *name, pfs_lines_fn *fn, void *opaque);
	/* Whether the reader reads its own process. */
	bool (*is_self)(void *ctx);
	void *ctx;
};
/*
 * A filter fed its input a piece at a time, as the backing is read: each
 * piece ends at a line end (the last may not), and the filter writes for it
 * what its whole-text form writes for those lines, given the pieces before
 * (state). The whole-text form is one piece, so the two agree by construction.
 */
struct pfs_filter_piece {
	const struct pfs_policy *policy;
	const struct pfs_trace *trace;
	int state; /* the filter's between pieces (smaps: the current block's fate); 0 first */
};
typedef int pfs_filter_piece_fn(struct pfs_filter_piece *f, const char *lines, size_t len,
				struct pfs_buf *out);
struct pfs_filter_kind {
	const char *name; /* the file below /proc/<pid> or /proc/<pid>/task/<tid> */
	unsigned ns; /* PFS_NS_* (pfs/nsneed.h) its read needs */
	/* Writes the filtered content to out; NULL: served as the backing has it. */
	int (*filter)(const struct pfs_filter_in *in, struct pfs_buf *out);
	/*
	 * The same filter a piece at a time (maps, smaps, numa_maps: a record is
	 * a line, or a block of lines under a header): the view then filters the
	 * file as it reads it, holding the output and one piece, never the whole
	 * raw text. NULL: the filter needs the whole text (the mount tables:
	 * re-parenting needs every mount's parent). smaps_rollup, one line, reads
	 * its sibling smaps a piece at a time instead (read_sibling_lines).
	 */
	pfs_filter_piece_fn *piece;
	/* its render can be long or big (a walk of every mapping or mount): the
	 * daemon schedules it in turns between processes, off the shared workers */
	bool large;
	/*
	 * Its cost follows its length (a mount table: the kernel's work is the
	 * text it prints), so a render may start as a small file's does, under a
	 * cap on the bytes it holds, and go to the large renders past it.
	 */
	bool large_when_long;
};
/* The row for a logical path; NULL for files no filter claims. */
const struct pfs_filter_kind *pfs_filter_kind_of(const struct pfs_ppath *pp);

/* /proc/<pid>/mountinfo: drops, rewrites, redacts; re-parents orphans. */
int pfs_filter_mountinfo(const struct pfs_policy *p, const char *in, size_t len,
			 struct pfs_buf *out, const struct pfs_trace *t);
/*
 * The mount the filtered mountinfo shows for mount id: id itself, or for a
 * dropped mount its nearest surviving ancestor (where its children are
 * re-parented), with *rule the drop rule. 1 when no ancestor survives.
 */
int pfs_mountinfo_visible_mount(const struct pfs_policy *p, const char *mountinfo, size_t len,
				int id, int *out, const struct pfs_rule_src **rule);
/*
 * /proc/<pid>/fdinfo/<n>: the mnt_id line names the mount the filtered
 * mountinfo (of the same process) shows for the file: its own, or the
 * nearest surviving ancestor of a dropped one; removed when none survives.
 */
int pfs_filter_fdinfo(const struct pfs_policy *p, const char *in, size_t len, const char *mountinfo,
		      size_t mi_len, struct pfs_buf *out, const struct pfs_trace *t);
/* /proc/mounts, /proc/<pid>/mounts: the same rules, so the two agree. */
int pfs_filter_mounts(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		      const struct pfs_trace *t);
/* /proc/<pid>/mountstats ("device X mounted on Y with fstype Z ..."). */
int pfs_filter_mountstats(const struct pfs_policy *p, const char *in, size_t len,
			  struct pfs_buf *out, const struct pfs_trace *t);
/*
 * mounts and mountstats lack the root (and mountstats the options) that
 * mount rules may test. Alone, such a condition counts as matched (fail
 * closed: a rule "drop root=/home/x" drops every mount there). Given the
 * mountinfo of the same process read at the same time, these variants test
 * each mount's mountinfo entry instead (the kernel lists the tables in the
 * same order), so the three agree exactly; when the tables do not line up
 * (read apart, mountinfo unparsable or NULL) they fall back to the above.
 */
int pfs_filter_mounts_paired(const struct pfs_policy *p, const char *in, size_t len,
			     const char *mountinfo, size_t mi_len, struct pfs_buf *out,
			     const struct pfs_trace *t);
int pfs_filter_mountstats_paired(const struct pfs_policy *p, const char *in, size_t len,
				 const char *mountinfo, size_t mi_len, struct pfs_buf *out,
				 const struct pfs_trace *t);

/* /proc/<pid>/maps. */
int pfs_filter_maps(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		    const struct pfs_trace *t);
pfs_filter_piece_fn pfs_filter_maps_piece;
/* /proc/<pid>/smaps: whole blocks follow their header line's fate. */
int pfs_filter_smaps(const struct pfs_policy *p, const char *in, size_t len, struct pfs_buf *out,
		     const struct pfs_trace *t);
pfs_filter_piece_fn pfs_filter_smaps_piece;
/*
 * /proc/<pid>/smaps_rollup, recomputed from smaps when any mapping is dropped
 * (so hidden mappings do not count); otherwise rollup passes as is.
 */
int pfs_filter_smaps_rollup(const struct pfs_policy *p, const char *rollup, size_t rollup_len,
			    const char *smaps, size_t smaps_len, struct pfs_buf *out,
			    const struct pfs_trace *t);
/* /proc/<pid>/numa_maps ("start policy file=/path ..."). */
int pfs_filter_numa_maps(const struct pfs_policy *p, const char *in, size_t len,
			 struct pfs_buf *out, const struct pfs_trace *t);
pfs_filter_piece_fn pfs_filter_numa_maps_piece;
/* map_files/<start>-<end>: hidden when maps drops the mapping with that range. */
int pfs_maps_range_hidden(const struct pfs_policy *p, const char *maps, size_t maps_len,
			  const char *range, bool *hidden);

/* fd/N and fdinfo/N: hidden when the link target matches an fd rule. */
bool pfs_fd_target_hidden(const struct pfs_policy *p, const char *target,
			  const struct pfs_rule_src **rule);

/* /proc/<pid>/environ (NUL-separated). is_self: the reader's own process. */
int pfs_filter_environ(const struct pfs_policy *p, const char *in, size_t len, bool is_self,
		       struct pfs_buf *out, const struct pfs_trace *t);

/* Content rules for a path: REPLACE, then HIDE_LINES. */
int pfs_filter_lines(const struct pfs_policy *p, const char *path, const struct pfs_match_ctx *m,
		     const char *in, size_t len, struct pfs_buf *out, const struct pfs_trace *t);
/*
 * Whether the content rules of path work line by line (no REPLACE rule
 * matches it): pfs_filter_lines may then be given the text in pieces of whole
 * lines, one after the other.
 */
bool pfs_filter_lines_per_line(const struct pfs_policy *p, const char *path,
			       const struct pfs_match_ctx *m);

/* /proc/<pid>/status: Uid, Gid and Groups mapped into the mount's user namespace. */
/*
 * The reader's own task: stat, status or wchan (name) as natively, running
 * (filter_self.c); other names unchanged. -EBADMSG if unparsable.
 */
int pfs_filter_running_self(const char *name, struct pfs_buf *b);
/*
 * A task's voluntary context switches (status; sched: nr_switches and
 * nr_voluntary_switches) without the `waits` sleeps of its FUSE requests
 * (filter_self.c). self: the reader is the task, blocked in the request being
 * answered, whose sleep counts only if status shows it asleep already.
 * -EBADMSG if a count is unparsable; files without one are unchanged.
 */
int pfs_filter_fuse_waits(const char *name, uint64_t waits, bool self, struct pfs_buf *b);
int pfs_filter_status_ids(const struct pfs_idmap *uidmap, const struct pfs_idmap *gidmap,
			  const char *in, size_t len, struct pfs_buf *out);

#endif
