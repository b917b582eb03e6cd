/* Catalog files cache: last backed-up metadata and content ids per path. */
#include "catalog/catalog_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

void cairn_catalog_file_clear(struct cairn_catalog_file *f)
{
	if (f == NULL)
		return;
	free(f->ids);
	f->ids = NULL;
	f->count = 0;
}
