/* Catalog snapshot documents, listed in time order. */
#include "catalog/catalog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"

/* Exactly 64 lowercase hex digits. */
static int valid_id(const char *id, size_t len)
{
	if (len != CAIRN_ID_HEX - 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return 1;
}

int cairn_catalog_snapshot_put(struct cairn_catalog *c, const char *id, int64_t time_ns, const char *json)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || id == NULL || json == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog snapshot put: catalog, id and document are required");
	if (!valid_id(id, strnlen(id, CAIRN_ID_HEX)))
		return cairn_err(CAIRN_EINVAL, "catalog '%s': snapshot id '%.80s' is not 64 hex digits", c->path, id);
	cairn_catalog_lock(c);
	st = c->stmt[CAT_SNAP_PUT];
	rc = sqlite3_bind_text(st, 1, id, CAIRN_ID_HEX - 1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, time_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		ret = cairn_catalog_step_done(c, st, "cannot store snapshot");
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot store snapshot");
		sqlite3_reset(st);
	}
	cairn_catalog_unlock(c);
	return ret;
}

/* Run CAT_SNAP_DELETE or CAT_SNAP_KNOWN for one id. */
static int snapshot_run(struct cairn_catalog *c, enum cairn_catalog_stmt which, const char *id, const char *what)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || id == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog: %s: catalog and snapshot id are required", what);
	cairn_catalog_lock(c);
	st = c->stmt[which];
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		ret = cairn_catalog_sqlerr(c, rc, what);
		sqlite3_reset(st);
	} else if (which == CAT_SNAP_KNOWN) {
		ret = cairn_catalog_step_exists(c, st, what);
	} else {
		ret = cairn_catalog_step_done(c, st, what);
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_snapshot_delete(struct cairn_catalog *c, const char *id)
{
	return snapshot_run(c, CAT_SNAP_DELETE, id, "cannot delete snapshot");
}

int cairn_catalog_snapshot_known(struct cairn_catalog *c, const char *id)
{
	return snapshot_run(c, CAT_SNAP_KNOWN, id, "cannot look up snapshot");
}

struct snap_rows {
	struct cairn_catalog_snapshot *rows;
	size_t count;
	size_t cap;
};

static void snap_rows_free(struct snap_rows *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->rows[i].json);
	free(r->rows);
}

/* Copy one result row into r (the json is duplicated). */
static int snap_row_add(struct cairn_catalog *c, sqlite3_stmt *st, struct snap_rows *r)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
	const char *json = (const char *)sqlite3_column_text(st, 2);
	struct cairn_catalog_snapshot *row;

	if (id == NULL || !valid_id(id, id_len) || json == NULL)
		return cairn_err(CAIRN_ECORRUPT, "catalog '%s': malformed snapshot row", c->path);
	if (r->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct cairn_catalog_snapshot *rows = cairn_reallocarray(r->rows, cap, sizeof(*rows));

		if (rows == NULL)
			return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory listing snapshots", c->path);
		r->rows = rows;
		r->cap = cap;
	}
	row = &r->rows[r->count];
	row->json = cairn_strdup(json);
	if (row->json == NULL)
		return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory listing snapshots", c->path);
	memcpy(row->id, id, id_len);
	row->id[id_len] = '\0';
	row->time_ns = sqlite3_column_int64(st, 1);
	r->count++;
	return 0;
}

/* Step a bound query of (id, time_ns, json) rows into r. */
static int snapshot_collect(struct cairn_catalog *c, sqlite3_stmt *st, struct snap_rows *r)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = snap_row_add(c, st, r);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = cairn_catalog_sqlerr(c, rc, "cannot list snapshots");
	return ret;
}

int cairn_catalog_snapshot_each(struct cairn_catalog *c,
				int (*cb)(void *ctx, const struct cairn_catalog_snapshot *row), void *ctx)
{
	struct snap_rows r = { 0 };
	int ret;

	if (c == NULL || cb == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog snapshot each: catalog and callback are required");
	cairn_catalog_lock(c);
	ret = snapshot_collect(c, c->stmt[CAT_SNAP_EACH], &r);
	sqlite3_reset(c->stmt[CAT_SNAP_EACH]);
	cairn_catalog_unlock(c);
	/* Callbacks run without the lock so they may call the catalog. */
	for (size_t i = 0; ret == 0 && i < r.count; i++)
		ret = cb(ctx, &r.rows[i]);
	snap_rows_free(&r);
	return ret;
}

#define NEWEST_PAGE 16

/* One page of rows older than (time_ns, id) in newest-first order; the
 * first page starts after (INT64_MAX, "~"), above any time and hex id. */
static int newest_page(struct cairn_catalog *c, int64_t time_ns, const char *id, struct snap_rows *r)
{
	static const char sql[] = "SELECT id, time_ns, json FROM snapshots WHERE time_ns < ?1 OR "
				  "(time_ns = ?1 AND id < ?2) ORDER BY time_ns DESC, id DESC LIMIT 16";
	sqlite3_stmt *st = NULL;
	int rc, ret;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, time_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		ret = snapshot_collect(c, st, r);
	else
		ret = cairn_catalog_sqlerr(c, rc, "cannot list snapshots");
	sqlite3_finalize(st);
	return ret;
}

int cairn_catalog_snapshot_each_newest(struct cairn_catalog *c,
				       int (*cb)(void *ctx, const struct cairn_catalog_snapshot *row), void *ctx)
{
	char last_id[CAIRN_ID_HEX] = "~";
	int64_t last_time = INT64_MAX;
	int ret = 0;

	if (c == NULL || cb == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog snapshot each: catalog and callback are required");
	for (;;) {
		struct snap_rows r = { 0 };
		size_t n;

		cairn_catalog_lock(c);
		ret = newest_page(c, last_time, last_id, &r);
		cairn_catalog_unlock(c);
		for (size_t i = 0; ret == 0 && i < r.count; i++)
			ret = cb(ctx, &r.rows[i]);
		n = r.count;
		if (n > 0) {
			memcpy(last_id, r.rows[n - 1].id, CAIRN_ID_HEX);
			last_time = r.rows[n - 1].time_ns;
		}
		snap_rows_free(&r);
		if (ret != 0 || n < NEWEST_PAGE)
			return ret;
	}
}
