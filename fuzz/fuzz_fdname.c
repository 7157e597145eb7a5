/* libFuzzer: fd target visibility, and the mount option iterator on the same bytes. */
#include "fuzz_filter_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pfs_policy *p;
	if (!p) {
		p = calloc(1, sizeof(*p));
		static const char *const globs[] = {"socket:*", "pipe:*", "anon_inode:*",
						    "/home/**", "*[!a-z]deleted?"};
		struct pfs_fd_rule *r = calloc(5, sizeof(*r));
		for (size_t i = 0; i < 5; i++)
			r[i] = (struct pfs_fd_rule){fz_glob(globs[i], PFS_GLOB_TEXT), fz_src};
		p->fd_rules = r;
		p->n_fd_rules = 5;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	const struct pfs_rule_src *rule = NULL;
	bool hidden = pfs_fd_target_hidden(p, s, &rule);
	if (hidden != (rule != NULL))
		abort();
	if (!strncmp(s, "socket:", 7) && !hidden)
		abort();
	struct pfs_field list = {s, size}, opt;
	size_t total = 0, n = 0;
	while (pfs_mount_opt_next(&list, &opt)) {
		total += opt.len;
		n++;
	}
	if (total + n - 1 != size)
		abort(); /* options and commas cover the list exactly */
	free(s);
	return 0;
}
