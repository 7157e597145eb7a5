/*
 * pfs audit: the mount table. Overlay lower/upper/work dirs, bind-mount
 * roots (mountinfo field 4) and sources naming host paths, host block
 * devices, network and ZFS sources, secret volumes, and propagation peers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"
#include "pfs/mountinfo.h"

#define MOUNTINFO_MAX (4 * 1024 * 1024)

static const char *const pseudo_fs[] = {
	"proc",	       "sysfs",	    "cgroup",  "cgroup2", "devpts",    "mqueue",   "devtmpfs",
	"securityfs",  "debugfs",   "tracefs", "bpf",	  "pstore",    "configfs", "fusectl",
	"binfmt_misc", "hugetlbfs", "autofs",  "nsfs",	  "rpc_pipefs"};
static const char *const net_fs[] = {
	"nfs",	"nfs4",	     "cifs",	       "smb3",	    "smbfs",
	"ceph", "glusterfs", "fuse.sshfs",     "lustre",    "9p",
	"afs",	"ocfs2",     "fuse.glusterfs", "fuse.s3fs", "fuse.rclone"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

struct mctx {
	const struct pfs_audit_opts *o;
	struct pfs_findings *out;
	const char *path; /* /proc/self/mountinfo */
	const char *line; /* the current line, NUL-terminated */
	char *root, *target, *source, *fstype;
};

/* A host prefix at a component boundary anywhere in s ("/@/var/lib/docker/..."). */
static bool host_path_in(const struct pfs_audit_opts *o, const char *s, const char **which)
{
	for (const char *p = s; p && *p; p = strchr(p + 1, '/')) {
		if (*p == '/' && pfs_audit_host_path(o, p, which))
			return true;
	}
	return false;
}

static int add(struct mctx *c, const char *check, enum pfs_severity sev, const char *value,
	       const char *why, const char *rule)
{
	return pfs_audit_add(c->out, "mounts", check, sev, PFS_AK_MOUNTINFO, c->path, c->line,
			     value, why, rule);
}

