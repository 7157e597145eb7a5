#include <stdio.h>

#include "pfs/cli.h"

int pfs_cmd_policy(int argc, char **argv)
{
	fprintf(stderr, "pfs policy: not implemented yet\n");
	return 2;
}
