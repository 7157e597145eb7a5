/* `pfs run` options: parsing and --help. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

void pfs_run_usage(FILE *f)
{
	fprintf(f,
		"usage: pfs run [OPTIONS] -- CMD [ARGS...]\n"
		"\n"
		"Runs CMD in new user, mount, pid, ipc, uts, cgroup and net namespaces, with a\n"
		"read-only view of the host root and a /proc served by procfilterfs.\n"
		"\n"
		"policy and /proc:\n"
		"  --policy FILE          filter /proc with the policy FILE\n"
		"  --tenant NAME          use the tenant policy DIR/tenants/NAME.policy\n"
		"  --policy-dir DIR       where policies live (default %s, or the source\n"
		"                         tree's filters/ when run from the build directory)\n"
		"  --proc ro|rw           mount /proc read-only (default) or read-write\n"
		"  --fallback kernel|none without FUSE, mount a kernel procfs with\n"
		"                         hidepid=invisible,subset=pid instead (less safe; warns)\n"
		"  --daemon PATH          procfilterfs binary (default: next to pfs; env "
		"PFS_DAEMON)\n"
		"  --unsafe-kernel-proc PATH\n"
		"                         TESTING ONLY: also mount the sandbox's unfiltered "
		"kernel\n"
		"                         procfs at PATH inside; this defeats the filter\n"
		"root and mounts:\n"
		"  --rootfs DIR           use DIR as the root (read-only) instead of the host "
		"root\n"
		"  --bind SRC:DST[:ro]    bind host path SRC at DST inside\n"
		"  --tmpfs DST            mount a fresh tmpfs at DST inside\n"
		"identity and namespaces:\n"
		"  --net none|host        new network namespace with only lo (default), or the "
		"host's\n"
		"  --uid N, --gid N       ids of the workload inside the sandbox (default 0)\n"
		"  --uid-map-base N       when run as root: host id of the sandbox's id 0\n"
		"                         (default 100000)\n"
		"  --uid-map-count N      size of that range (default 65536)\n"
		"  --hostname NAME        host name inside (default pfs-sandbox)\n"
		"process:\n"
		"  --cwd DIR              working directory inside (default /)\n"
		"  --env K=V              set an environment variable (repeatable)\n"
		"  --clear-env            start from an empty environment (PATH is set)\n"
		"  --cap-add NAME         keep capability NAME (e.g. NET_RAW; repeatable)\n"
		"  --seccomp on|off       the seccomp allow-list (default on; -v prints it)\n"
		"  --limit SPEC           limits, e.g. cpu=2s,wall=5s,mem=256M,procs=64,fds=256\n"
		"output:\n"
		"  --result FILE          write the result as JSON\n"
		"  --events FILE          write monitor events as JSON lines\n"
		"  --daemon-restarts N[/S] restart a dead /proc daemon at most N times in S\n"
		"                         seconds (default 10/60; 0: a death ends the sandbox)\n"
		"  -v, --verbose          describe each set-up step on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: the workload's, or 128+N when a signal N ended it; 122 the\n"
		"procfilterfs daemon died; 123 sandbox set-up failed; 125 bad option or\n"
		"policy; 126 CMD cannot be executed; 127 CMD not found.\n"
		"Testing knobs: PFS_DEV_FUSE=PATH replaces /dev/fuse, PFS_SYSCTL_DIR=DIR\n"
		"replaces /proc/sys for the user namespace checks. See docs/pfs-run.md.\n",
		PFS_POLICY_DIR);
}

enum {
	OPT_POLICY = 256,
	OPT_TENANT,
	OPT_POLICY_DIR,
	OPT_PROC,
	OPT_FALLBACK,
	OPT_DAEMON,
	OPT_UNSAFE_PROC,
	OPT_ROOTFS,
	OPT_BIND,
	OPT_TMPFS,
	OPT_NET,
	OPT_UID,
	OPT_GID,
	OPT_MAP_BASE,
	OPT_MAP_COUNT,
	OPT_HOSTNAME,
	OPT_CWD,
	OPT_ENV,
	OPT_CLEAR_ENV,
	OPT_CAP_ADD,
	OPT_SECCOMP,
	OPT_LIMIT,
	OPT_RESULT,
	OPT_EVENTS,
	OPT_DAEMON_RESTARTS,
};

static const struct option long_opts[] = {
	{"policy", required_argument, NULL, OPT_POLICY},
	{"tenant", required_argument, NULL, OPT_TENANT},
	{"policy-dir", required_argument, NULL, OPT_POLICY_DIR},
	{"proc", required_argument, NULL, OPT_PROC},
	{"fallback", required_argument, NULL, OPT_FALLBACK},
	{"daemon", required_argument, NULL, OPT_DAEMON},
	{"unsafe-kernel-proc", required_argument, NULL, OPT_UNSAFE_PROC},
	{"rootfs", required_argument, NULL, OPT_ROOTFS},
	{"bind", required_argument, NULL, OPT_BIND},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"net", required_argument, NULL, OPT_NET},
	{"uid", required_argument, NULL, OPT_UID},
	{"gid", required_argument, NULL, OPT_GID},
	{"uid-map-base", required_argument, NULL, OPT_MAP_BASE},
	{"uid-map-count", required_argument, NULL, OPT_MAP_COUNT},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"cwd", required_argument, NULL, OPT_CWD},
	{"env", required_argument, NULL, OPT_ENV},
	{"clear-env", no_argument, NULL, OPT_CLEAR_ENV},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"seccomp", required_argument, NULL, OPT_SECCOMP},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"result", required_argument, NULL, OPT_RESULT},
	{"events", required_argument, NULL, OPT_EVENTS},
	{"daemon-restarts", required_argument, NULL, OPT_DAEMON_RESTARTS},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_u32(const char *opt, const char *v, uint32_t max, uint32_t *out,
		     struct pfs_error *err)
{
	char *end = NULL;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x > max || v[0] == '-')
		return pfs_err_set(err, EINVAL, "--%s '%s': not a number; use 0..%u", opt, v, max);
	*out = (uint32_t)x;
	return 0;
}

/* An absolute path without ".." components. */
static bool abs_path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return false;
	return true;
}

