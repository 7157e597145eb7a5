/*
 * Policies: parsed rules and the decisions made from them.
 * Grammar and semantics: docs/policy.md.
 *
 * A policy is immutable once loaded; reload builds a new one and swaps it.
 */
#ifndef PFS_POLICY_H
#define PFS_POLICY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfs/err.h"
#include "pfs/glob.h"

/* Where a rule was written. file points into the policy's own storage. */
struct pfs_rule_src {
	const char *file;
	unsigned line;
	unsigned col;
};

/* Ordered from least to most restrictive; the order is the precedence. */
enum pfs_path_action {
	PFS_ACT_NONE = 0, /* no rule: served, read-only */
	PFS_ACT_WRITABLE, /* writes allowed when mounted rw */
	PFS_ACT_READONLY, /* EROFS on write */
	PFS_ACT_EMPTY, /* reads as empty, like an OCI masked file */
	PFS_ACT_DENY, /* EACCES */
	PFS_ACT_HIDE, /* absent: ENOENT and not listed */
};

/* "none", "writable", "readonly", "empty", "deny", "hide". */
const char *pfs_path_action_name(enum pfs_path_action a);

struct pfs_path_rule {
	struct pfs_glob *glob;
	enum pfs_path_action action;
	bool expose; /* an explicit `expose`: cancels earlier restrictions it matches */
	struct pfs_rule_src src;
};

enum pfs_pids_mode {
	PFS_PIDS_ALL = 0,
	PFS_PIDS_SAME_UID, /* pids whose owner uid equals the caller's uid */
	PFS_PIDS_TREE, /* the caller, its ancestors and its descendants */
};

enum pfs_pid_match { PFS_PID_BY_COMM, PFS_PID_BY_EXE };

struct pfs_pid_rule { /* hide-pid */
	enum pfs_pid_match by;
	struct pfs_glob *glob; /* TEXT glob */
	struct pfs_rule_src src;
};

enum pfs_mount_field {
	PFS_MNT_FSTYPE,
	PFS_MNT_SOURCE,
	PFS_MNT_TARGET, /* mount point */
	PFS_MNT_ROOT, /* mountinfo field 4: root of the mount within its fs */
	PFS_MNT_OPTION, /* any mount or super option, "name" or "name=value" */
};

enum pfs_mount_action {
	PFS_MNT_DROP,
	PFS_MNT_REWRITE_SOURCE,
	PFS_MNT_REDACT_OPTIONS,
};

struct pfs_mount_match {
	enum pfs_mount_field field;
	struct pfs_glob *glob; /* TEXT glob, matched against the unescaped field */
};

struct pfs_mount_rule {
	enum pfs_mount_action action;
	struct pfs_mount_match *matches; /* all must match; none = every mount */
	size_t n_matches;
	char *value; /* REWRITE_SOURCE: new source; REDACT_OPTIONS: replacement value */
	char **options; /* REDACT_OPTIONS: option names to redact */
	size_t n_options;
	struct pfs_rule_src src;
};

enum pfs_maps_action { PFS_MAPS_DROP, PFS_MAPS_REDACT };

struct pfs_maps_rule {
	enum pfs_maps_action action;
	struct pfs_glob *glob; /* TEXT glob over the mapping's pathname, e.g. "[heap]" */
	char *value; /* REDACT: replacement pathname */
	struct pfs_rule_src src;
};

struct pfs_fd_rule { /* fd hide TARGET-GLOB */
	struct pfs_glob *glob;
	struct pfs_rule_src src;
};

enum pfs_environ_scope { PFS_ENV_OTHERS, PFS_ENV_ALL };

struct pfs_environ_rule { /* environ redact NAME-GLOB [others|all] */
	struct pfs_glob *glob;
	enum pfs_environ_scope scope;
	char *value; /* replacement value */
	struct pfs_rule_src src;
};

enum pfs_content_action { PFS_CONTENT_REPLACE, PFS_CONTENT_HIDE_LINES };

struct pfs_content_rule {
	enum pfs_content_action action;
	struct pfs_glob *path; /* PATH glob */
	char *text; /* REPLACE: the new content (escapes decoded) */
	size_t text_len;
	regex_t re; /* HIDE_LINES: POSIX ERE */
	bool has_re;
	struct pfs_rule_src src;
};

/* `process-memory deny|allow`; unset: deny when the policy redacts environ. */
enum pfs_process_memory { PFS_PROCMEM_UNSET = 0, PFS_PROCMEM_DENY, PFS_PROCMEM_ALLOW };

struct pfs_path_index; /* private to the loader and decisions */

struct pfs_policy {
	char **files; /* every file loaded, first = the top file */
	size_t n_files;

