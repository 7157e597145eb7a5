#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "pfs/pool.h"

struct tjob {
	struct pfs_pool_job job;
	int id;
	bool cancelled;
};

static struct pfs_pool *pool;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int order[64];
static atomic_int norder;
static atomic_int running, max_running, ncancelled;
static atomic_bool gate_open;

static void spin_cpu_ms(long ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void record(struct pfs_pool_job *j, bool cancelled)
{
	struct tjob *t = (struct tjob *)j;
	t->cancelled = cancelled;
	if (cancelled) {
		ncancelled++;
		return;
	}
	spin_cpu_ms(2);
	pthread_mutex_lock(&mu);
	order[norder++] = t->id;
	pthread_mutex_unlock(&mu);
}

/* Holds the pool's only thread until the gate opens (or the pool stops). */
static void gate(struct pfs_pool_job *j, bool cancelled)
{
	while (!gate_open && !pfs_pool_stopping(pool))
		usleep(1000);
}

static void concurrent(struct pfs_pool_job *j, bool cancelled)
{
	int now = ++running;
	int m = max_running;
	while (now > m && !atomic_compare_exchange_weak(&max_running, &m, now))
		;
	usleep(30000);
	running--;
}

static void submit(struct tjob *t, pid_t owner, void (*fn)(struct pfs_pool_job *, bool), int id)
{
	t->job.run = fn;
	t->job.owner = owner;
	t->id = id;
	pfs_pool_submit(pool, &t->job);
}

Test(pool, a_process_that_asked_little_goes_before_a_burst)
{
	pool = pfs_pool_new("t", 1, 1, 0);
	cr_assert_not_null(pool);
	struct tjob g, a[5], b;
	gate_open = false;
	norder = 0;
	submit(&g, 1, gate, 0);
	for (int i = 0; i < 5; i++)
		submit(&a[i], 10, record, 10 + i);
	submit(&b, 20, record, 20);
	gate_open = true;
	for (int i = 0; i < 2000 && norder < 6; i++)
		usleep(1000);
	pfs_pool_free(pool);
	cr_assert_eq(norder, 6);
	cr_assert_eq(order[0], 10, "the first in the ring goes first");
	cr_assert_eq(order[1], 20, "then the process that used no CPU yet, not the burst");
	for (int i = 2; i < 6; i++)
		cr_assert_eq(order[i], 9 + i, "the burst in its own order");
}

Test(pool, one_owner_runs_at_most_its_cap)
{
	pool = pfs_pool_new("t", 4, 2, 0);
	cr_assert_not_null(pool);
	running = max_running = 0;
	struct tjob j[6];
	for (int i = 0; i < 6; i++)
		submit(&j[i], 10, concurrent, i);
	usleep(150000);
	pfs_pool_free(pool);
	cr_assert_eq(max_running, 2, "4 threads, but one owner at most 2 at once");
}

Test(pool, queued_jobs_are_cancelled_at_stop)
{
	pool = pfs_pool_new("t", 1, 0, 0);
	cr_assert_not_null(pool);
	gate_open = false;
	ncancelled = 0;
	norder = 0;
	struct tjob g, j[3];
	submit(&g, 1, gate, 0);
	for (int i = 0; i < 3; i++)
		submit(&j[i], 2 + i, record, i);
	usleep(10000);
	pfs_pool_free(pool);
	cr_assert_eq(ncancelled, 3, "each queued job runs once, cancelled");
	cr_assert_eq(norder, 0);
}

/* Ends its turn, then holds its thread until the gate opens: a reply a busy CPU delays. */
static void ends_turn_then_waits(struct pfs_pool_job *j, bool cancelled)
{
	pfs_pool_turn_end();
	gate(j, cancelled);
}

Test(pool, a_job_that_ended_its_turn_no_longer_holds_its_owners_cap)
{
	pool = pfs_pool_new("t", 2, 1, 0);
	cr_assert_not_null(pool);
	gate_open = false;
	norder = 0;
	struct tjob a, b;
	submit(&a, 10, ends_turn_then_waits, 0);
	submit(&b, 10, record, 1);
	for (int i = 0; i < 200 && norder == 0; i++)
		usleep(1000);
	cr_assert_eq(norder, 1, "the owner's next job ran beside the one that ended its turn");
	gate_open = true;
	pfs_pool_free(pool);
}

static struct tjob inner;

/* Runs another owner's job on this thread from inside its own turn. */
static void runs_a_nested_job(struct pfs_pool_job *j, bool cancelled)
{
	inner.job.run = record;
	inner.job.owner = 20;
	inner.id = 2;
	pfs_pool_run(pool, &inner.job);
}

Test(pool, a_nested_turn_ends_without_ending_the_outer_one)
{
	pool = pfs_pool_new("t", 2, 1, 0);
	cr_assert_not_null(pool);
	norder = 0;
	struct tjob outer, after[2];
	outer.job.run = runs_a_nested_job;
	outer.job.owner = 10;
	pfs_pool_run(pool, &outer.job);
	cr_assert_eq(norder, 1, "the nested job ran at once, on this thread");
	/* a turn left open would hold its owner at the cap of 1 for ever */
	submit(&after[0], 10, record, 3);
	submit(&after[1], 20, record, 4);
	for (int i = 0; i < 500 && norder < 3; i++)
		usleep(1000);
	cr_assert_eq(norder, 3, "both owners' later jobs ran");
	pfs_pool_free(pool);
}
