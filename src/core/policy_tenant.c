/* Tenant names: NAME -> DIR/NAME.policy, refusing anything that could escape DIR. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pfs/policy.h"

int pfs_policy_tenant_path(const char *dir, const char *tenant, char **out, struct pfs_error *err)
{
	*out = NULL;
	if (!tenant || !*tenant)
		return pfs_err_set(err, EINVAL, "empty tenant name; give a name such as 'judge'");
	if (strchr(tenant, '/'))
		return pfs_err_set(err, EINVAL,
				   "tenant name '%s' contains '/'; give a plain name, the file is "
				   "looked up as NAME.policy in the policy directory",
				   tenant);
	if (tenant[0] == '.')
		return pfs_err_set(err, EINVAL,
				   "tenant name '%s' starts with '.'; give a plain name such as "
				   "'judge'",
				   tenant);
	for (const char *s = tenant; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return pfs_err_set(err, EINVAL,
					   "tenant name contains a control character; give a plain "
					   "name");
	if (strlen(tenant) + sizeof(".policy") > NAME_MAX + 1)
		return pfs_err_set(err, ENAMETOOLONG,
				   "tenant name '%.40s...' is too long; shorten it", tenant);
	if (!dir || !*dir)
		return pfs_err_set(err, EINVAL,
				   "no policy directory; set one with -o policy_dir=DIR");
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	if (asprintf(out, "%s%s%s.policy", dir, sep, tenant) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
