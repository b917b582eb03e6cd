/* Unit tests for stored blobs: cairn_blob_encode and cairn_blob_decode. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdlib.h>
#include <string.h>

struct fixture {
	struct cairn_keys *keys;
	struct cairn_zctx *z;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(cairn_crypto_init(), 0);
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &f->keys), 0);
	assert_int_equal(cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &f->z), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_zctx_free(f->z);
	cairn_keys_free(f->keys);
	free(f);
	return 0;
}

/* Encode `len` bytes of `data` as a blob of `type`, its id returned in id. */
static void encode(struct fixture *f, struct cairn_zctx *z, uint8_t type, const void *data, size_t len,
		   uint8_t id[CAIRN_ID_BYTES], struct cairn_buf *stored)
{
	cairn_blob_id(f->keys, data, len, id);
	assert_int_equal(cairn_blob_encode(f->keys, z, type, id, data, len, stored), 0);
}

/* Open a stored blob by hand with the documented associated data. */
static void open_by_hand(struct fixture *f, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			 const struct cairn_buf *stored, struct cairn_buf *pt)
{
	uint8_t ad[13 + 1 + CAIRN_ID_BYTES];

	memcpy(ad, "cairn-blob-v1", 13);
	ad[13] = type;
	memcpy(ad + 14, id, CAIRN_ID_BYTES);
	assert_int_equal(cairn_open(f->keys->enc, ad, sizeof(ad), stored->data, stored->len, pt), 0);
}

/* Seal an arbitrary plaintext as if it were blob (type, id). */
static void seal_crafted(struct fixture *f, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *pt,
			 size_t len, struct cairn_buf *out)
{
	uint8_t ad[13 + 1 + CAIRN_ID_BYTES];

	memcpy(ad, "cairn-blob-v1", 13);
	ad[13] = type;
	memcpy(ad + 14, id, CAIRN_ID_BYTES);
	assert_int_equal(cairn_seal(f->keys->enc, ad, sizeof(ad), pt, len, NULL, out), 0);
}

static void test_blob_encode_raw_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, pt = { 0 }, out = { 0 };
	uint8_t data[1000], id[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, sizeof(data), 1);
	encode(f, NULL, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	assert_int_equal(stored.len, sizeof(data) + 1 + CAIRN_SEAL_OVERHEAD);
	open_by_hand(f, CAIRN_BLOB_DATA, id, &stored, &pt);
	assert_int_equal(pt.len, 1 + sizeof(data));
	assert_int_equal(pt.data[0], 0);
	assert_memory_equal(pt.data + 1, data, sizeof(data));

	assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_DATA, id, stored.data, stored.len,
					   sizeof(data), &out), 0);
	assert_int_equal(out.len, sizeof(data));
	assert_memory_equal(out.data, data, sizeof(data));
	cairn_buf_free(&stored);
	cairn_buf_free(&pt);
	cairn_buf_free(&out);
}

static void test_blob_encode_compressed_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, pt = { 0 }, out = { 0 };
	size_t len = 100000;
	uint8_t *data = malloc(len), id[CAIRN_ID_BYTES];

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)("cairn backups "[i % 14]);
	encode(f, f->z, CAIRN_BLOB_TREE, data, len, id, &stored);
	assert_true(stored.len < len / 10);
	open_by_hand(f, CAIRN_BLOB_TREE, id, &stored, &pt);
	assert_int_equal(pt.data[0], 1);

	/* Decoding appends after what `out` already holds. */
	assert_int_equal(cairn_buf_append(&out, "xy", 2), 0);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_TREE, id, stored.data, stored.len,
					   (uint32_t)len, &out), 0);
	assert_int_equal(out.len, 2 + len);
	assert_memory_equal(out.data, "xy", 2);
	assert_memory_equal(out.data + 2, data, len);

	/* Without a context, decode makes its own. */
	cairn_buf_reset(&out);
	assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_TREE, id, stored.data, stored.len,
					   (uint32_t)len, &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, data, len);
	cairn_buf_free(&stored);
	cairn_buf_free(&pt);
	cairn_buf_free(&out);
	free(data);
}

