/* Tests of the fault decorator: failing the nth call, flipping a bit, truncating, counting calls. */
#include "cairn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/store.h"

static int setup(void **state)
{
	struct cairn_store *inner, *s;

	assert_int_equal(cairn_store_mem_open(&inner), 0);
	assert_int_equal(cairn_store_fault_wrap(inner, &s), 0);
	assert_string_equal(s->description, inner->description);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	cairn_store_free(*state); /* frees the inner store too (checked by ASan) */
	return 0;
}

static int count_cb(void *ctx, const char *name, uint64_t size)
{
	unsigned *n = ctx;

	(void)name;
	(void)size;
	(*n)++;
	return 0;
}

static void test_fault_set_fail_nth_put(void **state)
{
	struct cairn_store *s = *state;
	uint64_t size;
	char name[32];

	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 3, 1, CAIRN_ETRANSIENT);
	for (int i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "data/aa/%d", i);
		if (i == 3) {
			assert_int_equal(cairn_store_put(s, name, "x", 1), CAIRN_ETRANSIENT);
			assert_string_equal(cairn_err_msg(), "injected fault on put 'data/aa/3'");
			/* the put did not run */
			assert_int_equal(cairn_store_stat(s, name, &size), CAIRN_ENOTFOUND);
		} else {
			assert_int_equal(cairn_store_put(s, name, "x", 1), 0);
			assert_int_equal(cairn_store_stat(s, name, &size), 0);
		}
	}
	/* a retry after the fault succeeds */
	assert_int_equal(cairn_store_put(s, "data/aa/3", "x", 1), 0);
}

static void test_fault_set_fail_times(void **state)
{
	struct cairn_store *s = *state;
	uint64_t size;

	assert_int_equal(cairn_store_put(s, "config", "abc", 3), 0);
	/* calls 2 and 3 fail, 1 and 4 pass */
	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_STAT, NULL, 2, 2, CAIRN_EIO);
	assert_int_equal(cairn_store_stat(s, "config", &size), 0);
	assert_int_equal(cairn_store_stat(s, "config", &size), CAIRN_EIO);
	assert_int_equal(cairn_store_stat(s, "config", &size), CAIRN_EIO);
	assert_int_equal(cairn_store_stat(s, "config", &size), 0);
	assert_int_equal(size, 3);
	/* times 0 fails forever from the nth call on */
	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_DEL, NULL, 1, 0, CAIRN_ENOSPC);
	for (int i = 0; i < 20; i++)
		assert_int_equal(cairn_store_del(s, "config"), CAIRN_ENOSPC);
	assert_string_equal(cairn_err_msg(), "injected fault on del 'config'");
	/* CAIRN_FAULT_NONE switches faults off */
	cairn_store_fault_set(s, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	assert_int_equal(cairn_store_del(s, "config"), 0);
}

static void test_fault_set_filters(void **state)
{
	struct cairn_store *s = *state;
	struct cairn_buf b = { 0 };
	unsigned n = 0;
	uint64_t size;

	assert_int_equal(cairn_store_put(s, "index/i1", "abc", 3), 0);
	assert_int_equal(cairn_store_put(s, "data/ab/ab1", "abc", 3), 0);
	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_GET | CAIRN_OP_LIST, "index/", 1, 0, CAIRN_ETIMEOUT);
	/* only matching names and ops fail */
	assert_int_equal(cairn_store_get(s, "index/i1", 0, UINT64_MAX, &b), CAIRN_ETIMEOUT);
	assert_string_equal(cairn_err_msg(), "injected fault on get 'index/i1'");
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_stat(s, "index/i1", &size), 0);
	assert_int_equal(cairn_store_get(s, "data/ab/ab1", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(cairn_store_list(s, "index/", count_cb, &n), CAIRN_ETIMEOUT);
	assert_string_equal(cairn_err_msg(), "injected fault on list 'index/'");
	assert_int_equal(cairn_store_list(s, "data/", count_cb, &n), 0);
	assert_int_equal(n, 1);
	/* a pattern longer than any name matches nothing */
	{
		char longpat[400];

		memset(longpat, 'a', sizeof(longpat) - 1);
		longpat[sizeof(longpat) - 1] = '\0';
		cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_GET, longpat, 1, 0, CAIRN_EIO);
		assert_int_equal(cairn_store_get(s, "index/i1", 0, UINT64_MAX, &b), 0);
	}
	/* setting a fault again restarts the count of matching calls */
	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_GET, "data/", 2, 1, CAIRN_EIO);
	assert_int_equal(cairn_store_get(s, "index/i1", 0, UINT64_MAX, &b), 0);
	assert_int_equal(cairn_store_get(s, "data/ab/ab1", 0, UINT64_MAX, &b), 0);
	assert_int_equal(cairn_store_get(s, "data/ab/ab1", 0, UINT64_MAX, &b), CAIRN_EIO);
	assert_int_equal(cairn_store_get(s, "data/ab/ab1", 0, UINT64_MAX, &b), 0);
	cairn_buf_free(&b);
}

static unsigned popcount8(uint8_t v)
{
	unsigned n = 0;

	for (; v != 0; v &= (uint8_t)(v - 1))
		n++;
	return n;
}

