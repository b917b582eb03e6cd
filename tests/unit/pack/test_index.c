/* Unit tests for index objects: builder, byte layout, parser and hostile
 * (tampered or crafted) index objects. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdlib.h>
#include <string.h>

#define INDEX_AD "cairn-index-v1"
#define MAX_SEEN 1000

struct fixture {
	struct cairn_keys *keys;
	struct cairn_index_builder *b;
};

/* What the callbacks saw. */
struct seen {
	struct cairn_blob_loc locs[MAX_SEEN];
	uint8_t sup[8][CAIRN_ID_BYTES];
	size_t nlocs, nsup;
	size_t stop_blob, stop_sup; /* stop at this call (1-based), 0 never */
};

static int on_blob(void *ctx, const struct cairn_blob_loc *loc)
{
	struct seen *s = ctx;

	assert_true(s->nlocs < MAX_SEEN);
	s->locs[s->nlocs++] = *loc;
	return s->nlocs == s->stop_blob ? 42 : 0;
}

static int on_sup(void *ctx, const uint8_t id[CAIRN_ID_BYTES])
{
	struct seen *s = ctx;

	assert_true(s->nsup < 8);
	memcpy(s->sup[s->nsup++], id, CAIRN_ID_BYTES);
	return s->nsup == s->stop_sup ? -5 : 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(cairn_crypto_init(), 0);
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &f->keys), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_keys_free(f->keys);
	free(f);
	return 0;
}

static int setup_builder(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_index_builder_new(&f->b), 0);
	return 0;
}

static int teardown_builder(void **state)
{
	struct fixture *f = *state;

	cairn_index_builder_free(f->b);
	f->b = NULL;
	return 0;
}

/* n plausible locations in pack `seed`. */
static void make_locs(uint8_t seed, size_t n, struct cairn_blob_loc *locs)
{
	uint64_t offset = 0;

	memset(locs, 0, n * sizeof(*locs));
	for (size_t i = 0; i < n; i++) {
		memset(locs[i].pack, seed, CAIRN_ID_BYTES);
		cairn_test_fill_random(locs[i].id, CAIRN_ID_BYTES, seed * 100000u + i);
		locs[i].type = (i % 2) ? CAIRN_BLOB_TREE : CAIRN_BLOB_DATA;
		locs[i].offset = offset;
		locs[i].length = (uint32_t)(1 + CAIRN_SEAL_OVERHEAD + i);
		locs[i].raw_length = (uint32_t)(100 + i);
		offset += locs[i].length;
	}
}

static void put_entry(struct cairn_buf *b, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], uint64_t offset,
		      uint32_t length, uint32_t raw_length)
{
	assert_int_equal(cairn_buf_put_u8(b, type), 0);
	assert_int_equal(cairn_buf_append(b, id, CAIRN_ID_BYTES), 0);
	assert_int_equal(cairn_buf_put_u64le(b, offset), 0);
	assert_int_equal(cairn_buf_put_u32le(b, length), 0);
	assert_int_equal(cairn_buf_put_u32le(b, raw_length), 0);
}

static void seal_body(struct fixture *f, const struct cairn_buf *body, struct cairn_buf *obj)
{
	cairn_buf_reset(obj);
	assert_int_equal(cairn_seal(f->keys->enc, INDEX_AD, strlen(INDEX_AD), body->data, body->len, NULL, obj), 0);
}

/* Parse `obj`: must be CAIRN_ECORRUPT with `detail`, and no callback ran. */
static void expect_corrupt(struct fixture *f, const void *obj, size_t len, const char *detail)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, obj, len, on_blob, on_sup, &s), CAIRN_ECORRUPT);
	assert_int_equal(s.nlocs, 0);
	assert_int_equal(s.nsup, 0);
	if (detail != NULL && strstr(cairn_err_msg(), detail) == NULL)
		fail_msg("detail '%s' lacks '%s'", cairn_err_msg(), detail);
}

