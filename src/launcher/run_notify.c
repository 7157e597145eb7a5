/*
 * The object supervisor's filter: a few system calls that take a /proc file
 * as an object, whose native answer the FUSE /proc cannot give by itself,
 * are sent to the launcher (seccomp user notification) before they run. The
 * supervisor (run_supervise.c) decides from the real fd and either lets the
 * call continue unchanged, or answers the error the kernel's proc gives
 * (docs/compat.md, "System calls on /proc files").
 *
 * The workload installs the filter just before exec and passes the listener
 * to the init over chan, with the mount id of /proc; the init forwards both
 * to the launcher with its STARTED message.
 */
#include <errno.h>
#include <seccomp.h>
#include <linux/magic.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

/*
 * splice and sendfile of a proc file: EINVAL natively, 0 bytes through FUSE;
 * pidfd_send_signal and setns take a /proc file as the object itself.
 */
static const char *const notified[] = {"sendfile", "splice", "pidfd_send_signal", "setns"};

static void ctx_release(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

int pfs_notify_install(int chan, struct pfs_error *err)
{
	/* only a FUSE /proc needs it (--fallback kernel: the kernel's proc) */
	struct statfs sf;
	if (statfs("/proc", &sf) < 0 || sf.f_type != FUSE_SUPER_MAGIC)
		return 0;
	struct statx st;
	if (statx(AT_FDCWD, "/proc", 0, STATX_MNT_ID, &st) < 0 || !(st.stx_mask & STATX_MNT_ID))
		return pfs_err_set(err, errno ? errno : ENOSYS,
				   "statx /proc: no mount id; Linux 5.8 or later is needed");
	__attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return pfs_err_set(err, ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < ARRAY_SIZE(notified); i++) {
		int nr = seccomp_syscall_resolve_name(notified[i]);
		int r = nr == __NR_SCMP_ERROR ? 0 : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (r < 0)
			return pfs_err_set(err, -r, "seccomp: cannot notify %s: %s", notified[i],
					   strerror(-r));
	}
	int r = seccomp_load(ctx);
	if (r < 0)
		return pfs_err_set(err, -r,
				   "cannot load the seccomp notification filter: %s; the kernel "
				   "needs Linux 5.9 or later with CONFIG_SECCOMP_FILTER",
				   strerror(-r));
	cleanup_close int listener = seccomp_notify_fd(ctx);
	if (listener < 0)
		return pfs_err_set(err, -listener, "seccomp listener: %s", strerror(-listener));
	struct pfs_msg m = {.type = PFS_MSG_LISTENER, .code = (int)st.stx_mnt_id};
	r = pfs_msg_send(chan, &m, &listener, 1);
	if (r < 0)
		return pfs_err_set(err, -r, "cannot pass the seccomp listener: %s", strerror(-r));
	return 0;
}

int pfs_notify_take(int chan, int *listener, unsigned *proc_mnt_id)
{
	struct pfs_msg m;
	size_t n = 0;
	*listener = -1;
	int r = pfs_msg_recv(chan, &m, listener, 1, &n);
	if (r < 0 || m.type != PFS_MSG_LISTENER || n != 1) {
		if (n == 1)
			close(*listener);
		*listener = -1;
		return r < 0 ? r : -EPROTO;
	}
	*proc_mnt_id = (unsigned)m.code;
	return 0;
}
