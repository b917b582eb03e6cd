/* Unit tests for cairn_pack_read_header: the tail protocol, and hostile packs
 * (truncated, bad magic, bad lengths, crafted headers sealed with the real key). */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_AD "cairn-pack-header-v1"
#define MIN_STORED (1 + CAIRN_SEAL_OVERHEAD)

struct fixture {
	struct cairn_keys *keys;
	struct cairn_buf pack;      /* a genuine pack of 5 blobs */
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_blob_loc *locs;
	size_t count;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_pack_writer *w;
	struct cairn_buf stored = { 0 };
	uint8_t data[300], id[CAIRN_ID_BYTES];

	assert_non_null(f);
	assert_int_equal(cairn_crypto_init(), 0);
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &f->keys), 0);
	assert_int_equal(cairn_pack_writer_new(&w), 0);
	for (unsigned i = 0; i < 5; i++) {
		size_t len = 60 * i + 1;

		cairn_test_fill_random(data, len, i);
		cairn_blob_id(f->keys, data, len, id);
		cairn_buf_reset(&stored);
		assert_int_equal(cairn_blob_encode(f->keys, NULL, CAIRN_BLOB_DATA, id, data, len, &stored), 0);
		assert_int_equal(cairn_pack_writer_add(w, CAIRN_BLOB_DATA, id, stored.data, stored.len,
						       (uint32_t)len), 0);
	}
	assert_int_equal(cairn_pack_writer_finish(w, f->keys, &f->pack, f->id, &f->locs, &f->count), 0);
	cairn_pack_writer_free(w);
	cairn_buf_free(&stored);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_buf_free(&f->pack);
	free(f->locs);
	cairn_keys_free(f->keys);
	free(f);
	return 0;
}

/* A pack of `data_len` zero bytes followed by `pt` sealed as its header. */
static void craft_pack_pt(struct fixture *f, size_t data_len, const void *pt, size_t pt_len, struct cairn_buf *out)
{
	size_t start;

	for (size_t i = 0; i < data_len; i++)
		assert_int_equal(cairn_buf_put_u8(out, 0), 0);
	start = out->len;
	assert_int_equal(cairn_seal(f->keys->enc, HEADER_AD, strlen(HEADER_AD), pt, pt_len, NULL, out), 0);
	assert_int_equal(cairn_buf_put_u32le(out, (uint32_t)(out->len - start)), 0);
	assert_int_equal(cairn_buf_append(out, "CAIRNPK1", 8), 0);
}

/* A pack whose header lists `n` entries (count field `count`). */
static void craft_pack(struct fixture *f, size_t data_len, uint32_t count, const struct cairn_blob_loc *e,
		       size_t n, struct cairn_buf *out)
{
	struct cairn_buf pt = { 0 };
	uint8_t id[CAIRN_ID_BYTES];

	memset(id, 0xab, sizeof(id));
	assert_int_equal(cairn_buf_put_u32le(&pt, count), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(cairn_buf_put_u8(&pt, e[i].type), 0);
		assert_int_equal(cairn_buf_append(&pt, id, sizeof(id)), 0);
		assert_int_equal(cairn_buf_put_u64le(&pt, e[i].offset), 0);
		assert_int_equal(cairn_buf_put_u32le(&pt, e[i].length), 0);
		assert_int_equal(cairn_buf_put_u32le(&pt, e[i].raw_length), 0);
	}
	craft_pack_pt(f, data_len, pt.data, pt.len, out);
	cairn_buf_free(&pt);
}

/* Read the header from the whole pack as tail. */
static int read_whole(struct fixture *f, const struct cairn_buf *pack, struct cairn_blob_loc **locs, size_t *count)
{
	size_t need = 0;

	return cairn_pack_read_header(f->keys, f->id, pack->data, pack->len, pack->len, &need, locs, count);
}

