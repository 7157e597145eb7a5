/*
 * The workload's system calls: an allow-list. A call not named here fails
 * with ENOSYS, as on a kernel that does not have it: programs fall back, and
 * a system call newer than this table (a new way to read mounts, say) is
 * refused until someone decides on it. docs/pfs-run.md lists the decisions.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

/* What bash, coreutils, procps, psmisc, lsof, util-linux, htop, python3, a JVM,
 * gdb and strace need (the integration suite runs them all under this filter),
 * and their close relatives. */
static const char *const allowed[] = {
	/* files and descriptors */
	"read",
	"write",
	"open",
	"openat",
	"openat2",
	"creat",
	"close",
	"close_range",
	"dup",
	"dup2",
	"dup3",
	"lseek",
	"pread64",
	"pwrite64",
	"readv",
	"writev",
	"preadv",
	"pwritev",
	"preadv2",
	"pwritev2",
	"sendfile",
	"splice",
	"tee",
	"vmsplice",
	"copy_file_range",
	"fcntl",
	"flock",
	"ioctl",
	"fsync",
	"fdatasync",
	"sync",
	"syncfs",
	"sync_file_range",
	"truncate",
	"ftruncate",
	"fallocate",
	"fadvise64",
	"readahead",
	"stat",
	"fstat",
	"lstat",
	"newfstatat",
	"statx",
	"statfs",
	"fstatfs",
	"sysfs",
	"ustat",
	"access",
	"faccessat",
	"faccessat2",
	"getdents",
	"getdents64",
	"getcwd",
	"chdir",
	"fchdir",
	"chroot",
	"rename",
	"renameat",
	"renameat2",
	"mkdir",
	"mkdirat",
	"rmdir",
	"link",
	"linkat",
	"unlink",
	"unlinkat",
	"symlink",
	"symlinkat",
	"readlink",
	"readlinkat",
	"chmod",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"chown",
	"fchown",
	"lchown",
	"fchownat",
	"umask",
	"utime",
	"utimes",
	"futimesat",
	"utimensat",
	"mknod",
	"mknodat",
	"name_to_handle_at",
	"cachestat",
	"setxattr",
	"lsetxattr",
	"fsetxattr",
	"getxattr",
	"lgetxattr",
	"fgetxattr",
	"listxattr",
	"llistxattr",
	"flistxattr",
	"removexattr",
	"lremovexattr",
	"fremovexattr",
	"setxattrat",
	"getxattrat",
	"listxattrat",
	"removexattrat",
	"file_getattr",
	"file_setattr",
	"pipe",
	"pipe2",
	"memfd_create",
	"memfd_secret",
	"eventfd",
	"eventfd2",
	"signalfd",
	"signalfd4",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	"inotify_init",
	"inotify_init1",
	"inotify_add_watch",
	"inotify_rm_watch",
	"fanotify_init",
	"fanotify_mark",
	/* waiting for events, asynchronous io */
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"io_setup",
	"io_destroy",
	"io_submit",
	"io_cancel",
	"io_getevents",
	"io_pgetevents",
	/* memory of the caller itself */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"pkey_mprotect",
	"pkey_alloc",
	"pkey_free",
	"msync",
	"mincore",
	"madvise",
	"mlock",
	"mlock2",
	"munlock",
	"mlockall",
	"munlockall",
	"remap_file_pages",
	"mbind",
	"set_mempolicy",
	"get_mempolicy",
	"set_mempolicy_home_node",
	"migrate_pages",
	"move_pages",
	"membarrier",
	"mseal",
	"map_shadow_stack",
	"process_madvise",
	"process_mrelease",
	/* processes and threads */
	"clone",
	"clone3",
	"fork",
	"vfork",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"wait4",
	"waitid",
	"getpid",
	"getppid",
	"gettid",
	"set_tid_address",
	"set_robust_list",
	"get_robust_list",
	"rseq",
	"arch_prctl",
	"prctl",
	"personality",
	"modify_ldt",
	"set_thread_area",
	"get_thread_area",
	"restart_syscall",
	"uretprobe",
	"setpgid",
	"getpgid",
	"getpgrp",
	"setsid",
	"getsid",
	"getpriority",
	"setpriority",
	"sched_yield",
	"sched_setparam",
	"sched_getparam",
	"sched_setscheduler",
	"sched_getscheduler",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_rr_get_interval",
	"sched_setaffinity",
	"sched_getaffinity",
	"sched_setattr",
	"sched_getattr",
	"ioprio_set",
	"ioprio_get",
	"getrlimit",
	"setrlimit",
	"prlimit64",
	"getrusage",
	"times",
	"sysinfo",
	"uname",
	"sethostname",
	"setdomainname",
	"getcpu",
	"kcmp",
	"pidfd_open",
	"pidfd_send_signal",
	"futex",
	"futex_waitv",
	"futex_wake",
	"futex_wait",
	"futex_requeue",
	/* its own namespaces, capabilities and restrictions (unshare -Urm, landlock) */
	"unshare",
	"setns",
	"capget",
	"capset",
	"seccomp",
	"landlock_create_ruleset",
	"landlock_add_rule",
	"landlock_restrict_self",
	"lsm_get_self_attr",
	"lsm_set_self_attr",
	"lsm_list_modules",
	/* identity */
	"getuid",
	"geteuid",
	"getresuid",
	"getgid",
	"getegid",
	"getresgid",
	"getgroups",
	"setuid",
	"setreuid",
	"setresuid",
	"setfsuid",
	"setgid",
	"setregid",
	"setresgid",
	"setfsgid",
	"setgroups",
	/* signals */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigpending",
	"rt_sigtimedwait",
	"rt_sigqueueinfo",
	"rt_tgsigqueueinfo",
	"rt_sigsuspend",
	"sigaltstack",
	"kill",
	"tkill",
	"tgkill",
	"pause",
	"alarm",
	/* time (setting the clocks is refused below) */
	"time",
	"gettimeofday",
	"clock_gettime",
	"clock_getres",
	"clock_nanosleep",
	"nanosleep",
	"adjtimex",
	"clock_adjtime",
	"getitimer",
	"setitimer",
	"timer_create",
	"timer_settime",
	"timer_gettime",
	"timer_getoverrun",
	"timer_delete",
	/* System V and POSIX IPC (the sandbox's own ipc namespace) */
	"shmget",
	"shmat",
	"shmdt",
	"shmctl",
	"semget",
	"semop",
	"semtimedop",
	"semctl",
	"msgget",
	"msgsnd",
	"msgrcv",
	"msgctl",
	"mq_open",
	"mq_unlink",
	"mq_timedsend",
	"mq_timedreceive",
	"mq_notify",
	"mq_getsetattr",
	/* sockets */
	"socket",
	"socketpair",
	"bind",
	"listen",
	"accept",
	"accept4",
	"connect",
	"shutdown",
	"getsockname",
	"getpeername",
	"setsockopt",
	"getsockopt",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	"sendmmsg",
	"recvmmsg",
	"getrandom",
};

