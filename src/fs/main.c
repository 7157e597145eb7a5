/* procfilterfs: a filtered /proc served over FUSE. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fs_i.h"
#include "pfs/log.h"
#include "pfs/oracle.h"
#include "pfs/sysinfo.h"

#define OPT(t, field, v)                                                                           \
	{                                                                                          \
		t, offsetof(struct pfs_fs_options, field), v                                       \
	}
static char *snapshot_max_text;
static const struct fuse_opt option_spec[] = {
	OPT("backing=%s", backing, 0),
	OPT("backing_fd=%d", backing_fd, 0),
	OPT("policy=%s", policy, 0),
	OPT("tenant=%s", tenant, 0),
	OPT("policy_dir=%s", policy_dir, 0),
	OPT("writable", rw, 1),
	/* mount(8) passes "rw" on every mount: it cannot be the opt-in for writes. */
	FUSE_OPT_KEY("rw", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("ro", FUSE_OPT_KEY_DISCARD),
	OPT("threads=%u", threads, 0),
	OPT("renders=%u", renders, 0),
	OPT("relays=%u", relays, 0),
	OPT("rewind_fds=%u", rewind_fds, 0),
	OPT("ready_fd=%d", ready_fd, 0),
	OPT("userns_fd=%d", userns_fd, 0),
	OPT("enter_ns=%d", enter_ns, 0),
	OPT("pidns_pid_max=%lu", pidns_pid_max, 0),
	OPT("cgroup_pid=%d", cgroup_pid, 0),
	OPT("idtable_fd=%d", idtable_fd, 0),
	OPT("standby_fd=%d", standby_fd, 0),
	OPT("ref_mnt_fd=%d", ref_mnt_fd, 0),
	OPT("ref_root_fd=%d", ref_root_fd, 0),
	FUSE_OPT_KEY("snapshot_max=%s", 1),
	FUSE_OPT_END,
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	if (key == 1) {
		free(snapshot_max_text);
		snapshot_max_text = strdup(arg + 13);
		return 0;
	}
	return 1;
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = pfs_op_lookup,
	.forget = pfs_op_forget,
	.forget_multi = pfs_op_forget_multi,
	.getattr = pfs_op_getattr,
	.setattr = pfs_op_setattr,
	.readlink = pfs_op_readlink,
	.open = pfs_op_open,
	.read = pfs_op_read,
	.write = pfs_op_write,
	.flush = pfs_op_flush,
	.release = pfs_op_release,
	.poll = pfs_op_poll,
	.opendir = pfs_op_opendir,
	.readdir = pfs_op_readdir,
	.releasedir = pfs_op_releasedir,
	.statfs = pfs_op_statfs,
	.access = pfs_op_access,
	.create = pfs_op_create,
	.mknod = pfs_op_mknod,
	.mkdir = pfs_op_mkdir,
	.unlink = pfs_op_unlink,
	.rmdir = pfs_op_rmdir,
	.symlink = pfs_op_symlink,
	.rename = pfs_op_rename,
	.link = pfs_op_link,
	.setxattr = pfs_op_setxattr,
	.removexattr = pfs_op_removexattr,
};

