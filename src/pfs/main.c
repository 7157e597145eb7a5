/* pfs: the command-line front end (run, policy, audit). */
#include <stdio.h>
#include <string.h>

#include "pfs/cli.h"
#include "pfs/oci.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pfs COMMAND [ARGS...]\n"
		   "\n"
		   "commands:\n"
		   "  run      run a workload in a sandbox whose /proc is procfilterfs\n"
		   "  upgrade  replace the /proc daemon of a running sandbox (live upgrade)\n"
		   "  policy   check a policy file, or explain what a caller would see\n"
		   "  audit    find what a sandbox can learn about its host\n"
		   "  oci-hook     OCI hook: procfilterfs as a container's /proc\n"
		   "  oci-runtime  wrap runc or crun, adding that hook to each container\n"
		   "\n"
		   "`pfs COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	/* installed as pfs-runc and pfs-crun: the runtime shim over runc or crun */
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strcmp(self, "pfs-runc") || !strcmp(self, "pfs-crun"))
		return pfs_cmd_oci_runtime(argc, argv, self + 4);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("pfs %s\n", PFS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return pfs_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "upgrade"))
		return pfs_cmd_upgrade(argc - 1, argv + 1);
	if (!strcmp(cmd, "policy"))
		return pfs_cmd_policy(argc - 1, argv + 1);
	if (!strcmp(cmd, "audit"))
		return pfs_cmd_audit(argc - 1, argv + 1);
	if (!strcmp(cmd, "oci-hook"))
		return pfs_cmd_oci_hook(argc - 1, argv + 1);
	if (!strcmp(cmd, "oci-runtime"))
		return pfs_cmd_oci_runtime(argc - 1, argv + 1, NULL);
	fprintf(stderr, "pfs: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
