/* Unit tests for SQLite busy waits through the retry policy: two
 * connections, one holding the write lock, and a fake clock. */
#include "cairn_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/catalog.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#define SEC CAIRN_NS_PER_SEC

/* A clock that moves only when slept on; after `release_after` sleeps it
 * ends the holder's transaction (0: never). */
struct fake {
	int64_t now;
	unsigned sleeps;
	unsigned release_after;
	sqlite3 *holder;
};

static int64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ns)
{
	struct fake *f = ctx;

	f->now += ns;
	f->sleeps++;
	if (f->release_after != 0 && f->sleeps == f->release_after)
		assert_int_equal(sqlite3_exec(f->holder, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

static uint64_t fake_random(void *ctx)
{
	(void)ctx;
	return UINT64_MAX / 3; /* some sleep inside every window */
}

struct fx {
	char *dir, *path;
	sqlite3 *holder, *waiter;
	struct fake f;
	struct cairn_retry_env env;
	struct cairn_catalog_busy busy;
};

static void fx_open(struct fx *x, const char *mode)
{
	char sql[64];

	memset(x, 0, sizeof(*x));
	x->dir = cairn_test_mkdtemp("cat-busy");
	x->path = malloc(strlen(x->dir) + 16);
	assert_non_null(x->path);
	sprintf(x->path, "%s/busy.db", x->dir);
	assert_int_equal(sqlite3_open(x->path, &x->holder), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	assert_int_equal(sqlite3_exec(x->holder, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(x->holder, "CREATE TABLE t (v INT)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(x->path, &x->waiter), SQLITE_OK);
	x->f.holder = x->holder;
	x->env = (struct cairn_retry_env){ fake_now, fake_sleep, fake_random, &x->f };
	assert_int_equal(cairn_catalog_busy_attach(&x->busy, x->waiter, NULL, &x->env), 0);
	/* the holder takes the write lock */
	assert_int_equal(sqlite3_exec(x->holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)", NULL, NULL, NULL),
			 SQLITE_OK);
}

static void fx_close(struct fx *x)
{
	sqlite3_close(x->waiter);
	sqlite3_exec(x->holder, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(x->holder);
	cairn_test_rmtree(x->dir);
	free(x->path);
	free(x->dir);
}

/* The holder never lets go: the waiter retries with backoff until the
 * deadline, makes its last attempt there, and gives up with a transient
 * error that names the database and folds the attempts. */
static void test_catalog_busy_deadline_names_database(void **state)
{
	struct fx x;
	int rc;

	(void)state;
	fx_open(&x, "WAL");
	rc = sqlite3_exec(x.waiter, "INSERT INTO t VALUES (2)", NULL, NULL, NULL);
	assert_int_equal(rc & 0xff, SQLITE_BUSY);
	assert_true(x.f.sleeps > 10);
	assert_true(x.f.now == CAIRN_CATALOG_BUSY_DEADLINE_NS); /* the last attempt is at the deadline */
	rc = cairn_catalog_sqlite_err(&x.busy, x.waiter, rc, "catalog", x.path, "cannot store blob");
	assert_int_equal(rc, CAIRN_ELOCKED);
	assert_int_equal(cairn_err_class(rc), CAIRN_CLASS_TRANSIENT);
	print_message("%s\n", cairn_err_msg());
	assert_non_null(strstr(cairn_err_msg(), x.path));
	assert_true(strncmp(cairn_err_msg(), "catalog '", 9) == 0);
	assert_non_null(strstr(cairn_err_msg(), "cannot store blob: after "));
	assert_non_null(strstr(cairn_err_msg(), "attempts in 10.0s (deadline 10.0s)"));
	assert_non_null(strstr(cairn_err_msg(), "attempt 1: database is locked"));
	/* reported once: the next busy answer without a wait is SQLite's text */
	rc = cairn_catalog_sqlite_err(&x.busy, x.waiter, SQLITE_BUSY, "catalog", x.path, "again");
	assert_int_equal(rc, CAIRN_ELOCKED);
	assert_null(strstr(cairn_err_msg(), "attempts"));
	fx_close(&x);
}

/* The holder commits after a few of the waiter's sleeps: the statement
 * succeeds, well before the deadline. */
static void test_catalog_busy_holder_lets_go(void **state)
{
	struct fx x;

	(void)state;
	fx_open(&x, "WAL");
	x.f.release_after = 3;
	assert_int_equal(sqlite3_exec(x.waiter, "INSERT INTO t VALUES (2)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(x.f.sleeps, 3);
	assert_true(x.f.now < SEC);
	fx_close(&x);
}

/* A rollback-journal database: the waiter's read meets the holder's
 * pending write the same way. */
static void test_catalog_busy_rollback_journal(void **state)
{
	struct fx x;
	int rc;

	(void)state;
	fx_open(&x, "DELETE");
	rc = sqlite3_exec(x.waiter, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	assert_int_equal(rc & 0xff, SQLITE_BUSY);
	assert_int_equal(cairn_catalog_sqlite_err(&x.busy, x.waiter, rc, "check working set", NULL, "cannot begin"),
			 CAIRN_ELOCKED);
	assert_true(strncmp(cairn_err_msg(), "check working set: cannot begin: after ", 39) == 0);
	fx_close(&x);
}

/* busy_wait by hand, as for statements SQLite answers BUSY without its
 * handler: a new count of 0 starts a new wait. */
static void test_catalog_busy_wait_by_hand(void **state)
{
	struct fake f = { 0 };
	struct cairn_retry_env env = { fake_now, fake_sleep, fake_random, &f };
	struct cairn_retry_policy p = cairn_catalog_busy_policy();
	struct cairn_catalog_busy busy;
	sqlite3 *db;
	int count = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	p.deadline_ns = SEC;
	assert_int_equal(cairn_catalog_busy_attach(&busy, db, &p, &env), 0);
	while (cairn_catalog_busy_wait(&busy, count))
		count++;
	assert_true(count > 5);
	assert_true(f.now == SEC);
	/* a new wait starts from its own beginning */
	f.sleeps = 0;
	assert_int_equal(cairn_catalog_busy_wait(&busy, 0), 1);
	assert_int_equal(f.sleeps, 1);
	/* an invalid policy is refused at attach */
	p.max_attempts = 0;
	assert_int_equal(cairn_catalog_busy_attach(&busy, db, &p, &env), CAIRN_EINVAL);
	sqlite3_close(db);
}

static void test_catalog_busy_policy_default(void **state)
{
	struct cairn_retry_policy p = cairn_catalog_busy_policy();

	(void)state;
	assert_true(p.deadline_ns == 10 * SEC);
	assert_true(p.flags & CAIRN_RETRY_LAST_AT_DEADLINE);
	assert_true(p.backoff_cap_ns <= SEC / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_busy_deadline_names_database),
		cmocka_unit_test(test_catalog_busy_holder_lets_go),
		cmocka_unit_test(test_catalog_busy_rollback_journal),
		cmocka_unit_test(test_catalog_busy_wait_by_hand),
		cmocka_unit_test(test_catalog_busy_policy_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
