/* Tests for the catalog snapshot table. */
#include "cairn_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fixture.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#define REPO CATALOG_FIXTURE_REPO
#define MAX_ROWS 16
/* 80 hex digits: longer than a snapshot row's id buffer. */
#define LONG_ID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


/* A valid id: 64 copies of hex digit `d` (valid until the next call). */
static const char *snap_id(char d)
{
	static char id[CAIRN_ID_HEX];

	memset(id, d, CAIRN_ID_HEX - 1);
	id[CAIRN_ID_HEX - 1] = '\0';
	return id;
}

struct rows {
	char id[MAX_ROWS][CAIRN_ID_HEX];
	int64_t time_ns[MAX_ROWS];
	char json[MAX_ROWS][64];
	int count;
	int stop_at;             /* return 9 at this call, or -1 */
	struct cairn_catalog *c; /* delete each row while walking, or NULL */
};

static int collect_row(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct rows *r = ctx;

	assert_true(r->count < MAX_ROWS);
	memcpy(r->id[r->count], row->id, CAIRN_ID_HEX);
	r->time_ns[r->count] = row->time_ns;
	snprintf(r->json[r->count], sizeof(r->json[0]), "%s", row->json);
	if (r->c != NULL)
		assert_int_equal(cairn_catalog_snapshot_delete(r->c, row->id), 0);
	return r->count++ == r->stop_at ? 9 : 0;
}

struct newest_walk {
	char prev_id[CAIRN_ID_HEX];
	int64_t prev_time;
	int count;
	int stop_at;
};

static int newest_row(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct newest_walk *w = ctx;

	/* strictly newest first: by time, then by id among equal times */
	if (w->count > 0)
		assert_true(row->time_ns < w->prev_time ||
			    (row->time_ns == w->prev_time && strcmp(row->id, w->prev_id) < 0));
	memcpy(w->prev_id, row->id, CAIRN_ID_HEX);
	w->prev_time = row->time_ns;
	return ++w->count == w->stop_at ? 7 : 0;
}

/* 40 snapshots, pairs of them at the same time: pages of 16 cover them all,
 * in order, and a walk stops where the callback says */
static void test_catalog_snapshot_each_newest_pages(void **state)
{
	struct fixture *f = *state;
	struct newest_walk w = { .stop_at = -1 };
	char id[CAIRN_ID_HEX];

	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "%064x", i * 7919);
		assert_int_equal(cairn_catalog_snapshot_put(f->c, id, 1000 + i / 2, "{}"), 0);
	}
	assert_int_equal(cairn_catalog_snapshot_each_newest(f->c, newest_row, &w), 0);
	assert_int_equal(w.count, 40);
	assert_int_equal(w.prev_time, 1000);
	memset(&w, 0, sizeof(w));
	w.stop_at = 17;
	assert_int_equal(cairn_catalog_snapshot_each_newest(f->c, newest_row, &w), 7);
	assert_int_equal(w.count, 17);
	/* empty catalog: no call */
	memset(&w, 0, sizeof(w));
	w.stop_at = -1;
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "%064x", i * 7919);
		assert_int_equal(cairn_catalog_snapshot_delete(f->c, id), 0);
	}
	assert_int_equal(cairn_catalog_snapshot_each_newest(f->c, newest_row, &w), 0);
	assert_int_equal(w.count, 0);
}

static void test_catalog_snapshot_put_known_delete(void **state)
{
	struct fixture *f = *state;
	char id[CAIRN_ID_HEX];

	snprintf(id, sizeof(id), "%s", snap_id('a'));
	assert_int_equal(cairn_catalog_snapshot_known(f->c, id), 0);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, id, 5, "{\"a\":1}"), 0);
	assert_int_equal(cairn_catalog_snapshot_known(f->c, id), 1);
	assert_int_equal(cairn_catalog_snapshot_known(f->c, snap_id('b')), 0);
	assert_int_equal(cairn_catalog_snapshot_delete(f->c, id), 0);
	assert_int_equal(cairn_catalog_snapshot_known(f->c, id), 0);
	assert_int_equal(cairn_catalog_snapshot_delete(f->c, id), 0); /* unknown: fine */
}

static void test_catalog_snapshot_put_replaces(void **state)
{
	struct fixture *f = *state;
	struct rows r = { .stop_at = -1 };

	assert_int_equal(cairn_catalog_snapshot_put(f->c, snap_id('1'), 5, "{\"v\":1}"), 0);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, snap_id('1'), 6, "{\"v\":2}"), 0);
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.time_ns[0], 6);
	assert_string_equal(r.json[0], "{\"v\":2}");
}

