/*
 * pfs audit: host identity. The host's hostname and boot id, host network
 * interfaces, routes and connections (the view is not in its own network
 * namespace), and cgroup paths naming the host's container ids and pods.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define NET_MAX (1024 * 1024)

static int add_path_rule(struct pfs_findings *out, const char *category, const char *check,
			 enum pfs_severity sev, const char *path, const char *entry,
			 const char *value, const char *why, const char *action)
{
	cleanup_free char *rule = pfs_audit_rule_path(action, path);
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(out, category, check, sev, PFS_AK_PATH, path, entry, value, why, rule);
}

static void chomp(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

static int check_identity(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	int r = 0;
	if (o->hostname && pfs_audit_read(o->proc_fd, "sys/kernel/hostname", 4096, &b) == 0 &&
	    b.len) {
		chomp(b.data);
		if (strcmp(b.data, o->hostname) != 0) {
			cleanup_free char *why = NULL;
			if (asprintf(&why,
				     "the hostname proc serves differs from the sandbox's own "
				     "('%s'): it is the host's name, read in the daemon's UTS "
				     "namespace",
				     o->hostname) < 0)
				return -ENOMEM;
			r = add_path_rule(out, "host", "hostname", PFS_SEV_MEDIUM,
					  "/proc/sys/kernel/hostname", b.data, b.data, why, "hide");
			if (r < 0)
				return r;
		}
	}
	if (pfs_audit_read(o->proc_fd, "sys/kernel/random/boot_id", 4096, &b) == 0 && b.len) {
		chomp(b.data);
		r = add_path_rule(
			out, "host", "boot-id", PFS_SEV_LOW, "/proc/sys/kernel/random/boot_id",
			b.data, b.data,
			"the host's boot id: it is the same in every sandbox on this host "
			"and links tenants to one machine and one boot",
			"hide");
	}
	return r;
}

static bool hostish_iface(const char *n)
{
	static const char *const pre[] = {"docker", "veth", "br-",  "virbr", "cni",   "flannel",
					  "cali",   "kube", "tunl", "vxlan", "weave", "cilium",
					  "lxc",    "lxd",  "wl",   "en",    "bond",  "tailscale",
					  "wg",	    "tap",  "vnet", "ib",    "team",  "podman"};
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++)
		if (!strncmp(n, pre[i], strlen(pre[i])))
			return true;
	return false;
}

static int check_net_dev(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read_self(o, "net/dev", NET_MAX, &b) < 0)
		return 0;
	for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon || strchr(line, '|'))
			continue; /* the two header lines */
		char name[64];
		const char *start = line + strspn(line, " ");
		if (colon == start || (size_t)(colon - start) >= sizeof(name))
			continue;
		memcpy(name, start, (size_t)(colon - start));
		name[colon - start] = '\0';
		if (!strcmp(name, "lo"))
			continue;
		bool host = hostish_iface(name);
		cleanup_free char *why = NULL, *re = NULL, *rule = NULL;
		if (asprintf(&why, "network interface '%s' is visible: %s", name,
			     host ? "its name is a host bridge, veth or physical NIC, so the "
				    "sandbox shares (or sees) the host's network namespace"
				  : "the sandbox is not alone in an empty network namespace; "
				    "interface names and counters reveal the host's traffic") < 0 ||
		    asprintf(&re, "^ *%s:", name) < 0)
			return -ENOMEM;
		rule = pfs_audit_rule_lines("/proc/**/net/dev", re);
		if (!rule)
			return -ENOMEM;
		int r = pfs_audit_add(out, "net", "net-interface",
				      host ? PFS_SEV_MEDIUM : PFS_SEV_LOW, PFS_AK_LINES,
				      "/proc/net/dev", line, name, why, rule);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_route(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_audit_read_self(o, "net/route", NET_MAX, &b) < 0)
		return 0;
	char *first = NULL, *dflt = NULL;
	unsigned n = 0;
	for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Iface", 5))
			continue;
		for (size_t l = strlen(line); l && (line[l - 1] == ' ' || line[l - 1] == '\t');)
			line[--l] = '\0';
		char iface[32], dest[16];
		if (sscanf(line, "%31s %15s", iface, dest) != 2 || !strcmp(iface, "lo"))
			continue;
		n++;
		if (!first)
			first = line;
		if (!dflt && !strcmp(dest, "00000000"))
			dflt = line;
	}
	if (!n)
		return 0;
	char value[160];
	snprintf(value, sizeof(value), "%u routes", n);
	cleanup_free char *rule = pfs_audit_rule_path("hide", "/proc/**/net/route");
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(out, "net", "net-routes", PFS_SEV_MEDIUM, PFS_AK_PATH,
			     "/proc/net/route", dflt ? dflt : first, value,
			     "the routing table names the host's interfaces, subnets and default "
			     "gateway",
			     rule);
}

