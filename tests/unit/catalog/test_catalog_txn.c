/* Tests for catalog transactions, meta, threads sharing one handle and two
 * handles on one file. */
#include "cairn_test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog_fixture.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO CATALOG_FIXTURE_REPO
#define THREADS 4
#define THREAD_OPS 10000


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A location fully determined by (thread, n): readers can check any row. */
static struct cairn_blob_loc make_loc(uint32_t thread, uint32_t n)
{
	struct cairn_blob_loc loc;

	memset(&loc, 0, sizeof(loc));
	cairn_test_fill_random(loc.id, sizeof(loc.id), ((uint64_t)thread << 32) | (n + 1));
	memset(loc.pack, (int)thread + 1, sizeof(loc.pack));
	loc.type = (n % 2) ? CAIRN_BLOB_TREE : CAIRN_BLOB_DATA;
	loc.offset = (uint64_t)n * 4096u + thread;
	loc.length = n + 41;
	loc.raw_length = n;
	return loc;
}

static int loc_equal(const struct cairn_blob_loc *a, const struct cairn_blob_loc *b)
{
	return memcmp(a->id, b->id, CAIRN_ID_BYTES) == 0 && a->type == b->type &&
	       memcmp(a->pack, b->pack, CAIRN_ID_BYTES) == 0 && a->offset == b->offset && a->length == b->length &&
	       a->raw_length == b->raw_length;
}

static void put(struct cairn_catalog *c, uint32_t thread, uint32_t n)
{
	struct cairn_blob_loc loc = make_loc(thread, n);

	assert_int_equal(cairn_catalog_blob_put(c, &loc), 0);
}

/* 0 when present and correct, CAIRN_ENOTFOUND when absent. */
static int get(struct cairn_catalog *c, uint32_t thread, uint32_t n)
{
	struct cairn_blob_loc want = make_loc(thread, n), got;
	int rc = cairn_catalog_blob_get(c, want.id, want.type, &got);

	if (rc == 0)
		assert_true(loc_equal(&got, &want));
	return rc;
}

static void test_catalog_rollback_discards(void **state)
{
	struct fixture *f = *state;

	put(f->c, 0, 1);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 2);
	assert_int_equal(get(f->c, 0, 2), 0); /* visible inside */
	assert_int_equal(cairn_catalog_rollback(f->c), 0);
	assert_int_equal(get(f->c, 0, 2), CAIRN_ENOTFOUND);
	assert_int_equal(get(f->c, 0, 1), 0);
	/* Nothing open: rollback is a no-op, commit an error. */
	assert_int_equal(cairn_catalog_rollback(f->c), 0);
	assert_int_equal(cairn_catalog_commit(f->c), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), f->path));
}

static void test_catalog_begin_nested(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog *other = NULL;

	assert_int_equal(cairn_catalog_open(f->path, REPO, &other), 0);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 1);
	assert_int_equal(cairn_catalog_commit(f->c), 0); /* inner: still open */
	assert_int_equal(get(other, 0, 1), CAIRN_ENOTFOUND);
	put(f->c, 0, 2);
	assert_int_equal(cairn_catalog_commit(f->c), 0); /* outer: committed */
	assert_int_equal(get(other, 0, 1), 0);
	assert_int_equal(get(other, 0, 2), 0);
	assert_int_equal(cairn_catalog_commit(f->c), CAIRN_EINVAL);
	cairn_catalog_close(other);
}

static void test_catalog_rollback_nested_ends_all(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 1);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 2);
	assert_int_equal(cairn_catalog_rollback(f->c), 0);
	assert_int_equal(get(f->c, 0, 1), CAIRN_ENOTFOUND);
	assert_int_equal(get(f->c, 0, 2), CAIRN_ENOTFOUND);
	/* The outer level's commit learns its transaction is gone. */
	assert_int_equal(cairn_catalog_commit(f->c), CAIRN_EINVAL);
	/* And a new transaction works. */
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 3);
	assert_int_equal(cairn_catalog_commit(f->c), 0);
	assert_int_equal(get(f->c, 0, 3), 0);
}

static void test_catalog_close_open_transaction_rolls_back(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 0, 1);
	cairn_catalog_close(f->c);
	f->c = NULL;
	assert_int_equal(cairn_catalog_open(f->path, REPO, &f->c), 0);
	assert_int_equal(get(f->c, 0, 1), CAIRN_ENOTFOUND);
}

