/* Unit tests for the id map and the worker pool used by the engines. */
#include "cairn_test.h"

#include "repo/idmap.h"
#include "repo/workpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void make_id(uint8_t id[CAIRN_ID_BYTES], uint64_t n)
{
	cairn_test_fill_random(id, CAIRN_ID_BYTES, n + 1);
}

static void test_idmap_put_get_remove(void **state)
{
	struct cairn_idmap m = { 0 };
	uint8_t id[CAIRN_ID_BYTES];

	(void)state;
	make_id(id, 0);
	assert_null(cairn_idmap_get(&m, id));
	for (uint64_t i = 0; i < 20000; i++) {
		struct cairn_idmap_entry *e;

		make_id(id, i);
		e = cairn_idmap_put(&m, id, CAIRN_IDMAP_CLAIMED);
		assert_non_null(e);
		e->loc.offset = i;
	}
	assert_int_equal(m.live, 20000);
	for (uint64_t i = 0; i < 20000; i++) {
		struct cairn_idmap_entry *e;

		make_id(id, i);
		e = cairn_idmap_get(&m, id);
		assert_non_null(e);
		assert_int_equal(e->loc.offset, i);
	}
	/* remove the even ones, the odd ones stay findable past tombstones */
	for (uint64_t i = 0; i < 20000; i += 2) {
		make_id(id, i);
		cairn_idmap_remove(&m, id);
	}
	assert_int_equal(m.live, 10000);
	for (uint64_t i = 0; i < 20000; i++) {
		make_id(id, i);
		if (i % 2)
			assert_non_null(cairn_idmap_get(&m, id));
		else
			assert_null(cairn_idmap_get(&m, id));
	}
	/* re-insert after removal */
	make_id(id, 4);
	assert_non_null(cairn_idmap_put(&m, id, CAIRN_IDMAP_STORED));
	assert_int_equal(cairn_idmap_get(&m, id)->state, CAIRN_IDMAP_STORED);
	cairn_idmap_free(&m);
}

/* ids that collide on the first 8 bytes (the hash) still work */
static void test_idmap_colliding_hashes(void **state)
{
	struct cairn_idmap m = { 0 };
	uint8_t id[CAIRN_ID_BYTES];

	(void)state;
	for (int i = 0; i < 100; i++) {
		memset(id, 0, sizeof(id));
		id[31] = (uint8_t)i;
		assert_non_null(cairn_idmap_put(&m, id, CAIRN_IDMAP_CLAIMED));
	}
	for (int i = 0; i < 100; i++) {
		memset(id, 0, sizeof(id));
		id[31] = (uint8_t)i;
		assert_non_null(cairn_idmap_get(&m, id));
	}
	cairn_idmap_free(&m);
}

struct counter {
	_Atomic uint64_t sum;
	_Atomic int max_worker;
};

static void add_job(void *job, int worker, void *ctx)
{
	struct counter *c = ctx;

	atomic_fetch_add(&c->sum, (uint64_t)(uintptr_t)job);
	if (worker > atomic_load(&c->max_worker))
		atomic_store(&c->max_worker, worker);
}

static void test_workpool_runs_every_job(void **state)
{
	struct cairn_workpool *p = NULL;
	struct counter c = { 0 };
	uint64_t expect = 0;

	(void)state;
	assert_int_equal(cairn_workpool_new(4, 3, add_job, &c, &p), 0);
	for (uintptr_t i = 1; i <= 10000; i++) {
		cairn_workpool_submit(p, (void *)i);
		expect += i;
		if (i % 1000 == 0) {
			cairn_workpool_drain(p);
			assert_int_equal(atomic_load(&c.sum), expect);
		}
	}
	cairn_workpool_free(p);
	assert_int_equal(atomic_load(&c.sum), expect);
	assert_true(atomic_load(&c.max_worker) < 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idmap_put_get_remove),
		cmocka_unit_test(test_idmap_colliding_hashes),
		cmocka_unit_test(test_workpool_runs_every_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