static void test_index_parse_roundtrip(void **state)
{
	struct fixture *f = *state;
	static struct cairn_blob_loc a[1], b[7], c[300];
	static struct seen s;
	struct cairn_buf obj = { 0 };
	uint8_t sup1[CAIRN_ID_BYTES], sup2[CAIRN_ID_BYTES];

	make_locs(1, 1, a);
	make_locs(2, 7, b);
	make_locs(3, 300, c);
	memset(sup1, 0x11, sizeof(sup1));
	memset(sup2, 0x22, sizeof(sup2));
	assert_int_equal(cairn_index_builder_add_pack(f->b, a, 1), 0);
	assert_int_equal(cairn_index_builder_add_pack(f->b, b, 7), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup1), 0);
	assert_int_equal(cairn_index_builder_add_pack(f->b, c, 300), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup2), 0);
	assert_int_equal(cairn_index_builder_packs(f->b), 3);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &obj), 0);
	assert_int_equal(cairn_index_builder_packs(f->b), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, &s), 0);
	assert_int_equal(s.nlocs, 308);
	assert_memory_equal(&s.locs[0], a, sizeof(a));
	assert_memory_equal(&s.locs[1], b, sizeof(b));
	assert_memory_equal(&s.locs[8], c, sizeof(c));
	assert_int_equal(s.nsup, 2);
	assert_memory_equal(s.sup[0], sup1, CAIRN_ID_BYTES);
	assert_memory_equal(s.sup[1], sup2, CAIRN_ID_BYTES);

	/* on_superseded may be NULL. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, NULL, &s), 0);
	assert_int_equal(s.nlocs, 308);
	cairn_buf_free(&obj);
}

static void test_index_builder_finish_layout(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc locs[2];
	struct cairn_buf obj = { 0 }, body = { 0 }, expect = { 0 };
	uint8_t sup[CAIRN_ID_BYTES];

	make_locs(9, 2, locs);
	locs[1].offset = 0x0102030405060708ull;
	memset(sup, 0x5a, sizeof(sup));
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 2), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup), 0);
	assert_int_equal(cairn_buf_append(&obj, "prefix", 6), 0);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &obj), 0);
	assert_memory_equal(obj.data, "prefix", 6);
	assert_int_equal(cairn_open(f->keys->enc, INDEX_AD, strlen(INDEX_AD), obj.data + 6, obj.len - 6, &body), 0);

	assert_int_equal(cairn_buf_append(&expect, "CAIRNIX1", 8), 0);
	assert_int_equal(cairn_buf_put_u32le(&expect, 1), 0);
	assert_int_equal(cairn_buf_append(&expect, locs[0].pack, CAIRN_ID_BYTES), 0);
	assert_int_equal(cairn_buf_put_u32le(&expect, 2), 0);
	for (size_t i = 0; i < 2; i++)
		put_entry(&expect, locs[i].type, locs[i].id, locs[i].offset, locs[i].length, locs[i].raw_length);
	assert_int_equal(cairn_buf_put_u32le(&expect, 1), 0);
	assert_int_equal(cairn_buf_append(&expect, sup, CAIRN_ID_BYTES), 0);
	assert_int_equal(body.len, 8 + 4 + 32 + 4 + 2 * 49 + 4 + 32);
	assert_int_equal(body.len, expect.len);
	assert_memory_equal(body.data, expect.data, expect.len);
	assert_int_equal(obj.len, 6 + expect.len + CAIRN_SEAL_OVERHEAD);
	cairn_buf_free(&obj);
	cairn_buf_free(&body);
	cairn_buf_free(&expect);
}

static void test_index_parse_empty(void **state)
{
	struct fixture *f = *state;
	static struct seen s;
	struct cairn_buf obj = { 0 }, body = { 0 };

	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &obj), 0);
	assert_int_equal(cairn_open(f->keys->enc, INDEX_AD, strlen(INDEX_AD), obj.data, obj.len, &body), 0);
	assert_int_equal(body.len, 16);
	assert_memory_equal(body.data, "CAIRNIX1\0\0\0\0\0\0\0\0", 16);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, &s), 0);
	assert_int_equal(s.nlocs + s.nsup, 0);
	cairn_buf_free(&obj);
	cairn_buf_free(&body);
}

static void test_index_builder_finish_reuse(void **state)
{
	struct fixture *f = *state;
	static struct seen s;
	struct cairn_blob_loc a[3], b[2];
	struct cairn_buf o1 = { 0 }, o2 = { 0 };
	uint8_t sup[CAIRN_ID_BYTES] = { 0 };

	make_locs(4, 3, a);
	make_locs(5, 2, b);
	assert_int_equal(cairn_index_builder_add_pack(f->b, a, 3), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup), 0);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &o1), 0);
	assert_int_equal(cairn_index_builder_add_pack(f->b, b, 2), 0);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &o2), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, o2.data, o2.len, on_blob, on_sup, &s), 0);
	assert_int_equal(s.nlocs, 2);
	assert_int_equal(s.nsup, 0);
	assert_memory_equal(s.locs, b, sizeof(b));
	cairn_buf_free(&o1);
	cairn_buf_free(&o2);
}

static void test_index_builder_add_pack_invalid(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc locs[3];

	make_locs(6, 3, locs);
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 0), CAIRN_EINVAL);
	locs[2].pack[5] ^= 1;
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), CAIRN_EINVAL);
	make_locs(6, 3, locs);
	locs[1].type = 0;
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), CAIRN_EINVAL);
	make_locs(6, 3, locs);
	locs[1].length = CAIRN_SEAL_OVERHEAD;
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), CAIRN_EINVAL);
	make_locs(6, 3, locs);
	locs[1].raw_length = CAIRN_BLOB_MAX_RAW + 1u;
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), CAIRN_EINVAL);
	make_locs(6, 3, locs);
	locs[2].offset = UINT64_MAX - 1;
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), CAIRN_EINVAL);
	assert_int_equal(cairn_index_builder_packs(f->b), 0);
	make_locs(6, 3, locs);
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 3), 0);
	assert_int_equal(cairn_index_builder_packs(f->b), 1);
}

static void test_index_parse_tampered(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc locs[2];
	struct cairn_buf obj = { 0 };
	struct cairn_keys *other;
	uint8_t master[32], sup[CAIRN_ID_BYTES] = { 1 };

	make_locs(7, 2, locs);
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 2), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup), 0);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &obj), 0);
	for (size_t i = 0; i < obj.len; i++) {
		obj.data[i] ^= 0x80;
		expect_corrupt(f, obj.data, obj.len, "authentication failed");
		obj.data[i] ^= 0x80;
	}
	for (size_t len = 0; len < obj.len; len++)
		expect_corrupt(f, obj.data, len, NULL);
	memset(master, 3, sizeof(master));
	assert_int_equal(cairn_keys_derive(master, &other), 0);
	{
		static struct seen s;

		memset(&s, 0, sizeof(s));
		assert_int_equal(cairn_index_parse(other, obj.data, obj.len, on_blob, on_sup, &s), CAIRN_ECORRUPT);
		assert_int_equal(s.nlocs, 0);
	}
	cairn_keys_free(other);
	cairn_buf_free(&obj);
}

static void test_index_parse_wrong_ad(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf body = { 0 }, obj = { 0 };

	assert_int_equal(cairn_buf_append(&body, "CAIRNIX1\0\0\0\0\0\0\0\0", 16), 0);
	assert_int_equal(cairn_seal(f->keys->enc, "cairn-pack-header-v1", 20, body.data, body.len, NULL, &obj), 0);
	expect_corrupt(f, obj.data, obj.len, "authentication failed");
	seal_body(f, &body, &obj);
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, NULL), 0);
	cairn_buf_free(&body);
	cairn_buf_free(&obj);
}

/* Body with one pack holding two good entries, `nblobs` claimed. */
static void body_two_entries(struct cairn_buf *body, uint32_t npacks, uint32_t nblobs)
{
	uint8_t id[CAIRN_ID_BYTES];

	memset(id, 0x42, sizeof(id));
	cairn_buf_reset(body);
	assert_int_equal(cairn_buf_append(body, "CAIRNIX1", 8), 0);
	assert_int_equal(cairn_buf_put_u32le(body, npacks), 0);
	assert_int_equal(cairn_buf_append(body, id, CAIRN_ID_BYTES), 0);
	assert_int_equal(cairn_buf_put_u32le(body, nblobs), 0);
	put_entry(body, CAIRN_BLOB_DATA, id, 0, 100, 100);
	put_entry(body, CAIRN_BLOB_TREE, id, 100, 60, 40);
}

