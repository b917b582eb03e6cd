/* Unit tests for pack windows of a restore: which blobs one read serves
 * (same pack, in order, small gaps, bounded length, known locations only)
 * and which blobs a window read holds. */
#include "cairn_test.h"

#include "restore/restore_window.h"

#include <string.h>

static struct cairn_blob_loc loc_at(uint8_t pack, uint64_t offset, uint32_t length)
{
	struct cairn_blob_loc l;

	memset(&l, 0, sizeof(l));
	memset(l.pack, pack, CAIRN_ID_BYTES);
	l.type = CAIRN_BLOB_DATA;
	l.offset = offset;
	l.length = length;
	return l;
}

static void test_restore_window_span_takes_adjacent_blobs(void **state)
{
	struct cairn_blob_loc l[4] = { loc_at(1, 100, 50), loc_at(1, 150, 30), loc_at(1, 190, 10), loc_at(1, 200, 5) };
	unsigned char known[4] = { 1, 1, 1, 1 };
	uint64_t end = 0;

	(void)state;
	assert_int_equal(restore_window_span(l, known, 4, 1000, 16, &end), 4);
	assert_int_equal(end, 205);
	/* a gap wider than allowed ends the window before it */
	assert_int_equal(restore_window_span(l, known, 4, 1000, 9, &end), 2);
	assert_int_equal(end, 180);
	/* the length bound counts from the first blob's offset */
	assert_int_equal(restore_window_span(l, known, 4, 100, 16, &end), 3);
	assert_int_equal(end, 200);
}

static void test_restore_window_span_stops_at_other_packs_and_unknown(void **state)
{
	struct cairn_blob_loc l[3] = { loc_at(1, 0, 10), loc_at(2, 10, 10), loc_at(1, 20, 10) };
	struct cairn_blob_loc back[2] = { loc_at(1, 100, 10), loc_at(1, 50, 10) };
	unsigned char known[3] = { 1, 1, 1 }, unknown[3] = { 1, 0, 1 };
	uint64_t end = 0;

	(void)state;
	assert_int_equal(restore_window_span(l, known, 3, 1000, 1000, &end), 1);
	assert_int_equal(end, 10);
	l[1] = loc_at(1, 10, 10);
	assert_int_equal(restore_window_span(l, unknown, 3, 1000, 1000, &end), 1);
	assert_int_equal(restore_window_span(l, known, 3, 1000, 1000, &end), 3);
	assert_int_equal(end, 30);
	/* a blob earlier in the pack (deduplicated from an older file) is read alone */
	assert_int_equal(restore_window_span(back, known, 2, 1000, 1000, &end), 1);
	assert_int_equal(end, 110);
}

static void test_restore_window_span_one_large_blob(void **state)
{
	struct cairn_blob_loc l[2] = { loc_at(3, 4096, 8u << 20), loc_at(3, 4096 + (8u << 20), 10) };
	unsigned char known[2] = { 1, 1 };
	uint64_t end = 0;

	(void)state;
	assert_int_equal(restore_window_span(l, known, 2, RESTORE_WINDOW_MAX, RESTORE_WINDOW_GAP, &end), 1);
	assert_int_equal(end, 4096 + (8u << 20));
}

static void test_restore_window_has(void **state)
{
	struct restore_window w = { 0 };
	struct cairn_blob_loc in = loc_at(5, 110, 20), tail = loc_at(5, 190, 20), other = loc_at(6, 110, 20);
	const uint8_t *data = NULL;
	uint8_t bytes[100];

	(void)state;
	assert_false(restore_window_has(&w, &in, &data)); /* empty */
	for (int i = 0; i < 100; i++)
		bytes[i] = (uint8_t)i;
	memset(w.pack, 5, CAIRN_ID_BYTES);
	w.start = 100;
	w.end = 200;
	assert_int_equal(cairn_buf_append(&w.buf, bytes, 100), 0);
	assert_true(restore_window_has(&w, &in, &data));
	assert_int_equal(data[0], 10);
	assert_false(restore_window_has(&w, &tail, &data)); /* runs past the end */
	assert_false(restore_window_has(&w, &other, &data));
	/* a short read holds nothing */
	w.buf.len = 50;
	assert_false(restore_window_has(&w, &in, &data));
	restore_window_free(&w);
	assert_null(w.buf.data);
	assert_int_equal(w.end, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_window_span_takes_adjacent_blobs),
		cmocka_unit_test(test_restore_window_span_stops_at_other_packs_and_unknown),
		cmocka_unit_test(test_restore_window_span_one_large_blob),
		cmocka_unit_test(test_restore_window_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
