/* Tests for lib/crypto/crypto_seal.c: XChaCha20-Poly1305 sealed boxes. */
#include "cairn_test.h"

#include "cairn/crypto.h"
#include "cairn/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t key[CAIRN_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static int setup(void **state)
{
	(void)state;
	return cairn_crypto_init() == 0 ? 0 : -1;
}

static void test_seal_open_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 64, 1000, 65536 + 3 };
	uint8_t *plain = malloc(65536 + 3);

	(void)state;
	assert_non_null(plain);
	cairn_test_fill_random(plain, 65536 + 3, 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cairn_buf box = { 0 }, out = { 0 };

		assert_int_equal(cairn_seal(key, "ad", 2, plain, sizes[i], NULL, &box), 0);
		assert_int_equal(box.len, sizes[i] + CAIRN_SEAL_OVERHEAD);
		assert_int_equal(cairn_open(key, "ad", 2, box.data, box.len, &out), 0);
		assert_int_equal(out.len, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out.data, plain, sizes[i]);
		cairn_buf_free(&box);
		cairn_buf_free(&out);
	}
	free(plain);
}

static void test_seal_appends(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(cairn_buf_append(&box, "HDR", 3), 0);
	assert_int_equal(cairn_seal(key, NULL, 0, "payload", 7, NULL, &box), 0);
	assert_int_equal(box.len, 3 + 7 + CAIRN_SEAL_OVERHEAD);
	assert_memory_equal(box.data, "HDR", 3);
	assert_int_equal(cairn_buf_append(&out, "pre:", 4), 0);
	assert_int_equal(cairn_open(key, NULL, 0, box.data + 3, box.len - 3, &out), 0);
	assert_int_equal(out.len, 4 + 7);
	assert_memory_equal(out.data, "pre:payload", 11);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

static void test_seal_random_nonce(void **state)
{
	struct cairn_buf a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(cairn_seal(key, NULL, 0, "same", 4, NULL, &a), 0);
	assert_int_equal(cairn_seal(key, NULL, 0, "same", 4, NULL, &b), 0);
	assert_memory_not_equal(a.data, b.data, CAIRN_NONCE_BYTES);
	assert_memory_not_equal(a.data + CAIRN_NONCE_BYTES, b.data + CAIRN_NONCE_BYTES, 4 + CAIRN_TAG_BYTES);
	cairn_buf_free(&a);
	cairn_buf_free(&b);
}

static void test_seal_fixed_nonce(void **state)
{
	struct cairn_buf a = { 0 }, b = { 0 };
	uint8_t nonce[CAIRN_NONCE_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(cairn_seal(key, "x", 1, "hello", 5, nonce, &a), 0);
	assert_int_equal(cairn_seal(key, "x", 1, "hello", 5, nonce, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_memory_equal(a.data, nonce, sizeof(nonce));
	cairn_buf_free(&a);
	cairn_buf_free(&b);
}

/* docs/FORMAT.md "Test vectors": a sealed box with the enc subkey of the
 * master key 00..1f, AD "cairn-blob-v1", plaintext "cairn", nonce 24 x 0x01. */
static void test_seal_format_vector(void **state)
{
	static const char expect[] = "010101010101010101010101010101010101010101010101"
				     "7b21b9a8cfc1e4c4d9442fa2c05e5277a866e50d78";
	struct cairn_keys *keys = NULL;
	struct cairn_buf out = { 0 };
	uint8_t nonce[CAIRN_NONCE_BYTES];
	char hex[2 * 45 + 1];

	(void)state;
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &keys), 0);
	memset(nonce, 1, sizeof(nonce));
	assert_int_equal(cairn_seal(keys->enc, "cairn-blob-v1", 13, "cairn", 5, nonce, &out), 0);
	assert_int_equal(out.len, 45);
	cairn_hex_encode(out.data, out.len, hex);
	assert_string_equal(hex, expect);
	cairn_buf_free(&out);
	cairn_keys_free(keys);
}

static void test_open_tampered_every_byte(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(cairn_seal(key, "ad", 2, "tamper me", 9, NULL, &box), 0);
	for (size_t i = 0; i < box.len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			box.data[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(cairn_open(key, "ad", 2, box.data, box.len, &out), CAIRN_ECORRUPT);
			assert_int_equal(out.len, 0);
			box.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* untouched it still opens */
	assert_int_equal(cairn_open(key, "ad", 2, box.data, box.len, &out), 0);
	assert_int_equal(out.len, 9);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

static void test_open_wrong_ad(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(cairn_seal(key, "blob:1", 6, "data", 4, NULL, &box), 0);
	assert_int_equal(cairn_open(key, "blob:2", 6, box.data, box.len, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_open(key, "blob:1", 5, box.data, box.len, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_open(key, NULL, 0, box.data, box.len, &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

static void test_open_wrong_key(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };
	uint8_t other[CAIRN_KEY_BYTES];

	(void)state;
	memcpy(other, key, sizeof(other));
	other[5] ^= 1;
	assert_int_equal(cairn_seal(key, NULL, 0, "data", 4, NULL, &box), 0);
	assert_int_equal(cairn_open(other, NULL, 0, box.data, box.len, &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

static void test_open_short_box(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(cairn_seal(key, NULL, 0, "abc", 3, NULL, &box), 0);
	/* every truncation, including those shorter than the overhead */
	for (size_t len = 0; len < box.len; len++)
		assert_int_equal(cairn_open(key, NULL, 0, box.data, len, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_open(key, NULL, 0, NULL, 0, &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

static void test_open_extended_box(void **state)
{
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(cairn_seal(key, NULL, 0, "abc", 3, NULL, &box), 0);
	assert_int_equal(cairn_buf_put_u8(&box, 0), 0);
	assert_int_equal(cairn_open(key, NULL, 0, box.data, box.len, &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

/* cairn_seal and cairn_open against libsodium's XChaCha20-Poly1305-IETF,
 * the reference: for lengths around every block and piece boundary and
 * random keys, nonces and AD, cairn_seal's box equals libsodium's byte for
 * byte, libsodium opens it, cairn_open opens libsodium's box, and a box
 * with any one byte changed (sampled) is refused by both. */
static void test_seal_matches_libsodium(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 4096, 65537, 1048577 };
	uint8_t k[CAIRN_KEY_BYTES], nonce[CAIRN_NONCE_BYTES], ad[77];
	const size_t maxlen = 1048577;
	uint8_t *plain = malloc(maxlen), *ref = malloc(maxlen + CAIRN_SEAL_OVERHEAD);
	struct cairn_buf box = { 0 }, out = { 0 };

	(void)state;
	assert_non_null(plain);
	assert_non_null(ref);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], adlen = (i * 7) % sizeof(ad);
		unsigned long long clen = 0, mlen = 0;

		cairn_test_fill_random(k, sizeof(k), 100 + i);
		cairn_test_fill_random(nonce, sizeof(nonce), 200 + i);
		cairn_test_fill_random(ad, sizeof(ad), 300 + i);
		cairn_test_fill_random(plain, len, 400 + i);
		memcpy(ref, nonce, CAIRN_NONCE_BYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(ref + CAIRN_NONCE_BYTES, &clen, plain, len, ad, adlen, NULL,
							   nonce, k);
		cairn_buf_reset(&box);
		assert_int_equal(cairn_seal(k, ad, adlen, len ? plain : NULL, len, nonce, &box), 0);
		assert_int_equal(box.len, len + CAIRN_SEAL_OVERHEAD);
		assert_memory_equal(box.data, ref, box.len);
		assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(ref, &mlen, NULL,
									     box.data + CAIRN_NONCE_BYTES,
									     box.len - CAIRN_NONCE_BYTES, ad, adlen,
									     nonce, k),
				 0);
		assert_int_equal(mlen, len);
		cairn_buf_reset(&out);
		assert_int_equal(cairn_open(k, ad, adlen, box.data, box.len, &out), 0);
		assert_int_equal(out.len, len);
		assert_memory_equal(out.data, plain, len);
		for (size_t at = 0; at < box.len; at += 1 + box.len / 13) {
			box.data[at] ^= 0x20;
			cairn_buf_reset(&out);
			assert_int_equal(cairn_open(k, ad, adlen, box.data, box.len, &out), CAIRN_ECORRUPT);
			assert_int_equal(out.len, 0);
			box.data[at] ^= 0x20;
		}
	}
	free(plain);
	free(ref);
	cairn_buf_free(&box);
	cairn_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_round_trip),
		cmocka_unit_test(test_seal_appends),
		cmocka_unit_test(test_seal_random_nonce),
		cmocka_unit_test(test_seal_fixed_nonce),
		cmocka_unit_test(test_seal_format_vector),
		cmocka_unit_test(test_open_tampered_every_byte),
		cmocka_unit_test(test_open_wrong_ad),
		cmocka_unit_test(test_open_wrong_key),
		cmocka_unit_test(test_open_short_box),
		cmocka_unit_test(test_open_extended_box),
		cmocka_unit_test(test_seal_matches_libsodium),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
