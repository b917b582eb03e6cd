/* Catalog files cache: last backed-up metadata and content ids per path. */
#include "catalog/catalog_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"

static int check_path(struct cairn_catalog *c, const void *path, size_t path_len, const char *what)
{
	if (path == NULL || path_len == 0 || path_len > INT_MAX)
		return cairn_err(CAIRN_EINVAL, "catalog '%s': %s: path must be 1 to %d bytes", c->path, what,
				 INT_MAX);
	return 0;
}

/* Decode a CAT_FILE_GET row into *f (ids malloc'd). */
static int read_file_row(struct cairn_catalog *c, sqlite3_stmt *st, struct cairn_catalog_file *f)
{
	/* Type first: reading a blob from another type converts it. */
	int type = sqlite3_column_type(st, 5);
	const void *ids = sqlite3_column_blob(st, 5);
	size_t len = (size_t)sqlite3_column_bytes(st, 5);

	if (type != SQLITE_BLOB)
		return cairn_err(CAIRN_ECORRUPT, "catalog '%s': files entry ids are not a blob", c->path);
	if (len % CAIRN_ID_BYTES != 0)
		return cairn_err(CAIRN_ECORRUPT, "catalog '%s': files entry has %zu bytes of ids, not a multiple of %d",
				 c->path, len, CAIRN_ID_BYTES);
	f->dev = (uint64_t)sqlite3_column_int64(st, 0);
	f->ino = (uint64_t)sqlite3_column_int64(st, 1);
	f->size = (uint64_t)sqlite3_column_int64(st, 2);
	f->mtime_ns = sqlite3_column_int64(st, 3);
	f->ctime_ns = sqlite3_column_int64(st, 4);
	f->no_xattrs = sqlite3_column_int(st, 6) == 1;
	f->count = len / CAIRN_ID_BYTES;
	f->ids = NULL;
	if (len > 0) {
		f->ids = malloc(len);
		if (f->ids == NULL)
			return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory reading files entry", c->path);
		memcpy(f->ids, ids, len);
	}
	return 0;
}

int cairn_catalog_file_get(struct cairn_catalog *c, const void *path, size_t path_len,
			   struct cairn_catalog_file *ret_file)
{
	struct cairn_catalog_file f = { 0 };
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || ret_file == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog file get: catalog and result are required");
	ret = check_path(c, path, path_len, "file get");
	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_FILE_GET];
	rc = sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = read_file_row(c, st, &f);
	else if (rc == SQLITE_DONE)
		ret = cairn_err(CAIRN_ENOTFOUND, "catalog '%s': no files entry for this path", c->path);
	else
		ret = cairn_catalog_sqlerr(c, rc, "cannot read files entry");
	sqlite3_reset(st);
	cairn_catalog_unlock(c);
	if (ret == 0)
		*ret_file = f;
	return ret;
}

int cairn_catalog_file_put(struct cairn_catalog *c, const void *path, size_t path_len,
			   const struct cairn_catalog_file *file)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || file == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog file put: catalog and entry are required");
	ret = check_path(c, path, path_len, "file put");
	if (ret != 0)
		return ret;
	if (file->count > (size_t)INT_MAX / CAIRN_ID_BYTES || (file->count > 0 && file->ids == NULL))
		return cairn_err(CAIRN_EINVAL, "catalog '%s': files entry with %zu ids is invalid", c->path,
				 file->count);
	cairn_catalog_lock(c);
	st = c->stmt[CAT_FILE_PUT];
	rc = sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (int64_t)file->dev);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (int64_t)file->ino);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (int64_t)file->size);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, file->mtime_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, file->ctime_ns);
	/* A NULL pointer would bind SQL NULL; zero ids must be an empty BLOB. */
	if (rc == SQLITE_OK && file->count == 0)
		rc = sqlite3_bind_zeroblob(st, 7, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 7, file->ids, (int)(file->count * CAIRN_ID_BYTES), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 8, file->no_xattrs ? 1 : 0);
	if (rc == SQLITE_OK) {
		ret = cairn_catalog_step_done(c, st, "cannot write files entry");
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot write files entry");
		sqlite3_reset(st);
	}
	cairn_catalog_unlock(c);
	return ret;
}

