/* Tests for lib/crypto/crypto_hash.c: keyed blob IDs, storage IDs, streaming SHA-256. */
#include "cairn_test.h"

#include "cairn/crypto.h"

#include <stdlib.h>
#include <string.h>

static void assert_hex(const uint8_t *bytes, size_t len, const char *expected)
{
	char hex[2 * 64 + 1];

	assert_true(len <= 64);
	cairn_hex_encode(bytes, len, hex);
	assert_string_equal(hex, expected);
}

static int setup(void **state)
{
	(void)state;
	return cairn_crypto_init() == 0 ? 0 : -1;
}

static void test_blob_id_vector(void **state)
{
	struct cairn_keys *k = NULL;
	uint8_t id[CAIRN_ID_BYTES];

	(void)state;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &k), 0);
	cairn_blob_id(k, "hello", 5, id);
	assert_hex(id, sizeof(id), "45d32ae3b533626a7a7587a2fcc360f607620f7d50e20803eda21d93a2f676e6");
	cairn_keys_free(k);
}

static void test_blob_id_keyed(void **state)
{
	struct cairn_keys *a = NULL, *b = NULL;
	uint8_t other[CAIRN_KEY_BYTES], ida[CAIRN_ID_BYTES], idb[CAIRN_ID_BYTES], plain[CAIRN_ID_BYTES];

	(void)state;
	memcpy(other, cairn_test_master_key, sizeof(other));
	other[0] ^= 0x80;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &a), 0);
	assert_int_equal(cairn_keys_derive(other, &b), 0);
	cairn_blob_id(a, "hello", 5, ida);
	cairn_blob_id(b, "hello", 5, idb);
	assert_memory_not_equal(ida, idb, CAIRN_ID_BYTES);
	/* keyed: not the plain hash of the content */
	cairn_storage_id("hello", 5, plain);
	assert_memory_not_equal(ida, plain, CAIRN_ID_BYTES);
	/* deterministic, and content-sensitive */
	cairn_blob_id(a, "hello", 5, idb);
	assert_memory_equal(ida, idb, CAIRN_ID_BYTES);
	cairn_blob_id(a, "hellp", 5, idb);
	assert_memory_not_equal(ida, idb, CAIRN_ID_BYTES);
	cairn_keys_free(a);
	cairn_keys_free(b);
}

static void test_blob_id_empty(void **state)
{
	struct cairn_keys *k = NULL;
	uint8_t a[CAIRN_ID_BYTES], b[CAIRN_ID_BYTES];

	(void)state;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &k), 0);
	cairn_blob_id(k, NULL, 0, a);
	cairn_blob_id(k, "", 0, b);
	assert_memory_equal(a, b, CAIRN_ID_BYTES);
	cairn_keys_free(k);
}

static void test_storage_id_vectors(void **state)
{
	uint8_t id[CAIRN_ID_BYTES];

	(void)state;
	cairn_storage_id("abc", 3, id);
	assert_hex(id, sizeof(id), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cairn_storage_id(NULL, 0, id);
	assert_hex(id, sizeof(id), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_streaming_matches_oneshot(void **state)
{
	size_t len = 100000, off = 0, step = 1;
	uint8_t *data = malloc(len);
	uint8_t one[CAIRN_ID_BYTES], streamed[CAIRN_ID_BYTES];
	struct cairn_sha256 h;

	(void)state;
	assert_non_null(data);
	cairn_test_fill_random(data, len, 42);
	cairn_storage_id(data, len, one);
	assert_int_equal(cairn_sha256_init(&h), 0);
	cairn_sha256_update(&h, data, 0);
	while (off < len) {
		size_t n = step < len - off ? step : len - off;

		cairn_sha256_update(&h, data + off, n);
		off += n;
		step = step * 3 + 1;
	}
	cairn_sha256_final(&h, streamed);
	assert_memory_equal(one, streamed, CAIRN_ID_BYTES);
	/* reusable after init */
	assert_int_equal(cairn_sha256_init(&h), 0);
	cairn_sha256_update(&h, "abc", 3);
	cairn_sha256_final(&h, streamed);
	assert_hex(streamed, sizeof(streamed), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_id_vector),
		cmocka_unit_test(test_blob_id_keyed),
		cmocka_unit_test(test_blob_id_empty),
		cmocka_unit_test(test_storage_id_vectors),
		cmocka_unit_test(test_sha256_streaming_matches_oneshot),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