static void test_blob_encode_incompressible_stays_raw(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, pt = { 0 }, out = { 0 };
	uint8_t data[4096], id[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, sizeof(data), 2);
	encode(f, f->z, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	assert_int_equal(stored.len, sizeof(data) + 1 + CAIRN_SEAL_OVERHEAD);
	open_by_hand(f, CAIRN_BLOB_DATA, id, &stored, &pt);
	assert_int_equal(pt.data[0], 0);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len,
					   sizeof(data), &out), 0);
	assert_memory_equal(out.data, data, sizeof(data));
	cairn_buf_free(&stored);
	cairn_buf_free(&pt);
	cairn_buf_free(&out);
}

static void test_blob_encode_empty(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t id[CAIRN_ID_BYTES];

	encode(f, f->z, CAIRN_BLOB_DATA, "", 0, id, &stored);
	assert_int_equal(stored.len, 1 + CAIRN_SEAL_OVERHEAD);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len, 0, &out),
			 0);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_encode_invalid(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 };
	uint8_t id[CAIRN_ID_BYTES] = { 0 }, byte = 0;

	assert_int_equal(cairn_blob_encode(f->keys, NULL, 3, id, &byte, 1, &stored), CAIRN_EINVAL);
	assert_int_equal(cairn_blob_encode(f->keys, NULL, 0, id, &byte, 1, &stored), CAIRN_EINVAL);
	/* Refused on the length alone: the data is never read. */
	assert_int_equal(cairn_blob_encode(f->keys, NULL, CAIRN_BLOB_DATA, id, &byte, CAIRN_BLOB_MAX_RAW + 1u,
					   &stored), CAIRN_EINVAL);
	assert_int_equal(stored.len, 0);
}

static void test_blob_decode_wrong_type(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t data[100], id[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, sizeof(data), 3);
	encode(f, f->z, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	assert_int_equal(cairn_buf_append(&out, "keep", 4), 0);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_TREE, id, stored.data, stored.len,
					   sizeof(data), &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "authentication failed"));
	assert_int_equal(out.len, 4);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_wrong_id(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t data[100], id[CAIRN_ID_BYTES], other[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];

	cairn_test_fill_random(data, sizeof(data), 4);
	encode(f, f->z, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	memcpy(other, id, sizeof(other));
	other[31] ^= 1;
	cairn_hex_encode(other, sizeof(other), hex);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, other, stored.data, stored.len,
					   sizeof(data), &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), hex));
	assert_int_equal(out.len, 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	struct cairn_keys *other;
	uint8_t master[32], data[50], id[CAIRN_ID_BYTES];

	memset(master, 7, sizeof(master));
	assert_int_equal(cairn_keys_derive(master, &other), 0);
	cairn_test_fill_random(data, sizeof(data), 5);
	encode(f, NULL, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	assert_int_equal(cairn_blob_decode(other, NULL, CAIRN_BLOB_DATA, id, stored.data, stored.len, sizeof(data),
					   &out), CAIRN_ECORRUPT);
	cairn_keys_free(other);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_every_byte_flipped(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t data[10], id[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, sizeof(data), 6);
	encode(f, f->z, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	for (size_t i = 0; i < stored.len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			stored.data[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data,
							   stored.len, sizeof(data), &out), CAIRN_ECORRUPT);
			assert_int_equal(out.len, 0);
			stored.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len,
					   sizeof(data), &out), 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_truncated(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t data[30], id[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, sizeof(data), 7);
	encode(f, NULL, CAIRN_BLOB_DATA, data, sizeof(data), id, &stored);
	for (size_t len = 0; len < stored.len; len++)
		assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_DATA, id, stored.data, len,
						   sizeof(data), &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_wrong_raw_length(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf raw = { 0 }, packed = { 0 }, out = { 0 };
	uint8_t data[2000], rid[CAIRN_ID_BYTES], zid[CAIRN_ID_BYTES];

	cairn_test_fill_random(data, 1000, 8);
	memset(data + 1000, 'a', 1000);
	encode(f, NULL, CAIRN_BLOB_DATA, data, sizeof(data), rid, &raw);
	encode(f, f->z, CAIRN_BLOB_DATA, data, sizeof(data), zid, &packed);
	assert_true(packed.len < raw.len);

	/* Raw codec: payload longer or shorter than the indexed length. */
	assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_DATA, rid, raw.data, raw.len,
					   sizeof(data) + 1, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_DATA, rid, raw.data, raw.len,
					   sizeof(data) - 1, &out), CAIRN_ECORRUPT);
	/* Compressed: the frame's content size disagrees. */
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, zid, packed.data, packed.len,
					   sizeof(data) + 1, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, zid, packed.data, packed.len,
					   sizeof(data) - 1, &out), CAIRN_ECORRUPT);
	/* Beyond the limit: refused before anything is opened. */
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, zid, packed.data, packed.len,
					   CAIRN_BLOB_MAX_RAW + 1u, &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "limit"));
	assert_int_equal(out.len, 0);
	cairn_buf_free(&raw);
	cairn_buf_free(&packed);
	cairn_buf_free(&out);
}

