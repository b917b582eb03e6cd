/* Tests for the catalog files cache. */
#include "cairn_test.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fixture.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO CATALOG_FIXTURE_REPO


static void assert_file_equal(const struct cairn_catalog_file *got, const struct cairn_catalog_file *want)
{
	assert_int_equal(got->dev, want->dev);
	assert_int_equal(got->ino, want->ino);
	assert_int_equal(got->size, want->size);
	assert_int_equal(got->mtime_ns, want->mtime_ns);
	assert_int_equal(got->ctime_ns, want->ctime_ns);
	assert_int_equal(got->count, want->count);
	assert_int_equal(got->no_xattrs, want->no_xattrs);
	if (want->count == 0)
		assert_null(got->ids);
	else
		assert_memory_equal(got->ids, want->ids, want->count * CAIRN_ID_BYTES);
}

static void test_catalog_file_roundtrip(void **state)
{
	struct fixture *f = *state;
	uint8_t ids[3 * CAIRN_ID_BYTES];
	struct cairn_catalog_file in = {
		.dev = UINT64_MAX, .ino = 1ull << 63, .size = 12345, .mtime_ns = -1, .ctime_ns = INT64_MAX,
		.count = 3, .ids = ids,
	};
	struct cairn_catalog_file out;
	static const char path[] = "/home/u/a file\nwith newline\xff\xfe\x80.txt";

	cairn_test_fill_random(ids, sizeof(ids), 3);
	assert_int_equal(cairn_catalog_file_put(f->c, path, sizeof(path) - 1, &in), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, path, sizeof(path) - 1, &out), 0);
	assert_file_equal(&out, &in);
	cairn_catalog_file_clear(&out);
	assert_null(out.ids);
	assert_int_equal(out.count, 0);
	/* A prefix of the path is another key. */
	assert_int_equal(cairn_catalog_file_get(f->c, path, sizeof(path) - 2, &out), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), f->path));
}

static void test_catalog_file_zero_ids(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog_file in = { .dev = 1, .ino = 2, .size = 0, .mtime_ns = 3, .ctime_ns = 4 };
	struct cairn_catalog_file out;

	assert_int_equal(cairn_catalog_file_put(f->c, "/empty", 6, &in), 0);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(cairn_catalog_file_get(f->c, "/empty", 6, &out), 0);
	assert_file_equal(&out, &in);
	cairn_catalog_file_clear(&out);
}

static void test_catalog_file_binary_paths(void **state)
{
	struct fixture *f = *state;
	/* Paths differing only after an embedded NUL are distinct keys. */
	static const char a[] = "dir\0a";
	static const char b[] = "dir\0b";
	uint8_t id_a[CAIRN_ID_BYTES], id_b[CAIRN_ID_BYTES];
	struct cairn_catalog_file fa = { .size = 1, .count = 1, .ids = id_a };
	struct cairn_catalog_file fb = { .size = 2, .count = 1, .ids = id_b };
	struct cairn_catalog_file out;

	memset(id_a, 0xaa, sizeof(id_a));
	memset(id_b, 0xbb, sizeof(id_b));
	assert_int_equal(cairn_catalog_file_put(f->c, a, sizeof(a) - 1, &fa), 0);
	assert_int_equal(cairn_catalog_file_put(f->c, b, sizeof(b) - 1, &fb), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, a, sizeof(a) - 1, &out), 0);
	assert_file_equal(&out, &fa);
	cairn_catalog_file_clear(&out);
	assert_int_equal(cairn_catalog_file_get(f->c, b, sizeof(b) - 1, &out), 0);
	assert_file_equal(&out, &fb);
	cairn_catalog_file_clear(&out);
	assert_int_equal(cairn_catalog_file_get(f->c, "dir", 3, &out), CAIRN_ENOTFOUND);
}

static void test_catalog_file_put_replaces(void **state)
{
	struct fixture *f = *state;
	uint8_t ids[2 * CAIRN_ID_BYTES];
	struct cairn_catalog_file first = { .size = 10, .count = 2, .ids = ids };
	struct cairn_catalog_file second = { .size = 20, .mtime_ns = 7 };
	struct cairn_catalog_file out;

	cairn_test_fill_random(ids, sizeof(ids), 9);
	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 2, &first), 0);
	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 2, &second), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/f", 2, &out), 0);
	assert_file_equal(&out, &second);
	cairn_catalog_file_clear(&out);
}

static void test_catalog_file_invalid_args(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog_file in = { .count = 1, .ids = NULL };
	struct cairn_catalog_file out = { 0 };

	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 2, &in), CAIRN_EINVAL);
	in.count = SIZE_MAX / 16;
	in.ids = (uint8_t *)"x";
	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 2, &in), CAIRN_EINVAL);
	in.count = 0;
	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 0, &in), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_put(f->c, NULL, 2, &in), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_put(f->c, "/f", 2, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_put(NULL, "/f", 2, &in), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_get(f->c, "/f", 0, &out), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_get(f->c, "/f", (size_t)INT_MAX + 1, &out), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_file_get(f->c, "/f", 2, NULL), CAIRN_EINVAL);
	/* Nothing was stored by the refused puts. */
	assert_int_equal(cairn_catalog_file_get(f->c, "/f", 2, &out), CAIRN_ENOTFOUND);
	cairn_catalog_file_clear(NULL);
}

