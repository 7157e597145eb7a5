/*
 * pfs audit: what can code in this sandbox learn about its host, and which
 * policy line stops it. Three modes:
 *   pfs audit                 the caller's own /proc (run inside a sandbox)
 *   pfs audit --pid N         the sandbox containing host pid N, from outside:
 *                             its own /proc seen through its root,
 *                             /proc/N/root/proc
 *   pfs audit --proc DIR      any proc-like tree (a mount or a fixture)
 * Exit: 0 no finding at or above --fail-on, 1 some, 2 error.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"
#include "pfs/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pfs audit [--proc DIR | --pid N] [OPTIONS]\n"
		   "\n"
		   "Finds what a sandbox can learn about its host through /proc: host paths in\n"
		   "mount tables, maps and fds, secrets in other processes' environ and cmdline,\n"
		   "host processes, host identity and network, kernel info, writable sysctls.\n"
		   "Each finding names the policy rule that removes it (docs/leaks.md).\n"
		   "\n"
		   "modes:\n"
		   "  (none)               audit this process's own /proc (inside a sandbox)\n"
		   "  --pid N              audit the sandbox containing host pid N from outside,\n"
		   "                       through its root: /proc/N/root/proc\n"
		   "  --proc DIR           audit any proc-like tree: a mount or a fixture\n"
		   "\n"
		   "options:\n"
		   "  --host-paths LIST    comma-separated host path prefixes that must never\n"
		   "                       appear (default: container runtimes' storage, /home,\n"
		   "                       /root, ...; see --help-paths)\n"
		   "  --policy FILE        check each suggested rule: re-render with FILE plus\n"
		   "                       the rule and report whether the finding disappears\n"
		   "  --json               machine-readable output\n"
		   "  --fail-on SEVERITY   exit 1 only for findings at or above SEVERITY\n"
		   "                       (info, low, medium, high, critical; default info)\n"
		   "  --hostname NAME      the sandbox's own hostname (default: uname() in the\n"
		   "                       live mode; not checked otherwise)\n"
		   "  --write-check MODE   auto (real proc or FUSE mounts only), always, never\n"
		   "  --show-values        print leaked values unredacted\n"
		   "  --help-paths         print the default host path prefixes\n"
		   "  -h, --help           this help\n"
		   "\n"
		   "exit status: 0 no finding at or above --fail-on, 1 findings, 2 error\n");
}

enum {
	OPT_PROC = 256,
	OPT_PID,
	OPT_HOST_PATHS,
	OPT_POLICY,
	OPT_JSON,
	OPT_FAIL_ON,
	OPT_HOSTNAME,
	OPT_WRITE,
	OPT_SHOW,
	OPT_HELP_PATHS
};

struct cli {
	const char *proc, *pid, *host_paths, *policy, *hostname, *write;
	const char *fail_on;
	bool json, show_values, help_paths;
};

static int parse(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		{"proc", required_argument, NULL, OPT_PROC},
		{"pid", required_argument, NULL, OPT_PID},
		{"host-paths", required_argument, NULL, OPT_HOST_PATHS},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"json", no_argument, NULL, OPT_JSON},
		{"fail-on", required_argument, NULL, OPT_FAIL_ON},
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"write-check", required_argument, NULL, OPT_WRITE},
		{"show-values", no_argument, NULL, OPT_SHOW},
		{"help-paths", no_argument, NULL, OPT_HELP_PATHS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	for (int o; (o = getopt_long(argc, argv, "+h", longopts, NULL)) != -1;) {
		switch (o) {
		case OPT_PROC:
			c->proc = optarg;
			break;
		case OPT_PID:
			c->pid = optarg;
			break;
		case OPT_HOST_PATHS:
			c->host_paths = optarg;
			break;
		case OPT_POLICY:
			c->policy = optarg;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_FAIL_ON:
			c->fail_on = optarg;
			break;
		case OPT_HOSTNAME:
			c->hostname = optarg;
			break;
		case OPT_WRITE:
			c->write = optarg;
			break;
		case OPT_SHOW:
			c->show_values = true;
			break;
		case OPT_HELP_PATHS:
			c->help_paths = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr,
				"pfs audit: unknown or incomplete option '%s'; see pfs audit "
				"--help\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pfs audit: unexpected argument '%s'; see pfs audit --help\n",
			argv[optind]);
		return -1;
	}
	if (c->proc && c->pid) {
		fprintf(stderr, "pfs audit: --proc and --pid are two modes; give one\n");
		return -1;
	}
	return 0;
}

static char *read_file(const char *path, struct pfs_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f) {
		pfs_err_set(err, errno, "cannot open policy %s: %s", path, strerror(errno));
		return NULL;
	}
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	char chunk[4096];
	for (size_t n; (n = fread(chunk, 1, sizeof(chunk), f)) > 0;)
		if (pfs_buf_append(&b, chunk, n) < 0)
			return NULL;
	if (ferror(f)) {
		pfs_err_set(err, EIO, "cannot read policy %s", path);
		return NULL;
	}
	return pfs_buf_steal(&b, NULL);
}

/*
 * --pid when /proc/N/root/proc refuses us: a FUSE /proc mounted in the
 * sandbox's user namespace answers only callers inside that namespace, and
 * procfilterfs answers only callers its pid namespace can see. So join the
 * sandbox's user namespace as its root (a uid mapped there) and its pid
 * namespace, and fork: the child reads /proc/N/root/proc as a process of the
 * sandbox would. The mount namespace and root stay ours, so --policy files
 * and their includes resolve on the host. Returns 0 in the child, 1 in the
 * parent (*status: the child's exit code), -errno on failure.
 */