static int add_mount(struct pfs_run_opts *o, const char *arg, enum pfs_mount_kind kind,
		     struct pfs_error *err)
{
	struct pfs_mount_spec m = {.kind = kind, .tree_fd = -1};
	cleanup_free char *copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	if (kind == PFS_MNT_TMPFS) {
		m.dst = copy;
	} else {
		char *c1 = strchr(copy, ':');
		if (!c1 || c1 == copy || !c1[1])
			// cppcheck-suppress memleak ; copy is freed by its cleanup attribute
			return pfs_err_set(err, EINVAL,
					   "--bind '%s': expected SRC:DST[:ro]; e.g. --bind "
					   "/data:/data:ro",
					   arg);
		*c1 = '\0';
		m.src = copy;
		m.dst = c1 + 1;
		char *c2 = strchr(m.dst, ':');
		if (c2) {
			*c2 = '\0';
			if (strcmp(c2 + 1, "ro") != 0 && strcmp(c2 + 1, "rw") != 0)
				return pfs_err_set(err, EINVAL,
						   "--bind '%s': unknown flag '%s'; use :ro or :rw",
						   arg, c2 + 1);
			m.ro = !strcmp(c2 + 1, "ro");
		}
	}
	const char *opt = kind == PFS_MNT_TMPFS ? "--tmpfs" : "--bind";
	if (!abs_path_ok(m.dst) || !strcmp(m.dst, "/"))
		return pfs_err_set(err, EINVAL,
				   "%s '%s': the destination must be an absolute path other than / "
				   "without '..'; e.g. /data",
				   opt, arg);
	if (!strcmp(m.dst, "/proc") || !strncmp(m.dst, "/proc/", 6) || !strcmp(m.dst, "/dev") ||
	    !strcmp(m.dst, "/dev/pts"))
		return pfs_err_set(err, EINVAL,
				   "%s '%s': /proc, /dev and /dev/pts are managed by pfs run; "
				   "pick another destination",
				   opt, arg);
	struct pfs_mount_spec *n = realloc(o->mounts, (o->n_mounts + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->mounts = n;
	/* m.src and m.dst point into copy; dst is duplicated so each owns its string */
	m.dst = strdup(m.dst);
	if (!m.dst)
		return -ENOMEM;
	m.src = m.src ? steal_ptr(copy) : NULL;
	o->mounts[o->n_mounts++] = m;
	return 0;
}

/* --daemon-restarts N[/S]: N restarts within any S seconds. */
static int parse_restarts(struct pfs_run_opts *o, const char *arg, struct pfs_error *err)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(arg, &end, 10);
	unsigned long w = o->restarts_window_s;
	bool ok = !errno && end != arg && arg[0] != '-' && n <= 100000;
	if (ok && *end == '/') {
		const char *ws = end + 1;
		w = strtoul(ws, &end, 10);
		ok = !errno && end != ws && ws[0] != '-' && w >= 1 && w <= 86400;
	}
	if (!ok || *end)
		return pfs_err_set(err, EINVAL,
				   "--daemon-restarts '%s': give N or N/S, e.g. 10/60 (N restarts "
				   "within S seconds; 0 ends the sandbox at the first death)",
				   arg);
	o->restarts_max = (unsigned)n;
	o->restarts_window_s = (unsigned)w;
	return 0;
}

static int add_env(struct pfs_run_opts *o, const char *arg, struct pfs_error *err)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return pfs_err_set(err, EINVAL, "--env '%s': expected K=V; e.g. --env LANG=C.UTF-8",
				   arg);
	char **n = realloc(o->env, (o->n_env + 2) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->env = n;
	o->env[o->n_env] = strdup(arg);
	if (!o->env[o->n_env])
		return -ENOMEM;
	o->env[++o->n_env] = NULL;
	return 0;
}

static int parse_one(struct pfs_run_opts *o, int c, const char *arg, struct pfs_error *err)
{
	uint32_t v = 0;
	int r = 0;
	switch (c) {
	case OPT_POLICY:
		o->policy_file = arg;
		return 0;
	case OPT_TENANT:
		o->tenant = arg;
		return 0;
	case OPT_POLICY_DIR:
		o->policy_dir = arg;
		return 0;
	case OPT_PROC:
		if (strcmp(arg, "ro") != 0 && strcmp(arg, "rw") != 0)
			return pfs_err_set(err, EINVAL, "--proc '%s': use --proc ro or --proc rw",
					   arg);
		o->proc_rw = !strcmp(arg, "rw");
		return 0;
	case OPT_FALLBACK:
		if (strcmp(arg, "kernel") != 0 && strcmp(arg, "none") != 0)
			return pfs_err_set(err, EINVAL,
					   "--fallback '%s': use --fallback kernel (or none)", arg);
		o->fallback_kernel = !strcmp(arg, "kernel");
		return 0;
	case OPT_DAEMON:
		o->daemon_path = arg;
		return 0;
	case OPT_UNSAFE_PROC:
		if (!abs_path_ok(arg) || !strcmp(arg, "/proc") || !strcmp(arg, "/"))
			return pfs_err_set(err, EINVAL,
					   "--unsafe-kernel-proc '%s': give an absolute path other "
					   "than / and /proc, e.g. /kproc",
					   arg);
		o->unsafe_kernel_proc = arg;
		return 0;
	case OPT_ROOTFS:
		o->rootfs = arg;
		return 0;
	case OPT_BIND:
		return add_mount(o, arg, PFS_MNT_BIND, err);
	case OPT_TMPFS:
		return add_mount(o, arg, PFS_MNT_TMPFS, err);
	case OPT_NET:
		if (strcmp(arg, "none") != 0 && strcmp(arg, "host") != 0)
			return pfs_err_set(err, EINVAL, "--net '%s': use --net none or --net host",
					   arg);
		o->net_host = !strcmp(arg, "host");
		return 0;
	case OPT_UID:
	case OPT_GID:
		r = parse_u32(c == OPT_UID ? "uid" : "gid", arg, 65535, &v, err);
		if (!r && c == OPT_UID)
			o->uid = v;
		else if (!r)
			o->gid = v;
		return r;
	case OPT_MAP_BASE:
		r = parse_u32("uid-map-base", arg, UINT32_MAX - 65536, &v, err);
		if (!r && v == 0)
			return pfs_err_set(err, EINVAL,
					   "--uid-map-base 0 would map the sandbox's root to the "
					   "host's root; pick an unused range such as 100000");
		o->map_base = v;
		o->map_base_set = true;
		return r;
	case OPT_MAP_COUNT:
		r = parse_u32("uid-map-count", arg, 1u << 30, &v, err);
		if (!r && v == 0)
			return pfs_err_set(err, EINVAL, "--uid-map-count must be at least 1");
		o->map_count = v;
		return r;
	case OPT_HOSTNAME:
		if (!*arg || strlen(arg) > 64)
			return pfs_err_set(err, EINVAL, "--hostname '%s': use 1 to 64 characters",
					   arg);
		o->hostname = arg;
		return 0;
	case OPT_CWD:
		if (arg[0] != '/')
			return pfs_err_set(err, EINVAL, "--cwd '%s': give an absolute path", arg);
		o->cwd = arg;
		return 0;
	case OPT_ENV:
		return add_env(o, arg, err);
	case OPT_CLEAR_ENV:
		o->clear_env = true;
		return 0;
	case OPT_CAP_ADD: {
		int cap = 0;
		if (pfs_cap_from_name(arg, &cap) < 0)
			return pfs_err_set(err, EINVAL,
					   "--cap-add '%s': unknown capability; use a name such as "
					   "NET_RAW or CAP_CHOWN",
					   arg);
		o->cap_add |= 1ULL << cap;
		return 0;
	}
	case OPT_SECCOMP:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return pfs_err_set(err, EINVAL,
					   "--seccomp '%s': use --seccomp on or --seccomp off",
					   arg);
		o->seccomp = !strcmp(arg, "on");
		return 0;
	case OPT_LIMIT:
		o->limit_spec = arg;
		r = pfs_limits_parse(arg, &o->limits, err);
		return r < 0 ? pfs_err_prefix(err, "--limit '%s'", arg) : 0;
	case OPT_RESULT:
		o->result_file = arg;
		return 0;
	case OPT_EVENTS:
		o->events_file = arg;
		return 0;
	case OPT_DAEMON_RESTARTS:
		return parse_restarts(o, arg, err);
	case 'v':
		o->verbose++;
		return 0;
	default:
		return pfs_err_set(err, EINVAL, "unknown option; see pfs run --help");
	}
}

int pfs_run_parse(int argc, char **argv, struct pfs_run_opts *o, struct pfs_error *err)
{
	memset(o, 0, sizeof(*o));
	o->map_base = 100000;
	o->map_count = 65536;
	o->seccomp = true;
	o->restarts_max = 10;
	o->restarts_window_s = 60;
	o->idtable_fd = -1;
	o->ref_mnt_fd = o->ref_root_fd = -1;
	o->hostname = "pfs-sandbox";
	o->cwd = "/";
	o->dev_fuse = getenv("PFS_DEV_FUSE");
	if (!o->dev_fuse || !*o->dev_fuse)
		o->dev_fuse = "/dev/fuse";
	o->daemon_path = getenv("PFS_DAEMON");
	if (o->daemon_path && !*o->daemon_path)
		o->daemon_path = NULL;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+vh", long_opts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			return pfs_err_set(err, EINVAL,
					   "unknown option or missing argument '%s'; see pfs run "
					   "--help",
					   bad ? bad : "?");
		}
		int r = parse_one(o, c, optarg, err);
		if (r < 0)
			return r;
	}
	if (optind >= argc)
		return pfs_err_set(err, EINVAL,
				   "no command given; use pfs run [OPTIONS] -- CMD [ARGS...]");
	o->argv = argv + optind;
	if (o->policy_file && o->tenant)
		return pfs_err_set(err, EINVAL,
				   "--policy and --tenant both given; use only one of them");
	if (o->uid >= o->map_count || o->gid >= o->map_count)
		return pfs_err_set(err, EINVAL,
				   "--uid/--gid %u/%u is outside the mapped range 0..%u; raise "
				   "--uid-map-count",
				   o->uid, o->gid, o->map_count - 1);
	return 0;
}

void pfs_run_opts_free(struct pfs_run_opts *o)
{
	for (size_t i = 0; i < o->n_mounts; i++) {
		free(o->mounts[i].src);
		free(o->mounts[i].dst);
		if (o->mounts[i].tree_fd >= 0)
			close(o->mounts[i].tree_fd);
	}
	free(o->mounts);
	for (size_t i = 0; i < o->n_env; i++)
		free(o->env[i]);
	free(o->env);
	free(o->owned_policy);
	memset(o, 0, sizeof(*o));
}
