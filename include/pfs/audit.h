/*
 * pfs audit: what a sandbox can learn about its host, and which policy rule
 * would stop it. The detectors are pure logic over a proc-like directory fd
 * (a live procfs, a procfilterfs mount, or a fixture tree in test/leaks/).
 * docs/leaks.md describes each finding and the rule that removes it.
 */
#ifndef PFS_AUDIT_H
#define PFS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pfs/buf.h"
#include "pfs/err.h"

enum pfs_severity {
	PFS_SEV_INFO,
	PFS_SEV_LOW,
	PFS_SEV_MEDIUM,
	PFS_SEV_HIGH,
	PFS_SEV_CRITICAL,
};

const char *pfs_severity_name(enum pfs_severity s);
/* "info", "low", "medium", "high", "critical" (case-insensitive). */
int pfs_severity_parse(const char *s, enum pfs_severity *out);

enum pfs_verify_state {
	PFS_VERIFY_NONE, /* not checked (no --policy) */
	PFS_VERIFY_OK, /* with the rule added, the finding is gone */
	PFS_VERIFY_FAILED, /* the rule did not remove it */
	PFS_VERIFY_ALREADY, /* the policy alone already removes it */
	PFS_VERIFY_UNSUPPORTED, /* cannot be checked by re-rendering (see note) */
};

const char *pfs_verify_name(enum pfs_verify_state v);

/* What the rule acts on, so the suggestion can be re-rendered to verify it. */
enum pfs_audit_kind {
	PFS_AK_PATH, /* a whole /proc path (hide/deny/empty/readonly) */
	PFS_AK_MOUNTINFO, /* a mountinfo line */
	PFS_AK_MAPS, /* a maps line */
	PFS_AK_FD, /* an fd link target */
	PFS_AK_ENVIRON, /* a NAME=VALUE environ entry */
	PFS_AK_LINES, /* a line of a content file (net/dev, cgroup, ...) */
	PFS_AK_PID, /* a visible process (comm) */
	PFS_AK_SYSINFO, /* the host's size (meminfo, cpuinfo): `sysinfo virtual` */
};

struct pfs_finding {
	const char *category; /* static: "mounts", "maps", "fd", "environ", ... */
	const char *check; /* static detector id, e.g. "overlay-host-path" */
	enum pfs_severity severity;
	enum pfs_audit_kind kind;
	char *path; /* "/proc/..." */
	char *entry; /* the line or entry (may contain value) */
	char *value; /* the leaked value */
	char *why; /* why it matters */
	char *rule; /* suggested policy rule, or NULL */
	unsigned count; /* occurrences merged into this finding (same check + value) */
	enum pfs_verify_state verify;
	char *verify_note;
};

struct pfs_findings {
	struct pfs_finding *v;
	size_t n, cap;
};

void pfs_findings_free(struct pfs_findings *f);
static inline void pfs_findings_freep(struct pfs_findings *f)
{
	pfs_findings_free(f);
}
#define cleanup_findings __attribute__((cleanup(pfs_findings_freep)))

/* Copies the strings of tmpl; a finding with the same check and value is merged (count++). */
int pfs_findings_add(struct pfs_findings *f, const struct pfs_finding *tmpl);
/* Sorts by severity (highest first), then category, then path. */
void pfs_findings_sort(struct pfs_findings *f);
/* True when any finding has severity >= min. */
bool pfs_findings_any_at(const struct pfs_findings *f, enum pfs_severity min);

enum pfs_audit_write_check {
	PFS_AUDIT_WRITE_AUTO, /* only on a real procfs or FUSE mount (fixtures lose modes in git) */
	PFS_AUDIT_WRITE_ALWAYS,
	PFS_AUDIT_WRITE_NEVER,
};

struct pfs_audit_opts {
	int proc_fd; /* directory fd of the proc-like tree */
	const char *const *host_prefixes;
	size_t n_host_prefixes;
	const char *hostname; /* the sandbox's own hostname; NULL: hostname check skipped */
	pid_t self_pid; /* the auditor itself in this tree (its environ is its own), 0: none */
	bool live; /* the tree is the caller's own view: fd targets checked against its root */
	bool outside; /* the auditor is not in the sandbox (--pid): "self" files are read from pid 1 */
	enum pfs_audit_write_check write_check;
	unsigned max_pids; /* 0: default (4096) */
	/* The host's size as the auditor knows it (sysinfo(2), its affinity); 0: unknown */
	uint64_t host_mem_kb, host_free_kb;
	unsigned allowed_cpus;
};

/* Built-in host path prefixes (container runtimes' storage, /home, /root, ...). */
const char *const *pfs_audit_default_host_prefixes(size_t *n);
/* Splits "a,b,c" into a NULL-terminated array (one allocation: free(*out)). */
int pfs_audit_parse_prefixes(const char *list, char ***out, size_t *n, struct pfs_error *err);
/* True when path equals a prefix or lies below one. *which: the prefix. */
bool pfs_audit_host_path(const struct pfs_audit_opts *o, const char *path, const char **which);

