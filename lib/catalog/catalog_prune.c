/* Prune bookkeeping in the catalog: which packs each index object lists,
 * the set of used blobs, pack usage and marks (schema version 3). */
#include "catalog/catalog_internal.h"

#include <stddef.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"

#define PAGE_ROWS 1024

static int bad_args(const struct cairn_catalog *c, const void *p, const char *what)
{
	if (c == NULL || p == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog: %s: missing argument", what);
	return 0;
}

static int bind_blob32(sqlite3_stmt *st, int col, const uint8_t id[CAIRN_ID_BYTES])
{
	return sqlite3_bind_blob(st, col, id, CAIRN_ID_BYTES, SQLITE_STATIC);
}

/* Copy a 32-byte BLOB column; 0, or CAIRN_ECORRUPT for another size. */
static int column_id(struct cairn_catalog *c, sqlite3_stmt *st, int col, uint8_t out[CAIRN_ID_BYTES])
{
	if (sqlite3_column_bytes(st, col) != CAIRN_ID_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "catalog '%s': an id that is not 32 bytes", c->path);
	memcpy(out, sqlite3_column_blob(st, col), CAIRN_ID_BYTES);
	return 0;
}

/* Run statement `which` (binds done by the caller, lock held): 0 or <0. */
static int finish_done(struct cairn_catalog *c, sqlite3_stmt *st, int bind_rc, const char *what)
{
	int ret;

	if (bind_rc != SQLITE_OK) {
		ret = cairn_catalog_sqlerr(c, bind_rc, what);
		sqlite3_reset(st);
	} else {
		ret = cairn_catalog_step_done(c, st, what);
	}
	sqlite3_clear_bindings(st);
	return ret;
}

/* Step through the rows of a bound statement (lock held), appending each
 * with `row` to `out`; resets the statement. 0 or <0. */
static int collect(struct cairn_catalog *c, sqlite3_stmt *st, int bind_rc, const char *what,
		   int (*row)(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out), struct cairn_buf *out)
{
	int rc = bind_rc, ret = 0;

	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		ret = row(c, st, out);
		if (ret < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = cairn_catalog_sqlerr(c, rc, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int row_id(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out)
{
	uint8_t id[CAIRN_ID_BYTES];
	int ret = column_id(c, st, 0, id);

	if (ret == 0 && cairn_buf_append(out, id, sizeof(id)) < 0)
		ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	return ret;
}

/* id + one int64 column */
struct id_i64 {
	uint8_t id[CAIRN_ID_BYTES];
	int64_t v;
};

static int row_id_i64(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out)
{
	struct id_i64 r;
	int ret = column_id(c, st, 0, r.id);

	r.v = sqlite3_column_int64(st, 1);
	if (ret == 0 && cairn_buf_append(out, &r, sizeof(r)) < 0)
		ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	return ret;
}

static int row_text(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out)
{
	const char *t = (const char *)sqlite3_column_text(st, 0);

	if (t == NULL || cairn_buf_append(out, t, strlen(t) + 1) < 0)
		return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	return 0;
}

int cairn_catalog_site_tombstone(struct cairn_catalog *c, const char *site, const char *name)
{
	sqlite3_stmt *st;
	int rc, ret = bad_args(c, site, "tombstone");

	if (ret == 0)
		ret = bad_args(c, name, "tombstone");
	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_SITE_PUT];
	rc = sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, -1);
	ret = finish_done(c, st, rc, "cannot record a removed object");
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_index_pack_put(struct cairn_catalog *c, const char *index_name,
				 const uint8_t pack[CAIRN_ID_BYTES], uint64_t bytes)
{
	sqlite3_stmt *st;
	int rc, ret = bad_args(c, index_name, "index pack");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_IPACK_PUT];
	rc = sqlite3_bind_text(st, 1, index_name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = bind_blob32(st, 2, pack);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (int64_t)bytes);
	ret = finish_done(c, st, rc, "cannot record the packs of an index object");
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_index_packs(struct cairn_catalog *c, const char *index_name,
			      int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], uint64_t bytes), void *ctx)
{
	struct cairn_buf rows = { 0 };
	sqlite3_stmt *st;
	int ret = bad_args(c, index_name, "index packs");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_IPACK_OF_INDEX];
	ret = collect(c, st, sqlite3_bind_text(st, 1, index_name, -1, SQLITE_STATIC), "cannot list an index's packs",
		      row_id_i64, &rows);
	cairn_catalog_unlock(c);
	for (size_t i = 0; ret == 0 && i < rows.len / sizeof(struct id_i64); i++) {
		const struct id_i64 *r = (const struct id_i64 *)rows.data + i;

		ret = cb(ctx, r->id, (uint64_t)r->v);
	}
	cairn_buf_free(&rows);
	return ret;
}

