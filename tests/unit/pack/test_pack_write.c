/* Unit tests for the pack writer: layout checked byte by byte against the
 * format (blobs || sealed header || u32le header length || "CAIRNPK1"). */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/file.h"
#include "cairn/pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_AD "cairn-pack-header-v1"

struct fixture {
	struct cairn_keys *keys;
	struct cairn_zctx *z;
	struct cairn_pack_writer *w;
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

static int setup_writer(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_pack_writer_new(&f->w), 0);
	return 0;
}

static int teardown_writer(void **state)
{
	struct fixture *f = *state;

	cairn_pack_writer_free(f->w);
	f->w = NULL;
	return 0;
}

/* Blob i of a test: `len` bytes from seed i, half of them compressible. */
static void add_blob(struct fixture *f, unsigned i, size_t len, uint8_t ret_id[CAIRN_ID_BYTES],
		     uint32_t *ret_stored)
{
	struct cairn_buf stored = { 0 };
	uint8_t *data = malloc(len ? len : 1);
	uint8_t type = (i % 3 == 0) ? CAIRN_BLOB_TREE : CAIRN_BLOB_DATA;

	assert_non_null(data);
	cairn_test_fill_random(data, len, 1000 + i);
	if (i % 2 == 0)
		memset(data, 'z', len / 2);
	cairn_blob_id(f->keys, data, len, ret_id);
	assert_int_equal(cairn_blob_encode(f->keys, f->z, type, ret_id, data, len, &stored), 0);
	assert_int_equal(cairn_pack_writer_add(f->w, type, ret_id, stored.data, stored.len, (uint32_t)len), 0);
	*ret_stored = (uint32_t)stored.len;
	cairn_buf_free(&stored);
	free(data);
}

/* Check a finished pack's layout by hand and return its header plaintext. */
static void check_layout(struct fixture *f, const struct cairn_buf *pack, size_t blob_bytes, size_t count,
			 struct cairn_buf *ret_header)
{
	uint32_t hlen;

	assert_true(pack->len > blob_bytes + CAIRN_PACK_TRAILER_BYTES);
	assert_memory_equal(pack->data + pack->len - 8, "CAIRNPK1", 8);
	hlen = cairn_le32_load(pack->data + pack->len - 12);
	assert_int_equal(hlen, 4 + count * 49 + CAIRN_SEAL_OVERHEAD);
	assert_int_equal(blob_bytes + hlen + 12, pack->len);
	assert_int_equal(cairn_open(f->keys->enc, HEADER_AD, strlen(HEADER_AD), pack->data + blob_bytes, hlen,
				    ret_header), 0);
	assert_int_equal(ret_header->len, 4 + count * 49);
	assert_int_equal(cairn_le32_load(ret_header->data), count);
}

static void test_pack_writer_finish_one_blob(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 }, hdr = { 0 }, out = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t id[CAIRN_ID_BYTES], pack_id[CAIRN_ID_BYTES], expect[CAIRN_ID_BYTES];
	const uint8_t *e;
	uint32_t stored;
	size_t count = 0;

	add_blob(f, 1, 500, id, &stored);
	assert_int_equal(cairn_pack_writer_count(f->w), 1);
	assert_int_equal(cairn_pack_writer_bytes(f->w), stored);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);

	check_layout(f, &pack, stored, 1, &hdr);
	e = hdr.data + 4;
	assert_int_equal(e[0], CAIRN_BLOB_DATA);
	assert_memory_equal(e + 1, id, CAIRN_ID_BYTES);
	assert_int_equal(cairn_le64_load(e + 33), 0);
	assert_int_equal(cairn_le32_load(e + 41), stored);
	assert_int_equal(cairn_le32_load(e + 45), 500);

	cairn_storage_id(pack.data, pack.len, expect);
	assert_memory_equal(pack_id, expect, CAIRN_ID_BYTES);
	assert_int_equal(count, 1);
	assert_memory_equal(locs[0].id, id, CAIRN_ID_BYTES);
	assert_memory_equal(locs[0].pack, pack_id, CAIRN_ID_BYTES);
	assert_int_equal(locs[0].type, CAIRN_BLOB_DATA);
	assert_int_equal(locs[0].offset, 0);
	assert_int_equal(locs[0].length, stored);
	assert_int_equal(locs[0].raw_length, 500);
	assert_int_equal(cairn_blob_decode(f->keys, f->z, locs[0].type, locs[0].id, pack.data + locs[0].offset,
					   locs[0].length, locs[0].raw_length, &out), 0);
	assert_int_equal(out.len, 500);

	/* The writer is empty again. */
	assert_int_equal(cairn_pack_writer_count(f->w), 0);
	assert_int_equal(cairn_pack_writer_bytes(f->w), 0);
	free(locs);
	cairn_buf_free(&pack);
	cairn_buf_free(&hdr);
	cairn_buf_free(&out);
}