static void test_catalog_snapshot_each_ordered(void **state)
{
	struct fixture *f = *state;
	struct rows r = { .stop_at = -1 };
	/* Inserted out of order; ties on time are ordered by id. */
	static const struct {
		char d;
		int64_t t;
	} in[] = { { 'c', 200 }, { 'f', -5 }, { 'a', 200 }, { '9', 100 }, { 'b', 200 }, { '0', INT64_MAX } };
	static const char want[] = { 'f', '9', 'a', 'b', 'c', '0' };

	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 0);
	assert_int_equal(r.count, 0);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char json[32];

		snprintf(json, sizeof(json), "{\"n\":\"%c\",\"\xc3\xa9\":1}", in[i].d);
		assert_int_equal(cairn_catalog_snapshot_put(f->c, snap_id(in[i].d), in[i].t, json), 0);
	}
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 0);
	assert_int_equal(r.count, 6);
	for (int i = 0; i < 6; i++) {
		char json[32];

		assert_string_equal(r.id[i], snap_id(want[i]));
		snprintf(json, sizeof(json), "{\"n\":\"%c\",\"\xc3\xa9\":1}", want[i]);
		assert_string_equal(r.json[i], json);
	}
	assert_int_equal(r.time_ns[0], -5);
	assert_int_equal(r.time_ns[5], INT64_MAX);
	/* Stop early. */
	r = (struct rows){ .stop_at = 2 };
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 9);
	assert_int_equal(r.count, 3);
	/* The callback may call the catalog: delete every row while walking. */
	r = (struct rows){ .stop_at = -1, .c = f->c };
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 0);
	assert_int_equal(r.count, 6);
	r = (struct rows){ .stop_at = -1 };
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), 0);
	assert_int_equal(r.count, 0);
}

static void test_catalog_snapshot_put_invalid(void **state)
{
	struct fixture *f = *state;
	char id[CAIRN_ID_HEX + 1];

	assert_int_equal(cairn_catalog_snapshot_put(f->c, "abc", 1, "{}"), CAIRN_EINVAL);
	snprintf(id, sizeof(id), "%s", snap_id('A')); /* uppercase */
	assert_int_equal(cairn_catalog_snapshot_put(f->c, id, 1, "{}"), CAIRN_EINVAL);
	snprintf(id, sizeof(id), "%s", snap_id('g')); /* not hex */
	assert_int_equal(cairn_catalog_snapshot_put(f->c, id, 1, "{}"), CAIRN_EINVAL);
	snprintf(id, sizeof(id), "%sa", snap_id('a')); /* 65 digits */
	assert_int_equal(cairn_catalog_snapshot_put(f->c, id, 1, "{}"), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), f->path));
	assert_int_equal(cairn_catalog_snapshot_put(f->c, snap_id('a'), 1, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_snapshot_put(f->c, NULL, 1, "{}"), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_snapshot_put(NULL, snap_id('a'), 1, "{}"), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_snapshot_known(f->c, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_snapshot_delete(NULL, snap_id('a')), CAIRN_EINVAL);
	assert_int_equal(cairn_catalog_snapshot_each(f->c, NULL, NULL), CAIRN_EINVAL);
}

static void test_catalog_snapshot_each_malformed_row(void **state)
{
	struct fixture *f = *state;
	struct rows r = { .stop_at = -1 };
	sqlite3 *db = NULL;

	assert_int_equal(cairn_catalog_snapshot_put(f->c, snap_id('1'), 1, "{}"), 0);
	/* An id too long for the row's buffer, written behind our back. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO snapshots VALUES ('" LONG_ID "', 2, '{}')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), f->path));
	/* A NULL document. */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM snapshots WHERE time_ns = 2;"
					  "UPDATE snapshots SET json = NULL",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	r = (struct rows){ .stop_at = -1 };
	assert_int_equal(cairn_catalog_snapshot_each(f->c, collect_row, &r), CAIRN_ECORRUPT);
	assert_int_equal(r.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_each_newest_pages, catalog_fixture_setup,
						catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_put_known_delete, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_put_replaces, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_each_ordered, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_put_invalid, catalog_fixture_setup, catalog_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_snapshot_each_malformed_row, catalog_fixture_setup, catalog_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