int cairn_catalog_pack_indexes(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES],
			       int (*cb)(void *ctx, const char *index_name), void *ctx)
{
	struct cairn_buf names = { 0 };
	sqlite3_stmt *st;
	int ret = bad_args(c, pack, "pack indexes");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_IPACK_OF_PACK];
	ret = collect(c, st, bind_blob32(st, 1, pack), "cannot list the index objects of a pack", row_text, &names);
	cairn_catalog_unlock(c);
	for (size_t pos = 0; ret == 0 && pos < names.len;) {
		const char *name = (const char *)names.data + pos;

		ret = cb(ctx, name);
		pos += strlen(name) + 1;
	}
	cairn_buf_free(&names);
	return ret;
}

int cairn_catalog_index_drop(struct cairn_catalog *c, const char *index_name)
{
	sqlite3_stmt *st;
	int ret = bad_args(c, index_name, "index drop");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_IPACK_FORGET_INDEX];
	ret = finish_done(c, st, sqlite3_bind_text(st, 1, index_name, -1, SQLITE_STATIC),
			  "cannot forget the packs of an index object");
	if (ret == 0) {
		st = c->stmt[CAT_INDEX_FORGET];
		ret = finish_done(c, st, sqlite3_bind_text(st, 1, index_name, -1, SQLITE_STATIC),
				  "cannot forget an index object");
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_used_clear(struct cairn_catalog *c)
{
	int ret = bad_args(c, c, "used clear");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	ret = finish_done(c, c->stmt[CAT_USED_CLEAR], SQLITE_OK, "cannot clear the used blobs");
	cairn_catalog_unlock(c);
	return ret;
}

/* Run statement `which` with an id (column 1) and, when with_v, an
 * integer (column 2). 0 when done; with count, 1 when it changed a row and
 * 0 when not; <0 on error. */
static int id_stmt(struct cairn_catalog *c, enum cairn_catalog_stmt which, const uint8_t id[CAIRN_ID_BYTES], int64_t v,
		   int with_v, int count, const char *what)
{
	sqlite3_stmt *st;
	int rc, ret = bad_args(c, id, what);

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[which];
	rc = bind_blob32(st, 1, id);
	if (rc == SQLITE_OK && with_v)
		rc = sqlite3_bind_int64(st, 2, v);
	ret = finish_done(c, st, rc, what);
	if (ret == 0 && count)
		ret = sqlite3_changes(c->db) > 0;
	cairn_catalog_unlock(c);
	return ret;
}

static int pack_stmt(struct cairn_catalog *c, enum cairn_catalog_stmt which, const uint8_t pack[CAIRN_ID_BYTES],
		     const char *what)
{
	return id_stmt(c, which, pack, 0, 0, 0, what);
}

int cairn_catalog_used_add(struct cairn_catalog *c, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	return id_stmt(c, CAT_USED_ADD, id, type, 1, 1, "cannot record a used blob");
}

int cairn_catalog_used_count(struct cairn_catalog *c, uint64_t *ret_count)
{
	sqlite3_stmt *st;
	int rc, ret = bad_args(c, ret_count, "used count");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_USED_COUNT];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret_count = (uint64_t)sqlite3_column_int64(st, 0);
	else
		ret = cairn_catalog_sqlerr(c, rc, "cannot count the used blobs");
	sqlite3_reset(st);
	cairn_catalog_unlock(c);
	return ret;
}

