/*
 * libFuzzer target for the policy parser: parse, lint, decide a few paths,
 * free. The name has no directory, so `include` is refused and the fuzzer
 * never touches the filesystem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	if (pfs_policy_load_string("fuzz.policy", text, &p, &err) == 0) {
		struct pfs_lint_finding *f = NULL;
		size_t n = 0;
		if (pfs_policy_lint(p, &f, &n) == 0)
			free(f);
		static const char *const paths[] = {"/proc", "/proc/kcore", "/proc/1/environ",
						    "/proc/1/task/2/environ", "/proc/sys/kernel/x"};
		struct pfs_match_ctx m = {.self_tgid = 1};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct pfs_path_decision d;
			pfs_policy_decide_path(p, paths[i], &m, &d);
		}
		struct pfs_proc_facts pf = {.pid = 1, .uid = 0, .comm = "sh", .exe = "/bin/sh"};
		(void)pfs_policy_pid_visible(p, &pf, 0, NULL);
		pfs_policy_free(p);
	}
	free(text);
	return 0;
}
