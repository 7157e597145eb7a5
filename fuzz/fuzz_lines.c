/* libFuzzer: the line filters (REPLACE, HIDE_LINES). */
#include <regex.h>

#include "fuzz_filter_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pfs_policy *p;
	if (!p) {
		p = calloc(1, sizeof(*p));
		struct pfs_content_rule *r = calloc(3, sizeof(*r));
		r[0] = (struct pfs_content_rule){.action = PFS_CONTENT_HIDE_LINES,
						 .path = fz_glob("/proc/cpuinfo", PFS_GLOB_PATH),
						 .has_re = true,
						 .src = fz_src};
		r[1] = r[0];
		r[1].path = fz_glob("/proc/{self}/status", PFS_GLOB_PATH);
		if (regcomp(&r[0].re, "^(Serial|flags)", REG_EXTENDED | REG_NOSUB) ||
		    regcomp(&r[1].re, "a.*b$", REG_EXTENDED | REG_NOSUB))
			abort();
		r[2] = (struct pfs_content_rule){.action = PFS_CONTENT_REPLACE,
						 .path = fz_glob("/proc/version", PFS_GLOB_PATH),
						 .text = "v\nSerial x\n",
						 .text_len = 11,
						 .src = fz_src};
		p->content_rules = r;
		p->n_content_rules = 3;
	}
	static const char *const paths[] = {"/proc/cpuinfo", "/proc/7/status", "/proc/version",
					    "/proc/meminfo"};
	struct pfs_match_ctx m = {.self_tgid = 7};
	for (size_t i = 0; i < 4; i++) {
		struct pfs_buf out = PFS_BUF_INIT;
		int r = pfs_filter_lines(p, paths[i], &m, (const char *)data, size, &out,
					 &fz_trace);
		if (r == 0 && out.len > size && i != 2)
			abort(); /* hiding never adds bytes */
		if (i == 3 && (r != 0 || out.len != size || (size && memcmp(out.data, data, size))))
			abort(); /* no rule for the path: identity */
		pfs_buf_free(&out);
	}
	return 0;
}
