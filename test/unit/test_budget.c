#include <criterion/criterion.h>
#include <errno.h>

#include "pfs/budget.h"
#include "pfs/buf.h"

Test(budget, share_and_whole_budget)
{
	struct pfs_budget b;
	pfs_budget_init(&b, 1000, 2);
	cr_assert_eq(pfs_budget_charge(&b, 10, 500), 0);
	cr_assert_eq(pfs_budget_charge(&b, 10, 1), -ENOMEM, "over the group's half");
	cr_assert_eq(pfs_budget_charge(&b, 20, 500), 0, "another group is served");
	cr_assert_eq(pfs_budget_charge(&b, 30, 1), -ENOMEM, "over the whole budget");
	pfs_budget_uncharge(&b, 10, 500);
	cr_assert_eq(pfs_budget_held(&b, 10), 0);
	cr_assert_eq(pfs_budget_charge(&b, 30, 400), 0);
	cr_assert_eq(b.used, 900);
	pfs_budget_destroy(&b);
}

Test(budget, scope_charges_buffers_as_they_grow)
{
	struct pfs_budget b;
	pfs_budget_init(&b, 4096, 1);
	struct pfs_charge_scope s;
	pfs_charge_begin(&s, &b, 7);
	struct pfs_buf keep = PFS_BUF_INIT, tmp = PFS_BUF_INIT;
	char chunk[1024] = {0};
	cr_assert_eq(pfs_buf_append(&keep, chunk, sizeof(chunk)), 0);
	int r = 0;
	for (int i = 0; i < 8 && r == 0; i++)
		r = pfs_buf_append(&tmp, chunk, sizeof(chunk));
	cr_assert_eq(r, -ENOMEM, "refused while growing, before the memory is taken");
	cr_assert_leq(b.used, 4096);
	pfs_buf_free(&tmp);
	pfs_charge_end(&s, keep.cap);
	cr_assert_eq(b.used, keep.cap, "only what outlives the scope stays charged");
	pfs_buf_free(&keep); /* outside a scope: not counted */
	pfs_budget_uncharge(&b, 7, 2048);
	cr_assert_eq(b.used, 0);
	pfs_budget_destroy(&b);
}

Test(budget, a_capped_scope_refuses_past_its_cap_and_says_so)
{
	struct pfs_budget b;
	pfs_budget_init(&b, 1 << 20, 1);
	struct pfs_charge_scope s;
	pfs_charge_begin_capped(&s, &b, 7, 4096);
	struct pfs_buf buf = PFS_BUF_INIT;
	char chunk[1024] = {0};
	int r = 0;
	for (int i = 0; i < 8 && r == 0; i++)
		r = pfs_buf_append(&buf, chunk, sizeof(chunk));
	cr_assert_eq(r, -EFBIG, "the scope's cap, not the budget (1 MiB) refuses");
	cr_assert(s.capped);
	cr_assert_leq(buf.cap, 4096);
	cr_assert_leq(b.used, 4096, "a refused growth charges nothing");
	pfs_buf_free(&buf);
	pfs_charge_end(&s, 0);
	cr_assert_eq(b.used, 0);

	pfs_charge_begin(&s, &b, 7);
	cr_assert_eq(pfs_buf_append(&buf, chunk, sizeof(chunk)), 0);
	cr_assert_not(s.capped, "an uncapped scope is never capped");
	pfs_buf_free(&buf);
	pfs_charge_end(&s, 0);
	pfs_budget_destroy(&b);
}
