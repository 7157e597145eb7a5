/* The limits syntax shared by pfs run --limit, policies and the monitor. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pfs/limits.h"

Test(limits, full_spec)
{
	struct pfs_limits l = {0};
	struct pfs_error err = {0};
	cr_assert_eq(pfs_limits_parse("cpu=2s,wall=5s,mem=256M,procs=64,threads=256,fds=256,"
				      "output=16M",
				      &l, &err),
		     0, "%s", err.msg);
	cr_assert_eq(l.cpu_us, 2000000);
	cr_assert_eq(l.wall_us, 5000000);
	cr_assert_eq(l.mem_bytes, 256ull << 20);
	cr_assert_eq(l.procs, 64);
	cr_assert_eq(l.threads, 256);
	cr_assert_eq(l.fds, 256);
	cr_assert_eq(l.output_bytes, 16ull << 20);
}

Test(limits, units)
{
	struct pfs_limits l = {0};
	cr_assert_eq(pfs_limits_parse("cpu=1500ms,wall=1m,mem=64KiB,output=1G", &l, NULL), 0);
	cr_assert_eq(l.cpu_us, 1500000);
	cr_assert_eq(l.wall_us, 60000000);
	cr_assert_eq(l.mem_bytes, 64 << 10);
	cr_assert_eq(l.output_bytes, 1ull << 30);
	cr_assert_eq(pfs_limits_parse("cpu=0.5,wall=250us,mem=4096", &l, NULL), 0);
	cr_assert_eq(l.cpu_us, 500000);
	cr_assert_eq(l.wall_us, 250);
	cr_assert_eq(l.mem_bytes, 4096);
}

Test(limits, overrides_only_named_keys)
{
	struct pfs_limits l = {.cpu_us = 7, .fds = 9};
	cr_assert_eq(pfs_limits_parse("fds=10", &l, NULL), 0);
	cr_assert_eq(l.cpu_us, 7);
	cr_assert_eq(l.fds, 10);
}

Test(limits, errors_leave_the_input_untouched)
{
	struct pfs_limits l = {.cpu_us = 7};
	struct pfs_error err = {0};
	const char *bad[] = {"",
			     "cpu",
			     "cpu=",
			     "cpu=2h",
			     "mem=-1",
			     "mem=12X",
			     "procs=1.5",
			     "fds=-3",
			     "colour=red",
			     "cpu=2s,mem=lots",
			     "mem=99999999999999999999G"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pfs_err_clear(&err);
		cr_assert_eq(pfs_limits_parse(bad[i], &l, &err), -EINVAL, "'%s' accepted", bad[i]);
		cr_assert_eq(err.code, EINVAL);
		cr_assert_neq(err.msg[0], '\0');
		cr_assert_eq(l.cpu_us, 7, "'%s' changed the limits", bad[i]);
	}
	pfs_err_clear(&err);
	pfs_limits_parse("colour=red", &l, &err);
	cr_assert(strstr(err.msg, "unknown limit 'colour'"), "%s", err.msg);
}

Test(limits, size_overflow)
{
	struct pfs_limits l = {0};
	cr_assert_eq(pfs_limits_parse("mem=17179869184G", &l, NULL), -EINVAL);
}