static void expect_corrupt(struct fixture *f, const struct cairn_buf *pack, const char *detail)
{
	struct cairn_blob_loc *locs = NULL;
	size_t count = 77;
	char hex[CAIRN_ID_HEX];

	assert_int_equal(read_whole(f, pack, &locs, &count), CAIRN_ECORRUPT);
	assert_null(locs);
	assert_int_equal(count, 77);
	cairn_hex_encode(f->id, CAIRN_ID_BYTES, hex);
	assert_non_null(strstr(cairn_err_msg(), hex));
	if (detail != NULL && strstr(cairn_err_msg(), detail) == NULL)
		fail_msg("detail '%s' lacks '%s'", cairn_err_msg(), detail);
}

static void test_pack_read_header_whole(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	size_t count = 0;

	assert_int_equal(read_whole(f, &f->pack, &locs, &count), 0);
	assert_int_equal(count, f->count);
	assert_memory_equal(locs, f->locs, count * sizeof(*locs));
	free(locs);
}

static void test_pack_read_header_tail_protocol(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	const uint8_t *end = f->pack.data + f->pack.len;
	size_t count = 0, need = 0, hlen = 4 + 5 * 49 + CAIRN_SEAL_OVERHEAD;

	/* Too small for even the trailer. */
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, end - 4, 4, f->pack.len, &need, &locs, &count),
			 CAIRN_EINVAL);
	assert_int_equal(need, CAIRN_PACK_TRAILER_BYTES);
	/* The trailer alone says how much more to read. */
	need = 0;
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, end - 12, 12, f->pack.len, &need, &locs, &count),
			 CAIRN_EINVAL);
	assert_int_equal(need, hlen + 12);
	assert_null(locs);
	/* One byte short is still too small. */
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, end - need + 1, need - 1, f->pack.len, &need,
						&locs, &count), CAIRN_EINVAL);
	assert_int_equal(need, hlen + 12);
	/* Exactly that many works, and so does more. */
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, end - need, need, f->pack.len, &need, &locs,
						&count), 0);
	assert_int_equal(count, 5);
	assert_memory_equal(locs, f->locs, count * sizeof(*locs));
	free(locs);
	locs = NULL;
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, end - need - 3, need + 3, f->pack.len, NULL,
						&locs, &count), 0);
	free(locs);
	/* A tail longer than the pack is a caller error. */
	assert_int_equal(cairn_pack_read_header(f->keys, f->id, f->pack.data, f->pack.len, f->pack.len - 1, &need,
						&locs, &count), CAIRN_EINVAL);
}

static void test_pack_read_header_truncated(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf cut = { 0 };

	/* Last byte missing: the magic is gone. */
	assert_int_equal(cairn_buf_append(&cut, f->pack.data, f->pack.len - 1), 0);
	expect_corrupt(f, &cut, "magic");
	/* First byte missing: the last blob now runs into the header. */
	cairn_buf_reset(&cut);
	assert_int_equal(cairn_buf_append(&cut, f->pack.data + 1, f->pack.len - 1), 0);
	expect_corrupt(f, &cut, "outside");
	/* Only the trailer and header left: every entry lies outside. */
	cairn_buf_reset(&cut);
	assert_int_equal(cairn_buf_append(&cut, f->pack.data + f->locs[4].offset + f->locs[4].length,
					  f->pack.len - f->locs[4].offset - f->locs[4].length), 0);
	expect_corrupt(f, &cut, "outside");
	/* Smaller than a trailer. */
	{
		struct cairn_blob_loc *locs = NULL;
		size_t count = 0, need = 0;

		assert_int_equal(cairn_pack_read_header(f->keys, f->id, f->pack.data, 5, 5, &need, &locs, &count),
				 CAIRN_ECORRUPT);
	}
	cairn_buf_free(&cut);
}

