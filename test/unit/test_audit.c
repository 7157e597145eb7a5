/*
 * pfs audit detectors on the scenario fixtures of test/leaks/: each detector
 * fires on its scenario (positive) and stays silent on test/leaks/clean and
 * on the near-misses planted there (negative).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfs/audit.h"

#define LEAKS "test/leaks"

typedef int (*detector_fn)(const struct pfs_audit_opts *, struct pfs_findings *);

static struct pfs_audit_opts opts_for(const char *scenario)
{
	char dir[256];
	snprintf(dir, sizeof(dir), LEAKS "/%s/proc", scenario);
	struct pfs_audit_opts o = {.proc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	cr_assert_geq(o.proc_fd, 0, "cannot open %s", dir);
	o.host_prefixes = pfs_audit_default_host_prefixes(&o.n_host_prefixes);
	o.self_pid = pfs_audit_self(&o);
	return o;
}

static void run(const char *scenario, detector_fn fn, struct pfs_findings *fs)
{
	struct pfs_audit_opts o = opts_for(scenario);
	cr_assert_eq(fn(&o, fs), 0);
	close(o.proc_fd);
}

static size_t count(const struct pfs_findings *fs, const char *check)
{
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		n += !strcmp(fs->v[i].check, check);
	return n;
}

static const struct pfs_finding *find(const struct pfs_findings *fs, const char *check,
				      const char *value)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].check, check) && (!value || !strcmp(fs->v[i].value, value)))
			return &fs->v[i];
	return NULL;
}

static void assert_clean(detector_fn fn)
{
	struct pfs_findings fs = {0};
	run("clean", fn, &fs);
	for (size_t i = 0; i < fs.n; i++)
		cr_log_error("unexpected: %s %s", fs.v[i].check, fs.v[i].value);
	cr_assert_eq(fs.n, 0, "clean fixture gave %zu findings", fs.n);
	pfs_findings_free(&fs);
}

/* ---- mount tables ---- */

Test(audit_mounts, docker_overlay)
{
	struct pfs_findings fs = {0};
	run("docker-overlay", pfs_audit_mounts, &fs);
	cr_assert_eq(count(&fs, "overlay-host-path"), 3); /* lowerdir, upperdir, workdir */
	const struct pfs_finding *home =
		find(&fs, "bind-root-host-path", "/home/alice/projects/web app");
	cr_assert(home, "the \\040-escaped home bind root is decoded and found");
	cr_assert_eq(home->severity, PFS_SEV_HIGH);
	cr_assert_str_eq(home->rule, "mount drop root=/home/*");
	cr_assert_eq(count(&fs, "bind-root-host-path"), 4);
	const struct pfs_finding *dev = find(&fs, "block-device", "/dev/nvme0n1p2");
	cr_assert(dev);
	cr_assert_eq(dev->count, 4);
	cr_assert(find(&fs, "propagation-peer", NULL));
	cr_assert_null(find(&fs, "secret-mount", NULL));
	pfs_findings_free(&fs);
}

Test(audit_mounts, k8s_pod_secret_nfs_cgroup)
{
	struct pfs_findings fs = {0};
	run("k8s-pod", pfs_audit_mounts, &fs);
	cr_assert(find(&fs, "secret-mount", "/run/secrets/kubernetes.io/serviceaccount"));
	const struct pfs_finding *nfs = find(&fs, "network-fs", "10.42.7.19:/exports");
	cr_assert(nfs);
	cr_assert(strstr(nfs->rule, "clientaddr"));
	cr_assert(find(&fs, "cgroup-root", NULL));
	cr_assert(find(&fs, "bind-root", "/tenant-b/shared"));
	cr_assert_eq(count(&fs, "overlay-host-path"), 3);
	cr_assert_geq(count(&fs, "bind-root-host-path"), 4); /* kubelet and containerd dirs */
	pfs_findings_free(&fs);
}

Test(audit_mounts, rootless_home_and_lxd_zfs)
{
	struct pfs_findings fs = {0};
	run("home-bind", pfs_audit_mounts, &fs);
	cr_assert(find(&fs, "bind-root-host-path", "/home/bob/src/payments"));
	cr_assert_eq(count(&fs, "overlay-host-path"), 3);
	/* a file of the host's /run/user kept on tmpfs, named by its root */
	cr_assert(find(&fs, "bind-root", NULL));
	pfs_findings_free(&fs);

	struct pfs_findings z = {0};
	run("lxd-zfs", pfs_audit_mounts, &z);
	cr_assert(find(&z, "storage-dataset", "default/containers/web01"));
	cr_assert(find(&z, "storage-dataset", "/@lxd/custom/default_shared"));
	cr_assert_null(find(&z, "overlay-host-path", NULL));
	pfs_findings_free(&z);
}