static int enter_sandbox(long pid, int *status)
{
	static const struct {
		const char *ns;
		int type;
	} order[] = {{"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, order[i].ns);
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (setns(fd, order[i].type) < 0 && !(errno == EINVAL && i == 0))
			return -errno; /* EINVAL for user: already in that namespace */
		if (i == 0 && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			return -errno;
	}
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		return -errno;
	if (child == 0)
		return 0;
	int ws;
	while (waitpid(child, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 2;
	return 1;
}

/* Opens the tree for the mode; fills what/mode and the live-view settings. */
static int open_tree(const struct cli *c, struct pfs_audit_opts *o, char *what, size_t cap,
		     const char **mode)
{
	const char *dir = "/proc";
	o->live = true;
	*mode = "live";
	char pidroot[64];
	if (c->pid) {
		char *end;
		long pid = strtol(c->pid, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX) {
			fprintf(stderr, "pfs audit: --pid '%s' is not a process id\n", c->pid);
			return -1;
		}
		snprintf(pidroot, sizeof(pidroot), "/proc/%ld/root/proc", pid);
		dir = pidroot;
		o->live = false;
		o->outside = true;
		*mode = "pid";
		/* Our credentials are not the sandbox's: access checks would mislead. */
		o->write_check = PFS_AUDIT_WRITE_NEVER;
	} else if (c->proc) {
		char real[PATH_MAX];
		dir = c->proc;
		o->live = realpath(dir, real) && !strcmp(real, "/proc");
		*mode = o->live ? "live" : "proc";
	}
	o->proc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->proc_fd < 0 && c->pid && errno == EACCES) {
		int status = 2, r = enter_sandbox(strtol(c->pid, NULL, 10), &status);
		if (r < 0) {
			fprintf(stderr, "pfs audit: cannot enter the namespaces of pid %s: %s\n",
				c->pid, strerror(-r));
			return -1;
		}
		if (r > 0)
			return 100 + status; /* the parent: the child did the audit */
		o->proc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (o->proc_fd < 0) {
		fprintf(stderr, "pfs audit: cannot open %s: %s%s\n", dir, strerror(errno),
			c->pid ? " (is the pid alive, and are you root?)" : "");
		return -1;
	}
	snprintf(what, cap, "%s", dir);
	return 0;
}

static int setup(const struct cli *c, struct pfs_audit_opts *o, char **prefix_store)
{
	struct pfs_error err = {0};
	if (c->host_paths) {
		char **v = NULL;
		size_t n = 0;
		if (pfs_audit_parse_prefixes(c->host_paths, &v, &n, &err) < 0) {
			fprintf(stderr, "pfs audit: %s\n", err.msg);
			return -1;
		}
		*prefix_store = (char *)v;
		o->host_prefixes = (const char *const *)v;
		o->n_host_prefixes = n;
	} else {
		o->host_prefixes = pfs_audit_default_host_prefixes(&o->n_host_prefixes);
	}
	if (c->write) {
		if (!strcmp(c->write, "auto"))
			o->write_check = PFS_AUDIT_WRITE_AUTO;
		else if (!strcmp(c->write, "always"))
			o->write_check = PFS_AUDIT_WRITE_ALWAYS;
		else if (!strcmp(c->write, "never"))
			o->write_check = PFS_AUDIT_WRITE_NEVER;
		else {
			fprintf(stderr, "pfs audit: --write-check takes auto, always or never\n");
			return -1;
		}
	}
	return 0;
}

/*
 * What the kernel tells this process of the host's size: its RAM, and the
 * CPUs it may use (the sandbox's only when auditing its own view). A fixture
 * tree is another machine's: not compared.
 */
static void host_size(struct pfs_audit_opts *o)
{
	struct sysinfo si;
	if ((o->live || o->outside) && sysinfo(&si) == 0) {
		o->host_mem_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
		o->host_free_kb = (uint64_t)si.freeram * si.mem_unit / 1024;
	}
	cpu_set_t set;
	if (o->live && !o->outside && sched_getaffinity(0, sizeof(set), &set) == 0)
		o->allowed_cpus = (unsigned)CPU_COUNT(&set);
}

int pfs_cmd_audit(int argc, char **argv)
{
	struct cli c = {0};
	int pr = parse(argc, argv, &c);
	if (pr)
		return pr > 0 ? 0 : 2;
	if (c.help_paths) {
		size_t n;
		const char *const *v = pfs_audit_default_host_prefixes(&n);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i]);
		return 0;
	}
	enum pfs_severity fail_on = PFS_SEV_INFO;
	if (c.fail_on && pfs_severity_parse(c.fail_on, &fail_on) < 0) {
		fprintf(stderr,
			"pfs audit: unknown severity '%s'; use info, low, medium, high or "
			"critical\n",
			c.fail_on);
		return 2;
	}
	struct pfs_audit_opts o = {.proc_fd = -1};
	cleanup_free char *prefixes = NULL;
	char what[PATH_MAX];
	const char *mode = "live";
	if (setup(&c, &o, &prefixes) < 0)
		return 2;
	int t = open_tree(&c, &o, what, sizeof(what), &mode);
	if (t < 0)
		return 2;
	if (t >= 100)
		return t - 100; /* --pid through the sandbox's namespaces: the child's code */
	cleanup_close int proc_fd = o.proc_fd;
	struct utsname uts;
	if (c.hostname)
		o.hostname = c.hostname;
	else if (o.live && uname(&uts) == 0)
		o.hostname = uts.nodename;
	o.self_pid = o.outside ? 0 : pfs_audit_self(&o);
	host_size(&o);

	cleanup_free char *policy_text = NULL;
	struct pfs_error err = {0};
	if (c.policy && !(policy_text = read_file(c.policy, &err))) {
		fprintf(stderr, "pfs audit: %s\n", err.code ? err.msg : "out of memory");
		return 2;
	}
	cleanup_findings struct pfs_findings fs = {0};
	if (pfs_audit_run(&o, &fs, &err) < 0) {
		fprintf(stderr, "pfs audit: %s: %s\n", what, err.msg);
		return 2;
	}
	/* a name with a directory: includes resolve next to the file */
	char policy_name[PATH_MAX];
	snprintf(policy_name, sizeof(policy_name), "%s%s",
		 c.policy && !strchr(c.policy, '/') ? "./" : "", c.policy ? c.policy : "");
	if (c.policy && pfs_audit_verify(&o, policy_name, policy_text, &fs, &err) < 0) {
		fprintf(stderr, "pfs audit: %s\n", err.msg);
		return 2;
	}
	bool failed = pfs_findings_any_at(&fs, fail_on);
	if (c.json)
		pfs_audit_print_json(stdout, what, mode, &fs, c.show_values, fail_on, failed);
	else
		pfs_audit_print_text(stdout, what, &fs, c.show_values);
	if (fflush(stdout) != 0)
		return 2;
	return failed ? 1 : 0;
}