static void test_pack_read_header_bad_magic(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf bad = { 0 };

	assert_int_equal(cairn_buf_append(&bad, f->pack.data, f->pack.len), 0);
	for (size_t i = 1; i <= 8; i++) {
		bad.data[bad.len - i] ^= 0x20;
		expect_corrupt(f, &bad, "magic");
		bad.data[bad.len - i] ^= 0x20;
	}
	cairn_buf_free(&bad);
}

static void test_pack_read_header_bad_length(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf bad = { 0 };
	uint8_t *len_field;
	uint32_t hlen;

	assert_int_equal(cairn_buf_append(&bad, f->pack.data, f->pack.len), 0);
	len_field = bad.data + bad.len - 12;
	hlen = cairn_le32_load(len_field);
	cairn_le32_store(len_field, (uint32_t)bad.len - 11);
	expect_corrupt(f, &bad, "exceeds");
	cairn_le32_store(len_field, UINT32_MAX);
	expect_corrupt(f, &bad, "exceeds");
	cairn_le32_store(len_field, 0);
	expect_corrupt(f, &bad, "range");
	cairn_le32_store(len_field, 4 + CAIRN_SEAL_OVERHEAD - 1);
	expect_corrupt(f, &bad, "range");
	/* Off by one either way: the box does not open. */
	cairn_le32_store(len_field, hlen + 1);
	expect_corrupt(f, &bad, "authentication");
	cairn_le32_store(len_field, hlen - 1);
	expect_corrupt(f, &bad, "authentication");
	cairn_buf_free(&bad);
}

static void test_pack_read_header_tampered(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf bad = { 0 };
	size_t hstart = f->locs[4].offset + f->locs[4].length;
	struct cairn_keys *other;
	uint8_t master[32];

	assert_int_equal(cairn_buf_append(&bad, f->pack.data, f->pack.len), 0);
	for (size_t i = hstart; i < bad.len - 12; i++) {
		bad.data[i] ^= 0x01;
		expect_corrupt(f, &bad, "authentication");
		bad.data[i] ^= 0x01;
	}
	memset(master, 9, sizeof(master));
	assert_int_equal(cairn_keys_derive(master, &other), 0);
	{
		struct cairn_blob_loc *locs = NULL;
		size_t count = 0;

		assert_int_equal(cairn_pack_read_header(other, f->id, bad.data, bad.len, bad.len, NULL, &locs,
							&count), CAIRN_ECORRUPT);
		assert_null(locs);
	}
	cairn_keys_free(other);
	cairn_buf_free(&bad);
}

static void test_pack_read_header_overlap(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc e[3] = {
		{ .type = CAIRN_BLOB_DATA, .offset = 0, .length = 100, .raw_length = 100 },
		{ .type = CAIRN_BLOB_DATA, .offset = 99, .length = 100, .raw_length = 100 },
		{ .type = CAIRN_BLOB_TREE, .offset = 300, .length = 50, .raw_length = 50 },
	};

	/* Adjacent entries in order. */
	craft_pack(f, 350, 3, e, 3, &pack);
	expect_corrupt(f, &pack, "overlap");
	/* Out of order, one inside another. */
	cairn_buf_reset(&pack);
	e[0].offset = 300;
	e[1].offset = 0;
	e[2].offset = 10;
	craft_pack(f, 400, 3, e, 3, &pack);
	expect_corrupt(f, &pack, "overlap");
	/* The same blob listed twice. */
	cairn_buf_reset(&pack);
	e[2].offset = 0;
	e[2].length = 100;
	e[2].raw_length = 100;
	craft_pack(f, 400, 3, e, 3, &pack);
	expect_corrupt(f, &pack, "overlap");
	cairn_buf_free(&pack);
}

