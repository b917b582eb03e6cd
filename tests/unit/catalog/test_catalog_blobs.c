/* Tests for the catalog blob index and the loaded index objects. */
#include "cairn_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_fixture.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO CATALOG_FIXTURE_REPO
#define MANY 100000


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cairn_blob_loc make_loc(uint32_t n, uint8_t pack)
{
	struct cairn_blob_loc loc;

	memset(&loc, 0, sizeof(loc));
	cairn_test_fill_random(loc.id, sizeof(loc.id), n + 1);
	memset(loc.pack, pack, sizeof(loc.pack));
	loc.type = CAIRN_BLOB_DATA;
	loc.offset = (uint64_t)n * 1000u;
	loc.length = n + 40;
	loc.raw_length = n;
	return loc;
}

static void assert_loc_equal(const struct cairn_blob_loc *got, const struct cairn_blob_loc *want)
{
	assert_memory_equal(got->id, want->id, CAIRN_ID_BYTES);
	assert_int_equal(got->type, want->type);
	assert_memory_equal(got->pack, want->pack, CAIRN_ID_BYTES);
	assert_int_equal(got->offset, want->offset);
	assert_int_equal(got->length, want->length);
	assert_int_equal(got->raw_length, want->raw_length);
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_catalog_blob_put_get(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa), got;

	/* Extremes of every field survive the int64 columns. */
	loc.type = CAIRN_BLOB_TREE;
	loc.offset = UINT64_MAX - 5;
	loc.length = UINT32_MAX;
	loc.raw_length = UINT32_MAX - 1;
	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
	assert_loc_equal(&got, &loc);
	loc = make_loc(2, 0xbb);
	loc.offset = 0;
	loc.length = 0;
	loc.raw_length = 0;
	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
	assert_loc_equal(&got, &loc);
}

static void test_catalog_blob_put_replaces(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa), moved, got;
	uint64_t blobs = 0;

	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	moved = loc;
	memset(moved.pack, 0xcc, sizeof(moved.pack));
	moved.offset = 77;
	assert_int_equal(cairn_catalog_blob_put(f->c, &moved), 0);
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
	assert_loc_equal(&got, &moved);
	assert_int_equal(cairn_catalog_blob_count(f->c, &blobs, NULL), 0);
	assert_int_equal(blobs, 1);
	/* The old pack no longer holds anything. */
	assert_int_equal(cairn_catalog_pack_known(f->c, loc.pack), 0);
	assert_int_equal(cairn_catalog_pack_known(f->c, moved.pack), 1);
}

static void test_catalog_blob_get_not_found(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa), got, untouched;

	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	loc.id[31] ^= 1;
	memset(&got, 0x5a, sizeof(got));
	untouched = got;
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), CAIRN_ENOTFOUND);
	assert_memory_equal(&got, &untouched, sizeof(got));
	assert_non_null(strstr(cairn_err_msg(), f->path));
	assert_int_equal(cairn_catalog_blob_get(f->c, NULL, 1, &got), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_blob_get(NULL, loc.id, loc.type, &got), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_blob_put(f->c, NULL), CAIRN_EINVAL);
}

static void test_catalog_blob_get_malformed_row(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc got;
	uint8_t id[CAIRN_ID_BYTES];

	/* Rows written behind our back: short pack id, negative length,
	 * negative or too large raw length. */
	raw_exec(f->path, "INSERT INTO blobs VALUES (zeroblob(32), 1, x'0102', 0, 1, 1);"
			  "INSERT INTO blobs VALUES (CAST(x'01' || zeroblob(31) AS BLOB), 1, zeroblob(32), 0, -1, 1);"
			  "INSERT INTO blobs VALUES (CAST(x'02' || zeroblob(31) AS BLOB), 1, zeroblob(32), 0, 1, -1);"
			  "INSERT INTO blobs VALUES (CAST(x'03' || zeroblob(31) AS BLOB), 1, zeroblob(32), 0, 1,"
			  " 4294967296);");
	for (uint8_t i = 0; i < 4; i++) {
		memset(id, 0, sizeof(id));
		id[0] = i;
		assert_int_equal(cairn_catalog_blob_get(f->c, id, 1, &got), CAIRN_ECORRUPT);
		assert_non_null(strstr(cairn_err_msg(), f->path));
	}
}

