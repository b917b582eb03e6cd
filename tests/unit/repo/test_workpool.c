/* Tests for the worker pool's tickets (lib/repo/workpool.c): a ticket is
 * done only once every job submitted before it has finished, whatever the
 * order the jobs finish in. */
#include "cairn_test.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#include "repo/workpool.h"

struct gate_job {
	sem_t release;      /* the job returns once this is posted */
	sem_t started;
	_Atomic int finished;
};

static void gate_fn(void *arg, int worker, void *ctx)
{
	struct gate_job *j = arg;

	(void)worker;
	(void)ctx;
	sem_post(&j->started);
	sem_wait(&j->release);
	atomic_store(&j->finished, 1);
}

static void gate_init(struct gate_job *j)
{
	assert_int_equal(sem_init(&j->release, 0, 0), 0);
	assert_int_equal(sem_init(&j->started, 0, 0), 0);
	atomic_store(&j->finished, 0);
}

static void test_workpool_ticket_out_of_order(void **state)
{
	struct cairn_workpool *p = NULL;
	struct gate_job a, b;
	uint64_t ta, tb;

	(void)state;
	gate_init(&a);
	gate_init(&b);
	assert_int_equal(cairn_workpool_new(2, 4, gate_fn, NULL, &p), 0);
	assert_int_equal(cairn_workpool_ticket(p), 0);
	assert_true(cairn_workpool_done(p, 0)); /* nothing before it */
	cairn_workpool_submit(p, &a);
	ta = cairn_workpool_ticket(p);
	cairn_workpool_submit(p, &b);
	tb = cairn_workpool_ticket(p);
	assert_int_equal(ta, 1);
	assert_int_equal(tb, 2);
	sem_wait(&a.started);
	sem_wait(&b.started);
	/* the later job finishes first: neither ticket is done */
	sem_post(&b.release);
	while (!atomic_load(&b.finished))
		sched_yield();
	assert_false(cairn_workpool_done(p, ta));
	assert_false(cairn_workpool_done(p, tb));
	/* the first one finishes: both are, and wait returns */
	sem_post(&a.release);
	cairn_workpool_wait(p, tb);
	assert_true(atomic_load(&a.finished));
	assert_true(cairn_workpool_done(p, ta));
	assert_true(cairn_workpool_done(p, tb));
	cairn_workpool_free(p);
	sem_destroy(&a.release);
	sem_destroy(&a.started);
	sem_destroy(&b.release);
	sem_destroy(&b.started);
}

static void count_fn(void *arg, int worker, void *ctx)
{
	(void)arg;
	(void)worker;
	atomic_fetch_add((_Atomic uint64_t *)ctx, 1);
}

/* Many jobs through a small queue: after wait(ticket) at least that many
 * jobs have run. */
static void test_workpool_ticket_wait_counts(void **state)
{
	struct cairn_workpool *p = NULL;
	_Atomic uint64_t ran = 0;

	(void)state;
	assert_int_equal(cairn_workpool_new(3, 2, count_fn, (void *)&ran, &p), 0);
	for (uint64_t i = 1; i <= 2000; i++) {
		cairn_workpool_submit(p, NULL);
		if (i % 97 == 0) {
			uint64_t t = cairn_workpool_ticket(p);

			assert_int_equal(t, i);
			cairn_workpool_wait(p, t);
			assert_true(atomic_load(&ran) >= t);
			assert_true(cairn_workpool_done(p, t));
		}
	}
	cairn_workpool_drain(p);
	assert_int_equal(atomic_load(&ran), 2000);
	assert_true(cairn_workpool_done(p, cairn_workpool_ticket(p)));
	cairn_workpool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workpool_ticket_out_of_order),
		cmocka_unit_test(test_workpool_ticket_wait_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
