/*
 * Policy resolution for `pfs run`: --policy FILE, --tenant NAME or the default
 * policy; checks of option combinations against it; limits merged over the
 * policy's `limit` line.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"
#include "pfs/policy.h"

static bool is_dir(const char *p)
{
	return access(p, R_OK | X_OK) == 0;
}

/* PFS_POLICY_DIR, or the source tree's filters/ when running from the build dir. */
static int default_policy_dir(char **out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char cand[PATH_MAX + 16];
		snprintf(cand, sizeof(cand), "%s/../filters", dirname(exe));
		char probe[PATH_MAX + 48];
		snprintf(probe, sizeof(probe), "%s/default.policy", cand);
		if (access(probe, R_OK) == 0) {
			char *rp = realpath(cand, NULL);
			if (rp) {
				*out = rp;
				return 0;
			}
		}
	}
	*out = strdup(PFS_POLICY_DIR);
	return *out ? 0 : -ENOMEM;
}

static int load_and_check(struct pfs_run_opts *o, const char *path, struct pfs_error *err)
{
	if (access(path, R_OK) < 0)
		return pfs_err_set(err, errno,
				   "policy '%s': %s; check the path or use --policy FILE", path,
				   strerror(errno));
	struct pfs_policy *p = NULL;
	int r = pfs_policy_load(path, &p, err);
	if (r < 0)
		return pfs_err_prefix(err, "policy '%s'", path);
	if (o->proc_rw && p->rw_forbidden) {
		r = pfs_err_set(
			err, EPERM,
			"--proc rw: policy '%s' says `proc-rw forbid`; drop --proc rw or use "
			"another policy",
			path);
		pfs_policy_free(p);
		return r;
	}
	o->memory_deny = pfs_policy_memory_denied(p);
	if (p->limits) {
		/* the policy's limits first, then --limit overrides the keys it names */
		struct pfs_limits l = {0};
		r = pfs_limits_parse(p->limits, &l, err);
		if (r == 0 && o->limit_spec)
			r = pfs_limits_parse(o->limit_spec, &l, err);
		if (r == 0)
			o->limits = l;
		else
			pfs_err_prefix(err, "policy '%s' limit", path);
	}
	pfs_policy_free(p);
	return r;
}

int pfs_run_resolve_policy(struct pfs_run_opts *o, struct pfs_error *err)
{
	cleanup_free char *dir = NULL;
	if (o->policy_dir) {
		dir = strdup(o->policy_dir);
		if (!dir)
			return -ENOMEM;
	} else if (!o->policy_file) {
		int r = default_policy_dir(&dir);
		if (r < 0)
			return r;
	}
	if (o->tenant) {
		cleanup_free char *tdir = NULL;
		if (asprintf(&tdir, "%s/tenants", dir) < 0)
			return -ENOMEM;
		int r = pfs_policy_tenant_path(tdir, o->tenant, &o->owned_policy, err);
		if (r < 0)
			return pfs_err_prefix(err, "--tenant");
		if (access(o->owned_policy, R_OK) < 0)
			return pfs_err_set(err, ENOENT,
					   "unknown tenant '%s': %s does not exist; create it or "
					   "check --policy-dir",
					   o->tenant, o->owned_policy);
		o->policy_file = o->owned_policy;
	} else if (!o->policy_file) {
		if (asprintf(&o->owned_policy, "%s/default.policy", dir) < 0)
			return -ENOMEM;
		if (!is_dir(dir) || access(o->owned_policy, R_OK) < 0)
			return pfs_err_set(err, ENOENT,
					   "no default policy at %s; install the policies (make "
					   "install) or give --policy FILE",
					   o->owned_policy);
		o->policy_file = o->owned_policy;
	}
	/* the daemon chdirs elsewhere: give it an absolute path */
	char *abs = realpath(o->policy_file, NULL);
	if (!abs)
		return pfs_err_set(err, errno, "policy '%s': %s; check the path", o->policy_file,
				   strerror(errno));
	free(o->owned_policy);
	o->owned_policy = abs;
	o->policy_file = abs;
	return load_and_check(o, abs, err);
}
