/* libFuzzer: the environ filter. */
#include "fuzz_filter_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pfs_policy *p;
	if (!p) {
		p = calloc(1, sizeof(*p));
		struct pfs_environ_rule *r = calloc(2, sizeof(*r));
		r[0] = (struct pfs_environ_rule){fz_glob("*TOKEN*", PFS_GLOB_TEXT), PFS_ENV_OTHERS,
						 NULL, fz_src};
		r[1] = (struct pfs_environ_rule){fz_glob("A*", PFS_GLOB_TEXT), PFS_ENV_ALL, "v",
						 fz_src};
		p->environ_rules = r;
		p->n_environ_rules = 2;
	}
	const char *in = (const char *)data;
	for (int self = 0; self < 2; self++) {
		struct pfs_buf out = PFS_BUF_INIT;
		if (pfs_filter_environ(p, in, size, self, &out, &fz_trace) < 0)
			abort(); /* environ accepts any bytes */
		/* Entry count (NULs) is preserved. */
		size_t a = 0, b = 0;
		for (size_t i = 0; i < size; i++)
			a += data[i] == 0;
		for (size_t i = 0; i < out.len; i++)
			b += out.data[i] == 0;
		if (a != b)
			abort();
		pfs_buf_free(&out);
	}
	return 0;
}
