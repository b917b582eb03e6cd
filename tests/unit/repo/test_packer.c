/* Unit tests for the packer (lib/repo/packer.c): blobs added as plaintext
 * or as stored bytes end up in packs and index objects that read back;
 * deduplication against the catalog, and copy mode, which stores a blob
 * the catalog knows again. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/packer.h"
#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	struct repo_fixture rf;
	struct cairn_zctx *z;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	repo_fixture_init(&f->rf, "packer");
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_zctx_new(3, &f->z), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_zctx_free(f->z);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static void assert_reads_back(struct fixture *f, const uint8_t id[CAIRN_ID_BYTES], const void *data, size_t len,
			      struct cairn_blob_loc *ret_loc)
{
	struct cairn_buf out = { 0 };

	assert_int_equal(cairn_repo_blob_read(f->rf.r, f->z, CAIRN_BLOB_DATA, id, &out, ret_loc), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, data, len);
	cairn_buf_free(&out);
}

static void test_packer_add_and_deduplicate(void **state)
{
	struct fixture *f = *state;
	struct cairn_packer *p = NULL;
	struct cairn_buf scratch = { 0 };
	uint8_t data[5000], id[CAIRN_ID_BYTES], again[CAIRN_ID_BYTES];
	int added = -1;

	cairn_test_fill_random(data, sizeof(data), 1);
	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	assert_int_equal(cairn_packer_add(p, f->z, &scratch, CAIRN_BLOB_DATA, data, sizeof(data), id, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(cairn_packer_add(p, f->z, &scratch, CAIRN_BLOB_DATA, data, sizeof(data), again, &added), 0);
	assert_int_equal(added, 0); /* this run has it */
	assert_memory_equal(id, again, CAIRN_ID_BYTES);
	assert_int_equal(cairn_packer_flush(p), 0);
	assert_int_equal(cairn_packer_stats(p)->blobs_added, 1);
	assert_int_equal(cairn_packer_stats(p)->packs_written, 1);
	cairn_packer_free(p);
	assert_reads_back(f, id, data, sizeof(data), NULL);

	/* a new packer deduplicates against the catalog */
	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	assert_int_equal(cairn_packer_add(p, f->z, &scratch, CAIRN_BLOB_DATA, data, sizeof(data), again, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(cairn_packer_has(p, CAIRN_BLOB_DATA, id), 1);
	assert_int_equal(cairn_packer_has(p, CAIRN_BLOB_TREE, id), 0);
	cairn_packer_free(p);
	cairn_buf_free(&scratch);
}

/* Stored bytes copied out of one pack into another read back the same. In
 * copy mode a blob the catalog knows is stored again (once per run);
 * outside it, it is not. */
static void test_packer_add_stored_copies_sealed_bytes(void **state)
{
	struct fixture *f = *state;
	struct cairn_packer *p = NULL;
	struct cairn_buf scratch = { 0 }, stored = { 0 };
	struct cairn_blob_loc first, second;
	uint8_t data[70000], id[CAIRN_ID_BYTES];
	char name[CAIRN_PACK_NAME_MAX];
	int added = -1;

	/* half random, half zeros: it compresses, so stored != raw length */
	cairn_test_fill_random(data, sizeof(data) / 2, 2);
	memset(data + sizeof(data) / 2, 0, sizeof(data) / 2);
	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	assert_int_equal(cairn_packer_add(p, f->z, &scratch, CAIRN_BLOB_DATA, data, sizeof(data), id, &added), 0);
	assert_int_equal(cairn_packer_flush(p), 0);
	cairn_packer_free(p);
	assert_reads_back(f, id, data, sizeof(data), &first);
	assert_true(first.length < first.raw_length);
	cairn_repo_pack_name(first.pack, name);
	assert_int_equal(cairn_store_get(f->rf.r->store, name, first.offset, first.length, &stored), 0);

	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	assert_int_equal(cairn_packer_add_stored(p, CAIRN_BLOB_DATA, id, stored.data, stored.len, first.raw_length,
						 &added),
			 0);
	assert_int_equal(added, 0); /* not in copy mode: the catalog has it */
	cairn_packer_free(p);

	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	cairn_packer_set_copy(p);
	assert_int_equal(cairn_packer_add_stored(p, CAIRN_BLOB_DATA, id, stored.data, stored.len, first.raw_length,
						 &added),
			 0);
	assert_int_equal(added, 1);
	assert_int_equal(cairn_packer_add_stored(p, CAIRN_BLOB_DATA, id, stored.data, stored.len, first.raw_length,
						 &added),
			 0);
	assert_int_equal(added, 0); /* once per run */
	assert_int_equal(cairn_packer_flush(p), 0);
	assert_int_equal(cairn_packer_stats(p)->blobs_added, 1);
	assert_int_equal(cairn_packer_stats(p)->bytes_added, sizeof(data));
	cairn_packer_free(p);
	assert_reads_back(f, id, data, sizeof(data), &second);
	assert_memory_not_equal(second.pack, first.pack, CAIRN_ID_BYTES); /* the catalog now names the copy */
	assert_int_equal(second.length, first.length);

	cairn_buf_free(&stored);
	cairn_buf_free(&scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packer_add_and_deduplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packer_add_stored_copies_sealed_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