static void test_pack_writer_finish_many_blobs(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 }, hdr = { 0 }, out = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t (*ids)[CAIRN_ID_BYTES] = calloc(1000, CAIRN_ID_BYTES), pack_id[CAIRN_ID_BYTES];
	uint32_t *stored = calloc(1000, sizeof(*stored));
	size_t count = 0, offset = 0;

	assert_non_null(ids);
	assert_non_null(stored);
	for (unsigned i = 0; i < 1000; i++)
		add_blob(f, i, i % 300, ids[i], &stored[i]);
	assert_int_equal(cairn_pack_writer_count(f->w), 1000);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);
	assert_int_equal(count, 1000);
	for (unsigned i = 0; i < 1000; i++)
		offset += stored[i];
	check_layout(f, &pack, offset, 1000, &hdr);
	offset = 0;
	for (unsigned i = 0; i < 1000; i++) {
		const uint8_t *e = hdr.data + 4 + (size_t)i * 49;

		assert_int_equal(e[0], i % 3 == 0 ? CAIRN_BLOB_TREE : CAIRN_BLOB_DATA);
		assert_memory_equal(e + 1, ids[i], CAIRN_ID_BYTES);
		assert_int_equal(cairn_le64_load(e + 33), offset);
		assert_int_equal(cairn_le32_load(e + 41), stored[i]);
		assert_int_equal(cairn_le32_load(e + 45), i % 300);
		assert_int_equal(locs[i].offset, offset);
		assert_memory_equal(locs[i].pack, pack_id, CAIRN_ID_BYTES);
		cairn_buf_reset(&out);
		assert_int_equal(cairn_blob_decode(f->keys, f->z, locs[i].type, locs[i].id, pack.data + offset,
						   locs[i].length, locs[i].raw_length, &out), 0);
		assert_int_equal(out.len, i % 300);
		offset += stored[i];
	}
	free(locs);
	free(ids);
	free(stored);
	cairn_buf_free(&pack);
	cairn_buf_free(&hdr);
	cairn_buf_free(&out);
}

static void test_pack_writer_finish_reuse(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf p1 = { 0 }, p2 = { 0 };
	struct cairn_blob_loc *l1 = NULL, *l2 = NULL;
	uint8_t id1[CAIRN_ID_BYTES], id2[CAIRN_ID_BYTES], b1[CAIRN_ID_BYTES], b2[CAIRN_ID_BYTES];
	uint32_t s1, s2;
	size_t n1 = 0, n2 = 0;

	add_blob(f, 1, 100, b1, &s1);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &p1, id1, &l1, &n1), 0);
	add_blob(f, 2, 200, b2, &s2);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &p2, id2, &l2, &n2), 0);
	assert_int_equal(n2, 1);
	assert_int_equal(l2[0].offset, 0);
	assert_memory_equal(l2[0].id, b2, CAIRN_ID_BYTES);
	assert_memory_not_equal(id1, id2, CAIRN_ID_BYTES);
	assert_int_equal(p2.len, s2 + 4 + 49 + CAIRN_SEAL_OVERHEAD + 12);
	free(l1);
	free(l2);
	cairn_buf_free(&p1);
	cairn_buf_free(&p2);
}

