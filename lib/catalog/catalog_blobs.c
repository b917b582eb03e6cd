/* Catalog blob index (where each blob lives) and the loaded index objects. */
#include "catalog/catalog_internal.h"

#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"

/* Decode one row of CAT_BLOB_GET into *loc. No allocation: this is on the
 * backup's deduplication path. */
static int read_loc(struct cairn_catalog *c, sqlite3_stmt *st, const uint8_t *id, struct cairn_blob_loc *loc)
{
	int64_t type = sqlite3_column_int64(st, 0);
	const void *pack = sqlite3_column_blob(st, 1);
	int pack_len = sqlite3_column_bytes(st, 1);
	int64_t len = sqlite3_column_int64(st, 3);
	int64_t raw_len = sqlite3_column_int64(st, 4);

	if (pack == NULL || pack_len != CAIRN_ID_BYTES || type < 0 || type > UINT8_MAX || len < 0 ||
	    len > UINT32_MAX || raw_len < 0 || raw_len > UINT32_MAX)
		return cairn_err(CAIRN_ECORRUPT, "catalog '%s': malformed blob row", c->path);
	memset(loc, 0, sizeof(*loc)); /* padding too: callers may memcmp */
	memcpy(loc->id, id, CAIRN_ID_BYTES);
	loc->type = (uint8_t)type;
	memcpy(loc->pack, pack, CAIRN_ID_BYTES);
	loc->offset = (uint64_t)sqlite3_column_int64(st, 2);
	loc->length = (uint32_t)len;
	loc->raw_length = (uint32_t)raw_len;
	return 0;
}

int cairn_catalog_blob_get(struct cairn_catalog *c, const uint8_t id[CAIRN_ID_BYTES], uint8_t type,
			   struct cairn_blob_loc *ret_loc)
{
	struct cairn_blob_loc loc;
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || id == NULL || ret_loc == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog blob get: catalog, id and result are required");
	cairn_catalog_lock(c);
	st = c->stmt[CAT_BLOB_GET];
	rc = sqlite3_bind_blob(st, 1, id, CAIRN_ID_BYTES, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, type);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = read_loc(c, st, id, &loc);
	else if (rc == SQLITE_DONE)
		ret = cairn_err(CAIRN_ENOTFOUND, "catalog '%s': blob not found", c->path);
	else
		ret = cairn_catalog_sqlerr(c, rc, "cannot look up blob");
	sqlite3_reset(st);
	cairn_catalog_unlock(c);
	if (ret == 0)
		*ret_loc = loc;
	return ret;
}