static void test_index_parse_crafted_counts(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf body = { 0 }, obj = { 0 };
	static struct seen s;

	/* The well-formed reference. */
	body_two_entries(&body, 1, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, &s), 0);
	assert_int_equal(s.nlocs, 2);

	/* Blob counts larger than the data: refused before any callback. */
	body_two_entries(&body, 1, UINT32_MAX);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "blobs in");
	body_two_entries(&body, 1, 3);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "blobs in");
	body_two_entries(&body, 1, 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "0 blobs");
	/* Pack count larger than the data. */
	body_two_entries(&body, UINT32_MAX, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "packs cannot fit");
	body_two_entries(&body, 2, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, NULL);
	/* Superseded count larger than the data. */
	body_two_entries(&body, 1, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, UINT32_MAX), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "superseded");
	/* Superseded count missing. */
	body_two_entries(&body, 1, 2);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "superseded");
	/* Trailing garbage after a valid body. */
	body_two_entries(&body, 1, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	assert_int_equal(cairn_buf_put_u8(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "trailing");
	cairn_buf_free(&body);
	cairn_buf_free(&obj);
}

static void test_index_parse_crafted_entries(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf body = { 0 }, obj = { 0 };
	uint8_t id[CAIRN_ID_BYTES] = { 0 };

	/* Bad magic. */
	body_two_entries(&body, 1, 2);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	body.data[7] = '2';
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "magic");
	cairn_buf_reset(&body);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "magic");
	/* A bad third entry after two good ones: no callback at all. */
	body_two_entries(&body, 1, 3);
	put_entry(&body, 9, id, 200, 50, 50);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "type");
	body_two_entries(&body, 1, 3);
	put_entry(&body, CAIRN_BLOB_DATA, id, UINT64_MAX - 10, 50, 50);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "overflow");
	body_two_entries(&body, 1, 3);
	put_entry(&body, CAIRN_BLOB_DATA, id, 200, 50, CAIRN_BLOB_MAX_RAW + 1u);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "limit");
	body_two_entries(&body, 1, 3);
	put_entry(&body, CAIRN_BLOB_DATA, id, 200, 10, 0);
	assert_int_equal(cairn_buf_put_u32le(&body, 0), 0);
	seal_body(f, &body, &obj);
	expect_corrupt(f, obj.data, obj.len, "shorter");
	cairn_buf_free(&body);
	cairn_buf_free(&obj);
}

