/* pfs policy: check policy files; explain what a caller would see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cli.h"
#include "pfs/policy.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pfs policy check FILE...\n"
		   "       pfs policy explain FILE [--pid N] [--as-uid U] [--backing DIR] PATH\n"
		   "\n"
		   "check    parses each policy (with its includes) and lints it. Prints one\n"
		   "         'file:line:col: message' per error or finding. Exit status: 0 clean,\n"
		   "         1 errors or findings, 2 usage error.\n"
		   "explain  shows what a caller would see at PATH under the policy, and which\n"
		   "         rule (file:line) dropped or rewrote each line or entry.\n"
		   "\n"
		   "The language is described in docs/policy.md.\n");
}

/* Prints errors and findings for one file; returns how many were printed. */
static size_t check_one(const char *path)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load(path, &p, &err);
	if (r < 0) {
		if (err.code)
			printf("%s\n", err.msg);
		else
			printf("%s: cannot load policy: %s\n", path, strerror(-r));
		return 1;
	}
	struct pfs_lint_finding *f = NULL;
	size_t n = 0;
	r = pfs_policy_lint(p, &f, &n);
	if (r < 0) {
		printf("%s: lint failed: %s\n", path, strerror(-r));
		pfs_policy_free(p);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s:%u:%u: %s\n", f[i].src.file, f[i].src.line, f[i].src.col, f[i].msg);
	free(f);
	pfs_policy_free(p);
	return n;
}

static int cmd_check(int argc, char **argv)
{
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--")) {
			first++;
			break;
		}
		if (!strcmp(argv[first], "--help") || !strcmp(argv[first], "-h")) {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "pfs policy check: unknown option '%s'\n", argv[first]);
		usage(stderr);
		return 2;
	}
	if (first >= argc) {
		fprintf(stderr, "pfs policy check: no policy file given\n");
		usage(stderr);
		return 2;
	}
	size_t problems = 0;
	for (int i = first; i < argc; i++)
		problems += check_one(argv[i]);
	fflush(stdout);
	return problems ? 1 : 0;
}

/*
 * `pfs policy explain`: to be built on the rendering API (include/pfs/view.h).
 * Not implemented yet.
 */
static int cmd_explain(int argc, char **argv)
{
	fprintf(stderr, "pfs policy explain: not implemented\n");
	return 2;
}

int pfs_cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(sub, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "pfs policy: unknown subcommand '%s'\n", sub);
	usage(stderr);
	return 2;
}