Test(audit_mounts, clean)
{
	assert_clean(pfs_audit_mounts); /* redacted overlay, tmpfs, devpts, FUSE proc */
}

/* ---- maps and fds ---- */

Test(audit_maps, host_path_and_clean)
{
	struct pfs_findings fs = {0};
	run("inherited-fd", pfs_audit_maps, &fs);
	cr_assert_eq(fs.n, 1);
	cr_assert_str_eq(fs.v[0].check, "maps-host-path");
	cr_assert_str_eq(fs.v[0].rule, "maps redact /var/lib/docker/*");
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_maps);
}

Test(audit_fds, inherited_host_files_and_foreign_socket)
{
	struct pfs_findings fs = {0};
	run("inherited-fd", pfs_audit_fds, &fs);
	cr_assert(find(&fs, "fd-host-path", "/home/alice/.ssh/id_ed25519"));
	cr_assert(find(&fs, "fd-host-path",
		       "/var/lib/docker/containers/9b1c4e7d0a3f/config.v2.json"));
	const struct pfs_finding *s = find(&fs, "fd-foreign-socket", NULL);
	cr_assert(s);
	cr_assert_str_eq(s->value, "socket:[88123]"); /* 4100 is listed in net/unix */
	cr_assert_null(s->rule);
	cr_assert_eq(fs.n, 3);
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_fds); /* /dev/null, pipe, a listed socket, /tmp */
}

/* ---- environ and cmdline ---- */