static void test_catalog_pack_known(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa);
	uint8_t other[CAIRN_ID_BYTES];

	assert_int_equal(cairn_catalog_pack_known(f->c, loc.pack), 0);
	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	assert_int_equal(cairn_catalog_pack_known(f->c, loc.pack), 1);
	memcpy(other, loc.pack, sizeof(other));
	other[31] ^= 0x80;
	assert_int_equal(cairn_catalog_pack_known(f->c, other), 0);
	assert_int_equal(cairn_catalog_pack_known(f->c, NULL), CAIRN_EINVAL);
}

static void test_catalog_blob_count(void **state)
{
	struct fixture *f = *state;
	uint64_t blobs = 99, packs = 99;

	assert_int_equal(cairn_catalog_blob_count(f->c, &blobs, &packs), 0);
	assert_int_equal(blobs, 0);
	assert_int_equal(packs, 0);
	for (uint32_t i = 0; i < 5; i++) {
		struct cairn_blob_loc loc = make_loc(i, (uint8_t)(i % 2));

		assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	}
	assert_int_equal(cairn_catalog_blob_count(f->c, &blobs, &packs), 0);
	assert_int_equal(blobs, 5);
	assert_int_equal(packs, 2);
	packs = 0;
	assert_int_equal(cairn_catalog_blob_count(f->c, NULL, &packs), 0);
	assert_int_equal(packs, 2);
	assert_int_equal(cairn_catalog_blob_count(NULL, &blobs, &packs), CAIRN_EINVAL);
}

static void test_catalog_blob_put_many(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc, got;
	uint64_t blobs = 0, packs = 0;
	double t0, put_s, get_s, miss_s, txn_s;

	t0 = now_s();
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	for (uint32_t i = 0; i < MANY; i++) {
		loc = make_loc(i, (uint8_t)(i / 1000));
		assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	}
	assert_int_equal(cairn_catalog_commit(f->c), 0);
	put_s = now_s() - t0;

	t0 = now_s();
	for (uint32_t i = 0; i < MANY; i++) {
		loc = make_loc(i, (uint8_t)(i / 1000));
		assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
		assert_int_equal(got.offset, loc.offset);
		assert_int_equal(got.pack[0], loc.pack[0]);
	}
	get_s = now_s() - t0;

	t0 = now_s();
	for (uint32_t i = 0; i < MANY; i++) {
		loc = make_loc(MANY + i, 0);
		assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), CAIRN_ENOTFOUND);
	}
	miss_s = now_s() - t0;

	/* Inside a transaction the per-statement read lock is taken once. */
	t0 = now_s();
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	for (uint32_t i = 0; i < MANY; i++) {
		loc = make_loc(i, (uint8_t)(i / 1000));
		assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
		assert_int_equal(got.length, loc.length);
	}
	assert_int_equal(cairn_catalog_commit(f->c), 0);
	txn_s = now_s() - t0;

	print_message("blob put: %d in one transaction in %.3f s, %.0f puts/s\n", MANY, put_s, MANY / put_s);
	print_message("blob get (autocommit): %d hits in %.3f s, %.0f lookups/s; %d misses in %.3f s, %.0f lookups/s\n", MANY,
		      get_s, MANY / get_s, MANY, miss_s, MANY / miss_s);
	print_message("blob get: %d hits inside one transaction in %.3f s, %.0f lookups/s\n", MANY, txn_s,
		      MANY / txn_s);
	assert_int_equal(cairn_catalog_blob_count(f->c, &blobs, &packs), 0);
	assert_int_equal(blobs, MANY);
	assert_int_equal(packs, (MANY + 999) / 1000);
}

struct names {
	char list[8][32];
	int count;
	int stop_at;             /* return 7 at this call (or -1) */
	struct cairn_catalog *c; /* forget each name while walking (or NULL) */
};

static int collect_name(void *ctx, const char *name)
{
	struct names *n = ctx;

	assert_true(n->count < 8);
	snprintf(n->list[n->count], sizeof(n->list[0]), "%s", name);
	if (n->c != NULL)
		assert_int_equal(cairn_catalog_index_forget(n->c, name), 0);
	return n->count++ == n->stop_at ? 7 : 0;
}

static void test_catalog_index_seen_mark(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_catalog_index_seen(f->c, "ab12"), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "ab12"), 0);
	assert_int_equal(cairn_catalog_index_seen(f->c, "ab12"), 1);
	assert_int_equal(cairn_catalog_index_mark(f->c, "ab12"), 0); /* idempotent */
	assert_int_equal(cairn_catalog_index_seen(f->c, "ab1"), 0);
	assert_int_equal(cairn_catalog_index_seen(f->c, "AB12"), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, ""), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_index_mark(f->c, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_index_seen(NULL, "ab12"), CAIRN_EINVAL);
}