static void test_catalog_file_no_xattrs(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog_file in = { .dev = 1, .ino = 2, .size = 0, .mtime_ns = 3, .ctime_ns = 4, .no_xattrs = 1 };
	struct cairn_catalog_file out;
	sqlite3 *db = NULL;

	assert_int_equal(cairn_catalog_file_put(f->c, "/n", 2, &in), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/n", 2, &out), 0);
	assert_file_equal(&out, &in);
	in.no_xattrs = 0;
	assert_int_equal(cairn_catalog_file_put(f->c, "/n", 2, &in), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/n", 2, &out), 0);
	assert_file_equal(&out, &in);
	/* a row written without the column (as before version 4): unknown */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids) "
					  "VALUES (x'2f6f', 1, 2, 0, 3, 4, x'')", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(cairn_catalog_file_get(f->c, "/o", 2, &out), 0);
	assert_int_equal(out.no_xattrs, 0);
	assert_int_equal(out.count, 0);
}

static void put_size(struct cairn_catalog *c, const char *path, uint64_t size)
{
	struct cairn_catalog_file in = { .dev = 1, .ino = 2, .size = size, .mtime_ns = 3, .ctime_ns = 4 };

	assert_int_equal(cairn_catalog_file_put(c, path, strlen(path), &in), 0);
}

/* One directory's rows in one scan: names with rows are found (each its own
 * row), others not, whatever rows of subdirectories, of neighbours sharing
 * a prefix ("/d0", "/d.x") or of other directories lie around them. */
static void test_catalog_file_get_dir(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "a", "b", "c", "sub", "sub0", "z", "\xff" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	const char *root_names[] = { "d", "top" };
	struct cairn_catalog_file rows[7];
	uint8_t found[7];
	char p[64];

	put_size(f->c, "/d/a", 1);
	put_size(f->c, "/d/b", 2);
	for (int i = 0; i < 40; i++) { /* more than the rows stepped over before a seek */
		snprintf(p, sizeof(p), "/d/sub/x%02d", i);
		put_size(f->c, p, 100 + (uint64_t)i);
	}
	put_size(f->c, "/d/sub0", 3);
	put_size(f->c, "/d/z", 4);
	put_size(f->c, "/d/\xff", 5);
	put_size(f->c, "/d0", 6);
	put_size(f->c, "/d.x", 7);
	put_size(f->c, "/e/c", 8);
	put_size(f->c, "/top", 9);

	assert_int_equal(cairn_catalog_file_get_dir(f->c, "/d", 2, names, n, rows, found), 0);
	{
		const uint8_t want_found[7] = { 1, 1, 0, 0, 1, 1, 1 };
		const uint64_t want_size[7] = { 1, 2, 0, 0, 3, 4, 5 };

		for (size_t i = 0; i < n; i++) {
			assert_int_equal(found[i], want_found[i]);
			assert_int_equal(rows[i].size, want_size[i]);
			cairn_catalog_file_clear(&rows[i]);
		}
	}
	/* the root directory: "/NAME" */
	assert_int_equal(cairn_catalog_file_get_dir(f->c, "", 0, root_names, 2, rows, found), 0);
	assert_int_equal(found[0], 0); /* "/d" itself has no row */
	assert_int_equal(found[1], 1);
	assert_int_equal(rows[1].size, 9);
	/* a directory without rows, and no names */
	assert_int_equal(cairn_catalog_file_get_dir(f->c, "/none", 5, names, n, rows, found), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(found[i], 0);
	assert_int_equal(cairn_catalog_file_get_dir(f->c, "/d", 2, names, 0, NULL, NULL), 0);
	assert_int_equal(cairn_catalog_file_get_dir(NULL, "/d", 2, names, n, rows, found), CAIRN_EINVAL);
}

static void test_catalog_file_get_corrupt_ids(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog_file out;
	sqlite3 *db = NULL;

	/* Rows written behind our back: 33 bytes of ids, NULL ids, text ids. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids) VALUES (x'2f61', 1, 2, 3, 4, 5, zeroblob(33));"
				      "INSERT INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids) VALUES (x'2f62', 1, 2, 3, 4, 5, NULL);"
				      "INSERT INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids) VALUES (x'2f63', 1, 2, 3, 4, 5, '"
				      "0123456789abcdef0123456789abcdef');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(cairn_catalog_file_get(f->c, "/a", 2, &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), f->path));
	assert_int_equal(cairn_catalog_file_get(f->c, "/b", 2, &out), CAIRN_ECORRUPT);
	assert_int_equal(cairn_catalog_file_get(f->c, "/c", 2, &out), CAIRN_ECORRUPT);
	/* The result was not written. */
	assert_int_equal(out.count, 0x5a5a5a5a5a5a5a5aull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_file_roundtrip, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_zero_ids, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_binary_paths, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_put_replaces, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_invalid_args, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_get_dir, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_no_xattrs, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_file_get_corrupt_ids, catalog_fixture_setup, catalog_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
