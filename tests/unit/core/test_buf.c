/* Unit tests for buffers, the bounded reader, hex and the error table. */
#include "cairn_test.h"

#include "cairn/buf.h"
#include "cairn/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_buf_append_and_le(void **state)
{
	struct cairn_buf b = { 0 };
	struct cairn_rd r;

	(void)state;
	assert_int_equal(cairn_buf_put_u8(&b, 0xab), 0);
	assert_int_equal(cairn_buf_put_u16le(&b, 0x1234), 0);
	assert_int_equal(cairn_buf_put_u32le(&b, 0xdeadbeef), 0);
	assert_int_equal(cairn_buf_put_u64le(&b, 0x0102030405060708ull), 0);
	assert_int_equal(cairn_buf_put_bytes16(&b, "hi", 2), 0);
	assert_int_equal(cairn_buf_put_bytes32(&b, "xyz", 3), 0);
	assert_int_equal(b.len, 1 + 2 + 4 + 8 + 4 + 7);
	assert_memory_equal(b.data + 1, "\x34\x12\xef\xbe\xad\xde\x08\x07", 8);
	r = cairn_rd_init(b.data, b.len);
	assert_int_equal(cairn_rd_u8(&r), 0xab);
	assert_int_equal(cairn_rd_u16le(&r), 0x1234);
	assert_int_equal(cairn_rd_u32le(&r), 0xdeadbeef);
	assert_true(cairn_rd_u64le(&r) == 0x0102030405060708ull);
	assert_int_equal(cairn_rd_u16le(&r), 2);
	assert_memory_equal(cairn_rd_bytes(&r, 2), "hi", 2);
	assert_int_equal(cairn_rd_u32le(&r), 3);
	assert_memory_equal(cairn_rd_bytes(&r, 3), "xyz", 3);
	assert_int_equal(cairn_rd_done(&r), 0);
	cairn_buf_free(&b);
	assert_null(b.data);
}

static void test_buf_large_growth(void **state)
{
	struct cairn_buf b = { 0 };
	uint8_t chunk[1000];

	(void)state;
	cairn_test_fill_random(chunk, sizeof(chunk), 3);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(cairn_buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 5000000);
	assert_memory_equal(b.data + 4999000, chunk, sizeof(chunk));
	cairn_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_true(b.cap >= 5000000);
	cairn_buf_free(&b);
	assert_int_equal(cairn_buf_put_bytes16(&b, chunk, 70000), CAIRN_EINVAL);
	cairn_buf_free(&b);
}

static void test_rd_overrun_is_sticky(void **state)
{
	static const uint8_t data[3] = { 1, 2, 3 };
	struct cairn_rd r = cairn_rd_init(data, sizeof(data));
	uint8_t out[4];

	(void)state;
	assert_int_equal(cairn_rd_u16le(&r), 0x0201);
	assert_int_equal(cairn_rd_u32le(&r), 0);
	assert_true(r.bad);
	assert_int_equal(cairn_rd_u8(&r), 0);
	assert_null(cairn_rd_bytes(&r, 1));
	cairn_rd_copy(&r, out, sizeof(out));
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_int_equal(cairn_rd_left(&r), 0);
	assert_int_equal(cairn_rd_done(&r), CAIRN_ECORRUPT);
	/* unconsumed bytes are an error too */
	r = cairn_rd_init(data, sizeof(data));
	cairn_rd_u8(&r);
	assert_int_equal(cairn_rd_done(&r), CAIRN_ECORRUPT);
	/* a huge length cannot wrap around */
	r = cairn_rd_init(data, sizeof(data));
	cairn_rd_u8(&r);
	assert_null(cairn_rd_bytes(&r, SIZE_MAX));
}

static void test_hex_round_trip(void **state)
{
	uint8_t in[5] = { 0x00, 0x7f, 0x80, 0xab, 0xff }, out[5];
	char hex[11];

	(void)state;
	cairn_hex_encode(in, 5, hex);
	assert_string_equal(hex, "007f80abff");
	assert_int_equal(cairn_hex_decode("007F80abff", out, 5), 0);
	assert_memory_equal(in, out, 5);
	assert_int_equal(cairn_hex_decode("007f80abf", out, 5), CAIRN_EINVAL);
	assert_int_equal(cairn_hex_decode("007f80abffaa", out, 5), CAIRN_EINVAL);
	assert_int_equal(cairn_hex_decode("007g80abff", out, 5), CAIRN_EINVAL);
}

static void test_calloc_overflow(void **state)
{
	void *p;

	(void)state;
	assert_null(cairn_calloc(SIZE_MAX / 2, 4));
	p = cairn_reallocarray(NULL, SIZE_MAX / 8 + 1, 16);
	assert_null(p);
	p = cairn_calloc(0, 16);
	assert_non_null(p);
	free(p);
}

static void test_err_detail_and_context(void **state)
{
	(void)state;
	cairn_err_clear();
	assert_string_equal(cairn_err_msg(), "");
	assert_int_equal(cairn_err(CAIRN_EIO, "cannot open '%s'", "x"), CAIRN_EIO);
	assert_string_equal(cairn_err_msg(), "cannot open 'x'");
	assert_int_equal(cairn_err_ctx(CAIRN_EIO, "loading %d", 7), CAIRN_EIO);
	assert_string_equal(cairn_err_msg(), "loading 7: cannot open 'x'");
	cairn_err_clear();
	cairn_err_ctx(CAIRN_ENOTFOUND, "reading");
	assert_string_equal(cairn_err_msg(), "reading: not found");
	assert_string_equal(cairn_err_name(CAIRN_ECORRUPT), "CAIRN_ECORRUPT");
	assert_int_equal(cairn_err_class(CAIRN_ETIMEOUT), CAIRN_CLASS_TRANSIENT);
	assert_int_equal(cairn_err_class(CAIRN_EAUTH), CAIRN_CLASS_AUTH);
	assert_int_equal(cairn_err_class(-999), CAIRN_CLASS_BUG);
	assert_int_equal(cairn_err_from_errno(ENOENT), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_err_from_errno(ENOSPC), CAIRN_ENOSPC);
	assert_int_equal(cairn_err_from_errno(EACCES), CAIRN_EPERM);
	assert_int_equal(cairn_err_from_errno(EBADF), CAIRN_EIO);
}

static void test_err_long_detail_is_truncated(void **state)
{
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cairn_err(CAIRN_EIO, "%s", big);
	assert_true(strlen(cairn_err_msg()) < 1024);
	cairn_err_ctx(CAIRN_EIO, "%s", big);
	assert_true(strlen(cairn_err_msg()) < 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_and_le),     cmocka_unit_test(test_buf_large_growth),
		cmocka_unit_test(test_rd_overrun_is_sticky),  cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_calloc_overflow),       cmocka_unit_test(test_err_detail_and_context),
		cmocka_unit_test(test_err_long_detail_is_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
