/* Tests for catalog open/close: creation, reopening, and replacing files
 * that are not a usable catalog. */
#include "cairn_test.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define REPO_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct cairn_blob_loc make_loc(uint32_t n)
{
	struct cairn_blob_loc loc;

	memset(&loc, 0, sizeof(loc));
	cairn_test_fill_random(loc.id, sizeof(loc.id), 1000 + n);
	cairn_test_fill_random(loc.pack, sizeof(loc.pack), 7);
	loc.type = CAIRN_BLOB_DATA;
	loc.offset = n * 100u;
	loc.length = 100;
	loc.raw_length = 90;
	return loc;
}

static char *join(const char *dir, const char *name)
{
	char *p = cairn_asprintf("%s/%s", dir, name);

	assert_non_null(p);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Run SQL on the file with a plain SQLite connection. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t raw_user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
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

/* Put one blob and close. */
static void seed(const char *path, const char *repo)
{
	struct cairn_catalog *c = NULL;
	struct cairn_blob_loc loc = make_loc(1);

	assert_int_equal(cairn_catalog_open(path, repo, &c), 0);
	assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
	cairn_catalog_close(c);
}

/* 0 when blob 1 is present, CAIRN_ENOTFOUND when not. */
static int has_seed(struct cairn_catalog *c)
{
	struct cairn_blob_loc want = make_loc(1), got;
	int rc = cairn_catalog_blob_get(c, want.id, want.type, &got);

	if (rc == 0)
		assert_loc_equal(&got, &want);
	return rc;
}

static void assert_usable(const char *path, const char *repo)
{
	struct cairn_catalog *c = NULL;
	struct cairn_blob_loc loc = make_loc(2), got;

	assert_int_equal(cairn_catalog_open(path, repo, &c), 0);
	assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
	assert_int_equal(cairn_catalog_blob_get(c, loc.id, loc.type, &got), 0);
	assert_loc_equal(&got, &loc);
	cairn_catalog_close(c);
	assert_int_equal(raw_user_version(path), 4);
}

static void test_catalog_open_creates_and_reopens(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "a/b/catalog.db");
	char *parent = join(dir, "a/b");
	char *wal = join(dir, "a/b/catalog.db-wal");
	struct cairn_catalog *c = NULL;
	struct stat st;
	char *value = NULL;

	(void)state;
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_non_null(c);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(has_seed(c), CAIRN_ENOTFOUND);
	{
		struct cairn_blob_loc loc = make_loc(1);

		assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
	}
	assert_int_equal(cairn_catalog_meta_set(c, "last", "x"), 0);
	/* The WAL file takes the database file's mode. */
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cairn_catalog_close(c);

	c = NULL;
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_int_equal(has_seed(c), 0);
	assert_int_equal(cairn_catalog_meta_get(c, "last", &value), 0);
	assert_string_equal(value, "x");
	free(value);
	assert_int_equal(cairn_catalog_meta_get(c, "repo_id", &value), 0);
	assert_string_equal(value, REPO_A);
	free(value);
	cairn_catalog_close(c);
	assert_int_equal(raw_user_version(path), 4);

	cairn_test_rmtree(dir);
	free(wal);
	free(parent);
	free(path);
	free(dir);
}

