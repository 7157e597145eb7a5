/* Capabilities: names for --cap-add, and dropping all but the kept ones. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "launcher_i.h"

static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};

int pfs_cap_from_name(const char *name, int *cap)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++) {
		if (!strcasecmp(name, cap_names[i])) {
			*cap = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The highest capability the kernel knows (no /proc needed: it may not be there yet). */
static int last_cap(void)
{
	int c = 0;
	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

/* Drops every capability not in keep from the bounding set (needs CAP_SETPCAP). */
int pfs_caps_drop_bounding(uint64_t keep, struct pfs_error *err)
{
	int last = last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return pfs_err_set(err, errno, "cannot drop capability %d: %s", c,
					   strerror(errno));
	}
	return 0;
}

/*
 * Sets the permitted, effective and inheritable sets to keep; with ambient (a
 * non-root uid), raises the kept ones as ambient so that they survive execve.
 */
int pfs_caps_set(uint64_t keep, bool ambient, struct pfs_error *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 2; i++) {
		uint32_t bits = (uint32_t)(keep >> (32 * i));
		data[i].effective = data[i].permitted = data[i].inheritable = bits;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return pfs_err_set(err, errno,
				   "cannot set capabilities: %s; a --cap-add capability may be "
				   "missing from the launcher's own set",
				   strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pfs_err_set(err, errno, "cannot clear ambient capabilities: %s",
				   strerror(errno));
	int last = last_cap();
	for (int c = 0; ambient && c <= last && c < 64; c++)
		if ((keep & (1ULL << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return pfs_err_set(err, errno, "cannot raise ambient capability %d: %s", c,
					   strerror(errno));
	return 0;
}