static void test_catalog_index_each(void **state)
{
	struct fixture *f = *state;
	struct names n = { .stop_at = -1 };

	assert_int_equal(cairn_catalog_index_each(f->c, collect_name, &n), 0);
	assert_int_equal(n.count, 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "cc"), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "aa"), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "bb"), 0);
	assert_int_equal(cairn_catalog_index_each(f->c, collect_name, &n), 0);
	assert_int_equal(n.count, 3);
	assert_string_equal(n.list[0], "aa");
	assert_string_equal(n.list[1], "bb");
	assert_string_equal(n.list[2], "cc");
	/* A non-zero callback result stops the walk and is returned. */
	n = (struct names){ .stop_at = 1 };
	assert_int_equal(cairn_catalog_index_each(f->c, collect_name, &n), 7);
	assert_int_equal(n.count, 2);
	assert_int_equal(cairn_catalog_index_each(f->c, NULL, &n), CAIRN_EINVAL);
}

static void test_catalog_index_forget(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa), got;
	struct names n = { .stop_at = -1 };

	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "aa"), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "bb"), 0);
	assert_int_equal(cairn_catalog_index_forget(f->c, "aa"), 0);
	assert_int_equal(cairn_catalog_index_seen(f->c, "aa"), 0);
	assert_int_equal(cairn_catalog_index_seen(f->c, "bb"), 1);
	assert_int_equal(cairn_catalog_index_forget(f->c, "never"), 0);
	/* Blob rows stay. */
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), 0);
	/* The callback may call the catalog: forget everything while walking. */
	n.c = f->c;
	assert_int_equal(cairn_catalog_index_each(f->c, collect_name, &n), 0);
	assert_int_equal(n.count, 1);
	assert_int_equal(cairn_catalog_index_seen(f->c, "bb"), 0);
}

/* Clearing the blob index drops blobs, index objects, index packs and
 * prune marks, and keeps snapshots, the files cache, sites and meta. */
static void test_catalog_index_clear(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc loc = make_loc(1, 0xaa), got;
	struct cairn_catalog_file file = { .dev = 1, .ino = 2, .size = 3 }, back = { 0 };
	const char snap[] = "1111111111111111111111111111111111111111111111111111111111111111";
	char *value = NULL;

	file.count = 1;
	file.ids = loc.id;
	assert_int_equal(cairn_catalog_blob_put(f->c, &loc), 0);
	assert_int_equal(cairn_catalog_index_pack_put(f->c, "index/aa", loc.pack, 100), 0);
	assert_int_equal(cairn_catalog_index_mark(f->c, "index/aa"), 0);
	assert_true(cairn_catalog_mark_put(f->c, loc.pack, 5) >= 0);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, snap, 7, "{}"), 0);
	assert_int_equal(cairn_catalog_file_put(f->c, "/x", 2, &file), 0);
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", "data/aa", 9), 0);
	assert_int_equal(cairn_catalog_meta_set(f->c, "k", "v"), 0);

	assert_int_equal(cairn_catalog_index_clear(f->c), 0);
	assert_int_equal(cairn_catalog_blob_get(f->c, loc.id, loc.type, &got), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_catalog_index_seen(f->c, "index/aa"), 0);
	assert_int_equal(cairn_catalog_pack_known(f->c, loc.pack), 0);
	assert_int_equal(cairn_catalog_mark_put(f->c, loc.pack, 6), 1); /* the old mark is gone */
	assert_int_equal(cairn_catalog_snapshot_known(f->c, snap), 1);
	assert_int_equal(cairn_catalog_file_get(f->c, "/x", 2, &back), 0);
	assert_int_equal(back.count, 1);
	assert_memory_equal(back.ids, loc.id, CAIRN_ID_BYTES);
	cairn_catalog_file_clear(&back);
	assert_int_equal(cairn_catalog_site_has(f->c, "dr", "data/aa"), 1);
	assert_int_equal(cairn_catalog_meta_get(f->c, "k", &value), 0);
	assert_string_equal(value, "v");
	free(value);
	assert_int_equal(cairn_catalog_index_clear(NULL), CAIRN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_blob_put_get, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_blob_put_replaces, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_blob_get_not_found, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_blob_get_malformed_row, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_pack_known, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_blob_count, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_blob_put_many, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_index_seen_mark, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_index_each, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_index_forget, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_index_clear, catalog_fixture_setup, catalog_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