static void test_catalog_open_repo_mismatch_wipes(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	struct cairn_catalog *c = NULL;
	char *value = NULL;

	(void)state;
	seed(path, REPO_A);
	assert_int_equal(cairn_catalog_open(path, REPO_B, &c), 0);
	assert_int_equal(has_seed(c), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_catalog_meta_get(c, "repo_id", &value), 0);
	assert_string_equal(value, REPO_B);
	free(value);
	cairn_catalog_close(c);
	/* The new binding sticks. */
	seed(path, REPO_B);
	assert_int_equal(cairn_catalog_open(path, REPO_B, &c), 0);
	assert_int_equal(has_seed(c), 0);
	cairn_catalog_close(c);

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_catalog_open_garbage_replaced(void **state)
{
	static const char *const garbage[] = {
		"x",
		"this is not a database, just some text that happens to sit here\n",
		"SQLite format 3", /* magic without the NUL, then nothing */
	};
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	char *journal = join(dir, "catalog.db-journal");
	uint8_t big[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		write_file(path, garbage[i], strlen(garbage[i]));
		assert_usable(path, REPO_A);
		unlink(path);
	}
	/* Random bytes with a stale rollback journal next to them. */
	cairn_test_fill_random(big, sizeof(big), 42);
	write_file(path, big, sizeof(big));
	write_file(journal, big, 4096);
	assert_usable(path, REPO_A);
	assert_int_equal(access(journal, F_OK), -1);

	cairn_test_rmtree(dir);
	free(journal);
	free(path);
	free(dir);
}

static void test_catalog_open_tampered_header_replaced(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	struct cairn_catalog *c = NULL;
	int fd;

	(void)state;
	seed(path, REPO_A);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "XQLite", 6, 0), 6);
	close(fd);
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_int_equal(has_seed(c), CAIRN_ENOTFOUND);
	cairn_catalog_close(c);

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_catalog_open_truncated_never_lies(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	struct cairn_catalog *c = NULL;
	struct stat st;
	int rc;

	(void)state;
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_int_equal(cairn_catalog_begin(c), 0);
	for (uint32_t i = 0; i < 2000; i++) {
		struct cairn_blob_loc loc = make_loc(i);

		assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
	}
	assert_int_equal(cairn_catalog_commit(c), 0);
	cairn_catalog_close(c); /* checkpoints everything into the file */
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 3 * 4096);
	assert_int_equal(truncate(path, st.st_size / 3), 0);

	c = NULL;
	rc = cairn_catalog_open(path, REPO_A, &c);
	if (rc == 0) {
		unsigned found = 0, failed = 0;

		/* Rows on missing pages fail; none comes back wrong. */
		for (uint32_t i = 0; i < 2000; i++) {
			struct cairn_blob_loc want = make_loc(i), got;

			rc = cairn_catalog_blob_get(c, want.id, want.type, &got);
			if (rc == 0) {
				assert_loc_equal(&got, &want);
				found++;
			} else {
				assert_true(rc == CAIRN_EIO || rc == CAIRN_ENOTFOUND);
				failed++;
			}
		}
		print_message("truncated catalog: %u rows found, %u lookups failed\n", found, failed);
		cairn_catalog_close(c);
	} else {
		assert_int_equal(rc, CAIRN_EIO);
		assert_non_null(strstr(cairn_err_msg(), path));
	}

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_catalog_open_future_version_replaced(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	struct cairn_catalog *c = NULL;

	(void)state;
	seed(path, REPO_A);
	raw_exec(path, "PRAGMA user_version = 99");
	assert_int_equal(raw_user_version(path), 99);
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_int_equal(has_seed(c), CAIRN_ENOTFOUND);
	cairn_catalog_close(c);
	assert_usable(path, REPO_A);

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

/* A version 3 catalog: its files cache rows are kept (no_xattrs unknown),
 * the table has no rowid afterwards, and so are its blobs. */
static void test_catalog_open_migrates_files_v3(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");
	struct cairn_catalog *c = NULL;
	struct cairn_catalog_file f;
	struct cairn_catalog_file in = { .dev = 7, .ino = 8, .size = 0, .mtime_ns = 9, .ctime_ns = 10, .no_xattrs = 1 };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	seed(path, REPO_A);
	raw_exec(path, "DROP TABLE files;"
		       "CREATE TABLE files (path BLOB PRIMARY KEY, dev INT, ino INT, size INT, mtime_ns INT,"
		       " ctime_ns INT, ids BLOB);"
		       "INSERT INTO files VALUES (x'2f61', 1, 2, 32, 3, 4, zeroblob(32));"
		       "PRAGMA user_version = 3");
	assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
	assert_int_equal(raw_user_version(path), 4);
	assert_int_equal(has_seed(c), 0);
	assert_int_equal(cairn_catalog_file_get(c, "/a", 2, &f), 0);
	assert_int_equal(f.dev, 1);
	assert_int_equal(f.ino, 2);
	assert_int_equal(f.size, 32);
	assert_int_equal(f.mtime_ns, 3);
	assert_int_equal(f.ctime_ns, 4);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.no_xattrs, 0);
	cairn_catalog_file_clear(&f);
	assert_int_equal(cairn_catalog_file_put(c, "/b", 2, &in), 0);
	assert_int_equal(cairn_catalog_file_get(c, "/b", 2, &f), 0);
	assert_int_equal(f.no_xattrs, 1);
	cairn_catalog_file_clear(&f);
	cairn_catalog_close(c);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name = 'files'", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 0), "WITHOUT ROWID"));
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_catalog_open_foreign_database_replaced(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *path = join(dir, "catalog.db");

	(void)state;
	/* A valid database with user_version 0 but tables of its own. */
	raw_exec(path, "CREATE TABLE blobs (x); INSERT INTO blobs VALUES (1)");
	assert_usable(path, REPO_A);
	unlink(path);
	/* The right version but a table missing. */
	seed(path, REPO_A);
	raw_exec(path, "DROP TABLE files");
	assert_usable(path, REPO_A);
	unlink(path);
	/* The right version but no repository id. */
	seed(path, REPO_A);
	raw_exec(path, "DELETE FROM meta");
	assert_usable(path, REPO_A);

	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_catalog_open_invalid_args(void **state)
{
	struct cairn_catalog *c = (struct cairn_catalog *)&c;

	(void)state;
	assert_int_equal(cairn_catalog_open(NULL, REPO_A, &c), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_open("", REPO_A, &c), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_open("/tmp/x.db", NULL, &c), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_open("/tmp/x.db", "", &c), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_open("/tmp/x.db", REPO_A, NULL), CAIRN_EINVAL);
	assert_ptr_equal(c, (struct cairn_catalog *)&c);
	cairn_catalog_close(NULL);
}

static void test_catalog_open_unusable_path(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *file = join(dir, "plain");
	char *under_file = join(dir, "plain/sub/catalog.db");
	struct cairn_catalog *c = NULL;
	int rc;

	(void)state;
	/* The path is a directory: it is never deleted. */
	rc = cairn_catalog_open(dir, REPO_A, &c);
	assert_true(rc < 0);
	assert_null(c);
	assert_non_null(strstr(cairn_err_msg(), dir));
	assert_int_equal(access(dir, F_OK), 0);
	/* A parent is a regular file. */
	write_file(file, "x", 1);
	rc = cairn_catalog_open(under_file, REPO_A, &c);
	assert_true(rc < 0);
	assert_null(c);
	assert_non_null(strstr(cairn_err_msg(), under_file));

	cairn_test_rmtree(dir);
	free(under_file);
	free(file);
	free(dir);
}

static void test_catalog_open_uri_like_name(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");
	char *literal = join(dir, "file:cat.db?mode=ro");
	struct cairn_catalog *c = NULL;
	char cwd[4096];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	/* Taken as a relative path, not as a read-only URI. */
	seed("file:cat.db?mode=ro", REPO_A);
	assert_int_equal(chdir(cwd), 0);
	assert_usable(literal, REPO_A);
	assert_int_equal(cairn_catalog_open(literal, REPO_A, &c), 0);
	assert_int_equal(has_seed(c), 0);
	cairn_catalog_close(c);

	cairn_test_rmtree(dir);
	free(literal);
	free(dir);
}

/* Several processes opening a catalog that does not exist yet, all at
 * once, as two overlapping cron backups do on a new host: every one of
 * them must get a usable catalog (switching a new file to WAL can meet
 * SQLITE_BUSY without the busy handler being called). */
#define RACE_PROCS 6
#define RACE_ROUNDS 25

static int race_child(const char *path, int gate, uint32_t n)
{
	struct cairn_catalog *c = NULL;
	struct cairn_blob_loc loc = make_loc(100 + n);
	char go;

	if (read(gate, &go, 1) != 0)
		return 3;
	if (cairn_catalog_open(path, REPO_A, &c) != 0) {
		fprintf(stderr, "child %u: %s\n", n, cairn_err_msg());
		return 1;
	}
	if (cairn_catalog_blob_put(c, &loc) != 0) {
		fprintf(stderr, "child %u: %s\n", n, cairn_err_msg());
		cairn_catalog_close(c);
		return 2;
	}
	cairn_catalog_close(c);
	return 0;
}

static void test_catalog_open_concurrent_creation(void **state)
{
	char *dir = cairn_test_mkdtemp("cat-open");

	(void)state;
	for (int round = 0; round < RACE_ROUNDS; round++) {
		char *path = cairn_asprintf("%s/cat%d.db", dir, round);
		struct cairn_catalog *c = NULL;
		pid_t pids[RACE_PROCS];
		int gate[2];

		assert_non_null(path);
		assert_int_equal(pipe(gate), 0);
		for (uint32_t i = 0; i < RACE_PROCS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				close(gate[1]);
				_exit(race_child(path, gate[0], i));
			}
		}
		/* Closing the write end releases every child at once. */
		close(gate[0]);
		close(gate[1]);
		for (int i = 0; i < RACE_PROCS; i++) {
			int status;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(cairn_catalog_open(path, REPO_A, &c), 0);
		for (uint32_t i = 0; i < RACE_PROCS; i++) {
			struct cairn_blob_loc want = make_loc(100 + i), got;

			assert_int_equal(cairn_catalog_blob_get(c, want.id, want.type, &got), 0);
			assert_loc_equal(&got, &want);
		}
		cairn_catalog_close(c);
		free(path);
	}
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_open_creates_and_reopens),
		cmocka_unit_test(test_catalog_open_repo_mismatch_wipes),
		cmocka_unit_test(test_catalog_open_garbage_replaced),
		cmocka_unit_test(test_catalog_open_tampered_header_replaced),
		cmocka_unit_test(test_catalog_open_truncated_never_lies),
		cmocka_unit_test(test_catalog_open_future_version_replaced),
		cmocka_unit_test(test_catalog_open_foreign_database_replaced),
		cmocka_unit_test(test_catalog_open_invalid_args),
		cmocka_unit_test(test_catalog_open_unusable_path),
		cmocka_unit_test(test_catalog_open_uri_like_name),
		cmocka_unit_test(test_catalog_open_migrates_files_v3),
		cmocka_unit_test(test_catalog_open_concurrent_creation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
