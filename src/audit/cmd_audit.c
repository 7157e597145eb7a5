#include <stdio.h>

#include "pfs/cli.h"

int pfs_cmd_audit(int argc, char **argv)
{
	fprintf(stderr, "pfs audit: not implemented yet\n");
	return 2;
}