static void test_fault_set_flip_bit(void **state)
{
	struct cairn_store *s = *state;
	struct cairn_buf b = { 0 };
	uint8_t want[1000];
	unsigned bits = 0;
	uint64_t size;

	cairn_test_fill_random(want, sizeof(want), 9);
	assert_int_equal(cairn_store_put(s, "data/ab/obj", want, sizeof(want)), 0);
	cairn_store_fault_set(s, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET | CAIRN_OP_STAT, NULL, 1, 0, 0);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 2 + sizeof(want));
	assert_memory_equal(b.data, "XY", 2);
	for (size_t i = 0; i < sizeof(want); i++)
		bits += popcount8(b.data[2 + i] ^ want[i]);
	assert_int_equal(bits, 1);
	/* the bit in the middle of the range: byte 500, bit 0 */
	assert_int_equal(b.data[2 + 500] ^ want[500], 0x01);
	/* an odd-length range: 7 bytes, middle bit 28 = byte 3, bit 4 */
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 10, 7, &b), 0);
	assert_int_equal(b.len, 7);
	assert_int_equal(b.data[3] ^ want[13], 0x10);
	assert_memory_equal(b.data, want + 10, 3);
	assert_memory_equal(b.data + 4, want + 14, 3);
	/* an empty range has no bit to flip; stat is not affected */
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 1000, 0, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_stat(s, "data/ab/obj", &size), 0);
	assert_int_equal(size, sizeof(want));
	/* the stored object is intact */
	cairn_store_fault_set(s, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 0, UINT64_MAX, &b), 0);
	assert_memory_equal(b.data, want, sizeof(want));
	cairn_buf_free(&b);
}

static void test_fault_set_truncate(void **state)
{
	struct cairn_store *s = *state;
	struct cairn_buf b = { 0 };
	uint8_t want[1000];

	cairn_test_fill_random(want, sizeof(want), 10);
	assert_int_equal(cairn_store_put(s, "data/ab/obj", want, sizeof(want)), 0);
	cairn_store_fault_set(s, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, "obj", 2, 2, 0);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 1000);
	cairn_buf_reset(&b);
	/* a lying store: success with half the bytes */
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 500);
	assert_memory_equal(b.data, want, 500);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 100, 11, &b), 0);
	assert_int_equal(b.len, 2 + 5);
	assert_memory_equal(b.data, "XY", 2);
	assert_memory_equal(b.data + 2, want + 100, 5);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 1000);
	/* errors of the inner store pass through unchanged */
	cairn_store_fault_set(s, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, NULL, 1, 0, 0);
	assert_int_equal(cairn_store_get(s, "data/ab/missing", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_get(s, "data/ab/obj", 999, 5, &b), CAIRN_EINVAL);
	assert_int_equal(b.len, 1000);
	cairn_buf_free(&b);
}

static void test_fault_calls_counts(void **state)
{
	struct cairn_store *s = *state;
	struct cairn_buf b = { 0 };
	unsigned n = 0;
	uint64_t size;

	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_PUT), 0);
	assert_int_equal(cairn_store_put(s, "config", "x", 1), 0);
	assert_int_equal(cairn_store_put(s, "config", "x", 1), CAIRN_EEXIST);
	cairn_store_fault_set(s, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 0, CAIRN_EIO);
	assert_int_equal(cairn_store_put(s, "keys/k", "x", 1), CAIRN_EIO);
	assert_int_equal(cairn_store_get(s, "config", 0, UINT64_MAX, &b), 0);
	assert_int_equal(cairn_store_stat(s, "config", &size), 0);
	assert_int_equal(cairn_store_stat(s, "nope", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_list(s, "", count_cb, &n), 0);
	assert_int_equal(cairn_store_del(s, "config"), 0);
	assert_int_equal(cairn_store_del(s, "config"), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_del(s, "../x"), CAIRN_EINVAL);
	/* every call counts, failed and faulted ones too */
	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_PUT), 3);
	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_GET), 1);
	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_STAT), 2);
	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_LIST), 1);
	assert_int_equal(cairn_store_fault_calls(s, CAIRN_OP_DEL), 3);
	/* not a single op */
	assert_int_equal(cairn_store_fault_calls(s, (enum cairn_fault_op)(CAIRN_OP_PUT | CAIRN_OP_GET)), 0);
	cairn_buf_free(&b);
}

static void test_fault_set_plain_store_ignored(void **state)
{
	struct cairn_store *mem;

	(void)state;
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	cairn_store_fault_set(mem, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 0, CAIRN_EIO);
	assert_int_equal(cairn_store_put(mem, "config", "x", 1), 0);
	assert_int_equal(cairn_store_fault_calls(mem, CAIRN_OP_PUT), 0);
	cairn_store_fault_set(NULL, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 0, CAIRN_EIO);
	assert_int_equal(cairn_store_fault_calls(NULL, CAIRN_OP_PUT), 0);
	assert_int_equal(cairn_store_fault_wrap(NULL, &mem), CAIRN_EINVAL);
	cairn_store_free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fault_set_fail_nth_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_set_fail_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_set_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_set_flip_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_set_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_calls_counts, setup, teardown),
		cmocka_unit_test(test_fault_set_plain_store_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