static void test_index_parse_callback_stops(void **state)
{
	struct fixture *f = *state;
	static struct cairn_blob_loc locs[10];
	static struct seen s;
	struct cairn_buf obj = { 0 };
	uint8_t sup[CAIRN_ID_BYTES] = { 0 };

	make_locs(8, 10, locs);
	assert_int_equal(cairn_index_builder_add_pack(f->b, locs, 10), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup), 0);
	assert_int_equal(cairn_index_builder_supersede(f->b, sup), 0);
	assert_int_equal(cairn_index_builder_finish(f->b, f->keys, &obj), 0);

	memset(&s, 0, sizeof(s));
	s.stop_blob = 3;
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, &s), 42);
	assert_int_equal(s.nlocs, 3);
	assert_int_equal(s.nsup, 0);

	memset(&s, 0, sizeof(s));
	s.stop_sup = 1;
	assert_int_equal(cairn_index_parse(f->keys, obj.data, obj.len, on_blob, on_sup, &s), -5);
	assert_int_equal(s.nlocs, 10);
	assert_int_equal(s.nsup, 1);
	cairn_buf_free(&obj);
}

static void test_index_builder_free_null(void **state)
{
	(void)state;
	cairn_index_builder_free(NULL);
}

/* docs/FORMAT.md 15.3: the version 2 index object that supersedes the 15.3
 * one (computed independently with PyNaCl): it parses, lists the blob of
 * "hello" in its pack, and names the superseded object. */
