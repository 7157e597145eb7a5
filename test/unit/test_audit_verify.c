/*
 * pfs audit --policy: every suggested rule parses and removes its finding
 * when re-rendered with the real filters; shipped policies already cover
 * some; findings without a rule are reported as not checkable.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/audit.h"

static const char *const scenarios[] = {
	"docker-overlay",  "k8s-pod",	"home-bind",	"lxd-zfs",     "inherited-fd",
	"sibling-environ", "host-pids", "host-network", "kernel-info",
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot open %s", path);
	char *s = calloc(1, 1 << 20);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void audit(const char *scenario, const char *policy_name, const char *policy_text,
		  struct pfs_findings *fs)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "test/leaks/%s/proc", scenario);
	struct pfs_audit_opts o = {.proc_fd = open(dir, O_RDONLY | O_DIRECTORY)};
	cr_assert_geq(o.proc_fd, 0);
	o.host_prefixes = pfs_audit_default_host_prefixes(&o.n_host_prefixes);
	o.self_pid = pfs_audit_self(&o);
	o.hostname = "sandbox";
	struct pfs_error err = {0};
	cr_assert_eq(pfs_audit_run(&o, fs, &err), 0, "%s", err.msg);
	cr_assert_gt(fs->n, 0, "%s: the plain fixture must leak", scenario);
	cr_assert_eq(pfs_audit_verify(&o, policy_name, policy_text, fs, &err), 0, "%s", err.msg);
	close(o.proc_fd);
}

Test(audit_verify, every_suggested_rule_removes_its_finding)
{
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		struct pfs_findings fs = {0};
		audit(scenarios[s], "empty.policy", "", &fs);
		for (size_t i = 0; i < fs.n; i++) {
			const struct pfs_finding *f = &fs.v[i];
			if (!f->rule) {
				cr_expect_eq(f->verify, PFS_VERIFY_UNSUPPORTED, "%s", f->check);
				continue;
			}
			cr_expect_eq(f->verify, PFS_VERIFY_OK, "%s: %s: rule '%s': %s",
				     scenarios[s], f->check, f->rule,
				     f->verify_note ? f->verify_note : "");
		}
		pfs_findings_free(&fs);
	}
}

Test(audit_verify, default_policy_covers_oci_masks_and_overlay)
{
	char *text = slurp("filters/default.policy");
	struct pfs_findings fs = {0};
	audit("kernel-info", "filters/default.policy", text, &fs);
	for (size_t i = 0; i < fs.n; i++) {
		const struct pfs_finding *f = &fs.v[i];
		if (!strcmp(f->category, "kernel"))
			cr_expect_eq(f->verify, PFS_VERIFY_ALREADY, "%s", f->check);
		else
			cr_expect_eq(f->verify, PFS_VERIFY_OK, "%s",
				     f->check); /* boot_id, hostname */
	}
	pfs_findings_free(&fs);
	audit("docker-overlay", "filters/default.policy", text, &fs);
	for (size_t i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].check, "overlay-host-path"))
			cr_expect_eq(fs.v[i].verify, PFS_VERIFY_ALREADY);
	pfs_findings_free(&fs);
	free(text);
}

Test(audit_verify, a_rule_that_does_not_help_is_not_verified)
{
	struct pfs_findings fs = {0};
	audit("sibling-environ", "empty.policy", "", &fs);
	/* swap in a rule for another variable and check again */
	for (size_t i = 0; i < fs.n; i++) {
		if (strcmp(fs.v[i].check, "environ-secret") != 0)
			continue;
		free(fs.v[i].rule);
		fs.v[i].rule = strdup("environ redact SOMETHING_ELSE");
	}
	char dir[] = "test/leaks/sibling-environ/proc";
	struct pfs_audit_opts o = {.proc_fd = open(dir, O_RDONLY | O_DIRECTORY)};
	o.host_prefixes = pfs_audit_default_host_prefixes(&o.n_host_prefixes);
	o.self_pid = pfs_audit_self(&o);
	struct pfs_error err = {0};
	cr_assert_eq(pfs_audit_verify(&o, "empty.policy", "", &fs, &err), 0);
	for (size_t i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].check, "environ-secret"))
			cr_expect_eq(fs.v[i].verify, PFS_VERIFY_FAILED);
	/* a rule that does not parse is reported, not fatal */
	free(fs.v[0].rule);
	fs.v[0].rule = strdup("environ scramble X");
	cr_assert_eq(pfs_audit_verify(&o, "empty.policy", "", &fs, &err), 0);
	cr_expect_eq(fs.v[0].verify, PFS_VERIFY_FAILED);
	cr_expect(strstr(fs.v[0].verify_note, "does not load"));
	close(o.proc_fd);
	pfs_findings_free(&fs);
}

Test(audit_verify, broken_base_policy_is_an_error)
{
	struct pfs_findings fs = {0};
	struct pfs_audit_opts o = {.proc_fd = open("test/leaks/clean/proc", O_RDONLY)};
	struct pfs_error err = {0};
	cr_assert_lt(pfs_audit_verify(&o, "bad.policy", "frobnicate /proc\n", &fs, &err), 0);
	cr_assert(strstr(err.msg, "bad.policy:1"), "%s", err.msg);
	close(o.proc_fd);
}
