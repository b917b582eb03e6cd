/* Tests for lib/crypto/crypto_keys.c: subkey derivation, gear table and random bytes. */
#include "cairn_test.h"

#include "cairn/crypto.h"

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

/* Test vectors for docs/FORMAT.md, checked independently against Python's
 * hashlib.blake2b (key, salt = u64le id || 0*8, person = "cairnkey"). */
static void test_keys_derive_vector(void **state)
{
	struct cairn_keys *k = NULL;
	uint8_t gear_le[256 * 8], digest[CAIRN_ID_BYTES];

	(void)state;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &k), 0);
	assert_non_null(k);
	assert_memory_equal(k->master, cairn_test_master_key, CAIRN_KEY_BYTES);
	assert_hex(k->enc, CAIRN_KEY_BYTES, "c2137878f22db3458da3d0ca8d5c5cc8e372185d3ff87ab44b23b7cfd0a863a9");
	assert_hex(k->id, CAIRN_KEY_BYTES, "f00fe7d68c0b4dccb64dfd936bc40aa167c7502ac2aac804b44bcd4a6324d0ca");
	assert_hex(k->chunker, CAIRN_KEY_BYTES,
		   "d15ad5f8e3a8c5d5c3e820bb6fc86e2415a143d17b9bcdf36119e86a9889a299");
	assert_true(k->gear[0] == 0x24a8231de933a1e7ull);
	assert_true(k->gear[1] == 0xc6a643d9216dbffdull);
	assert_true(k->gear[255] == 0x255c9b15cd230198ull);
	for (int i = 0; i < 256; i++)
		cairn_le64_store(gear_le + 8 * i, k->gear[i]);
	cairn_storage_id(gear_le, sizeof(gear_le), digest);
	assert_hex(digest, sizeof(digest), "3d1904e6577e3120cce9919f1a4b2916adf4b003ff5f63d023abbbd734834291");
	cairn_keys_free(k);
}

static void test_keys_derive_stable_and_distinct(void **state)
{
	struct cairn_keys *a = NULL, *b = NULL, *c = NULL;
	uint8_t other[CAIRN_KEY_BYTES];

	(void)state;
	memcpy(other, cairn_test_master_key, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &a), 0);
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &b), 0);
	assert_int_equal(cairn_keys_derive(other, &c), 0);
	assert_memory_equal(a, b, sizeof(*a));
	/* subkeys differ from one another and from the master */
	assert_memory_not_equal(a->enc, a->id, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->enc, a->chunker, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->id, a->chunker, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->enc, a->master, CAIRN_KEY_BYTES);
	/* a one-bit change of the master changes everything */
	assert_memory_not_equal(a->enc, c->enc, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->id, c->id, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->chunker, c->chunker, CAIRN_KEY_BYTES);
	assert_memory_not_equal(a->gear, c->gear, sizeof(a->gear));
	cairn_keys_free(a);
	cairn_keys_free(b);
	cairn_keys_free(c);
}

static void test_keys_derive_gear_entries_distinct(void **state)
{
	struct cairn_keys *k = NULL;

	(void)state;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &k), 0);
	for (int i = 0; i < 256; i++)
		for (int j = i + 1; j < 256; j++)
			assert_true(k->gear[i] != k->gear[j]);
	cairn_keys_free(k);
}

static void test_keys_free_null(void **state)
{
	(void)state;
	cairn_keys_free(NULL);
}

static void test_crypto_init_twice(void **state)
{
	(void)state;
	assert_int_equal(cairn_crypto_init(), 0);
	assert_int_equal(cairn_crypto_init(), 0);
}

static void test_random_bytes_differ(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

	(void)state;
	cairn_random_bytes(a, sizeof(a));
	cairn_random_bytes(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	cairn_random_bytes(a, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_derive_vector),
		cmocka_unit_test(test_keys_derive_stable_and_distinct),
		cmocka_unit_test(test_keys_derive_gear_entries_distinct),
		cmocka_unit_test(test_keys_free_null),
		cmocka_unit_test(test_crypto_init_twice),
		cmocka_unit_test(test_random_bytes_differ),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
