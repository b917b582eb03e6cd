/* Unit tests for the one index write (lib/repo/repo_index.c): the object is
 * stored before the catalog records it; a store that fails the put leaves
 * the catalog untouched; a catalog that fails after the put is caught up by
 * the next sync; the catalog rows come from the given locations or from
 * the sealed object alike. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	struct repo_fixture rf;
	struct cairn_store *faulty; /* owned by rf.r */
	struct cairn_blob_loc *locs;
	size_t nlocs;
	uint8_t pack[CAIRN_ID_BYTES];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_buf pack = { 0 };
	char name[CAIRN_PACK_NAME_MAX];

	repo_fixture_init(&f->rf, "repo_index");
	repo_fixture_create(&f->rf, NULL);
	repo_fixture_reopen_faulty(&f->rf, &f->faulty);
	/* a pack of three blobs that no index object lists yet */
	repo_fixture_build_pack(&f->rf, 3, 3000, 100, &pack, f->pack, &f->locs, &f->nlocs);
	cairn_repo_pack_name(f->pack, name);
	assert_int_equal(cairn_store_put(cairn_repo_store(f->rf.r), name, pack.data, pack.len), 0);
	cairn_buf_free(&pack);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->locs);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static struct cairn_index_builder *builder_of(struct fixture *f)
{
	struct cairn_index_builder *b = NULL;

	assert_int_equal(cairn_index_builder_new(&b), 0);
	assert_int_equal(cairn_index_builder_add_pack(b, f->locs, f->nlocs), 0);
	return b;
}

/* 1 when every blob of the pack is in the catalog at its location, 0 when
 * none is (anything in between fails). */
static int catalog_knows(struct fixture *f)
{
	struct cairn_blob_loc got;
	size_t known = 0;

	for (size_t i = 0; i < f->nlocs; i++) {
		int rc = cairn_catalog_blob_get(cairn_repo_catalog(f->rf.r), f->locs[i].id, CAIRN_BLOB_DATA, &got);

		if (rc == CAIRN_ENOTFOUND)
			continue;
		assert_int_equal(rc, 0);
		assert_memory_equal(got.pack, f->pack, CAIRN_ID_BYTES);
		assert_int_equal(got.offset, f->locs[i].offset);
		known++;
	}
	assert_true(known == 0 || known == f->nlocs);
	return known == f->nlocs;
}

struct names {
	char name[8][CAIRN_REPO_NAME_MAX];
	size_t n;
};

static int collect(void *ctx, const char *name, uint64_t size)
{
	struct names *l = ctx;

	(void)size;
	if (l->n < 8)
		snprintf(l->name[l->n], sizeof(l->name[0]), "%s", name);
	l->n++;
	return 0;
}

static size_t index_objects(struct fixture *f, struct names *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(cairn_store_list(cairn_repo_store(f->rf.r), "index/", collect, l), 0);
	return l->n;
}

static void test_repo_index_write_stores_then_records(void **state)
{
	struct fixture *f = *state;
	struct cairn_index_builder *b = builder_of(f);
	struct names l;
	uint64_t bytes = 0;

	assert_int_equal(catalog_knows(f), 0);
	assert_int_equal(cairn_repo_index_write(f->rf.r, b, f->locs, f->nlocs, &bytes), 0);
	assert_true(bytes > 0);
	assert_int_equal(cairn_index_builder_packs(b), 0); /* emptied */
	assert_int_equal(index_objects(f, &l), 1);
	assert_int_equal(catalog_knows(f), 1);
	assert_int_equal(cairn_catalog_index_seen(cairn_repo_catalog(f->rf.r), l.name[0]), 1);
	/* an empty builder writes nothing */
	assert_int_equal(cairn_repo_index_write(f->rf.r, b, NULL, 0, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(index_objects(f, &l), 1);
	cairn_index_builder_free(b);
}

static void test_repo_index_write_from_sealed_object(void **state)
{
	struct fixture *f = *state;
	struct cairn_index_builder *b = builder_of(f);

	/* locs NULL: the rows come from the object itself (prune's sweep) */
	assert_int_equal(cairn_repo_index_write(f->rf.r, b, NULL, 0, NULL), 0);
	assert_int_equal(catalog_knows(f), 1);
	cairn_index_builder_free(b);
}

static void test_repo_index_write_put_fails_catalog_untouched(void **state)
{
	struct fixture *f = *state;
	struct cairn_index_builder *b = builder_of(f);
	struct names l;

	cairn_store_fault_set(f->faulty, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, "index/", 1, 0, CAIRN_EIO);
	assert_int_equal(cairn_repo_index_write(f->rf.r, b, f->locs, f->nlocs, NULL), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "cannot store index object 'index/"));
	assert_int_equal(index_objects(f, &l), 0);
	assert_int_equal(catalog_knows(f), 0);
	cairn_store_fault_set(f->faulty, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	cairn_index_builder_free(b);
}

static void sql(const char *path, const char *stmt)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_repo_index_write_catalog_fails_next_sync_recovers(void **state)
{
	struct fixture *f = *state;
	struct cairn_index_builder *b = builder_of(f);
	struct names l;

	/* the catalog refuses to record the object's name, after the put */
	sql(f->rf.r->catalog_path, "CREATE TRIGGER refuse BEFORE INSERT ON index_objects "
				   "BEGIN SELECT RAISE(ABORT, 'injected catalog failure'); END");
	assert_true(cairn_repo_index_write(f->rf.r, b, f->locs, f->nlocs, NULL) < 0);
	assert_non_null(strstr(cairn_err_msg(), "is stored but not recorded in the catalog"));
	assert_int_equal(index_objects(f, &l), 1); /* stored */
	assert_int_equal(catalog_knows(f), 0);      /* rolled back whole */
	assert_int_equal(cairn_catalog_index_seen(cairn_repo_catalog(f->rf.r), l.name[0]), 0);

	/* the next run's sync loads it */
	sql(f->rf.r->catalog_path, "DROP TRIGGER refuse");
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	assert_int_equal(catalog_knows(f), 1);
	assert_int_equal(cairn_catalog_index_seen(cairn_repo_catalog(f->rf.r), l.name[0]), 1);
	cairn_index_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repo_index_write_stores_then_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_index_write_from_sealed_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_index_write_put_fails_catalog_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_index_write_catalog_fails_next_sync_recovers, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
