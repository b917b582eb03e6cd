/* Unit tests for the pack window cache used for remote reads. */
#include "cairn_test.h"

#include "repo/packcache.h"

#include "cairn/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK_BYTES (10u * 1024 * 1024)
#define WINDOW (4u * 1024 * 1024)

struct fixture {
	char *dir;
	struct cairn_store *store;
	struct cairn_catalog *cat;
	uint8_t *bytes;
	uint8_t pack[CAIRN_ID_BYTES];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_store *mem = NULL;
	struct cairn_blob_loc loc = { 0 };
	char path[600];

	f->dir = cairn_test_mkdtemp("packcache");
	f->bytes = malloc(PACK_BYTES);
	cairn_test_fill_random(f->bytes, PACK_BYTES, 5);
	memset(f->pack, 0xaa, sizeof(f->pack));
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	assert_int_equal(cairn_store_fault_wrap(mem, &f->store), 0);
	assert_int_equal(cairn_store_put(f->store, "data/aa/p", f->bytes, PACK_BYTES), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
	assert_int_equal(cairn_catalog_open(path, "00", &f->cat), 0);
	/* the last blob of the pack ends 1 KiB before the end (the header follows) */
	memcpy(loc.pack, f->pack, sizeof(f->pack));
	loc.type = 1;
	loc.offset = PACK_BYTES - 1024 - 100;
	loc.length = 100;
	loc.raw_length = 60;
	assert_int_equal(cairn_catalog_blob_put(f->cat, &loc), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_catalog_close(f->cat);
	cairn_store_free(f->store);
	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f->bytes);
	free(f);
	return 0;
}

static void get_and_check(struct fixture *f, struct cairn_packcache *pc, uint64_t off, uint32_t len)
{
	struct cairn_buf out = { 0 };

	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", off, len, &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, f->bytes + off, len);
	cairn_buf_free(&out);
}

static void test_packcache_serves_following_blobs_from_one_request(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	unsigned before;

	assert_int_equal(cairn_packcache_new(3, WINDOW, &pc), 0);
	before = cairn_store_fault_calls(f->store, CAIRN_OP_GET);
	get_and_check(f, pc, 0, 1000);
	get_and_check(f, pc, 1000, 5000);
	get_and_check(f, pc, 6000, 1 << 20);
	get_and_check(f, pc, WINDOW - 10, 10);
	assert_int_equal(cairn_store_fault_calls(f->store, CAIRN_OP_GET) - before, 1);
	/* beyond the window: one more request */
	get_and_check(f, pc, WINDOW, 100);
	assert_int_equal(cairn_store_fault_calls(f->store, CAIRN_OP_GET) - before, 2);
	/* a window never reaches past the last known blob (the header is not fetched) */
	get_and_check(f, pc, PACK_BYTES - 1024 - 3000, 3000);
	get_and_check(f, pc, 0, 10); /* still cached (3 slots) */
	assert_int_equal(cairn_store_fault_calls(f->store, CAIRN_OP_GET) - before, 3);
	/* a fourth window evicts the least recently used one (the second) */
	get_and_check(f, pc, 2 * WINDOW + 100, 10);
	get_and_check(f, pc, 5, 5);
	assert_int_equal(cairn_store_fault_calls(f->store, CAIRN_OP_GET) - before, 4);
	get_and_check(f, pc, WINDOW, 100);
	assert_int_equal(cairn_store_fault_calls(f->store, CAIRN_OP_GET) - before, 5);
	cairn_packcache_free(pc);
}

static void test_packcache_errors_are_returned_and_not_cached(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_buf out = { 0 };

	assert_int_equal(cairn_packcache_new(2, WINDOW, &pc), 0);
	cairn_store_fault_set(f->store, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", 0, 10, &out), CAIRN_ETRANSIENT);
	assert_int_equal(out.len, 0);
	get_and_check(f, pc, 0, 10);
	/* an unknown pack: the range asked for is fetched as is */
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, (const uint8_t *)"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
					     "data/aa/p", 100, 10, &out),
			 0);
	assert_memory_equal(out.data, f->bytes + 100, 10);
	cairn_buf_free(&out);
	cairn_packcache_free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packcache_serves_following_blobs_from_one_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_errors_are_returned_and_not_cached, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