static int check_overlay(struct mctx *c, const struct pfs_mount_entry *e)
{
	struct pfs_field list = e->super_opts, opt;
	while (pfs_mount_opt_next(&list, &opt)) {
		static const char *const keys[] = {"lowerdir=",	 "upperdir=", "workdir=",
						   "lowerdir+=", "datadir+=", "redirect_dir="};
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t kl = strlen(keys[i]);
			if (opt.len <= kl || strncmp(opt.s, keys[i], kl) != 0)
				continue;
			cleanup_buf struct pfs_buf v = PFS_BUF_INIT;
			if (pfs_mount_unescape_buf(opt.s + kl, opt.len - kl, &v) < 0)
				return -ENOMEM;
			if (!v.data || v.data[0] != '/')
				continue;
			const char *which = NULL;
			cleanup_free char *why = NULL;
			bool host = host_path_in(c->o, v.data, &which);
			if (asprintf(&why,
				     "overlay %.*s names the host directories that hold this "
				     "sandbox's image layers%s%s%s",
				     (int)(kl - 1), keys[i], host ? " (under " : "",
				     host ? which : "", host ? ")" : "") < 0)
				return -ENOMEM;
			cleanup_free char *rule = pfs_audit_rule_mount_redact(
				"fstype", "overlay", "lowerdir,upperdir,workdir");
			if (!rule)
				return -ENOMEM;
			int r = add(c, "overlay-host-path", PFS_SEV_HIGH, v.data, why, rule);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* PREFIX followed by "/" and a star, the prefix's metacharacters escaped. */
static char *prefix_glob(const char *prefix)
{
	cleanup_free char *e = pfs_audit_glob_escape(prefix);
	char *g = NULL;
	if (!e || asprintf(&g, "%s/*", e) < 0)
		return NULL;
	return g;
}

/*
 * A filesystem whose non-"/" root names a directory of the host: any disk or
 * network fs; tmpfs only below one component (a one-component root is an
 * OCI mask such as "/null"; deeper is a file of the host's /run, where
 * rootless runtimes keep resolv.conf).
 */
static bool bind_fs(const struct mctx *c)
{
	if (!strcmp(c->fstype, "tmpfs"))
		return strchr(c->root + 1, '/') != NULL;
	return !in_list(c->fstype, pseudo_fs, ARRAY_SIZE(pseudo_fs)) &&
	       strcmp(c->fstype, "overlay") != 0;
}

static int check_root(struct mctx *c)
{
	if (!strcmp(c->root, "/"))
		return 0;
	const char *which = NULL;
	bool host = host_path_in(c->o, c->root, &which);
	bool cg = !strcmp(c->fstype, "cgroup") || !strcmp(c->fstype, "cgroup2");
	cleanup_free char *why = NULL, *rule = NULL;
	const char *check;
	enum pfs_severity sev;
	bool identity = !strcmp(c->root, c->target);
	if (host) {
		check = "bind-root-host-path";
		sev = identity ? PFS_SEV_MEDIUM : PFS_SEV_HIGH;
		if (asprintf(&why,
			     identity ? "the host directory %s is shared at the same path: the "
					"mount table names it and its files are readable here"
				      : "the mount's root (mountinfo field 4) is a host directory "
					"under %s: it reveals the host's layout, user names or "
					"container ids",
			     identity ? c->root : which) < 0)
			return -ENOMEM;
	} else if (cg && !identity) {
		check = "cgroup-root";
		sev = PFS_SEV_MEDIUM;
		if (asprintf(&why, "the cgroup mount's root is the sandbox's host cgroup path: it "
				   "names the host's slices, pods and container ids") < 0)
			return -ENOMEM;
	} else if (!identity && bind_fs(c)) {
		check = "bind-root";
		sev = PFS_SEV_MEDIUM;
		if (asprintf(&why,
			     "a bind mount from %s: its root (mountinfo field 4) is a directory "
			     "of the host's filesystem",
			     c->source) < 0)
			return -ENOMEM;
	} else {
		return 0;
	}
	if (cg) {
		/* every cgroup mount whose root is not "/" */
		rule = pfs_audit_rule_mount_drop2("fstype", "cgroup*", "root", "/?*");
	} else {
		cleanup_free char *glob = host && strcmp(c->root, which) != 0
						  ? prefix_glob(which)
						  : pfs_audit_glob_escape(c->root);
		rule = glob ? pfs_audit_rule_mount_drop("root", glob) : NULL;
	}
	if (!rule)
		return -ENOMEM;
	return add(c, check, sev, c->root, why, rule);
}

static bool block_device(const char *src)
{
	static const char *const pre[] = {
		"/dev/sd",	"/dev/nvme",  "/dev/vd",     "/dev/xvd",  "/dev/hd",
		"/dev/mapper/", "/dev/md",    "/dev/dm-",    "/dev/loop", "/dev/zd",
		"/dev/mmcblk",	"/dev/disk/", "/dev/bcache", "/dev/rbd",  "/dev/nbd"};
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++)
		if (!strncmp(src, pre[i], strlen(pre[i])))
			return true;
	return false;
}

static int check_source(struct mctx *c, const struct pfs_mount_entry *e)
{
	const char *which = NULL, *src = c->source;
	cleanup_free char *why = NULL, *rule = NULL;
	if (block_device(src)) {
		if (asprintf(&why, "the mount source names a host block device: it reveals the "
				   "host's disks and partitioning") < 0)
			return -ENOMEM;
		rule = pfs_audit_rule_mount_rewrite("source", "/dev/*", "none");
		return rule ? add(c, "block-device", PFS_SEV_LOW, src, why, rule) : -ENOMEM;
	}
	if (in_list(c->fstype, net_fs, ARRAY_SIZE(net_fs)) || !strncmp(c->fstype, "nfs", 3)) {
		if (asprintf(&why,
			     "a network filesystem (%s): the source names the file server and "
			     "export, and the options carry server and client addresses",
			     c->fstype) < 0)
			return -ENOMEM;
		cleanup_free char *glob = pfs_audit_glob_escape(c->fstype);
		if (!glob)
			return -ENOMEM;
		cleanup_free char *a = pfs_audit_rule_mount_rewrite("fstype", glob, "none");
		cleanup_free char *b =
			pfs_audit_rule_mount_redact("fstype", glob, "addr,clientaddr,mountaddr");
		if (!a || !b || asprintf(&rule, "%s\n%s", a, b) < 0)
			return -ENOMEM;
		return add(c, "network-fs", PFS_SEV_MEDIUM, src, why, rule);
	}
	if (!strcmp(c->fstype, "zfs") || !strcmp(c->fstype, "btrfs")) {
		if (src[0] == '/' && strcmp(c->fstype, "zfs") != 0)
			return 0; /* btrfs with a device source: the block check above */
		if (asprintf(&why,
			     "a %s dataset name: it reveals the host's storage pool and the "
			     "runtime's naming of containers",
			     c->fstype) < 0)
			return -ENOMEM;
		rule = pfs_audit_rule_mount_rewrite("fstype", c->fstype, "none");
		return rule ? add(c, "storage-dataset", PFS_SEV_MEDIUM, src, why, rule) : -ENOMEM;
	}
	if (host_path_in(c->o, src, &which)) {
		if (asprintf(&why, "the mount source is a host path under %s", which) < 0)
			return -ENOMEM;
		cleanup_free char *glob = prefix_glob(which);
		rule = glob ? pfs_audit_rule_mount_rewrite("source", glob, "none") : NULL;
		return rule ? add(c, "source-host-path", PFS_SEV_HIGH, src, why, rule) : -ENOMEM;
	}
	(void)e;
	return 0;
}

/* needle (lowercase) inside s[0..n), case-insensitively. */
static bool strncasestr_n(const char *s, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	for (size_t i = 0; i + l <= n; i++)
		if (!strncasecmp(s + i, needle, l))
			return true;
	return false;
}

/* btrfs subvol=/@lxd/...: the host's subvolume layout. */
static int check_subvol(struct mctx *c, const struct pfs_mount_entry *e)
{
	struct pfs_field list = e->super_opts, opt;
	while (pfs_mount_opt_next(&list, &opt)) {
		if (opt.len <= 8 || strncmp(opt.s, "subvol=", 7) != 0 ||
		    (opt.len == 8 && opt.s[7] == '/'))
			continue;
		cleanup_buf struct pfs_buf v = PFS_BUF_INIT;
		if (pfs_mount_unescape_buf(opt.s + 7, opt.len - 7, &v) < 0 ||
		    pfs_buf_reserve(&v, 0) < 0)
			return -ENOMEM;
		cleanup_free char *rule = pfs_audit_rule_mount_redact("fstype", "btrfs", "subvol");
		if (!rule)
			return -ENOMEM;
		return add(c, "storage-dataset", PFS_SEV_MEDIUM, v.data,
			   "a btrfs subvolume path: it reveals the host's storage layout and the "
			   "runtime's naming of containers and volumes",
			   rule);
	}
	return 0;
}

static bool secret_target(const char *t)
{
	for (const char *p = t; p && *p; p = strchr(p, '/')) {
		p++;
		size_t n = strcspn(p, "/");
		if ((n >= 6 && strncasestr_n(p, n, "secret")) ||
		    (n == 14 && !strncmp(p, "serviceaccount", 14)) ||
		    (n >= 5 && strncasestr_n(p, n, "vault")))
			return true;
	}
	return false;
}

static int check_secret(struct mctx *c)
{
	if (!secret_target(c->target) && !strstr(c->root, "kubernetes.io~secret") &&
	    !strstr(c->root, "kubernetes.io~projected"))
		return 0;
	cleanup_free char *glob = pfs_audit_glob_escape(c->target);
	cleanup_free char *rule = glob ? pfs_audit_rule_mount_drop("target", glob) : NULL;
	if (!rule)
		return -ENOMEM;
	return add(c, "secret-mount", PFS_SEV_MEDIUM, c->target,
		   "a secret volume: the mount table advertises where credentials are mounted "
		   "(service-account tokens, runtime secrets)",
		   rule);
}

static int check_propagation(struct mctx *c, const struct pfs_mount_entry *e)
{
	if (!e->optional.len)
		return 0;
	cleanup_free char *opt = strndup(e->optional.s, e->optional.len);
	if (!opt)
		return -ENOMEM;
	if (!strstr(opt, "shared:") && !strstr(opt, "master:") && !strstr(opt, "propagate_from:"))
		return 0;
	cleanup_free char *value = NULL;
	if (asprintf(&value, "%s %s", c->target, opt) < 0)
		return -ENOMEM;
	return add(c, "propagation-peer", PFS_SEV_LOW, value,
		   "the mount is in a peer group shared with mounts outside the sandbox: its "
		   "group ids tie it to host mounts, and mount events propagate across. No "
		   "policy rule hides this: make the sandbox's mounts private (MS_PRIVATE, "
		   "mount --make-rprivate) in the launcher",
		   NULL);
}

static int unesc(struct pfs_field f, char **out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	if (pfs_mount_unescape_buf(f.s, f.len, &b) < 0 || pfs_buf_reserve(&b, 0) < 0)
		return -ENOMEM;
	*out = pfs_buf_steal(&b, NULL);
	return *out ? 0 : -ENOMEM;
}

static int check_line(struct mctx *c, const struct pfs_mount_entry *e)
{
	int r = unesc(e->root, &c->root);
	if (!r)
		r = unesc(e->target, &c->target);
	if (!r)
		r = unesc(e->source, &c->source);
	if (!r)
		r = unesc(e->fstype, &c->fstype);
	if (!r && !strcmp(c->fstype, "overlay"))
		r = check_overlay(c, e);
	if (!r)
		r = check_root(c);
	if (!r)
		r = check_source(c, e);
	if (!r && !strcmp(c->fstype, "btrfs"))
		r = check_subvol(c, e);
	if (!r)
		r = check_secret(c);
	if (!r)
		r = check_propagation(c, e);
	free(c->root);
	free(c->target);
	free(c->source);
	free(c->fstype);
	c->root = c->target = c->source = c->fstype = NULL;
	return r;
}

int pfs_audit_mounts(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	const char *rel = o->outside ? "1/mountinfo" : "self/mountinfo";
	if (pfs_audit_read(o->proc_fd, rel, MOUNTINFO_MAX, &b) < 0) {
		rel = "1/mountinfo";
		if (pfs_audit_read(o->proc_fd, rel, MOUNTINFO_MAX, &b) < 0)
			return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s", rel);
	struct mctx c = {.o = o, .out = out, .path = path};
	size_t pos = 0, len;
	const char *line;
	bool nl;
	while (pfs_next_line(b.data, b.len, &pos, &line, &len, &nl)) {
		struct pfs_mount_entry e;
		if (!len || pfs_mountinfo_parse_line(line, len, &e) < 0)
			continue;
		cleanup_free char *l = strndup(line, len);
		if (!l)
			return -ENOMEM;
		c.line = l;
		int r = check_line(&c, &e);
		if (r < 0)
			return r;
	}
	return 0;
}
