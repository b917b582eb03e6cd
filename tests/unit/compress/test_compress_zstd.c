/* Tests for lib/compress/compress_zstd.c: zstd round trips and hostile frames. */
#include "cairn_test.h"

#include "cairn/compress.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static int setup(void **state)
{
	struct cairn_zctx *z = NULL;

	if (cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &z) != 0)
		return -1;
	*state = z;
	return 0;
}

static int teardown(void **state)
{
	cairn_zctx_free(*state);
	return 0;
}

/* Text-like compressible data. */
static void fill_text(uint8_t *p, size_t len)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog and backs up ";

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)words[(i * 7 / 5) % (sizeof(words) - 1)];
}

static void test_zctx_new_levels(void **state)
{
	struct cairn_zctx *z = NULL;

	(void)state;
	assert_int_equal(cairn_zctx_new(0, &z), CAIRN_EINVAL);
	assert_int_equal(cairn_zctx_new(20, &z), CAIRN_EINVAL);
	assert_int_equal(cairn_zctx_new(-1, &z), CAIRN_EINVAL);
	assert_null(z);
	assert_int_equal(cairn_zctx_new(1, &z), 0);
	cairn_zctx_free(z);
	assert_int_equal(cairn_zctx_new(19, &z), 0);
	cairn_zctx_free(z);
	cairn_zctx_free(NULL);
}

static void test_compress_round_trip(void **state)
{
	static const size_t sizes[] = { 100, 4096, 1 << 20, (4 << 20) + 17 };
	struct cairn_zctx *z = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cairn_buf c = { 0 }, d = { 0 };
		uint8_t *in = malloc(sizes[i]);
		int compressed = -1;

		assert_non_null(in);
		fill_text(in, sizes[i]);
		assert_int_equal(cairn_buf_append(&c, "hdr", 3), 0);
		assert_int_equal(cairn_compress(z, in, sizes[i], &c, &compressed), 0);
		assert_int_equal(compressed, 1);
		assert_true(c.len - 3 < sizes[i]);
		assert_memory_equal(c.data, "hdr", 3);
		/* the frame records its content size */
		assert_int_equal(ZSTD_getFrameContentSize(c.data + 3, c.len - 3), sizes[i]);
		assert_int_equal(cairn_buf_append(&d, "x", 1), 0);
		assert_int_equal(cairn_decompress(z, c.data + 3, c.len - 3, sizes[i], &d), 0);
		assert_int_equal(d.len, 1 + sizes[i]);
		assert_memory_equal(d.data + 1, in, sizes[i]);
		free(in);
		cairn_buf_free(&c);
		cairn_buf_free(&d);
	}
}

static void test_compress_context_reuse(void **state)
{
	struct cairn_zctx *z = *state;
	uint8_t in[10000], rnd[10000];

	fill_text(in, sizeof(in));
	cairn_test_fill_random(rnd, sizeof(rnd), 3);
	for (int round = 0; round < 5; round++) {
		struct cairn_buf c = { 0 }, d = { 0 };
		int compressed = -1;

		/* an incompressible input in between must not disturb the context */
		assert_int_equal(cairn_compress(z, rnd, sizeof(rnd), &c, &compressed), 0);
		assert_int_equal(compressed, 0);
		assert_int_equal(cairn_compress(z, in, sizeof(in), &c, &compressed), 0);
		assert_int_equal(compressed, 1);
		assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in), &d), 0);
		assert_memory_equal(d.data, in, sizeof(in));
		cairn_buf_free(&c);
		cairn_buf_free(&d);
	}
}

static void test_compress_incompressible(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 10, 1000, 1 << 20 };
	struct cairn_zctx *z = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cairn_buf c = { 0 };
		uint8_t *in = malloc(sizes[i] + 1);
		int compressed = -1;

		assert_non_null(in);
		cairn_test_fill_random(in, sizes[i], 11 + i);
		assert_int_equal(cairn_buf_append(&c, "keep", 4), 0);
		assert_int_equal(cairn_compress(z, in, sizes[i], &c, &compressed), 0);
		assert_int_equal(compressed, 0);
		assert_int_equal(c.len, 4);
		assert_memory_equal(c.data, "keep", 4);
		free(in);
		cairn_buf_free(&c);
	}
}

static void test_decompress_wrong_raw_len(void **state)
{
	struct cairn_zctx *z = *state;
	struct cairn_buf c = { 0 }, d = { 0 };
	uint8_t in[5000];
	int compressed;

	fill_text(in, sizeof(in));
	assert_int_equal(cairn_compress(z, in, sizeof(in), &c, &compressed), 0);
	assert_int_equal(compressed, 1);
	assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in) - 1, &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in) + 1, &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, c.data, c.len, 0, &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, c.data, c.len, (size_t)1 << 40, &d), CAIRN_ECORRUPT);
	assert_int_equal(d.len, 0);
	assert_null(d.data); /* checked before allocating */
	cairn_buf_free(&c);
}