static void usage(const char *prog)
{
	printf("usage: %s [-f] [-d] [-o OPTIONS] MOUNTPOINT\n"
	       "       mount -t fuse.procfilterfs procfilterfs MOUNTPOINT -o OPTIONS\n"
	       "\n"
	       "Serves a filtered view of a procfs at MOUNTPOINT.\n"
	       "\n"
	       "procfilterfs options (-o):\n"
	       "    backing=DIR         the procfs to proxy (default /proc)\n"
	       "    backing_fd=N        an inherited fd of a procfs instance instead of DIR\n"
	       "    policy=FILE         the policy to apply (default: none, pass through)\n"
	       "    tenant=NAME         the policy NAME.policy in policy_dir\n"
	       "    policy_dir=DIR      where tenant policies live (default %s)\n"
	       "    writable            mount read-write: writes are allowed only to paths\n"
	       "                        the policy marks `writable` (default read-only;\n"
	       "                        `rw`, which mount(8) always passes, is ignored)\n"
	       "    snapshot_max=SIZE   cap on bytes held by open snapshots and the buffers\n"
	       "                        of renders in progress (default 64M); one thread\n"
	       "                        group may hold half of it; opens over the\n"
	       "                        cap or the share fail with ENOMEM\n"
	       "    threads=N           maximum worker threads (default 8), and as many\n"
	       "                        render threads, taken in turns by processes\n"
	       "                        (the least thread time first); one process uses\n"
	       "                        at most half\n"
	       "    renders=N           threads for large renders (maps, smaps, mount\n"
	       "                        tables), in turns too, at a lower priority;\n"
	       "                        one process uses at most half (default\n"
	       "                        threads/4, 2 at least)\n"
	       "    relays=N            threads for relays blocked on a pipe or tty through\n"
	       "                        fd/N; one process uses at most half, a blocking\n"
	       "                        read or write past that fails with EAGAIN (default 4)\n"
	       "    rewind_fds=N        backing fds kept open by files that are read again\n"
	       "                        from the start (top's /proc/stat): such a read\n"
	       "                        then costs a pread, not an open (default 1024, at\n"
	       "                        most a quarter of the open-file limit; 0: none);\n"
	       "                        one process keeps at most half; past that a\n"
	       "                        rewind opens the file again\n"
	       "    ready_fd=N          write one byte to fd N once serving\n"
	       "    userns_fd=N         an inherited fd of the mount's user namespace (default:\n"
	       "                        that of the backing's pid 1, which needs ptrace\n"
	       "                        access to it; pfs run passes it)\n"
	       "    enter_ns=0          do not enter callers' namespaces (link text is then\n"
	       "                        rendered against the daemon's root)\n"
	       "    pidns_pid_max=N     kernel/pid_max as the backing's pid namespace has it\n"
	       "                        (read by a process inside it; pfs run passes it)\n"
	       "    cgroup_pid=PID      `sysinfo virtual` shows the limits and usage of this\n"
	       "                        process's cgroups (v1 or v2; pfs run passes the\n"
	       "                        sandbox's init)\n"
	       "    idtable_fd=N        an inherited id table (a memfd of pfs run's\n"
	       "                        supervisor): node ids outlive this daemon, and a\n"
	       "                        daemon started on a served connection takes it over\n"
	       "    standby_fd=N        a spare: set up, then serve once a byte arrives on fd N\n"
	       "    ref_mnt_fd=N,ref_root_fd=M  inherited fds of the backing's pid 1 mount\n"
	       "                        namespace and root (default: opened at start-up)\n"
	       "\n"
	       "SIGHUP reloads the policy; a policy with errors leaves the old one active.\n"
	       "\n",
	       prog, PFS_POLICY_DIR);
}

static int parse_size(const char *s, size_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	*out = (size_t)(v << shift);
	return 0;
}

static bool bad_count(const char *name, unsigned n)
{
	if (n >= 1 && n <= 1024)
		return false;
	fprintf(stderr, "procfilterfs: %s=%u out of range 1..1024\n", name, n);
	return true;
}

/* mount.fuse3 runs "procfilterfs SOURCE MOUNTPOINT -o ...": drop SOURCE. */
static void drop_mount_source(int *argc, char **argv)
{
	int positional[3], n = 0;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			i++;
			continue;
		}
		if (argv[i][0] != '-' && n < 3)
			positional[n++] = i;
	}
	if (n != 2)
		return;
	for (int i = positional[0]; i < *argc - 1; i++)
		argv[i] = argv[i + 1];
	(*argc)--;
}

/* Raises the open-file limit to its hard limit; returns the limit in force. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/*
 * Kept fds are taken from the open-file limit the nodes, watches and relays
 * share: the default keeps a quarter of it at most, and a value asked for
 * may not take more than half.
 */
static bool bad_rewind_fds(struct pfs_fs_options *o, rlim_t nofile)
{
	if (o->rewind_fds == UINT_MAX) {
		o->rewind_fds = nofile / 4 < 1024 ? (unsigned)(nofile / 4) : 1024;
		return false;
	}
	if (o->rewind_fds <= nofile / 2)
		return false;
	fprintf(stderr,
		"procfilterfs: rewind_fds=%u is over half the open-file limit (%llu); "
		"lower it or raise the limit (ulimit -n)\n",
		o->rewind_fds, (unsigned long long)nofile);
	return true;
}

