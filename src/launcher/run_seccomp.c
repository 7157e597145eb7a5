/*
 * The workload's seccomp filters (docs/pfs-run.md):
 *  1. the allow-list of run_syscalls.c: anything else gets ENOSYS, and a call
 *     of another ABI (i386 int 0x80, x32) kills the process;
 *  2. argument checks on allowed calls (the terminal ioctls). libseccomp
 *     drops a conditional rule when the same call has an unconditional one,
 *     so they are a second filter: the kernel applies the stricter answer.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

/* TIOCSTI / TIOCLINUX: pushing input into a terminal the host shares */
static const struct {
	const char *name;
	unsigned long nr;
} tty_ioctls[] = {{"TIOCSTI", TIOCSTI}, {"TIOCLINUX", TIOCLINUX}};

static void ctx_release(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

static uint32_t action_of(int verdict)
{
	return verdict ? SCMP_ACT_ERRNO((uint32_t)verdict) : SCMP_ACT_ALLOW;
}

static int load(scmp_filter_ctx ctx, struct pfs_error *err)
{
	int r = seccomp_load(ctx);
	if (r < 0)
		return pfs_err_set(err, -r,
				   "cannot load the seccomp filter: %s; the kernel needs "
				   "CONFIG_SECCOMP_FILTER, or use --seccomp off",
				   strerror(-r));
	return 0;
}

static int load_allow_list(bool memory_deny, struct pfs_error *err)
{
	cleanup_free struct pfs_syscall *v = NULL;
	size_t n = 0;
	int r = pfs_syscalls_plan(memory_deny, &v, &n, err);
	if (r < 0)
		return r;
	__attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx =
		seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx)
		return pfs_err_set(err, ENOMEM, "seccomp_init failed");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return pfs_err_set(err, -r, "seccomp: cannot set the other-ABI action: %s",
				   strerror(-r));
	/* a binary tree over ~330 calls, not a linear scan on every system call */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return pfs_err_set(err, -r, "seccomp: cannot ask for a binary tree: %s",
				   strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (v[i].verdict == ENOSYS)
			continue; /* the default action; libseccomp refuses a rule that repeats it */
		r = seccomp_rule_add(ctx, action_of(v[i].verdict), v[i].nr, 0);
		if (r < 0)
			return pfs_err_set(err, -r, "seccomp: cannot add %s (%d): %s", v[i].name,
					   v[i].nr, strerror(-r));
	}
	return load(ctx, err);
}

static int load_arg_checks(struct pfs_error *err)
{
	__attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return pfs_err_set(err, ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++) {
		/* the kernel reads the command as 32 bits: compare those only */
		int r = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_ioctls[i].nr));
		if (r < 0)
			return pfs_err_set(err, -r, "seccomp: cannot refuse ioctl %s: %s",
					   tty_ioctls[i].name, strerror(-r));
	}
	return load(ctx, err);
}

int pfs_seccomp_apply(bool memory_deny, struct pfs_error *err)
{
	int r = load_allow_list(memory_deny, err);
	return r < 0 ? r : load_arg_checks(err);
}

static int describe_verdict(struct pfs_buf *out, const struct pfs_syscall *v, size_t n, int verdict,
			    const char *title)
{
	int r = pfs_buf_printf(out, "seccomp: %s:", title);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (v[i].verdict == verdict)
			r = pfs_buf_printf(out, " %s(%d)", v[i].name, v[i].nr);
	return r < 0 ? r : pfs_buf_appends(out, "\n");
}

int pfs_seccomp_describe(bool memory_deny, struct pfs_buf *out, struct pfs_error *err)
{
	cleanup_free struct pfs_syscall *v = NULL;
	size_t n = 0;
	int r = pfs_syscalls_plan(memory_deny, &v, &n, err);
	if (r < 0)
		return r;
	const struct scmp_version *ver = seccomp_version();
	size_t allowed = 0;
	for (size_t i = 0; i < n; i++)
		allowed += v[i].verdict == 0;
	r = pfs_buf_printf(out,
			   "seccomp: allow-list of %zu system calls, any other fails with ENOSYS; "
			   "other ABIs (i386, x32) kill the process; process memory %s\n",
			   allowed, memory_deny ? "denied" : "allowed");
	if (r >= 0)
		r = describe_verdict(out, v, n, 0, "allowed");
	if (r >= 0)
		r = describe_verdict(out, v, n, EPERM, "refused with EPERM");
	if (r >= 0)
		r = describe_verdict(out, v, n, ENOSYS, "refused with ENOSYS");
	if (r >= 0)
		r = pfs_buf_printf(out, "seccomp: by number (libseccomp %u.%u.%u has no name):",
				   ver->major, ver->minor, ver->micro);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (v[i].by_number)
			r = pfs_buf_printf(out, " %s=%d", v[i].name, v[i].nr);
	if (r >= 0)
		r = pfs_buf_appends(out, "\nseccomp: ioctl refused with EPERM:");
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(tty_ioctls); i++)
		r = pfs_buf_printf(out, " %s", tty_ioctls[i].name);
	return r < 0 ? r : pfs_buf_appends(out, "\n");
}