static void test_blob_decode_content_mismatch(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t data[64], id[CAIRN_ID_BYTES];

	/* A correctly sealed box whose payload is not what its id names. */
	cairn_test_fill_random(data, sizeof(data), 9);
	cairn_blob_id(f->keys, "something else", 14, id);
	assert_int_equal(cairn_blob_encode(f->keys, NULL, CAIRN_BLOB_DATA, id, data, sizeof(data), &stored), 0);
	assert_int_equal(cairn_blob_decode(f->keys, NULL, CAIRN_BLOB_DATA, id, stored.data, stored.len,
					   sizeof(data), &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "content does not match its id"));
	assert_int_equal(out.len, 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_unknown_codec(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t pt[11] = { 2, 'h', 'e', 'l', 'l', 'o', 'w', 'o', 'r', 'l', 'd' }, id[CAIRN_ID_BYTES];

	cairn_blob_id(f->keys, pt + 1, 10, id);
	seal_crafted(f, CAIRN_BLOB_DATA, id, pt, sizeof(pt), &stored);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len, 10, &out),
			 CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "codec"));
	/* The same payload with codec 0 is fine: only the codec was wrong. */
	cairn_buf_reset(&stored);
	pt[0] = 0;
	seal_crafted(f, CAIRN_BLOB_DATA, id, pt, sizeof(pt), &stored);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len, 10, &out),
			 0);
	assert_memory_equal(out.data, "helloworld", 10);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_bad_zstd_frame(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t pt[33], id[CAIRN_ID_BYTES];

	pt[0] = 1;
	cairn_test_fill_random(pt + 1, sizeof(pt) - 1, 10);
	memset(id, 0x55, sizeof(id));
	seal_crafted(f, CAIRN_BLOB_DATA, id, pt, sizeof(pt), &stored);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len, 100, &out),
			 CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

static void test_blob_decode_empty_plaintext(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf stored = { 0 }, out = { 0 };
	uint8_t id[CAIRN_ID_BYTES];

	/* A box that opens to nothing: not even a codec byte. It is one byte
	 * shorter than any real blob, so the length check catches it first. */
	memset(id, 0x66, sizeof(id));
	seal_crafted(f, CAIRN_BLOB_DATA, id, "", 0, &stored);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, CAIRN_BLOB_DATA, id, stored.data, stored.len, 0, &out),
			 CAIRN_ECORRUPT);
	cairn_buf_free(&stored);
	cairn_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_encode_raw_roundtrip),
		cmocka_unit_test(test_blob_encode_compressed_roundtrip),
		cmocka_unit_test(test_blob_encode_incompressible_stays_raw),
		cmocka_unit_test(test_blob_encode_empty),
		cmocka_unit_test(test_blob_encode_invalid),
		cmocka_unit_test(test_blob_decode_wrong_type),
		cmocka_unit_test(test_blob_decode_wrong_id),
		cmocka_unit_test(test_blob_decode_wrong_key),
		cmocka_unit_test(test_blob_decode_every_byte_flipped),
		cmocka_unit_test(test_blob_decode_truncated),
		cmocka_unit_test(test_blob_decode_wrong_raw_length),
		cmocka_unit_test(test_blob_decode_content_mismatch),
		cmocka_unit_test(test_blob_decode_unknown_codec),
		cmocka_unit_test(test_blob_decode_bad_zstd_frame),
		cmocka_unit_test(test_blob_decode_empty_plaintext),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