static void test_decompress_garbage(void **state)
{
	struct cairn_zctx *z = *state;
	struct cairn_buf c = { 0 }, d = { 0 };
	uint8_t in[5000], junk[256];
	int compressed;

	fill_text(in, sizeof(in));
	assert_int_equal(cairn_compress(z, in, sizeof(in), &c, &compressed), 0);
	cairn_test_fill_random(junk, sizeof(junk), 5);
	assert_int_equal(cairn_decompress(z, junk, sizeof(junk), sizeof(in), &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, NULL, 0, 0, &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, c.data, 3, sizeof(in), &d), CAIRN_ECORRUPT);
	/* every truncation fails */
	for (size_t len = 0; len < c.len; len++)
		assert_int_equal(cairn_decompress(z, c.data, len, sizeof(in), &d), CAIRN_ECORRUPT);
	/* trailing bytes after the frame */
	assert_int_equal(cairn_buf_append(&c, "\0", 1), 0);
	assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in), &d), CAIRN_ECORRUPT);
	c.len--;
	/* corrupted block contents: fail or, at worst, never overflow raw_len */
	for (size_t i = 6; i < c.len; i++) {
		size_t before = d.len;
		int rc;

		c.data[i] ^= 0x55;
		rc = cairn_decompress(z, c.data, c.len, sizeof(in), &d);
		assert_true(rc == CAIRN_ECORRUPT || (rc == 0 && d.len == before + sizeof(in)));
		c.data[i] ^= 0x55;
	}
	d.len = 0;
	assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in), &d), 0);
	assert_memory_equal(d.data, in, sizeof(in));
	cairn_buf_free(&c);
	cairn_buf_free(&d);
}

static void test_decompress_frame_without_size(void **state)
{
	struct cairn_zctx *z = *state;
	struct cairn_buf d = { 0 };
	ZSTD_CStream *cs = ZSTD_createCStream();
	uint8_t in[4000], frame[8192];
	ZSTD_outBuffer ob = { frame, sizeof(frame), 0 };
	ZSTD_inBuffer ib = { in, sizeof(in), 0 };

	fill_text(in, sizeof(in));
	assert_non_null(cs);
	/* streaming without a pledged size leaves the content size out */
	assert_false(ZSTD_isError(ZSTD_initCStream(cs, 3)));
	assert_false(ZSTD_isError(ZSTD_compressStream(cs, &ob, &ib)));
	assert_int_equal(ZSTD_endStream(cs, &ob), 0);
	ZSTD_freeCStream(cs);
	assert_true(ZSTD_getFrameContentSize(frame, ob.pos) == ZSTD_CONTENTSIZE_UNKNOWN);
	assert_int_equal(cairn_decompress(z, frame, ob.pos, sizeof(in), &d), CAIRN_ECORRUPT);
	assert_int_equal(d.len, 0);
	cairn_buf_free(&d);
}

static void test_decompress_two_frames(void **state)
{
	struct cairn_zctx *z = *state;
	struct cairn_buf c = { 0 }, d = { 0 };
	uint8_t in[3000];
	int compressed;
	size_t first;

	fill_text(in, sizeof(in));
	assert_int_equal(cairn_compress(z, in, sizeof(in), &c, &compressed), 0);
	first = c.len;
	assert_int_equal(cairn_compress(z, in, sizeof(in), &c, &compressed), 0);
	assert_true(c.len > first);
	assert_int_equal(cairn_decompress(z, c.data, c.len, sizeof(in), &d), CAIRN_ECORRUPT);
	assert_int_equal(cairn_decompress(z, c.data, c.len, 2 * sizeof(in), &d), CAIRN_ECORRUPT);
	assert_int_equal(d.len, 0);
	cairn_buf_free(&c);
	cairn_buf_free(&d);
}

static void test_decompress_skippable_frame(void **state)
{
	struct cairn_zctx *z = *state;
	struct cairn_buf d = { 0 };
	uint8_t frame[16] = { 0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0 };

	assert_int_equal(cairn_decompress(z, frame, sizeof(frame), 0, &d), CAIRN_ECORRUPT);
	cairn_buf_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zctx_new_levels),
		cmocka_unit_test_setup_teardown(test_compress_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compress_context_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compress_incompressible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_wrong_raw_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_frame_without_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_two_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_skippable_frame, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