	struct pfs_path_rule *path_rules;
	size_t n_path_rules;

	enum pfs_pids_mode pids_mode;
	struct pfs_rule_src pids_src;
	struct pfs_pid_rule *pid_rules;
	size_t n_pid_rules;

	struct pfs_mount_rule *mount_rules;
	size_t n_mount_rules;
	struct pfs_maps_rule *maps_rules;
	size_t n_maps_rules;
	struct pfs_fd_rule *fd_rules;
	size_t n_fd_rules;
	struct pfs_environ_rule *environ_rules;
	size_t n_environ_rules;
	struct pfs_content_rule *content_rules;
	size_t n_content_rules;

	bool rw_forbidden; /* `proc-rw forbid`: the launcher refuses --proc rw */
	enum pfs_process_memory process_memory; /* the last `process-memory` line */
	struct pfs_rule_src process_memory_src;
	/* `sysinfo virtual`: meminfo, cpuinfo, stat, uptime, loadavg... show the
	 * sandbox's limits and usage (the last sysinfo line wins) */
	bool sysinfo_virtual;
	struct pfs_rule_src sysinfo_src;
	char *limits; /* `limit` lines joined with ',' (monitor syntax), or NULL */
	struct pfs_rule_src limits_src;

	/* Built by the loaders so decisions skip rules that cannot match; NULL: scan all. */
	struct pfs_path_index *path_index;
};

/* Lint findings from pfs policy check; errors refuse the policy. */
struct pfs_lint_finding {
	struct pfs_rule_src src;
	char msg[512];
};

/* Parses FILE and its includes. On error: -errno and err = "file:line:col: msg". */
int pfs_policy_load(const char *path, struct pfs_policy **out, struct pfs_error *err);
/* Parses from memory; name is used in messages and as the base for includes. */
int pfs_policy_load_string(const char *name, const char *text, struct pfs_policy **out,
			   struct pfs_error *err);
/* The empty policy: everything passes through (passthrough.policy has the same effect). */
int pfs_policy_new_empty(struct pfs_policy **out);
void pfs_policy_free(struct pfs_policy *p);
/* Resolves a tenant name to DIR/NAME.policy; rejects names with '/' or "..". */
int pfs_policy_tenant_path(const char *dir, const char *tenant, char **out, struct pfs_error *err);
/*
 * Lints (unknown keys are parse errors; here: dead globs, shadowed rules,
 * writable under readonly, exposes that cancel nothing). *out is free()d by
 * the caller; a finding's msg carries no location (print src first).
 */
int pfs_policy_lint(const struct pfs_policy *p, struct pfs_lint_finding **out, size_t *n);

/*
 * Whether processes of the sandbox are kept out of each other's memory
 * (/proc/PID/mem, pagemap, map_files/, ptrace, process_vm_readv/writev).
 */
bool pfs_policy_memory_denied(const struct pfs_policy *p);

struct pfs_path_decision {
	enum pfs_path_action action;
	const struct pfs_rule_src *rule; /* rule that decided the action, NULL if none */
	const struct pfs_content_rule *replace; /* a REPLACE rule for this path, or NULL */
	bool has_line_rules; /* HIDE_LINES rules apply to this path */
};

/*
 * Decides for a logical path ("/proc", "/proc/meminfo", "/proc/12/task/13/environ").
 * A path under /proc/P/task/T/ is also matched as /proc/P/<rest>; the most
 * restrictive answer wins, so a per-process rule cannot be bypassed through task/.
 */
void pfs_policy_decide_path(const struct pfs_policy *p, const char *path,
			    const struct pfs_match_ctx *m, struct pfs_path_decision *out);

/*
 * True when no path rule hides /proc/<name> from any caller: a listing of
 * /proc then shows the entry without deciding it. False means "decide it"
 * (a rule may hide it), not that it is hidden.
 */
bool pfs_policy_root_entry_shown(const struct pfs_policy *p, const char *name);

/* What pid visibility needs to know about a process (only what the policy uses). */
struct pfs_proc_facts {
	pid_t pid;
	uid_t uid; /* owner of /proc/<pid> */
	const char *comm; /* NULL if the policy does not need it */
	const char *exe; /* NULL if unknown or not needed */
	bool in_caller_tree; /* the caller itself or one of its descendants */
};

bool pfs_policy_needs_comm(const struct pfs_policy *p);
bool pfs_policy_needs_exe(const struct pfs_policy *p);
/* true: visible. When hidden and rule != NULL, *rule names the deciding rule. */
bool pfs_policy_pid_visible(const struct pfs_policy *p, const struct pfs_proc_facts *f,
			    uid_t caller_uid, const struct pfs_rule_src **rule);

#endif
