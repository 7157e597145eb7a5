/* Includes (fixture files in test/fixtures/policy/) and tenant path resolution. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pfs/policy.h"

#define FIX "test/fixtures/policy"

Test(policy_include, relative_to_including_file)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load(FIX "/tenants/t.policy", &p, &err);
	cr_assert_eq(r, 0, "%s", err.msg);
	cr_assert_eq(p->n_files, 2);
	cr_assert_str_eq(p->files[0], FIX "/tenants/t.policy");
	cr_assert_str_eq(p->files[1], FIX "/base.policy", "include path is normalised");
	cr_assert_eq(p->n_path_rules, 3);
	/* loaded in place: the base's rules, then the tenant's expose */
	cr_assert_str_eq(p->path_rules[0].src.file, FIX "/base.policy");
	cr_assert_eq(p->path_rules[0].src.line, 2);
	cr_assert_eq(p->path_rules[1].action, PFS_ACT_READONLY);
	cr_assert(p->path_rules[2].expose);
	cr_assert_str_eq(p->path_rules[2].src.file, FIX "/tenants/t.policy");
	cr_assert_eq(p->path_rules[2].src.line, 2);
	pfs_policy_free(p);
}

Test(policy_include, load_string_with_directory_can_include)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load_string(FIX "/tenants/mem.policy",
				       "include \"../base.policy\"\nhide /proc/keys\n", &p, &err);
	cr_assert_eq(r, 0, "%s", err.msg);
	cr_assert_eq(p->n_path_rules, 3);
	cr_assert_str_eq(p->files[0], FIX "/tenants/mem.policy");
	pfs_policy_free(p);
}

Test(policy_include, cycle)
{
	struct pfs_policy *p = (struct pfs_policy *)1;
	struct pfs_error err = {0};
	int r = pfs_policy_load(FIX "/cycle_a.policy", &p, &err);
	cr_assert_eq(r, -EINVAL);
	cr_assert_null(p);
	cr_assert_str_eq(err.msg, FIX "/cycle_b.policy:2:9: include cycle: '" FIX
				      "/cycle_a.policy' is already being loaded; remove this "
				      "include");
}

Test(policy_include, missing_file)
{
	struct pfs_policy *p = (struct pfs_policy *)1;
	struct pfs_error err = {0};
	int r = pfs_policy_load(FIX "/missing.policy", &p, &err);
	cr_assert_eq(r, -EINVAL);
	cr_assert_null(p);
	cr_assert_str_eq(err.msg, FIX "/missing.policy:2:11: cannot include '" FIX
				      "/sub/nope.policy': No such file or directory; includes are "
				      "relative to the including file's directory");
}

Test(policy_include, error_in_included_file_names_that_file)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_load(FIX "/bad_nested.policy", &p, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
			 FIX "/sub/bad.policy:3:1: unknown keyword 'hidee'; did you mean 'hide'?");
}

Test(policy_include, top_file_missing_or_not_regular)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_load(FIX "/nope.policy", &p, &err), -ENOENT);
	cr_assert_str_eq(err.msg, FIX "/nope.policy: cannot load policy: No such file or "
				      "directory; check the path");
	cr_assert_eq(pfs_policy_load(FIX, &p, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
}

/* Tenant lookups run in a private temporary directory, never the installed
 * /etc/procfilterfs, whose contents depend on the machine. */
static void make_file(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fclose(f);
}

static void expect_tenant_path(const char *dir, const char *tenant, const char *rel)
{
	char *out = NULL;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_policy_tenant_path(dir, tenant, &out, &err), 0, "%s", err.msg);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s%s", dir, rel);
	cr_assert_str_eq(out, want);
	free(out);
}

static void tenant_bad(const char *name, const char *needle)
{
	char *out = (char *)1;
	struct pfs_error err = {0};
	int r = pfs_policy_tenant_path("/nonexistent-policy-dir", name, &out, &err);
	cr_assert_lt(r, 0, "tenant '%s' accepted", name);
	cr_assert_null(out);
	cr_assert(strstr(err.msg, needle), "tenant '%s': [%s] lacks [%s]", name, err.msg, needle);
}

Test(policy_include, tenant_path)
{
	char dir[] = "/tmp/pfs-tenant.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char sub[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/tenants", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	/* Missing everywhere: DIR/NAME.policy, so that loading names that path. */
	expect_tenant_path(dir, "judge", "/judge.policy");
	/* Only under tenants/: found there, with or without a trailing slash. */
	make_file(dir, "tenants/judge.policy");
	expect_tenant_path(dir, "judge", "/tenants/judge.policy");
	char slashed[PATH_MAX];
	snprintf(slashed, sizeof(slashed), "%s/", dir);
	expect_tenant_path(slashed, "judge", "tenants/judge.policy");
	/* DIR/NAME.policy wins over tenants/NAME.policy. */
	make_file(dir, "judge.policy");
	expect_tenant_path(dir, "judge", "/judge.policy");
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);

	tenant_bad("../etc/passwd", "contains '/'");
	tenant_bad("a/b", "contains '/'");
	tenant_bad("..", "starts with '.'");
	tenant_bad(".hidden", "starts with '.'");
	tenant_bad("", "empty tenant name");
	tenant_bad("a\nb", "control character");
	char long_name[300];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	tenant_bad(long_name, "too long");
}
