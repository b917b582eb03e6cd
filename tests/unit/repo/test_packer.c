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

#include <pthread.h>
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

/* Threads adding blobs at once, more threads than open packs, with blobs
 * shared between threads: each distinct blob is stored once, every pack is
 * finished by the thread that filled it, and after the flush every blob
 * reads back from the repository. */
#define PAR_THREADS 4
#define PAR_BLOBS 300
#define PAR_MAX 9000

struct par_arg {
	struct cairn_packer *p;
	int thread;
	int rc;
	unsigned added;
};

/* Blob k: PAR_MAX bytes at most; seeds repeat across threads (k % 200). */
static size_t par_blob(unsigned k, uint8_t *data)
{
	size_t len = (k * 7919u) % PAR_MAX;

	cairn_test_fill_random(data, len, 90000 + k);
	if (k % 3 == 0)
		memset(data, 'p', len / 3);
	return len;
}

static void *par_main(void *arg)
{
	struct par_arg *a = arg;
	struct cairn_zctx *z = NULL;
	struct cairn_buf scratch = { 0 };
	uint8_t data[PAR_MAX], id[CAIRN_ID_BYTES];

	a->rc = cairn_zctx_new(3, &z);
	for (unsigned i = 0; a->rc == 0 && i < PAR_BLOBS; i++) {
		unsigned k = (i + (unsigned)a->thread * 100u) % 500u;
		size_t len = par_blob(k, data);
		int added = 0;

		a->rc = cairn_packer_add(a->p, z, &scratch, CAIRN_BLOB_DATA, data, len, id, &added);
		a->added += (unsigned)added;
	}
	cairn_buf_free(&scratch);
	cairn_zctx_free(z);
	return NULL;
}

static void test_packer_parallel_open_packs(void **state)
{
	struct fixture *f = *state;
	struct cairn_packer *p = NULL;
	struct par_arg args[PAR_THREADS];
	pthread_t tids[PAR_THREADS];
	uint8_t data[PAR_MAX], id[CAIRN_ID_BYTES];
	unsigned added = 0, distinct = 0, seen[500] = { 0 };

	f->rf.r->config.pack_target = 64 * 1024; /* many packs */
	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	assert_int_equal(cairn_packer_set_parallel(p, 3), 0);
	for (int t = 0; t < PAR_THREADS; t++) {
		args[t] = (struct par_arg){ .p = p, .thread = t };
		assert_int_equal(pthread_create(&tids[t], NULL, par_main, &args[t]), 0);
	}
	for (int t = 0; t < PAR_THREADS; t++) {
		assert_int_equal(pthread_join(tids[t], NULL), 0);
		assert_int_equal(args[t].rc, 0);
		added += args[t].added;
	}
	assert_int_equal(cairn_packer_flush(p), 0);
	for (int t = 0; t < PAR_THREADS; t++)
		for (unsigned i = 0; i < PAR_BLOBS; i++) {
			unsigned k = (i + (unsigned)t * 100u) % 500u;

			distinct += seen[k] == 0;
			seen[k] = 1;
		}
	/* k and k' with equal content (length 0) share an id */
	assert_true(added <= distinct);
	assert_true(added >= distinct - 1);
	assert_int_equal(cairn_packer_stats(p)->blobs_added, added);
	assert_true(cairn_packer_stats(p)->packs_written > 3);
	cairn_packer_free(p);
	for (unsigned k = 0; k < 500; k++) {
		size_t len;

		if (!seen[k])
			continue;
		len = par_blob(k, data);
		cairn_blob_id(f->rf.r->keys, data, len, id);
		assert_reads_back(f, id, data, len, NULL);
	}
}

/* On a store with streamed puts, packs larger than what a slot keeps in
 * memory are written out as they fill: every blob reads back, and each
 * pack object is exactly the bytes its name (their SHA-256) says. */
static void test_packer_streams_large_packs(void **state)
{
	struct fixture *f = *state;
	struct cairn_packer *p = NULL;
	struct cairn_buf scratch = { 0 }, obj = { 0 };
	enum { N = 12, LEN = 700 * 1024 };
	uint8_t *data = malloc(LEN), ids[N][CAIRN_ID_BYTES], got[CAIRN_ID_BYTES];
	struct cairn_blob_loc locs[N];
	char name[CAIRN_PACK_NAME_MAX];
	size_t largest = 0;

	assert_non_null(data);
	assert_true(cairn_store_caps(f->rf.r->store) & CAIRN_STORE_CAP_STREAMED_PUT);
	f->rf.r->config.pack_target = 4 * 1024 * 1024;
	assert_int_equal(cairn_packer_new(f->rf.r, &p), 0);
	for (unsigned i = 0; i < N; i++) {
		int added = 0;

		cairn_test_fill_random(data, LEN, 500 + i);
		assert_int_equal(cairn_packer_add(p, f->z, &scratch, CAIRN_BLOB_DATA, data, LEN, ids[i], &added), 0);
		assert_int_equal(added, 1);
	}
	assert_int_equal(cairn_packer_flush(p), 0);
	assert_true(cairn_packer_stats(p)->packs_written >= 2);
	cairn_packer_free(p);
	for (unsigned i = 0; i < N; i++) {
		cairn_test_fill_random(data, LEN, 500 + i);
		assert_reads_back(f, ids[i], data, LEN, &locs[i]);
		cairn_repo_pack_name(locs[i].pack, name);
		cairn_buf_reset(&obj);
		assert_int_equal(cairn_store_get(f->rf.r->store, name, 0, UINT64_MAX, &obj), 0);
		if (obj.len > largest)
			largest = obj.len;
		cairn_storage_id(obj.data, obj.len, got);
		assert_memory_equal(got, locs[i].pack, CAIRN_ID_BYTES);
	}
	assert_true(largest > 3 * 1024 * 1024); /* more than a slot keeps in memory */
	cairn_buf_free(&obj);
	cairn_buf_free(&scratch);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packer_add_and_deduplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packer_add_stored_copies_sealed_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packer_parallel_open_packs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packer_streams_large_packs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