/* Bytewise order of SQLite BLOBs: memcmp, then the shorter first. */
static int blob_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

/* Rows skipped (a subdirectory's, or missing names) before seeking again. */
#define SCAN_SKIP_MAX 8

/* Bind ?1 to `from` and step to the first row at or after it: SQLITE_ROW,
 * SQLITE_DONE or an error. */
static int scan_seek(sqlite3_stmt *st, const char *from, size_t len)
{
	int rc;

	sqlite3_reset(st);
	rc = sqlite3_bind_blob(st, 1, from, (int)len, SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? sqlite3_step(st) : rc;
}

int cairn_catalog_file_get_dir(struct cairn_catalog *c, const void *dir, size_t dir_len, const char *const *names,
			       size_t n, struct cairn_catalog_file *ret, uint8_t *found)
{
	struct cairn_buf want = { 0 }, end = { 0 };
	sqlite3_stmt *st;
	size_t skipped = 0;
	int rc = SQLITE_DONE, ret_code = 0;

	if (c == NULL || (n > 0 && (names == NULL || ret == NULL || found == NULL)) || (dir == NULL && dir_len > 0))
		return cairn_err(CAIRN_EINVAL, "catalog file get dir: catalog, names and results are required");
	if (n == 0)
		return 0;
	memset(ret, 0, n * sizeof(*ret));
	memset(found, 0, n);
	if (cairn_buf_append(&end, dir, dir_len) < 0 || cairn_buf_append(&end, "0", 1) < 0 ||
	    cairn_buf_append(&want, dir, dir_len) < 0 || cairn_buf_append(&want, "/", 1) < 0) {
		ret_code = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory reading files entries", c->path);
		goto out_bufs;
	}
	if (end.len > INT_MAX) {
		ret_code = cairn_err(CAIRN_EINVAL, "catalog '%s': file get dir: path too long", c->path);
		goto out_bufs;
	}
	cairn_catalog_lock(c);
	st = c->stmt[CAT_FILE_SCAN];
	rc = sqlite3_bind_blob(st, 2, end.data, (int)end.len, SQLITE_STATIC);
	for (size_t i = 0; i < n && ret_code == 0; i++) {
		size_t nlen = strlen(names[i]);

		want.len = dir_len + 1;
		if (cairn_buf_append(&want, names[i], nlen) < 0 || want.len > INT_MAX) {
			ret_code = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory reading files entries", c->path);
			break;
		}
		if (i == 0 && rc == SQLITE_OK)
			rc = scan_seek(st, (const char *)want.data, want.len);
		for (;;) {
			int cmp;

			if (rc == SQLITE_DONE)
				break; /* no row at or after this name */
			if (rc != SQLITE_ROW) {
				ret_code = cairn_catalog_sqlerr(c, rc, "cannot read files entries");
				break;
			}
			cmp = blob_cmp(sqlite3_column_blob(st, 7), (size_t)sqlite3_column_bytes(st, 7), want.data,
				       want.len);
			if (cmp == 0) {
				ret_code = read_file_row(c, st, &ret[i]);
				if (ret_code == 0)
					found[i] = 1;
				rc = sqlite3_step(st);
				skipped = 0;
				break;
			}
			if (cmp > 0)
				break; /* this name has no row */
			if (++skipped > SCAN_SKIP_MAX) {
				/* a subdirectory's rows: seek instead of stepping over them */
				rc = scan_seek(st, (const char *)want.data, want.len);
				skipped = 0;
			} else {
				rc = sqlite3_step(st);
			}
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	cairn_catalog_unlock(c);
	if (ret_code < 0) {
		for (size_t i = 0; i < n; i++)
			cairn_catalog_file_clear(&ret[i]);
		memset(found, 0, n);
	}
out_bufs:
	cairn_buf_free(&want);
	cairn_buf_free(&end);
	return ret_code;
}

void cairn_catalog_file_clear(struct cairn_catalog_file *f)
{
	if (f == NULL)
		return;
	free(f->ids);
	f->ids = NULL;
	f->count = 0;
}