struct vector_seen {
	int blobs, superseded;
	struct cairn_blob_loc loc;
	uint8_t old[CAIRN_ID_BYTES];
};

static int vector_blob(void *ctx, const struct cairn_blob_loc *loc)
{
	struct vector_seen *v = ctx;

	v->blobs++;
	v->loc = *loc;
	return 0;
}

static int vector_superseded(void *ctx, const uint8_t id[CAIRN_ID_BYTES])
{
	struct vector_seen *v = ctx;

	v->superseded++;
	memcpy(v->old, id, CAIRN_ID_BYTES);
	return 0;
}

static void test_index_superseding_vector(void **state)
{
	static const char sealed_hex[] =
		"070707070707070707070707070707070707070707070707e9b87061bc957e01"
		"83d4a289492895ca98a526d3ad5019d5fffad700cf6884b886f09cbdc68ac3ab"
		"eb703269bdd3e6ecd569788d33506bdf00558e8207c7717beee4103c2b58a5b0"
		"7142783682160858cbba3fe1dd5eb33703ec251e5d5245552bbfcb23633f3245"
		"30bd1312c2708b81cb5b702ecab8a14e02f7ca798631bed041eec10a006340d1"
		"fedd7a3eb262b97d7cda4d6c2d";
	struct cairn_keys *keys = NULL;
	struct vector_seen v = { 0 };
	uint8_t sealed[173], sid[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];

	(void)state;
	assert_int_equal(cairn_hex_decode(sealed_hex, sealed, sizeof(sealed)), 0);
	cairn_storage_id(sealed, sizeof(sealed), sid);
	cairn_hex_encode(sid, sizeof(sid), hex);
	assert_string_equal(hex, "570af22842fa00a5e0222b09b993d3c5a3d5459c6f50542c0fb05c85560be6cf");
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &keys), 0);
	assert_int_equal(cairn_index_parse(keys, sealed, sizeof(sealed), vector_blob, vector_superseded, &v), 0);
	assert_int_equal(v.blobs, 1);
	assert_int_equal(v.loc.type, CAIRN_BLOB_DATA);
	assert_int_equal(v.loc.offset, 0);
	assert_int_equal(v.loc.length, 46);
	assert_int_equal(v.loc.raw_length, 5);
	cairn_hex_encode(v.loc.pack, CAIRN_ID_BYTES, hex);
	assert_string_equal(hex, "45bc921f909153f7af7ee5001e9f39a9fdf967b5c740b2f49e166e99a1855c90");
	assert_int_equal(v.superseded, 1);
	cairn_hex_encode(v.old, CAIRN_ID_BYTES, hex);
	assert_string_equal(hex, "b1affc407c8fc0e66ac32afa909a153ab6261119fc32e8cb746a5364f4d70bb4");
	cairn_keys_free(keys);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_builder, teardown_builder)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_superseding_vector),
		T(test_index_parse_roundtrip),
		T(test_index_builder_finish_layout),
		T(test_index_parse_empty),
		T(test_index_builder_finish_reuse),
		T(test_index_builder_add_pack_invalid),
		T(test_index_parse_tampered),
		T(test_index_parse_wrong_ad),
		T(test_index_parse_crafted_counts),
		T(test_index_parse_crafted_entries),
		T(test_index_parse_callback_stops),
		cmocka_unit_test(test_index_builder_free_null),
	};
#undef T

	return cmocka_run_group_tests(tests, setup, teardown);
}