static void test_catalog_meta_roundtrip(void **state)
{
	struct fixture *f = *state;
	char *value = (char *)&value;

	assert_int_equal(cairn_catalog_meta_get(f->c, "k", &value), CAIRN_ENOTFOUND);
	assert_ptr_equal(value, (char *)&value);
	assert_non_null(strstr(cairn_err_msg(), "'k'"));
	assert_int_equal(cairn_catalog_meta_set(f->c, "k", "one"), 0);
	assert_int_equal(cairn_catalog_meta_get(f->c, "k", &value), 0);
	assert_string_equal(value, "one");
	free(value);
	assert_int_equal(cairn_catalog_meta_set(f->c, "k", ""), 0);
	assert_int_equal(cairn_catalog_meta_get(f->c, "k", &value), 0);
	assert_string_equal(value, "");
	free(value);
	assert_int_equal(cairn_catalog_meta_set(f->c, "repo_id", "ff"), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_meta_get(f->c, "repo_id", &value), 0);
	assert_string_equal(value, REPO);
	free(value);
	assert_int_equal(cairn_catalog_meta_set(f->c, NULL, "x"), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_meta_set(f->c, "k", NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_meta_get(f->c, "k", NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_begin(NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_commit(NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_rollback(NULL), CAIRN_EINVAL);
}

struct worker {
	struct cairn_catalog *c;
	uint32_t thread;
	atomic_uint *progress; /* rows put so far, per thread */
	unsigned failures;
};

/* Half puts of our own rows, half lookups: our last row (must be there),
 * another thread's rows (present only if that thread got that far) and
 * rows never written. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t puts = 0;

	for (uint32_t op = 0; op < THREAD_OPS; op++) {
		uint32_t other = (w->thread + 1 + op % (THREADS - 1)) % THREADS;
		uint32_t seen = atomic_load(&w->progress[other]);
		struct cairn_blob_loc want, got;
		int rc;

		switch (op % 4) {
		case 0:
		case 2:
			want = make_loc(w->thread, puts);
			if (cairn_catalog_blob_put(w->c, &want) != 0)
				w->failures++;
			atomic_store(&w->progress[w->thread], ++puts);
			break;
		case 1:
			want = make_loc(w->thread, puts - 1);
			if (cairn_catalog_blob_get(w->c, want.id, want.type, &got) != 0 || !loc_equal(&got, &want))
				w->failures++;
			break;
		default:
			want = make_loc(other, seen > 0 ? (op * 7919u) % seen : 0);
			rc = cairn_catalog_blob_get(w->c, want.id, want.type, &got);
			if (seen > 0 ? (rc != 0 || !loc_equal(&got, &want)) : (rc != 0 && rc != CAIRN_ENOTFOUND))
				w->failures++;
			want = make_loc(w->thread + THREADS, op);
			if (cairn_catalog_blob_get(w->c, want.id, want.type, &got) != CAIRN_ENOTFOUND)
				w->failures++;
			break;
		}
	}
	return NULL;
}

static void test_catalog_threads_share_handle(void **state)
{
	struct fixture *f = *state;
	pthread_t tid[THREADS];
	struct worker w[THREADS];
	atomic_uint progress[THREADS];
	uint64_t blobs = 0, packs = 0;
	double t0, dt;

	for (int i = 0; i < THREADS; i++)
		atomic_init(&progress[i], 0);
	t0 = now_s();
	for (uint32_t i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .c = f->c, .thread = i, .progress = progress };
		assert_int_equal(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	dt = now_s() - t0;
	print_message("threads: %d x %d ops (autocommit puts) in %.2f s, %.0f ops/s\n", THREADS, THREAD_OPS, dt,
		      THREADS * THREAD_OPS / dt);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(w[i].failures, 0);
	assert_int_equal(cairn_catalog_blob_count(f->c, &blobs, &packs), 0);
	assert_int_equal(blobs, THREADS * THREAD_OPS / 2);
	assert_int_equal(packs, THREADS);
	for (uint32_t t = 0; t < THREADS; t++) {
		for (uint32_t n = 0; n < THREAD_OPS / 2; n++)
			assert_int_equal(get(f->c, t, n), 0);
	}
}

#define WRITER_BATCHES 20
#define WRITER_BATCH 500

struct writer {
	struct cairn_catalog *c;
	atomic_uint committed; /* rows known committed */
	atomic_int done;
	int rc;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	for (uint32_t b = 0; b < WRITER_BATCHES && w->rc == 0; b++) {
		w->rc = cairn_catalog_begin(w->c);
		for (uint32_t i = 0; i < WRITER_BATCH && w->rc == 0; i++) {
			struct cairn_blob_loc loc = make_loc(9, b * WRITER_BATCH + i);

			w->rc = cairn_catalog_blob_put(w->c, &loc);
		}
		if (w->rc == 0)
			w->rc = cairn_catalog_commit(w->c);
		atomic_store(&w->committed, (b + 1) * WRITER_BATCH);
	}
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_catalog_two_handles_write_while_reading(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog *reader = NULL;
	struct writer w = { .c = f->c, .rc = 0 };
	pthread_t tid;
	unsigned reads = 0, hits = 0;

	assert_int_equal(cairn_catalog_open(f->path, REPO, &reader), 0);
	atomic_init(&w.committed, 0);
	atomic_init(&w.done, 0);
	assert_int_equal(pthread_create(&tid, NULL, writer_main, &w), 0);
	while (!atomic_load(&w.done) || reads < 1000) {
		uint32_t committed = atomic_load(&w.committed);
		uint32_t n = reads * 7919u % (WRITER_BATCHES * WRITER_BATCH);
		int rc = get(reader, 9, n);

		/* Committed rows are always visible; the rest may or may not be. */
		if (n < committed)
			assert_int_equal(rc, 0);
		else
			assert_true(rc == 0 || rc == CAIRN_ENOTFOUND);
		hits += rc == 0;
		reads++;
	}
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(w.rc, 0);
	print_message("two handles: %u reads during the writes, %u hits\n", reads, hits);
	for (uint32_t n = 0; n < WRITER_BATCHES * WRITER_BATCH; n++)
		assert_int_equal(get(reader, 9, n), 0);
	cairn_catalog_close(reader);
}

struct delayed_commit {
	struct cairn_catalog *c;
	int rc;
};

static void *delayed_commit_main(void *arg)
{
	struct delayed_commit *d = arg;

	usleep(300 * 1000);
	d->rc = cairn_catalog_commit(d->c);
	return NULL;
}

static void test_catalog_two_handles_writer_waits(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog *second = NULL;
	struct delayed_commit d = { .c = f->c, .rc = -1 };
	pthread_t tid;
	double t0, waited;

	assert_int_equal(cairn_catalog_open(f->path, REPO, &second), 0);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	put(f->c, 1, 1);
	/* Readers are not blocked by the open write transaction. */
	assert_int_equal(get(second, 1, 1), CAIRN_ENOTFOUND);
	assert_int_equal(pthread_create(&tid, NULL, delayed_commit_main, &d), 0);
	t0 = now_s();
	/* The second writer waits for the first instead of failing. */
	put(second, 2, 1);
	waited = now_s() - t0;
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(d.rc, 0);
	assert_true(waited > 0.1);
	assert_int_equal(get(second, 1, 1), 0);
	assert_int_equal(get(f->c, 2, 1), 0);
	cairn_catalog_close(second);
}

static void raw_put_file(const char *path, const char *hexpath)
{
	char sql[256];
	sqlite3 *db = NULL;

	snprintf(sql, sizeof(sql), "INSERT INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids) "
		 "VALUES (x'%s', 1, 2, 0, 3, 4, x'')", hexpath);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 100);
	/* never blocked by the read transaction of the other handle (WAL) */
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A read transaction sees the catalog as of its first lookup; read_end
 * (or a write of this handle) ends it and later lookups see new rows. */
static void test_catalog_read_snapshot(void **state)
{
	struct fixture *f = *state;
	struct cairn_catalog_file out;
	struct cairn_catalog_file in = { .dev = 1, .ino = 2, .mtime_ns = 3, .ctime_ns = 4 };

	assert_int_equal(cairn_catalog_read_begin(f->c), 0);
	assert_int_equal(cairn_catalog_read_begin(f->c), 0); /* already open: nothing */
	assert_int_equal(cairn_catalog_file_get(f->c, "/a", 2, &out), CAIRN_ENOTFOUND);
	raw_put_file(f->path, "2f61");
	/* still the snapshot of the first lookup */
	assert_int_equal(cairn_catalog_file_get(f->c, "/a", 2, &out), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_catalog_read_end(f->c), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/a", 2, &out), 0);
	cairn_catalog_file_clear(&out);
	assert_int_equal(cairn_catalog_read_end(f->c), 0); /* none open: nothing */

	/* a write ends the read transaction: committed at once, not at read_end */
	assert_int_equal(cairn_catalog_read_begin(f->c), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/b", 2, &out), CAIRN_ENOTFOUND);
	raw_put_file(f->path, "2f62");
	assert_int_equal(cairn_catalog_file_put(f->c, "/c", 2, &in), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/b", 2, &out), 0); /* autocommit again */
	cairn_catalog_file_clear(&out);
	raw_put_file(f->path, "2f64"); /* "/c" committed: this writer is not blocked */

	/* begin ends it too, and the write transaction works as before */
	assert_int_equal(cairn_catalog_read_begin(f->c), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/e", 2, &out), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	assert_int_equal(cairn_catalog_file_put(f->c, "/e", 2, &in), 0);
	assert_int_equal(cairn_catalog_commit(f->c), 0);
	assert_int_equal(cairn_catalog_file_get(f->c, "/d", 2, &out), 0);
	cairn_catalog_file_clear(&out);
	/* inside a write transaction read_begin does nothing */
	assert_int_equal(cairn_catalog_begin(f->c), 0);
	assert_int_equal(cairn_catalog_read_begin(f->c), 0);
	assert_int_equal(cairn_catalog_commit(f->c), 0);
	assert_int_equal(cairn_catalog_commit(f->c), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_read_begin(NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_read_end(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_read_snapshot, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_rollback_discards, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_begin_nested, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_rollback_nested_ends_all, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_close_open_transaction_rolls_back, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_meta_roundtrip, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_threads_share_handle, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_two_handles_write_while_reading, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_two_handles_writer_waits, catalog_fixture_setup, catalog_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