int cairn_catalog_blob_put(struct cairn_catalog *c, const struct cairn_blob_loc *loc)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || loc == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog blob put: catalog and location are required");
	cairn_catalog_lock(c);
	st = c->stmt[CAT_BLOB_PUT];
	rc = sqlite3_bind_blob(st, 1, loc->id, CAIRN_ID_BYTES, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, loc->type);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 3, loc->pack, CAIRN_ID_BYTES, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (int64_t)loc->offset);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, loc->length);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, loc->raw_length);
	if (rc == SQLITE_OK) {
		ret = cairn_catalog_step_done(c, st, "cannot store blob");
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot store blob");
		sqlite3_reset(st);
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_pack_known(struct cairn_catalog *c, const uint8_t pack_id[CAIRN_ID_BYTES])
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || pack_id == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog pack known: catalog and pack id are required");
	cairn_catalog_lock(c);
	st = c->stmt[CAT_PACK_KNOWN];
	rc = sqlite3_bind_blob(st, 1, pack_id, CAIRN_ID_BYTES, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		ret = cairn_catalog_step_exists(c, st, "cannot look up pack");
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot look up pack");
		sqlite3_reset(st);
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_pack_data_end(struct cairn_catalog *c, const uint8_t pack_id[CAIRN_ID_BYTES], uint64_t *ret_end)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (c == NULL || pack_id == NULL || ret_end == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog pack end: catalog, pack id and result are required");
	cairn_catalog_lock(c);
	st = c->stmt[CAT_PACK_END];
	rc = sqlite3_bind_blob(st, 1, pack_id, CAIRN_ID_BYTES, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL)
		ret = cairn_err(CAIRN_ENOTFOUND, "catalog '%s': pack not found", c->path);
	else if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		*ret_end = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_ROW)
		ret = cairn_err(CAIRN_ECORRUPT, "catalog '%s': malformed blob rows", c->path);
	else
		ret = cairn_catalog_sqlerr(c, rc, "cannot look up pack extent");
	sqlite3_reset(st);
	cairn_catalog_unlock(c);
	return ret;
}

static int count_rows(struct cairn_catalog *c, sqlite3_stmt *st, uint64_t *ret)
{
	int rc = sqlite3_step(st);
	int out = 0;

	if (rc == SQLITE_ROW)
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		out = cairn_err(CAIRN_EBUG, "catalog '%s': count returned no row", c->path);
	else
		out = cairn_catalog_sqlerr(c, rc, "cannot count blobs");
	sqlite3_reset(st);
	return out;
}

int cairn_catalog_blob_count(struct cairn_catalog *c, uint64_t *ret_blobs, uint64_t *ret_packs)
{
	uint64_t blobs = 0, packs = 0;
	int ret = 0;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog blob count: no catalog");
	cairn_catalog_lock(c);
	if (ret_blobs != NULL)
		ret = count_rows(c, c->stmt[CAT_BLOB_COUNT], &blobs);
	if (ret == 0 && ret_packs != NULL)
		ret = count_rows(c, c->stmt[CAT_PACK_COUNT], &packs);
	cairn_catalog_unlock(c);
	if (ret != 0)
		return ret;
	if (ret_blobs != NULL)
		*ret_blobs = blobs;
	if (ret_packs != NULL)
		*ret_packs = packs;
	return 0;
}

/* Bind `name` to a one-parameter index statement and run it. */
static int index_run(struct cairn_catalog *c, enum cairn_catalog_stmt which, const char *name, int query,
		     const char *what)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || name == NULL || name[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "catalog: %s: catalog and index name are required", what);
	cairn_catalog_lock(c);
	st = c->stmt[which];
	rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		ret = cairn_catalog_sqlerr(c, rc, what);
		sqlite3_reset(st);
	} else if (query) {
		ret = cairn_catalog_step_exists(c, st, what);
	} else {
		ret = cairn_catalog_step_done(c, st, what);
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_index_seen(struct cairn_catalog *c, const char *name)
{
	return index_run(c, CAT_INDEX_SEEN, name, 1, "cannot look up index object");
}

int cairn_catalog_index_mark(struct cairn_catalog *c, const char *name)
{
	return index_run(c, CAT_INDEX_MARK, name, 0, "cannot mark index object");
}

int cairn_catalog_index_forget(struct cairn_catalog *c, const char *name)
{
	return index_run(c, CAT_INDEX_FORGET, name, 0, "cannot forget index object");
}

int cairn_catalog_index_clear(struct cairn_catalog *c)
{
	int ret;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog index clear: no catalog");
	ret = cairn_catalog_begin(c);
	if (ret < 0)
		return ret;
	cairn_catalog_lock(c);
	ret = cairn_catalog_exec(c,
				 "DELETE FROM blobs; DELETE FROM index_objects; DELETE FROM index_packs;"
				 " DELETE FROM prune_used; DELETE FROM prune_marks;",
				 "cannot clear the blob index");
	cairn_catalog_unlock(c);
	if (ret < 0) {
		cairn_catalog_rollback(c);
		return ret;
	}
	return cairn_catalog_commit(c);
}

/* Copy every name, NUL-terminated, into `out` under the lock. */
static int index_collect(struct cairn_catalog *c, struct cairn_buf *out)
{
	sqlite3_stmt *st = c->stmt[CAT_INDEX_EACH];
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (name == NULL || n == 0 || memchr(name, '\0', n) != NULL) {
			ret = cairn_err(CAIRN_ECORRUPT, "catalog '%s': malformed index object name", c->path);
			break;
		}
		if (cairn_buf_append(out, name, n + 1) != 0) {
			ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory listing index objects", c->path);
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = cairn_catalog_sqlerr(c, rc, "cannot list index objects");
	sqlite3_reset(st);
	return ret;
}

int cairn_catalog_index_each(struct cairn_catalog *c, int (*cb)(void *ctx, const char *name), void *ctx)
{
	struct cairn_buf names = { 0 };
	int ret;

	if (c == NULL || cb == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog index each: catalog and callback are required");
	cairn_catalog_lock(c);
	ret = index_collect(c, &names);
	cairn_catalog_unlock(c);
	/* Callbacks run without the lock so they may call the catalog. */
	for (size_t pos = 0; ret == 0 && pos < names.len;) {
		const char *name = (const char *)names.data + pos;

		ret = cb(ctx, name);
		pos += strlen(name) + 1;
	}
	cairn_buf_free(&names);
	return ret;
}