static void pfs_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Per-caller answers: no symlink cache, no cached dirs, no readdirplus. */
	conn->want &= ~(unsigned)(FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_READDIRPLUS |
				  FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_EXPORT_SUPPORT |
				  FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_WRITEBACK_CACHE);
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
}

static int serve(struct pfs_fs *fs, struct fuse_args *args, struct fuse_cmdline_opts *cl)
{
	struct fuse_lowlevel_ops o = ops;
	o.init = pfs_init;
	fs->se = fuse_session_new(args, &o, sizeof(o), fs);
	if (!fs->se)
		return 1;
	int ret = 1;
	if (fuse_set_signal_handlers(fs->se) != 0)
		goto out_session;
	/* SIGHUP means reload: blocked here, before any thread exists, and taken by one thread. */
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	pfs_fs_count_waits(fs);
	if (pfs_raw_attach(fs, cl->mountpoint) != 0) {
		fprintf(stderr,
			"procfilterfs: cannot mount at %s; is it a directory, and is "
			"/dev/fuse usable (modprobe fuse)?\n",
			cl->mountpoint);
		goto out_signals;
	}
	fuse_daemonize(cl->foreground);
	if (!cl->foreground)
		pfs_log_init("procfilterfs", fs->debug ? PFS_LOG_DEBUG : PFS_LOG_WARN, 1);
	pfs_fs_start_reload_thread(fs);
	pfs_fs_start_reaper(fs);
	pfs_cache_start(fs);
	pfs_poller_start(fs);
	/* no pools: every render and relay is then served on the FUSE workers, as before */
	int sr = pfs_sched_start(fs);
	if (sr < 0)
		pfs_warn("cannot start the render and relay threads: %s", strerror(-sr));
	if (pfs_sysinfo_start(fs->view.sysinfo) < 0)
		pfs_warn("cannot start the load sampler: loadavg stays at 0");
	pfs_raw_standby(fs);
	if (fs->opt.ready_fd >= 0) {
		if (write(fs->opt.ready_fd, "R", 1) != 1)
			pfs_warn("cannot signal readiness on fd %d", fs->opt.ready_fd);
		close(fs->opt.ready_fd);
	}
	pfs_raw_takeover(fs, fuse_session_fd(fs->se));
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	/* No idle-thread limit: destroying and re-creating workers only costs. */
	fuse_loop_cfg_set_max_threads(cfg, fs->opt.threads);
	ret = cl->singlethread ? fuse_session_loop(fs->se) : fuse_session_loop_mt(fs->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	pfs_cache_stop(fs);
	pfs_poller_stop(fs);
	pfs_sched_stop(fs);
	pfs_fs_stop_reaper(fs);
	fuse_session_unmount(fs->se);
out_signals:
	fuse_remove_signal_handlers(fs->se);
out_session:
	fuse_session_destroy(fs->se);
	return ret ? 1 : 0;
}

/* Everything between parsing and serving; main() owns and frees what it allocates. */
static int run(struct pfs_fs *fs, const char *prog, struct fuse_args *args,
	       struct fuse_cmdline_opts *cl)
{
	fs->opt.backing_fd = -1;
	fs->opt.ready_fd = -1;
	fs->opt.userns_fd = -1;
	fs->opt.idtable_fd = -1;
	fs->opt.standby_fd = -1;
	fs->opt.ref_mnt_fd = fs->opt.ref_root_fd = -1;
	fs->opt.threads = 8;
	fs->opt.relays = 4;
	fs->opt.rewind_fds = UINT_MAX; /* unset: from the open-file limit */
	fs->opt.enter_ns = 1;
	fs->opt.snapshot_max = 64u << 20;
	if (fuse_opt_parse(args, &fs->opt, option_spec, opt_proc) == -1)
		return 2;
	if (fuse_parse_cmdline(args, cl) != 0)
		return 2;
	if (cl->show_help) {
		usage(prog);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		return 0;
	}
	if (cl->show_version) {
		printf("procfilterfs %s (libfuse %s)\n", PFS_VERSION, fuse_pkgversion());
		return 0;
	}
	if (!cl->mountpoint) {
		fprintf(stderr,
			"procfilterfs: no mount point; usage: %s [-f] [-o OPTIONS] "
			"MOUNTPOINT (see --help)\n",
			prog);
		return 2;
	}
	if (snapshot_max_text && parse_size(snapshot_max_text, &fs->opt.snapshot_max) < 0) {
		fprintf(stderr, "procfilterfs: bad snapshot_max=%s; write e.g. 64M\n",
			snapshot_max_text);
		return 2;
	}
	if (!fs->opt.renders)
		fs->opt.renders = fs->opt.threads / 4 > 2 ? fs->opt.threads / 4 : 2;
	if (bad_count("threads", fs->opt.threads) || bad_count("renders", fs->opt.renders) ||
	    bad_count("relays", fs->opt.relays))
		return 2;
	fs->debug = cl->debug;
	pfs_log_init("procfilterfs", cl->debug ? PFS_LOG_DEBUG : PFS_LOG_WARN, 0);
	if (bad_rewind_fds(&fs->opt, raise_nofile()))
		return 2;
	pfs_budget_init(&fs->budget, fs->opt.snapshot_max, PFS_SNAPSHOT_SHARE_DIV);
	pfs_budget_init(&fs->rewind_slots, fs->opt.rewind_fds, 2);
	pfs_magic_init(fs);
	/*
	 * One heap arena: one per worker thread (glibc's default) holds on to
	 * what a burst freed, and the daemon's memory must come back after one.
	 * Not even two: malloc_trim() gives back the free top of the main arena
	 * only, so a second arena kept the free top a burst of nodes left in it
	 * (2.8 MiB of 40 KiB in use, measured). Small blocks come from each
	 * thread's cache (tcache) without the arena's lock.
	 */
	mallopt(M_ARENA_MAX, 1);
	/* A fixed threshold: big blocks (hash tables, snapshots) are mapped and unmapped, never kept. */
	mallopt(M_MMAP_THRESHOLD, 64 << 10);
	pfs_nodes_init(fs);
	int ir = pfs_ids_init(fs, fs->opt.idtable_fd);
	if (ir < 0) {
		fprintf(stderr, "procfilterfs: cannot map the id table%s: %s\n",
			fs->opt.idtable_fd >= 0 ? " of idtable_fd=" : "", strerror(-ir));
		return 1;
	}
	struct pfs_error err;
	pfs_err_clear(&err);
	if (pfs_fs_setup(fs, &err) < 0) {
		fprintf(stderr, "procfilterfs: %s\n", err.msg);
		return 1;
	}
	fuse_opt_add_arg(args, "-ofsname=procfilterfs,subtype=procfilterfs");
	if (getuid() == 0)
		fuse_opt_add_arg(args, "-oallow_other");
	if (!fs->opt.rw)
		fuse_opt_add_arg(args, "-oro");
	int ret = serve(fs, args, cl);
	pfs_log_summary();
	pfs_nodes_destroy(fs);
	pfs_ids_destroy(fs);
	pfs_budget_destroy(&fs->budget);
	pfs_budget_destroy(&fs->rewind_slots);
	pfs_magic_destroy(fs);
	pfs_policy_free((struct pfs_policy *)fs->view.policy);
	pfs_sysinfo_destroy(fs->view.sysinfo);
	pfs_waits_free(fs->view.waits);
	pfs_pidns_close(&fs->view.pidns);
	return ret;
}

int main(int argc, char **argv)
{
	/*
	 * Holds the policy and what it reads of other processes: not ptraceable
	 * and its /proc files not readable even by a process of the same uid
	 * (a rootless sandbox's root may share it), unless that one has
	 * CAP_SYS_PTRACE in the namespace the daemon was executed in.
	 */
	prctl(PR_SET_DUMPABLE, 0);
	drop_mount_source(&argc, argv);
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl = {0};
	/* The daemon's state: the session's userdata, reached by each request. */
	struct pfs_fs fs = {0};
	int ret = run(&fs, argv[0], &args, &cl);
	pfs_oracle_stop(fs.view.oracle);
	free(fs.policy_path);
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	free(fs.opt.backing);
	free(fs.opt.policy);
	free(fs.opt.tenant);
	free(fs.opt.policy_dir);
	free(snapshot_max_text);
	return ret;
}
