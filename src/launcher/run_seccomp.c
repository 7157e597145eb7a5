/* The workload's default seccomp filter: no mount family, kexec, keyring or bpf. */
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

static const char *const blocked[] = {
	"mount",      "umount",	    "umount2",	       "fsopen",     "fsmount",
	"fsconfig",   "fspick",	    "open_tree",       "move_mount", "mount_setattr",
	"pivot_root", "kexec_load", "kexec_file_load", "add_key",    "request_key",
	"keyctl",     "bpf",	    "open_tree_attr",
};

static void ctx_release(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

int pfs_seccomp_apply(struct pfs_error *err)
{
	__attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return pfs_err_set(err, ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
		int nr = seccomp_syscall_resolve_name(blocked[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp or architecture */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return pfs_err_set(err, -r, "seccomp: cannot block %s: %s", blocked[i],
					   strerror(-r));
	}
	/* TIOCSTI / TIOCLINUX: pushing input into a terminal the host shares */
	static const unsigned long tty_ioctls[] = {TIOCSTI, TIOCLINUX};
	for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_ioctls[i]));
		if (r < 0)
			return pfs_err_set(err, -r, "seccomp: cannot block ioctl %#lx: %s",
					   tty_ioctls[i], strerror(-r));
	}
	int r = seccomp_load(ctx);
	if (r < 0)
		return pfs_err_set(err, -r,
				   "cannot load the seccomp filter: %s; the kernel needs "
				   "CONFIG_SECCOMP_FILTER, or use --seccomp off",
				   strerror(-r));
	return 0;
}