static void test_pack_writer_finish_empty(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t id[CAIRN_ID_BYTES];
	size_t count = 99;

	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, id, &locs, &count), CAIRN_EINVAL);
	assert_null(pack.data);
	assert_null(locs);
	assert_int_equal(count, 99);
}

static void test_pack_writer_add_invalid(void **state)
{
	struct fixture *f = *state;
	uint8_t id[CAIRN_ID_BYTES] = { 0 }, stored[200] = { 0 };
	const size_t min = 1 + CAIRN_SEAL_OVERHEAD;

	assert_int_equal(cairn_pack_writer_add(f->w, 0, id, stored, min, 0), CAIRN_EINVAL);
	assert_int_equal(cairn_pack_writer_add(f->w, 3, id, stored, min, 0), CAIRN_EINVAL);
	/* Shorter than a sealed codec byte. */
	assert_int_equal(cairn_pack_writer_add(f->w, CAIRN_BLOB_DATA, id, stored, min - 1, 0), CAIRN_EINVAL);
	/* Longer than the raw length allows. */
	assert_int_equal(cairn_pack_writer_add(f->w, CAIRN_BLOB_DATA, id, stored, min + 11, 10), CAIRN_EINVAL);
	assert_int_equal(cairn_pack_writer_add(f->w, CAIRN_BLOB_DATA, id, stored, min, CAIRN_BLOB_MAX_RAW + 1u),
			 CAIRN_EINVAL);
	assert_int_equal(cairn_pack_writer_count(f->w), 0);
	assert_int_equal(cairn_pack_writer_bytes(f->w), 0);
	/* Boundaries are accepted. */
	assert_int_equal(cairn_pack_writer_add(f->w, CAIRN_BLOB_DATA, id, stored, min, 0), 0);
	assert_int_equal(cairn_pack_writer_add(f->w, CAIRN_BLOB_TREE, id, stored, min + 10, 10), 0);
	assert_int_equal(cairn_pack_writer_count(f->w), 2);
	assert_int_equal(cairn_pack_writer_bytes(f->w), 2 * min + 10);
}

/* Sealing a plaintext straight into the pack gives a pack that opens like
 * one built from cairn_blob_encode's stored bytes, mixed with such blobs;
 * the running pack id equals SHA-256 of the whole pack. */
static void test_pack_writer_seal_matches_add(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 }, pt = { 0 }, out = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t ids[40][CAIRN_ID_BYTES], pack_id[CAIRN_ID_BYTES], expect[CAIRN_ID_BYTES];
	uint8_t data[3000];
	size_t count = 0;

	for (unsigned i = 0; i < 40; i++) {
		size_t len = (i * 97) % sizeof(data);
		uint32_t stored;

		if (i % 2 == 0) {
			add_blob(f, i, len, ids[i], &stored);
			continue;
		}
		cairn_test_fill_random(data, len, 7000 + i);
		if (i % 4 == 1)
			memset(data, 'q', len / 2);
		cairn_blob_id(f->keys, data, len, ids[i]);
		cairn_buf_reset(&pt);
		assert_int_equal(cairn_blob_plaintext(f->z, data, len, &pt), 0);
		assert_int_equal(cairn_pack_writer_seal(f->w, f->keys, CAIRN_BLOB_DATA, ids[i], pt.data, pt.len,
							(uint32_t)len), 0);
	}
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);
	assert_int_equal(count, 40);
	cairn_storage_id(pack.data, pack.len, expect);
	assert_memory_equal(pack_id, expect, CAIRN_ID_BYTES);
	for (unsigned i = 0; i < 40; i++) {
		size_t len = (i * 97) % sizeof(data);

		assert_memory_equal(locs[i].id, ids[i], CAIRN_ID_BYTES);
		assert_int_equal(locs[i].raw_length, len);
		cairn_buf_reset(&out);
		assert_int_equal(cairn_blob_decode(f->keys, f->z, locs[i].type, locs[i].id,
						   pack.data + locs[i].offset, locs[i].length, locs[i].raw_length,
						   &out), 0);
		assert_int_equal(out.len, len);
		if (i % 2 == 1) {
			cairn_test_fill_random(data, len, 7000 + i);
			if (i % 4 == 1)
				memset(data, 'q', len / 2);
			assert_memory_equal(out.data, data, len);
		}
	}
	free(locs);
	cairn_buf_free(&pack);
	cairn_buf_free(&pt);
	cairn_buf_free(&out);
}