/* 127.0.0.0/8, ::1 or ::ffff:127.x; with any_ok also 0.0.0.0 and :: (unconnected peer). */
static bool loopback_addr(const char *hex, bool any_ok)
{
	size_t n = strcspn(hex, ":");
	if (n == 8)
		return !strncmp(hex + 6, "7F", 2) || (any_ok && !strncmp(hex, "00000000", 8));
	if (n == 32) {
		if (strncmp(hex, "0000000000000000", 16) != 0)
			return false;
		if (!strncmp(hex + 16, "0000FFFF", 8))
			return !strncmp(hex + 30, "7F", 2);
		return !strncmp(hex + 16, "0000000001000000", 16) ||
		       (any_ok && !strncmp(hex + 16, "0000000000000000", 16));
	}
	return false;
}

static int check_sockets(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	static const char *const files[] = {"net/tcp", "net/tcp6", "net/udp", "net/udp6"};
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (pfs_audit_read_self(o, files[i], NET_MAX, &b) < 0)
			continue;
		unsigned n = 0;
		char example[200] = "";
		for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char sl[16], local[64], remote[64];
			if (sscanf(line, " %15s %63s %63s", sl, local, remote) != 3 ||
			    !strcmp(sl, "sl"))
				continue;
			if (loopback_addr(local, false) && loopback_addr(remote, true))
				continue;
			if (!n++) {
				snprintf(example, sizeof(example), "%s", line + strspn(line, " "));
				for (size_t l = strlen(example); l && example[l - 1] == ' ';)
					example[--l] = '\0';
			}
		}
		if (!n)
			continue;
		char path[32], glob[48], value[48];
		snprintf(path, sizeof(path), "/proc/%s", files[i]);
		snprintf(glob, sizeof(glob), "/proc/**/%s", files[i]);
		snprintf(value, sizeof(value), "%u sockets", n);
		cleanup_free char *rule = pfs_audit_rule_path("hide", glob);
		if (!rule)
			return -ENOMEM;
		int r = pfs_audit_add(out, "net", "net-connections", PFS_SEV_LOW, PFS_AK_PATH, path,
				      example, value,
				      "sockets with non-loopback addresses are listed: the host's "
				      "listening services and peers (when the network namespace is "
				      "shared)",
				      rule);
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t hex_run(const char *s)
{
	size_t n = 0;
	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n;
}

/* A cgroup path naming a container id, a pod or a host user's session. */
static const char *cgroup_identity(const char *path)
{
	for (const char *p = path; *p; p++) {
		if ((p == path || !isxdigit((unsigned char)p[-1])) && hex_run(p) >= 64)
			return "a 64-hex container id";
	}
	static const char *const words[] = {"kubepods", "/pod",	    "docker",	     "containerd",
					    "crio",	"libpod",   "machine.slice", "lxc.payload",
					    "user-",	"session-", "garden",	     "ecs/"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(path, words[i]))
			return "the runtime's slice, pod or user session";
	return NULL;
}

static int check_cgroup(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	const char *rel = o->outside ? "1/cgroup" : "self/cgroup";
	if (pfs_audit_read(o->proc_fd, rel, 65536, &b) < 0) {
		rel = "1/cgroup";
		if (pfs_audit_read(o->proc_fd, rel, 65536, &b) < 0)
			return 0;
	}
	char path[32];
	snprintf(path, sizeof(path), "/proc/%s", rel);
	for (char *save = NULL, *line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cg = strchr(line, ':');
		cg = cg ? strchr(cg + 1, ':') : NULL;
		if (!cg || !strcmp(cg + 1, "/"))
			continue;
		const char *what = cgroup_identity(cg + 1);
		if (!what)
			continue;
		cleanup_free char *why = NULL;
		if (asprintf(&why, "the cgroup path names %s on the host", what) < 0)
			return -ENOMEM;
		cleanup_free char *rule = pfs_audit_rule_replace("/proc/{pid}/cgroup", "0::/\n");
		if (!rule)
			return -ENOMEM;
		int r = pfs_audit_add(out, "host", "cgroup-path", PFS_SEV_MEDIUM, PFS_AK_PATH, path,
				      line, cg + 1, why, rule);
		if (r < 0)
			return r;
	}
	return 0;
}

int pfs_audit_host(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	int r = check_identity(o, out);
	if (!r)
		r = check_net_dev(o, out);
	if (!r)
		r = check_route(o, out);
	if (!r)
		r = check_sockets(o, out);
	if (!r)
		r = check_cgroup(o, out);
	return r;
}
