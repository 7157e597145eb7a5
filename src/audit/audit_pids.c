/*
 * pfs audit: pid visibility. Processes that are not part of the sandbox:
 * kernel threads (the host's pid namespace), pid 1 being a host init, NSpid
 * with several levels (the view is an ancestor pid namespace), and comms of
 * well-known host daemons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

static const char *const host_daemons[] = {
	"systemd",
	"systemd-journal",
	"systemd-logind",
	"systemd-udevd",
	"systemd-resolve",
	"systemd-network",
	"systemd-timesyn",
	"dockerd",
	"containerd",
	"containerd-shim",
	"kubelet",
	"kube-proxy",
	"kube-apiserver",
	"etcd",
	"sshd",
	"cron",
	"crond",
	"rsyslogd",
	"dbus-daemon",
	"NetworkManager",
	"snapd",
	"polkitd",
	"udevd",
	"agetty",
	"crio",
	"conmon",
	"lxd",
	"lxcfs",
	"multipathd",
	"procfilterfs",
	"podman",
	"libvirtd",
	"qemu-ga",
	"amazon-ssm-agen",
	"google_guest_ag",
	"waagent",
	"chronyd",
	"ntpd",
	"unattended-upgr",
	"packagekitd",
};

static bool host_daemon(const char *comm)
{
	for (size_t i = 0; i < ARRAY_SIZE(host_daemons); i++)
		if (!strcmp(comm, host_daemons[i]))
			return true;
	return false;
}

static void read_line(const struct pfs_audit_opts *o, const char *rel, char *dst, size_t cap)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	dst[0] = '\0';
	if (pfs_audit_read(o->proc_fd, rel, 4096, &b) == 0 && b.len) {
		b.data[strcspn(b.data, "\n")] = '\0';
		snprintf(dst, cap, "%s", b.data);
	}
}

/* Number of pids in the status NSpid line (0 when absent); *line gets it. */
static int nspid_levels(const struct pfs_audit_opts *o, pid_t pid, char *line, size_t cap)
{
	char rel[48];
	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read(o->proc_fd, rel, 65536, &b) < 0)
		return 0;
	char *p = strstr(b.data, "\nNSpid:");
	if (!p)
		return 0;
	p++;
	p[strcspn(p, "\n")] = '\0';
	snprintf(line, cap, "%s", p);
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(p + 6, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save))
		n++;
	return n;
}

struct pctx {
	const struct pfs_audit_opts *o;
	struct pfs_findings *out;
	unsigned nested;
	char nested_example[256];
	char nested_path[64];
	bool kernel_threads;
	char kthread_entry[128];
	char kthread_path[64];
};

static int check_pid(struct pctx *c, pid_t pid)
{
	char rel[48], comm[64], path[64], entry[128], ns[96];
	snprintf(rel, sizeof(rel), "%d/comm", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_line(c->o, rel, comm, sizeof(comm));
	if (!comm[0])
		return 0;
	snprintf(entry, sizeof(entry), "pid %d: %s", (int)pid, comm);
	int r = 0;
	if (!strcmp(comm, "kthreadd") || !strncmp(comm, "kworker/", 8) ||
	    !strncmp(comm, "ksoftirqd/", 10)) {
		if (!c->kernel_threads) {
			snprintf(c->kthread_entry, sizeof(c->kthread_entry), "%s", entry);
			snprintf(c->kthread_path, sizeof(c->kthread_path), "%s", path);
		}
		c->kernel_threads = true;
		return 0;
	}
	if (pid == 1 && (!strcmp(comm, "systemd") || !strcmp(comm, "init"))) {
		cleanup_free char *rule = pfs_audit_rule_pids("tree");
		if (!rule)
			return -ENOMEM;
		r = pfs_audit_add(
			c->out, "pids", "pid1-host-init", PFS_SEV_MEDIUM, PFS_AK_PID, path, entry,
			comm,
			"pid 1 is a full init, not the sandbox's small init: the view may "
			"be the host's (or a system container's) pid namespace",
			rule);
	} else if (host_daemon(comm) && pid != c->o->self_pid) {
		cleanup_free char *rule = pfs_audit_rule_hide_pid(comm);
		cleanup_free char *why = NULL;
		if (!rule ||
		    asprintf(&why,
			     "'%s' is a well-known host daemon: the sandbox sees processes "
			     "outside itself, their command lines and, with enough "
			     "privilege, their memory and files",
			     comm) < 0)
			return -ENOMEM;
		r = pfs_audit_add(c->out, "pids", "host-daemon-visible", PFS_SEV_HIGH, PFS_AK_PID,
				  path, entry, comm, why, rule);
	}
	if (r < 0)
		return r;
	if (nspid_levels(c->o, pid, ns, sizeof(ns)) > 1) {
		if (!c->nested++) {
			snprintf(c->nested_example, sizeof(c->nested_example), "pid %d (%s) %s",
				 (int)pid, comm, ns);
			snprintf(c->nested_path, sizeof(c->nested_path), "/proc/%d/status",
				 (int)pid);
		}
	}
	return 0;
}

int pfs_audit_pids(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = pfs_audit_list_pids(o, &pids, &n);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	struct pctx c = {.o = o, .out = out};
	for (size_t i = 0; i < n; i++)
		if ((r = check_pid(&c, pids[i])) < 0)
			return r;
	cleanup_free char *tree = pfs_audit_rule_pids("tree");
	if (!tree)
		return -ENOMEM;
	if (c.kernel_threads &&
	    (r = pfs_audit_add(out, "pids", "kernel-threads-visible", PFS_SEV_CRITICAL, PFS_AK_PID,
			       c.kthread_path, c.kthread_entry, "kernel threads",
			       "kernel threads (kthreadd, kworker) are visible: this is the host's "
			       "pid namespace, every host process can be seen",
			       tree)) < 0)
		return r;
	if (c.nested) {
		char value[32];
		snprintf(value, sizeof(value), "%u processes", c.nested);
		r = pfs_audit_add(out, "pids", "nspid-nested", PFS_SEV_MEDIUM, PFS_AK_PID,
				  c.nested_path, c.nested_example, value,
				  "NSpid lists several levels: the view belongs to an ancestor pid "
				  "namespace and shows processes of nested sandboxes with their "
				  "outer pids",
				  tree);
	}
	return r;
}