/* Reading or writing another process's memory: allowed unless the policy
 * says `process-memory deny` (docs/policy.md). */
static const char *const memory[] = {"ptrace", "process_vm_readv", "process_vm_writev",
				     "pidfd_getfd"};

static const struct {
	const char *name;
	int err;
} refused[] = {
	/* the mount family: a second wall around /proc */
	{"mount", EPERM},
	{"umount2", EPERM},
	{"pivot_root", EPERM},
	{"fsopen", EPERM},
	{"fsconfig", EPERM},
	{"fsmount", EPERM},
	{"fspick", EPERM},
	{"open_tree", EPERM},
	{"open_tree_attr", EPERM},
	{"move_mount", EPERM},
	{"mount_setattr", EPERM},
	/* the mount table and namespaces without /proc and its filter; ENOSYS
	 * makes tools fall back to /proc/self/mountinfo, which is filtered */
	{"statmount", ENOSYS},
	{"listmount", ENOSYS},
	{"listns", ENOSYS},
	/* the host's kernel log (/proc/kmsg is masked by default.policy) */
	{"syslog", EPERM},
	/* operations on operations: their requests escape this filter */
	{"io_uring_setup", ENOSYS},
	{"io_uring_enter", ENOSYS},
	{"io_uring_register", ENOSYS},
	/* the kernel itself, keyrings, and host-wide state */
	{"kexec_load", EPERM},
	{"kexec_file_load", EPERM},
	{"init_module", EPERM},
	{"finit_module", EPERM},
	{"delete_module", EPERM},
	{"add_key", EPERM},
	{"request_key", EPERM},
	{"keyctl", EPERM},
	{"bpf", EPERM},
	{"perf_event_open", EPERM},
	{"userfaultfd", EPERM},
	{"open_by_handle_at", EPERM},
	{"lookup_dcookie", EPERM},
	{"swapon", EPERM},
	{"swapoff", EPERM},
	{"acct", EPERM},
	{"reboot", EPERM},
	{"quotactl", EPERM},
	{"quotactl_fd", EPERM},
	{"iopl", EPERM},
	{"ioperm", EPERM},
	{"settimeofday", EPERM},
	{"clock_settime", EPERM},
	{"vhangup", EPERM},
};