static int row_usage(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out)
{
	struct cairn_catalog_pack_usage u;
	int ret = column_id(c, st, 0, u.pack);

	u.bytes = (uint64_t)sqlite3_column_int64(st, 1);
	u.blobs = (uint64_t)sqlite3_column_int64(st, 2);
	u.blob_bytes = (uint64_t)sqlite3_column_int64(st, 3);
	u.used_blobs = (uint64_t)sqlite3_column_int64(st, 4);
	u.used_bytes = (uint64_t)sqlite3_column_int64(st, 5);
	if (ret == 0 && cairn_buf_append(out, &u, sizeof(u)) < 0)
		ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	return ret;
}

/* Walk statement `which` ("... WHERE key > ?1 ORDER BY key LIMIT ?2") a page
 * at a time. Each row is collected by `row` into a record of `size` bytes
 * whose first 32 bytes are the key; `each` gets the records, without the
 * catalog lock. Memory: one page. */
static int paged_each(struct cairn_catalog *c, enum cairn_catalog_stmt which, const char *what,
		      int (*row)(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out), size_t size,
		      int (*each)(void *ctx, const void *rec), void *ctx)
{
	uint8_t after[CAIRN_ID_BYTES] = { 0 };
	int ret = 0, first = 1;

	while (ret == 0) {
		struct cairn_buf rows = { 0 };
		sqlite3_stmt *st;
		size_t n;
		int rc;

		cairn_catalog_lock(c);
		st = c->stmt[which];
		/* a zero-length blob sorts before every 32-byte id */
		rc = first ? sqlite3_bind_zeroblob(st, 1, 0) : bind_blob32(st, 1, after);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 2, PAGE_ROWS);
		ret = collect(c, st, rc, what, row, &rows);
		cairn_catalog_unlock(c);
		n = rows.len / size;
		for (size_t i = 0; ret == 0 && i < n; i++)
			ret = each(ctx, rows.data + i * size);
		if (n > 0)
			memcpy(after, rows.data + (n - 1) * size, CAIRN_ID_BYTES);
		cairn_buf_free(&rows);
		first = 0;
		if (n < PAGE_ROWS)
			break;
	}
	return ret;
}

_Static_assert(offsetof(struct cairn_catalog_pack_usage, pack) == 0, "paged_each: the key comes first");
_Static_assert(offsetof(struct id_i64, id) == 0, "paged_each: the key comes first");

struct usage_each {
	int (*cb)(void *ctx, const struct cairn_catalog_pack_usage *u);
	void *ctx;
};

static int usage_rec(void *ctx, const void *rec)
{
	const struct usage_each *e = ctx;

	return e->cb(e->ctx, rec);
}

int cairn_catalog_pack_usage_each(struct cairn_catalog *c,
				  int (*cb)(void *ctx, const struct cairn_catalog_pack_usage *u), void *ctx)
{
	struct usage_each e = { cb, ctx };
	int ret = bad_args(c, cb, "pack usage");

	if (ret != 0)
		return ret;
	return paged_each(c, CAT_PACK_USAGE, "cannot measure pack usage", row_usage,
			  sizeof(struct cairn_catalog_pack_usage), usage_rec, &e);
}

int cairn_catalog_mark_put(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns)
{
	return id_stmt(c, CAT_MARK_PUT, pack, marked_ns, 1, 1, "cannot mark a pack");
}

int cairn_catalog_mark_delete(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES])
{
	return pack_stmt(c, CAT_MARK_DELETE, pack, "cannot unmark a pack");
}

struct mark_each {
	int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns);
	void *ctx;
};

static int mark_rec(void *ctx, const void *rec)
{
	const struct mark_each *e = ctx;
	const struct id_i64 *r = rec;

	return e->cb(e->ctx, r->id, r->v);
}

int cairn_catalog_mark_each(struct cairn_catalog *c,
			    int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns), void *ctx)
{
	struct mark_each e = { cb, ctx };
	int ret = bad_args(c, cb, "marks");

	if (ret != 0)
		return ret;
	return paged_each(c, CAT_MARK_EACH, "cannot list marked packs", row_id_i64, sizeof(struct id_i64), mark_rec,
			  &e);
}

