/* pfs audit: runs every detector over a proc-like tree. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "pfs/audit.h"

int pfs_audit_run(const struct pfs_audit_opts *o, struct pfs_findings *out, struct pfs_error *err)
{
	struct stat st;
	if (fstat(o->proc_fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return pfs_err_set(err, ENOTDIR,
				   "the proc tree is not a directory; give --proc DIR");
	int (*const detectors[])(const struct pfs_audit_opts *, struct pfs_findings *) = {
		pfs_audit_mounts, pfs_audit_maps,    pfs_audit_fds,    pfs_audit_secrets,
		pfs_audit_pids,	  pfs_audit_host,    pfs_audit_kernel, pfs_audit_write,
		pfs_audit_memory, pfs_audit_sysinfo,
	};
	for (size_t i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++) {
		int r = detectors[i](o, out);
		if (r < 0)
			return pfs_err_set(err, -r, "audit failed: %s",
					   r == -ENOMEM ? "out of memory" : "read error");
	}
	pfs_findings_sort(out);
	return 0;
}
