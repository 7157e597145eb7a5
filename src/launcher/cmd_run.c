#include <stdio.h>

#include "pfs/cli.h"

int pfs_cmd_run(int argc, char **argv)
{
	fprintf(stderr, "pfs run: not implemented yet\n");
	return 2;
}
