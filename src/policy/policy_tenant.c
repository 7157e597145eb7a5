/*
 * Tenant names: NAME -> DIR/NAME.policy (or DIR/tenants/NAME.policy), refusing
 * anything that could escape DIR.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	/* DIR/NAME.policy, else DIR/tenants/NAME.policy (where the examples install). */
	char *path = NULL, *alt = NULL;
	if (asprintf(&path, "%s%s%s.policy", dir, sep, tenant) < 0)
		return -ENOMEM;
	if (access(path, F_OK) != 0 &&
	    asprintf(&alt, "%s%stenants/%s.policy", dir, sep, tenant) >= 0 &&
	    access(alt, F_OK) == 0) {
		free(path);
		*out = alt;
		return 0;
	}
	free(alt);
	*out = path; /* missing or not: loading it reports the path */
	return 0;
}
