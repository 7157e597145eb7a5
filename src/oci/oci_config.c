/*
 * The OCI hook's configuration file: `key = value` lines, `#` comments.
 * An unknown key or a bad value is an error: a mistyped setting must fail the
 * container, not quietly fall back to something else.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/oci.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int set_str(char **field, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int set_defaults(struct pfs_oci_config *c)
{
	*c = (struct pfs_oci_config){0};
	if (set_str(&c->policy_dir, PFS_POLICY_DIR) < 0 ||
	    set_str(&c->policy, "default.policy") < 0 ||
	    set_str(&c->state_dir, PFS_OCI_STATE_DIR) < 0)
		return -ENOMEM;
	return 0;
}

static int apply(struct pfs_oci_config *c, const char *key, const char *v, const char *path,
		 int line, struct pfs_error *err)
{
	struct {
		const char *name;
		char **field;
		bool abs;
	} strs[] = {
		{"policy-dir", &c->policy_dir, true}, {"policy", &c->policy, false},
		{"tenant", &c->tenant, false},	      {"daemon", &c->daemon, true},
		{"state-dir", &c->state_dir, true},   {"runtime", &c->runtime, false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if (strcmp(key, strs[i].name) != 0)
			continue;
		if (!*v || (strs[i].abs && v[0] != '/'))
			return pfs_err_set(err, EINVAL, "%s:%d: %s needs %s", path, line, key,
					   strs[i].abs ? "an absolute path" : "a value");
		return set_str(strs[i].field, v);
	}
	if (!strcmp(key, "debug")) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return pfs_err_set(err, EINVAL, "%s:%d: debug is `yes` or `no`, not '%s'",
					   path, line, v);
		c->debug = !strcmp(v, "yes");
		return 0;
	}
	if (!strcmp(key, "policy-annotation")) {
		if (strcmp(v, "any") != 0 && strcmp(v, "policy-dir") != 0)
			return pfs_err_set(err, EINVAL,
					   "%s:%d: policy-annotation is `policy-dir` or `any`, not "
					   "'%s'",
					   path, line, v);
		c->policy_any_path = !strcmp(v, "any");
		return 0;
	}
	return pfs_err_set(err, EINVAL,
			   "%s:%d: unknown setting '%s'; see docs/oci.md for the settings", path,
			   line, key);
}

int pfs_oci_config_load(const char *path, bool required, struct pfs_oci_config *c,
			struct pfs_error *err)
{
	if (set_defaults(c) < 0)
		return -ENOMEM;
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		return pfs_err_set(err, errno, "configuration %s: %s", path, strerror(errno));
	}
	char buf[4096];
	int line = 0;
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		char *s = trim(buf);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			return pfs_err_set(err, EINVAL, "%s:%d: expected `key = value`", path,
					   line);
		*eq = '\0';
		int r = apply(c, trim(s), trim(eq + 1), path, line, err);
		if (r < 0)
			return r;
	}
	if (c->tenant && strcmp(c->policy, "default.policy") != 0)
		return pfs_err_set(err, EINVAL, "%s: both policy and tenant are set; keep one",
				   path);
	return 0;
}

void pfs_oci_config_free(struct pfs_oci_config *c)
{
	free(c->policy_dir);
	free(c->policy);
	free(c->tenant);
	free(c->daemon);
	free(c->state_dir);
	free(c->runtime);
	*c = (struct pfs_oci_config){0};
}