/* Runs every detector. Returns 0 or -errno (the tree cannot be read at all). */
int pfs_audit_run(const struct pfs_audit_opts *o, struct pfs_findings *out, struct pfs_error *err);

/* The detectors (each adds to out; 0 or -errno on allocation failure). */
int pfs_audit_mounts(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_maps(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_fds(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_secrets(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_pids(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_host(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_kernel(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_write(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_memory(const struct pfs_audit_opts *o, struct pfs_findings *out);
int pfs_audit_sysinfo(const struct pfs_audit_opts *o, struct pfs_findings *out);

/* Secret classification of one NAME=VALUE (environ) or one argument (cmdline). */
bool pfs_audit_secret_name(const char *name);
bool pfs_audit_secret_value(const char *value, const char **why);
/* Same, giving where the secret itself lies in value. */
bool pfs_audit_secret_span(const char *value, const char **why, size_t *off, size_t *len);
double pfs_audit_entropy(const char *s, size_t len);

/* "abcdefgh" -> "abcd***": keeps at most 4 chars (fewer for short values). */
char *pfs_audit_redact(const char *value);
/* Copies s with every occurrence of value replaced by its redaction. */
char *pfs_audit_redact_in(const char *s, const char *value);

/*
 * Verifies each finding's suggested rule: loads policy_text (may be NULL)
 * plus the rule via pfs_policy_load_string, re-renders the offending content
 * with the filters and records whether the finding disappears.
 * policy_name names the policy in messages and is the base for includes.
 */
int pfs_audit_verify(const struct pfs_audit_opts *o, const char *policy_name,
		     const char *policy_text, struct pfs_findings *f, struct pfs_error *err);

/* ---- front end (src/pfs/cmd_audit.c, audit_output.c): the only printing part ---- */

/* what: the audited tree, for the header line. Values redacted unless show_values. */
void pfs_audit_print_text(FILE *f, const char *what, const struct pfs_findings *fs,
			  bool show_values);
void pfs_audit_print_json(FILE *f, const char *what, const char *mode,
			  const struct pfs_findings *fs, bool show_values,
			  enum pfs_severity fail_on, bool failed);

/* ---- helpers shared by the detectors (src/audit/audit_*.c) ---- */

/* Reads rel (relative to dirfd) into out, at most max bytes. 0 or -errno. */
int pfs_audit_read(int dirfd, const char *rel, size_t max, struct pfs_buf *out);
/*
 * Reads a file of the reader's own process ("net/dev", via self): when self
 * does not resolve (auditing from outside with --pid), falls back to "1/REL".
 */
int pfs_audit_read_self(const struct pfs_audit_opts *o, const char *rel, size_t max,
			struct pfs_buf *out);
/* The numeric entries of the tree, ascending, at most o->max_pids. free(*pids). */
int pfs_audit_list_pids(const struct pfs_audit_opts *o, pid_t **pids, size_t *n);
/* The pid "self" names in the tree, or 0. */
pid_t pfs_audit_self(const struct pfs_audit_opts *o);
/* Adds a finding built from the arguments (rule may be NULL). */
int pfs_audit_add(struct pfs_findings *out, const char *category, const char *check,
		  enum pfs_severity sev, enum pfs_audit_kind kind, const char *path,
		  const char *entry, const char *value, const char *why, const char *rule);

/*
 * Suggested rules, in the syntax of docs/policy.md. Returned strings are
 * malloc'd (NULL on allocation failure).
 */
char *pfs_audit_rule_path(const char *action, const char *glob);
char *pfs_audit_rule_mount_drop(const char *field, const char *glob);
char *pfs_audit_rule_mount_drop2(const char *f1, const char *g1, const char *f2, const char *g2);
char *pfs_audit_rule_mount_redact(const char *match_field, const char *match_glob,
				  const char *options);
char *pfs_audit_rule_mount_rewrite(const char *match_field, const char *match_glob,
				   const char *source);
char *pfs_audit_rule_maps(const char *glob);
char *pfs_audit_rule_fd(const char *glob);
char *pfs_audit_rule_environ(const char *name);
char *pfs_audit_rule_lines(const char *path, const char *regex);
char *pfs_audit_rule_replace(const char *path, const char *text);
char *pfs_audit_rule_hide_pid(const char *comm);
char *pfs_audit_rule_pids(const char *mode);
/* Quotes s for a policy line when it holds blanks, quotes, '#' or '\\'. */
char *pfs_audit_rule_quote(const char *s);
char *pfs_audit_rule_quote_always(const char *s);
/* Escapes the glob metacharacters of a literal value (* ? [ ] { } \\). */
char *pfs_audit_glob_escape(const char *s);

#endif
