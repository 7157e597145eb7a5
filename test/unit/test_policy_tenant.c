#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/policy.h"

Test(policy_tenant, falls_back_to_tenants_subdir)
{
	char *path = NULL;
	struct pfs_error err;
	cr_assert_eq(pfs_policy_tenant_path("filters", "judge", &path, &err), 0);
	cr_assert_str_eq(path, "filters/tenants/judge.policy");
	free(path);
	cr_assert_eq(pfs_policy_tenant_path("filters/", "default", &path, &err), 0);
	cr_assert_str_eq(path, "filters/default.policy");
	free(path);
	cr_assert_eq(pfs_policy_tenant_path("filters", "nosuch", &path, &err), 0);
	cr_assert_str_eq(path, "filters/nosuch.policy", "a missing tenant names the first form");
	free(path);
	cr_assert_eq(pfs_policy_tenant_path("filters", "../x", &path, &err), -EINVAL);
	cr_assert_null(path);
}