Test(audit_secrets, sibling_environ_and_cmdline)
{
	struct pfs_findings fs = {0};
	run("sibling-environ", pfs_audit_secrets, &fs);
	const struct pfs_finding *gh =
		find(&fs, "environ-secret", "ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e");
	cr_assert(gh);
	cr_assert_eq(gh->severity, PFS_SEV_CRITICAL);
	cr_assert_str_eq(gh->rule, "environ redact GITHUB_TOKEN");
	cr_assert(find(&fs, "environ-secret", "AKIAIOSFODNN7EXAMPLE"));
	cr_assert(find(&fs, "environ-secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	cr_assert(find(&fs, "environ-secret", "Tr0ub4dor&3xYz"));
	cr_assert_eq(count(&fs, "environ-secret"), 4); /* not GPG_KEY, PASSWORD_FILE, own env */
	cr_assert(find(&fs, "cmdline-secret", "S3cr3t-Passw0rd-77"));
	cr_assert(find(&fs, "cmdline-secret", "Zx8Qv2Lm9Kp4Rt7Wn3Yb6Hc1"));
	cr_assert_eq(count(&fs, "cmdline-secret"), 2);
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_secrets);
}

Test(audit_secrets, classification)
{
	const char *why;
	cr_assert(pfs_audit_secret_name("GITHUB_TOKEN"));
	cr_assert(pfs_audit_secret_name("db_password"));
	cr_assert(pfs_audit_secret_name("STRIPE_API_KEY"));
	cr_assert(pfs_audit_secret_name("AWS_SECRET_ACCESS_KEY"));
	cr_assert_not(pfs_audit_secret_name("GPG_KEY"));
	cr_assert_not(pfs_audit_secret_name("PASSWORD_FILE"));
	cr_assert_not(pfs_audit_secret_name("PWD"));
	cr_assert_not(pfs_audit_secret_name("KEYBOARD"));
	cr_assert_not(pfs_audit_secret_name("AWS_REGION"));
	cr_assert(pfs_audit_secret_value("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl", &why));
	cr_assert(pfs_audit_secret_value("postgres://app:hunter22@db:5432/app", &why));
	cr_assert(pfs_audit_secret_value("xoxb-1234567890-abcdefghijklmnopqrstu", &why));
	cr_assert(pfs_audit_secret_value(
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", &why));
	cr_assert_not(pfs_audit_secret_value("postgres://db:5432/app", &why));
	cr_assert_not(pfs_audit_secret_value("https://user@example.com/x", &why));
	cr_assert_not(pfs_audit_secret_value("AKIA-not-a-key", &why));
	cr_assert_not(pfs_audit_secret_value("/usr/share/keyrings/ghp_x.gpg", &why));
	cr_assert_gt(pfs_audit_entropy("Zx8Qv2Lm9Kp4Rt7Wn3Yb6Hc1", 24), 4.0);
	cr_assert_lt(pfs_audit_entropy("aaaaaaaaaaaaaaaa", 16), 0.01);
}

/* ---- pid visibility ---- */

Test(audit_pids, host_pids_and_clean)
{
	struct pfs_findings fs = {0};
	run("host-pids", pfs_audit_pids, &fs);
	cr_assert(find(&fs, "kernel-threads-visible", NULL));
	cr_assert(find(&fs, "pid1-host-init", "systemd"));
	cr_assert(find(&fs, "host-daemon-visible", "dockerd"));
	cr_assert(find(&fs, "host-daemon-visible", "containerd"));
	cr_assert(find(&fs, "host-daemon-visible", "sshd"));
	const struct pfs_finding *ns = find(&fs, "nspid-nested", NULL);
	cr_assert(ns);
	cr_assert_str_eq(ns->value, "1 processes");
	cr_assert_null(find(&fs, "host-daemon-visible", "app"));
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_pids);
}

/* ---- host identity, network, kernel info ---- */

Test(audit_host, network_and_clean)
{
	struct pfs_findings fs = {0};
	run("host-network", pfs_audit_host, &fs);
	const struct pfs_finding *d0 = find(&fs, "net-interface", "docker0");
	cr_assert(d0);
	cr_assert_eq(d0->severity, PFS_SEV_MEDIUM);
	cr_assert_str_eq(d0->rule, "hide-lines /proc/**/net/dev /^ *docker0:/");
	const struct pfs_finding *e0 = find(&fs, "net-interface", "eth0");
	cr_assert(e0);
	cr_assert_eq(e0->severity, PFS_SEV_LOW);
	cr_assert(find(&fs, "net-interface", "veth3f2a1b0"));
	cr_assert_null(find(&fs, "net-interface", "lo"));
	cr_assert(find(&fs, "net-routes", "3 routes"));
	cr_assert(find(&fs, "net-connections", "2 sockets"));
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_host); /* lo only, empty route table, loopback socket, 0::/ */
}

Test(audit_host, cgroup_ids)
{
	struct pfs_findings fs = {0};
	run("k8s-pod", pfs_audit_host, &fs);
	const struct pfs_finding *cg = find(&fs, "cgroup-path", NULL);
	cr_assert(cg);
	cr_assert_str_eq(cg->rule, "replace /proc/{pid}/cgroup \"0::/\\n\"");
	pfs_findings_free(&fs);
	struct pfs_findings z = {0};
	run("lxd-zfs", pfs_audit_host, &z);
	cr_assert(find(&z, "cgroup-path", NULL));
	pfs_findings_free(&z);
}

Test(audit_host, hostname_compared_only_when_known)
{
	struct pfs_audit_opts o = opts_for("kernel-info");
	struct pfs_findings fs = {0};
	cr_assert_eq(pfs_audit_host(&o, &fs), 0);
	cr_assert_null(find(&fs, "hostname", NULL)); /* no sandbox hostname: not compared */
	cr_assert(find(&fs, "boot-id", NULL));
	pfs_findings_free(&fs);
	o.hostname = "build-host-17.corp.example";
	cr_assert_eq(pfs_audit_host(&o, &fs), 0);
	cr_assert_null(find(&fs, "hostname", NULL));
	pfs_findings_free(&fs);
	o.hostname = "sandbox";
	cr_assert_eq(pfs_audit_host(&o, &fs), 0);
	cr_assert(find(&fs, "hostname", "build-host-17.corp.example"));
	pfs_findings_free(&fs);
	close(o.proc_fd);

	struct pfs_audit_opts c = opts_for("clean");
	c.hostname = "sandbox";
	cr_assert_eq(pfs_audit_host(&c, &fs), 0);
	cr_assert_eq(fs.n, 0);
	close(c.proc_fd);
}

Test(audit_kernel, kernel_info_and_clean)
{
	struct pfs_findings fs = {0};
	run("kernel-info", pfs_audit_kernel, &fs);
	cr_assert(find(&fs, "kallsyms-addresses", "ffffffff81000000"));
	const struct pfs_finding *kc = find(&fs, "kcore-readable", NULL);
	cr_assert(kc);
	cr_assert_eq(kc->severity, PFS_SEV_CRITICAL);
	cr_assert(find(&fs, "sched-debug-readable", NULL));
	cr_assert(find(&fs, "timer-list-readable", NULL));
	cr_assert(find(&fs, "keys-readable", NULL));
	cr_assert_eq(fs.n, 5);
	pfs_findings_free(&fs);
	assert_clean(pfs_audit_kernel); /* zeroed kallsyms, empty kcore and keys */
}

/* ---- write exposure (a temporary tree: git does not keep file modes) ---- */

static void mkfile(const char *root, const char *rel, mode_t mode)
{
	char path[512], cmd[600];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("0\n", f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

Test(audit_write, writable_sysctls_and_readonly_tree)
{
	char root[] = "/tmp/pfs-audit-write-XXXXXX";
	cr_assert(mkdtemp(root));
	mkfile(root, "sys/kernel/core_pattern", 0644);
	mkfile(root, "sys/vm/swappiness", 0644);
	mkfile(root, "sys/kernel/osrelease", 0444);
	mkfile(root, "sysrq-trigger", 0200);
	struct pfs_audit_opts o = {.proc_fd = open(root, O_RDONLY | O_DIRECTORY)};
	cr_assert_geq(o.proc_fd, 0);
	struct pfs_findings fs = {0};
	/* AUTO: a plain directory is not a proc, nothing is checked */
	cr_assert_eq(pfs_audit_write(&o, &fs), 0);
	cr_assert_eq(fs.n, 0);
	o.write_check = PFS_AUDIT_WRITE_ALWAYS;
	cr_assert_eq(pfs_audit_write(&o, &fs), 0);
	const struct pfs_finding *cp = find(&fs, "sysctl-writable-critical", NULL);
	cr_assert(cp);
	cr_assert_str_eq(cp->path, "/proc/sys/kernel/core_pattern");
	cr_assert(find(&fs, "sysctl-writable", "1 entries")); /* swappiness, not osrelease */
	cr_assert(find(&fs, "sysrq-trigger-writable", NULL));
	pfs_findings_free(&fs);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s'/sys '%s'/sysrq-trigger", root, root);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(pfs_audit_write(&o, &fs), 0);
	cr_assert_eq(fs.n, 0);
	close(o.proc_fd);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' && rm -rf '%s'", root, root);
	cr_assert_eq(system(cmd), 0);
}

/* ---- the whole run, redaction, options ---- */

Test(audit_run, clean_fixture_has_no_findings)
{
	struct pfs_audit_opts o = opts_for("clean");
	o.hostname = "sandbox";
	struct pfs_findings fs = {0};
	struct pfs_error err = {0};
	cr_assert_eq(pfs_audit_run(&o, &fs, &err), 0);
	cr_assert_eq(fs.n, 0);
	close(o.proc_fd);
}

Test(audit_run, sorted_by_severity_and_fail_threshold)
{
	struct pfs_audit_opts o = opts_for("kernel-info");
	struct pfs_findings fs = {0};
	struct pfs_error err = {0};
	cr_assert_eq(pfs_audit_run(&o, &fs, &err), 0);
	for (size_t i = 1; i < fs.n; i++)
		cr_assert_geq(fs.v[i - 1].severity, fs.v[i].severity);
	cr_assert(pfs_findings_any_at(&fs, PFS_SEV_CRITICAL));
	pfs_findings_free(&fs);
	close(o.proc_fd);

	struct pfs_audit_opts n = opts_for("host-network");
	cr_assert_eq(pfs_audit_run(&n, &fs, &err), 0);
	cr_assert(pfs_findings_any_at(&fs, PFS_SEV_MEDIUM));
	cr_assert_not(pfs_findings_any_at(&fs, PFS_SEV_HIGH));
	pfs_findings_free(&fs);
	close(n.proc_fd);
}

Test(audit_util, redact_and_prefixes)
{
	char *r = pfs_audit_redact("ghp_R8x2Lq9ZkP4mW7vT");
	cr_assert_str_eq(r, "ghp_***");
	free(r);
	r = pfs_audit_redact("abc");
	cr_assert_str_eq(r, "a***");
	free(r);
	r = pfs_audit_redact_in("GITHUB_TOKEN=ghp_R8x2Lq9Z", "ghp_R8x2Lq9Z");
	cr_assert_str_eq(r, "GITHUB_TOKEN=ghp_***");
	free(r);

	char **v = NULL;
	size_t n = 0;
	struct pfs_error err = {0};
	cr_assert_eq(pfs_audit_parse_prefixes("/srv/tenants/,/data", &v, &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0], "/srv/tenants");
	struct pfs_audit_opts o = {.host_prefixes = (const char *const *)v, .n_host_prefixes = n};
	cr_assert(pfs_audit_host_path(&o, "/srv/tenants/a/b", NULL));
	cr_assert(pfs_audit_host_path(&o, "/data", NULL));
	cr_assert_not(pfs_audit_host_path(&o, "/database", NULL));
	free(v);
	cr_assert_eq(pfs_audit_parse_prefixes("relative", &v, &n, &err), -EINVAL);
	cr_assert(strstr(err.msg, "absolute"));
	enum pfs_severity s;
	cr_assert_eq(pfs_severity_parse("HIGH", &s), 0);
	cr_assert_eq(s, PFS_SEV_HIGH);
	cr_assert_eq(pfs_severity_parse("urgent", &s), -EINVAL);
}