int cairn_catalog_marked_in_use(struct cairn_catalog *c, int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES]),
				void *ctx)
{
	struct cairn_buf rows = { 0 };
	int ret = bad_args(c, cb, "marked in use");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	ret = collect(c, c->stmt[CAT_MARKED_IN_USE], SQLITE_OK, "cannot find marked packs in use", row_id, &rows);
	cairn_catalog_unlock(c);
	for (size_t i = 0; ret == 0 && i < rows.len / CAIRN_ID_BYTES; i++)
		ret = cb(ctx, rows.data + i * CAIRN_ID_BYTES);
	cairn_buf_free(&rows);
	return ret;
}

static int row_loc(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_buf *out)
{
	struct cairn_blob_loc loc = { 0 };
	int ret = column_id(c, st, 0, loc.id);

	loc.type = (uint8_t)sqlite3_column_int(st, 1);
	loc.offset = (uint64_t)sqlite3_column_int64(st, 2);
	loc.length = (uint32_t)sqlite3_column_int64(st, 3);
	loc.raw_length = (uint32_t)sqlite3_column_int64(st, 4);
	if (ret == 0 && cairn_buf_append(out, &loc, sizeof(loc)) < 0)
		ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	return ret;
}

int cairn_catalog_pack_used_blobs(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES],
				  int (*cb)(void *ctx, const struct cairn_blob_loc *loc), void *ctx)
{
	struct cairn_buf rows = { 0 };
	sqlite3_stmt *st;
	int ret = bad_args(c, pack, "pack used blobs");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_PACK_USED_BLOBS];
	ret = collect(c, st, bind_blob32(st, 1, pack), "cannot list the used blobs of a pack", row_loc, &rows);
	cairn_catalog_unlock(c);
	for (size_t i = 0; ret == 0 && i < rows.len / sizeof(struct cairn_blob_loc); i++) {
		struct cairn_blob_loc *loc = (struct cairn_blob_loc *)rows.data + i;

		memcpy(loc->pack, pack, CAIRN_ID_BYTES);
		ret = cb(ctx, loc);
	}
	cairn_buf_free(&rows);
	return ret;
}

int cairn_catalog_pack_drop(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES])
{
	int ret = pack_stmt(c, CAT_PACK_DROP_BLOBS, pack, "cannot forget the blobs of a pack");

	if (ret == 0)
		ret = pack_stmt(c, CAT_PACK_DROP_IPACKS, pack, "cannot forget the index rows of a pack");
	if (ret == 0)
		ret = pack_stmt(c, CAT_MARK_DELETE, pack, "cannot unmark a pack");
	return ret;
}

/* Step statement `which`, bound to `site`, for one row of `n` integers.
 * Caller holds the lock. An SQLite code: SQLITE_OK when read (a query with
 * no row leaves `out` as it was). */
static int site_row(struct cairn_catalog *c, enum cairn_catalog_stmt which, const char *site, int64_t *out, int n)
{
	sqlite3_stmt *st = c->stmt[which];
	int rc = sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			out[i] = sqlite3_column_int64(st, i);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int cairn_catalog_site_lag(struct cairn_catalog *c, const char *site, uint64_t *ret_packs, uint64_t *ret_bytes,
			   uint64_t *ret_index)
{
	int64_t packs[2] = { 0, 0 }, index = 0;
	int rc, ret = bad_args(c, site, "site lag");

	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	rc = site_row(c, CAT_SITE_LAG_PACKS, site, packs, 2);
	if (rc == SQLITE_OK)
		rc = site_row(c, CAT_SITE_LAG_INDEX, site, &index, 1);
	if (rc != SQLITE_OK) {
		ret = cairn_catalog_sqlerr(c, rc, "cannot measure a site's replication lag");
	} else {
		*ret_packs = (uint64_t)packs[0];
		*ret_bytes = (uint64_t)packs[1];
		*ret_index = (uint64_t)index;
	}
	cairn_catalog_unlock(c);
	return ret;
}
