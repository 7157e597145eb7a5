/*
 * libFuzzer: the sysinfo renderers (meminfo, cpuinfo, stat, swaps, diskstats,
 * a process's stat, the RAM-sized sysctls) on arbitrary host text and
 * cgroup figures taken from the input's first bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/sysinfo.h"

/* Without cgroup figures each renderer serves the host's file unchanged. */
static void check_identity(int r, const struct pfs_buf *out, const char *in, size_t len)
{
	if (r == 0 && (out->len != len || (len && memcmp(out->data, in, len))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pfs_cg_stats st;
	const size_t head = 24;
	if (size < head)
		return 0;
	memset(&st, 0, sizeof(st));
	uint64_t v[3];
	memcpy(v, data, sizeof(v));
	st.has_memory = data[0] & 1;
	st.has_swap = data[0] & 2;
	st.has_cpuacct = data[0] & 4;
	st.has_cpuset = data[0] & 8;
	st.has_io = data[0] & 16;
	st.has_percpu = data[0] & 32;
	st.mem_limit = v[0] >> (data[1] & 63);
	st.mem_usage = v[1] >> (data[2] & 63);
	st.swap_limit = v[2];
	st.swap_usage = v[1];
	st.file = v[2] >> 3;
	st.shmem = v[0] >> 5;
	st.cpu_usage_ns = v[1];
	st.percpu_ns[1] = v[2];
	st.quota_us = (int64_t)(v[0] % 1000000) - 1;
	st.period_us = v[2] % 200000;
	st.cpus[0] = data[3];
	st.n_io = data[4] % 3;
	for (unsigned i = 0; i < st.n_io; i++)
		st.io[i] =
			(struct pfs_cg_io){.major = 254, .minor = i, .rbytes = v[i], .rios = v[2]};
	/* the renderers' contract: in[len] is a NUL, as in a pfs_buf */
	size_t len = size - head;
	char *in = malloc(len + 1);
	if (!in)
		return 0;
	memcpy(in, data + head, len);
	in[len] = '\0';
	struct pfs_sysinfo_ctx c = {.cg = &st,
				    .clk_tck = 100,
				    .host_ncpus = 1 + data[5] % 8,
				    .host_uptime = (double)(v[0] % 100000),
				    .host_idle = (double)(v[1] % 100000),
				    .sandbox_age = (double)(v[2] % 1000),
				    .last_pid = data[6]};
	struct pfs_sysinfo_ctx none = c;
	none.cg = NULL;
	int (*const render[])(const struct pfs_sysinfo_ctx *, const char *, size_t,
			      struct pfs_buf *) = {pfs_sysinfo_meminfo, pfs_sysinfo_cpuinfo,
						   pfs_sysinfo_stat, pfs_sysinfo_swaps,
						   pfs_sysinfo_diskstats};
	for (size_t i = 0; i < sizeof(render) / sizeof(render[0]); i++) {
		struct pfs_buf out = PFS_BUF_INIT;
		(void)render[i](&c, in, len, &out);
		pfs_buf_free(&out);
		if (i == 0 || i == 3 || i == 4) {
			int r = render[i](&none, in, len, &out);
			check_identity(r, &out, in, len);
			pfs_buf_free(&out);
		}
	}
	struct pfs_buf out = PFS_BUF_INIT;
	(void)pfs_sysinfo_pid_stat(v[0] % 1000000, in, len, &out);
	pfs_buf_reset(&out);
	(void)pfs_sysinfo_sysctl("sys/net/ipv4/tcp_mem", in, len, 262144, 1 + v[1] % 100000000,
				 PFS_CG_UNLIMITED, &out);
	pfs_buf_free(&out);
	free(in);
	return 0;
}