/* A refused seal leaves the writer as it was, and its hash too. */
static void test_pack_writer_seal_invalid(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t id[CAIRN_ID_BYTES] = { 1 }, pack_id[CAIRN_ID_BYTES], expect[CAIRN_ID_BYTES], pt[2] = { 0, 'x' };
	uint32_t stored;
	size_t count = 0;

	add_blob(f, 3, 100, id, &stored);
	assert_int_equal(cairn_pack_writer_seal(f->w, f->keys, 7, id, pt, sizeof(pt), 1), CAIRN_EINVAL);
	assert_int_equal(cairn_pack_writer_seal(f->w, f->keys, CAIRN_BLOB_DATA, id, pt, sizeof(pt), 0), CAIRN_EINVAL);
	assert_int_equal(cairn_pack_writer_count(f->w), 1);
	assert_int_equal(cairn_pack_writer_bytes(f->w), stored);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);
	cairn_storage_id(pack.data, pack.len, expect);
	assert_memory_equal(pack_id, expect, CAIRN_ID_BYTES);
	free(locs);
	cairn_buf_free(&pack);
}

/* A buffer given back is reused for the next pack; a preallocated buffer is
 * aligned for direct I/O and not grown by a pack that fits. */
static void test_pack_writer_buffer_reuse(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t id[CAIRN_ID_BYTES], pack_id[CAIRN_ID_BYTES], expect[CAIRN_ID_BYTES];
	const uint8_t *first;
	uint32_t stored;
	size_t count = 0;

	assert_int_equal(cairn_pack_writer_preallocate(f->w, 1u << 20), 0);
	add_blob(f, 1, 5000, id, &stored);
	add_blob(f, 2, 7000, id, &stored);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);
	assert_int_equal((uintptr_t)pack.data % CAIRN_FILE_DIRECT_ALIGN, 0);
	assert_int_equal(pack.cap, 1u << 20);
	first = pack.data;
	free(locs);
	cairn_pack_writer_give_buffer(f->w, &pack);
	assert_null(pack.data);
	assert_int_equal(pack.cap, 0);
	add_blob(f, 3, 900, id, &stored);
	assert_int_equal(cairn_pack_writer_finish(f->w, f->keys, &pack, pack_id, &locs, &count), 0);
	assert_ptr_equal(pack.data, first);
	assert_int_equal(count, 1);
	assert_int_equal(locs[0].offset, 0);
	cairn_storage_id(pack.data, pack.len, expect);
	assert_memory_equal(pack_id, expect, CAIRN_ID_BYTES);
	free(locs);
	/* a writer holding blobs does not take a buffer: it is freed */
	add_blob(f, 4, 10, id, &stored);
	cairn_pack_writer_give_buffer(f->w, &pack);
	assert_null(pack.data);
	assert_int_equal(cairn_pack_writer_count(f->w), 1);
}

static void test_pack_writer_free_null(void **state)
{
	(void)state;
	cairn_pack_writer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pack_writer_finish_one_blob, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_finish_many_blobs, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_finish_reuse, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_finish_empty, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_add_invalid, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_seal_matches_add, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_seal_invalid, setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_pack_writer_buffer_reuse, setup_writer, teardown_writer),
		cmocka_unit_test(test_pack_writer_free_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
