/* Subcommands of the pfs front end. Each returns the process exit code. */
#ifndef PFS_CLI_H
#define PFS_CLI_H

int pfs_cmd_run(int argc, char **argv); /* src/launcher/ */
int pfs_cmd_upgrade(int argc, char **argv); /* src/launcher/cmd_upgrade.c */
int pfs_cmd_policy(int argc, char **argv); /* src/pfs/cmd_policy.c */
int pfs_cmd_audit(int argc, char **argv); /* src/pfs/cmd_audit.c */

#endif