/*
 * Numbers of the calls the installed libseccomp (2.5.4 in Debian 12) cannot
 * name. Numbers from 424 on are the same on every architecture but alpha,
 * mips and ia64; uretprobe is x86_64's alone.
 */
static const struct {
	const char *name;
	int nr;
} by_number[] = {
#ifdef __x86_64__
	{"uretprobe", 335},
#endif
	{"statmount", 457},	    {"listmount", 458},	       {"lsm_get_self_attr", 459},
	{"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},
	{"setxattrat", 463},	    {"getxattrat", 464},       {"listxattrat", 465},
	{"removexattrat", 466},	    {"open_tree_attr", 467},   {"file_getattr", 468},
	{"file_setattr", 469},	    {"listns", 470},
};

static int resolve(const char *name, int *nr, bool *numbered, struct pfs_error *err)
{
	int r = seccomp_syscall_resolve_name(name);
	*numbered = false;
	if (r != __NR_SCMP_ERROR) {
		*nr = r;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(by_number); i++) {
		if (!strcmp(by_number[i].name, name)) {
			*nr = by_number[i].nr;
			*numbered = true;
			return 0;
		}
	}
	return pfs_err_set(
		err, ENOENT,
		"seccomp: libseccomp cannot name the system call '%s' and "
		"src/launcher/run_syscalls.c has no number for it; add it to by_number[]",
		name);
}

static int add(struct pfs_syscall **v, size_t *n, const char *name, int verdict,
	       struct pfs_error *err)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, name))
			return pfs_err_set(
				err, EEXIST,
				"seccomp: '%s' is listed twice in src/launcher/run_syscalls.c",
				name);
	struct pfs_syscall s = {.name = name, .verdict = verdict};
	int r = resolve(name, &s.nr, &s.by_number, err);
	if (r < 0)
		return r;
	struct pfs_syscall *grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = s;
	*v = grown;
	return 0;
}

int pfs_syscalls_plan(bool memory_deny, struct pfs_syscall **out, size_t *n, struct pfs_error *err)
{
	cleanup_free struct pfs_syscall *v = NULL;
	size_t len = 0;
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(allowed); i++)
		r = add(&v, &len, allowed[i], 0, err);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(memory); i++)
		r = add(&v, &len, memory[i], memory_deny ? EPERM : 0, err);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(refused); i++)
		r = add(&v, &len, refused[i].name, refused[i].err, err);
	if (r < 0)
		return r;
	*out = steal_ptr(v);
	*n = len;
	return 0;
}