static void test_pack_read_header_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	size_t count = 0;
	struct cairn_blob_loc e[3] = {
		{ .type = CAIRN_BLOB_DATA, .offset = 200, .length = 100, .raw_length = 100 },
		{ .type = CAIRN_BLOB_TREE, .offset = 0, .length = 100, .raw_length = 100 },
		{ .type = CAIRN_BLOB_DATA, .offset = 100, .length = 100, .raw_length = 60 },
	};

	/* Entries need not be in offset order, only disjoint and inside. */
	craft_pack(f, 300, 3, e, 3, &pack);
	assert_int_equal(read_whole(f, &pack, &locs, &count), 0);
	assert_int_equal(count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(locs[i].type, e[i].type);
		assert_int_equal(locs[i].offset, e[i].offset);
		assert_int_equal(locs[i].length, e[i].length);
		assert_int_equal(locs[i].raw_length, e[i].raw_length);
		assert_memory_equal(locs[i].pack, f->id, CAIRN_ID_BYTES);
	}
	free(locs);
	cairn_buf_free(&pack);
}

static void test_pack_read_header_bad_entries(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc e = { .type = CAIRN_BLOB_DATA, .offset = 0, .length = 100, .raw_length = 100 };

	craft_pack(f, 99, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "outside");
	cairn_buf_reset(&pack);
	e.offset = UINT64_MAX - 10;
	craft_pack(f, 100, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "outside");
	cairn_buf_reset(&pack);
	e.offset = 0;
	e.type = 7;
	craft_pack(f, 100, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "type");
	cairn_buf_reset(&pack);
	e.type = CAIRN_BLOB_DATA;
	e.length = MIN_STORED - 1;
	craft_pack(f, 100, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "shorter");
	cairn_buf_reset(&pack);
	e.length = 100;
	e.raw_length = 100 - MIN_STORED - 1;
	craft_pack(f, 100, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "larger");
	cairn_buf_reset(&pack);
	e.raw_length = CAIRN_BLOB_MAX_RAW + 1u;
	craft_pack(f, 100, 1, &e, 1, &pack);
	expect_corrupt(f, &pack, "limit");
	cairn_buf_free(&pack);
}

static void test_pack_read_header_bad_count(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc e[2] = {
		{ .type = CAIRN_BLOB_DATA, .offset = 0, .length = 100, .raw_length = 100 },
		{ .type = CAIRN_BLOB_DATA, .offset = 100, .length = 100, .raw_length = 100 },
	};
	uint8_t junk[3] = { 1, 2, 3 };

	craft_pack(f, 200, 3, e, 2, &pack);
	expect_corrupt(f, &pack, "cannot hold");
	cairn_buf_reset(&pack);
	craft_pack(f, 200, 1, e, 2, &pack);
	expect_corrupt(f, &pack, "cannot hold");
	cairn_buf_reset(&pack);
	craft_pack(f, 200, 0, e, 0, &pack);
	expect_corrupt(f, &pack, "no blobs");
	cairn_buf_reset(&pack);
	craft_pack(f, 200, UINT32_MAX, e, 2, &pack);
	expect_corrupt(f, &pack, "limit");
	cairn_buf_reset(&pack);
	craft_pack(f, 200, CAIRN_PACK_MAX_ENTRIES + 1u, e, 2, &pack);
	expect_corrupt(f, &pack, "limit");
	/* Too short to hold even the count. */
	cairn_buf_reset(&pack);
	craft_pack_pt(f, 200, junk, sizeof(junk), &pack);
	expect_corrupt(f, &pack, "range");
	cairn_buf_free(&pack);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_read_header_whole),
		cmocka_unit_test(test_pack_read_header_tail_protocol),
		cmocka_unit_test(test_pack_read_header_truncated),
		cmocka_unit_test(test_pack_read_header_bad_magic),
		cmocka_unit_test(test_pack_read_header_bad_length),
		cmocka_unit_test(test_pack_read_header_tampered),
		cmocka_unit_test(test_pack_read_header_overlap),
		cmocka_unit_test(test_pack_read_header_out_of_order),
		cmocka_unit_test(test_pack_read_header_bad_entries),
		cmocka_unit_test(test_pack_read_header_bad_count),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
