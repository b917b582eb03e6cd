/* Tests for the catalog's records of objects on replica sites, and the
 * migration that added them (schema version 1 -> 2). */
#include "cairn_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fixture.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO CATALOG_FIXTURE_REPO

static void id_of(char d, char out[CAIRN_ID_HEX])
{
	memset(out, d, CAIRN_ID_HEX - 1);
	out[CAIRN_ID_HEX - 1] = '\0';
}

static void test_catalog_site_put_has_forget(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 9, bytes = 9;

	assert_int_equal(cairn_catalog_site_has(f->c, "dr", "data/ab/abcd"), 0);
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", "data/ab/abcd", 100), 0);
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", "index/ef", 20), 0);
	assert_int_equal(cairn_catalog_site_put(f->c, "other", "data/ab/abcd", 100), 0);
	assert_int_equal(cairn_catalog_site_has(f->c, "dr", "data/ab/abcd"), 1);
	assert_int_equal(cairn_catalog_site_has(f->c, "dr", "data/ab/abce"), 0);
	assert_int_equal(cairn_catalog_site_has(f->c, "dr2", "data/ab/abcd"), 0);
	/* put again updates the size, not the count */
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", "index/ef", 30), 0);
	assert_int_equal(cairn_catalog_site_count(f->c, "dr", &n, &bytes), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bytes, 130);
	assert_int_equal(cairn_catalog_site_forget(f->c, "dr", "index/ef"), 0);
	assert_int_equal(cairn_catalog_site_forget(f->c, "dr", "index/ef"), 0);
	assert_int_equal(cairn_catalog_site_has(f->c, "dr", "index/ef"), 0);
	assert_int_equal(cairn_catalog_site_clear(f->c, "dr"), 0);
	assert_int_equal(cairn_catalog_site_count(f->c, "dr", &n, &bytes), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	/* other sites are left alone */
	assert_int_equal(cairn_catalog_site_has(f->c, "other", "data/ab/abcd"), 1);
}

static void test_catalog_site_bad_args(void **state)
{
	struct fixture *f = *state;
	char long_site[600];

	memset(long_site, 's', sizeof(long_site) - 1);
	long_site[sizeof(long_site) - 1] = '\0';
	assert_int_equal(cairn_catalog_site_put(f->c, "", "x", 1), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_site_put(f->c, long_site, "x", 1), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "site name"));
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", "", 1), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_site_has(f->c, NULL, "x"), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_site_put(NULL, "dr", "x", 1), CAIRN_EINVAL);
}

static void test_catalog_site_newest(void **state)
{
	struct fixture *f = *state;
	char a[CAIRN_ID_HEX], b[CAIRN_ID_HEX], c[CAIRN_ID_HEX], got[CAIRN_ID_HEX], name[80];
	int64_t t = 0;

	id_of('a', a);
	id_of('b', b);
	id_of('c', c);
	assert_int_equal(cairn_catalog_site_newest(f->c, "dr", got, &t), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "'dr'"));
	assert_int_equal(cairn_catalog_snapshot_put(f->c, a, 100, "{}"), 0);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, b, 300, "{}"), 0);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, c, 200, "{}"), 0);
	/* only snapshots recorded on the site count; the newest of them wins */
	snprintf(name, sizeof(name), "snapshots/%s", a);
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", name, 1), 0);
	snprintf(name, sizeof(name), "snapshots/%s", c);
	assert_int_equal(cairn_catalog_site_put(f->c, "dr", name, 1), 0);
	assert_int_equal(cairn_catalog_site_newest(f->c, "dr", got, &t), 0);
	assert_string_equal(got, c);
	assert_int_equal(t, 200);
	/* a snapshot forgotten by the catalog no longer counts */
	assert_int_equal(cairn_catalog_snapshot_delete(f->c, c), 0);
	assert_int_equal(cairn_catalog_site_newest(f->c, "dr", got, &t), 0);
	assert_string_equal(got, a);
	assert_int_equal(cairn_catalog_site_newest(f->c, "elsewhere", got, &t), CAIRN_ENOTFOUND);
}

static void test_catalog_meta_i64(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_catalog_meta_get_i64(f->c, "never.set"), 0);
	assert_int_equal(cairn_catalog_meta_set_i64(f->c, "n", -1234567890123LL), 0);
	assert_int_equal(cairn_catalog_meta_get_i64(f->c, "n"), -1234567890123LL);
	/* not a number: treated as unset */
	assert_int_equal(cairn_catalog_meta_set(f->c, "n", "12x"), 0);
	assert_int_equal(cairn_catalog_meta_get_i64(f->c, "n"), 0);
}

/* A version 1 catalog (before site_objects) is migrated in place, keeping
 * what it holds. */
static void test_catalog_site_migrates_v1(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-sites");
	char *path = cairn_asprintf("%s/catalog.db", dir);
	struct cairn_catalog *c = NULL;
	sqlite3 *db;
	char *value = NULL;
	char sql[1024];

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
		 "CREATE TABLE blobs (id BLOB, type INT, pack BLOB, off INT, len INT,"
		 " raw_len INT, PRIMARY KEY (id, type)) WITHOUT ROWID;"
		 "CREATE INDEX blobs_pack ON blobs (pack);"
		 "CREATE TABLE index_objects (name TEXT PRIMARY KEY) WITHOUT ROWID;"
		 "CREATE TABLE snapshots (id TEXT PRIMARY KEY, time_ns INT, json TEXT);"
		 "CREATE INDEX snapshots_time ON snapshots (time_ns);"
		 "CREATE TABLE files (path BLOB PRIMARY KEY, dev INT, ino INT, size INT, mtime_ns INT,"
		 " ctime_ns INT, ids BLOB);"
		 "INSERT INTO meta VALUES ('repo_id', '%s'), ('kept', 'yes');"
		 "PRAGMA user_version = 1;",
		 REPO);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(cairn_catalog_open(path, REPO, &c), 0);
	assert_int_equal(cairn_catalog_meta_get(c, "kept", &value), 0);
	assert_string_equal(value, "yes");
	free(value);
	assert_int_equal(cairn_catalog_site_put(c, "dr", "config", 10), 0);
	assert_int_equal(cairn_catalog_site_has(c, "dr", "config"), 1);
	cairn_catalog_close(c);
	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_site_put_has_forget, catalog_fixture_setup,
						catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_site_bad_args, catalog_fixture_setup,
						catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_site_newest, catalog_fixture_setup,
						catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_meta_i64, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test(test_catalog_site_migrates_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
