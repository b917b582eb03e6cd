/* Tests for the catalog's SQLite error mapping, including a real lock
 * timeout (this program takes about 10 s: the busy timeout). */
#include "cairn_test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/catalog.h"
#include "cairn/err.h"
#include "catalog/catalog_internal.h"

#define REPO "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_catalog_code_maps(void **state)
{
	(void)state;
	assert_int_equal(cairn_catalog_code(SQLITE_BUSY), CAIRN_ELOCKED);
	assert_int_equal(cairn_catalog_code(SQLITE_BUSY_SNAPSHOT), CAIRN_ELOCKED);
	assert_int_equal(cairn_catalog_code(SQLITE_LOCKED), CAIRN_ELOCKED);
	assert_int_equal(cairn_catalog_code(SQLITE_FULL), CAIRN_ENOSPC);
	assert_int_equal(cairn_catalog_code(SQLITE_NOMEM), CAIRN_ENOMEM);
	assert_int_equal(cairn_catalog_code(SQLITE_IOERR_WRITE), CAIRN_EIO);
	assert_int_equal(cairn_catalog_code(SQLITE_CORRUPT), CAIRN_EIO);
	assert_int_equal(cairn_catalog_code(SQLITE_NOTADB), CAIRN_EIO);
	assert_int_equal(cairn_catalog_code(SQLITE_READONLY), CAIRN_EIO);
	assert_int_equal(cairn_catalog_code(SQLITE_ERROR), CAIRN_EIO);
}

static void test_catalog_sqlerr_detail(void **state)
{
	(void)state;
	assert_int_equal(cairn_catalog_sqlite_err(NULL, NULL, SQLITE_FULL, "catalog", "/x/c.db", "cannot store blob"),
			 CAIRN_ENOSPC);
	assert_string_equal(cairn_err_msg(), "catalog '/x/c.db': cannot store blob: database or disk is full");
	/* a database without a path (check's working set) */
	assert_int_equal(cairn_catalog_sqlite_err(NULL, NULL, SQLITE_BUSY, "check working set", NULL, "cannot record"),
			 CAIRN_ELOCKED);
	assert_string_equal(cairn_err_msg(), "check working set: cannot record: database is locked");
}

static void test_catalog_blob_put_locked_times_out(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-sql");
	char *path = cairn_asprintf("%s/catalog.db", dir);
	struct cairn_catalog *c = NULL;
	struct cairn_blob_loc loc;
	struct timespec t0, t1;
	sqlite3 *db = NULL;
	double waited;

	(void)state;
	assert_non_null(path);
	memset(&loc, 0, sizeof(loc));
	loc.id[0] = 1;
	assert_int_equal(cairn_catalog_open(path, REPO, &c), 0);
	/* Another process holds the write lock and never lets go. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cairn_catalog_blob_put(c, &loc), CAIRN_ELOCKED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("locked catalog: gave up after %.1f s: %s\n", waited, cairn_err_msg());
	assert_true(waited > 9.0);
	assert_non_null(strstr(cairn_err_msg(), path));
	/* Reads still work, and writes once the lock is released. */
	assert_int_equal(cairn_catalog_blob_get(c, loc.id, loc.type, &loc), CAIRN_ENOTFOUND);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
	cairn_catalog_close(c);
	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_code_maps),
		cmocka_unit_test(test_catalog_sqlerr_detail),
		cmocka_unit_test(test_catalog_blob_put_locked_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
