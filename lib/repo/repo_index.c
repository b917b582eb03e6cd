/* The one index write: store an index object, then record it and its
 * blobs in the catalog, in that order (include/cairn/repo.h); and the
 * catalog rows of an index object, for the write and for the sync. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <string.h>

/* Loading one index object: blob locations, and per pack its stored bytes
 * (entries of one pack come together, see FORMAT.md section 8). */
struct index_rows {
	struct cairn_catalog *catalog;
	const char *name;
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t bytes;
	int have_pack;
};

static int flush_pack(struct index_rows *x)
{
	if (!x->have_pack)
		return 0;
	x->have_pack = 0;
	return cairn_catalog_index_pack_put(x->catalog, x->name, x->pack, x->bytes);
}

static int put_blob(void *ctx, const struct cairn_blob_loc *loc)
{
	struct index_rows *x = ctx;
	int rc;

	if (!x->have_pack || memcmp(x->pack, loc->pack, CAIRN_ID_BYTES) != 0) {
		rc = flush_pack(x);
		if (rc < 0)
			return rc;
		memcpy(x->pack, loc->pack, CAIRN_ID_BYTES);
		x->bytes = 0;
		x->have_pack = 1;
	}
	x->bytes += loc->length;
	return cairn_catalog_blob_put(x->catalog, loc);
}

int cairn_repo_index_record(struct cairn_repo *r, const char *name, const struct cairn_blob_loc *locs, size_t count)
{
	struct index_rows x = { .catalog = r->catalog, .name = name };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = put_blob(&x, &locs[i]);
	if (rc == 0)
		rc = flush_pack(&x);
	if (rc == 0)
		rc = cairn_catalog_index_mark(r->catalog, name);
	return rc;
}

int cairn_repo_index_load(struct cairn_repo *r, const char *name, const void *obj, size_t len)
{
	struct index_rows x = { .catalog = r->catalog, .name = name };
	int rc = cairn_index_parse(r->keys, obj, len, put_blob, NULL, &x);

	if (rc == 0)
		rc = flush_pack(&x);
	if (rc == 0)
		rc = cairn_catalog_index_mark(r->catalog, name);
	return rc;
}

int cairn_repo_index_write(struct cairn_repo *r, struct cairn_index_builder *b, const struct cairn_blob_loc *locs,
			   size_t count, uint64_t *ret_bytes)
{
	struct cairn_buf obj = { 0 };
	uint8_t sid[CAIRN_ID_BYTES];
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (ret_bytes != NULL)
		*ret_bytes = 0;
	if (cairn_index_builder_packs(b) == 0)
		return 0;
	rc = cairn_index_builder_finish(b, r->keys, &obj);
	if (rc < 0)
		return cairn_err_ctx(rc, "cannot seal an index object");
	cairn_storage_id(obj.data, obj.len, sid);
	cairn_repo_object_name_bin(CAIRN_REPO_OBJ_INDEX, sid, name);
	/* first the object: the catalog never lists a blob that no index
	 * object in the repository lists */
	rc = cairn_store_put_content(r->store, name, obj.data, obj.len);
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "cannot store index object '%s'", name);
		goto out;
	}
	/* then the catalog, in one transaction; when it fails the object is
	 * stored but unknown here, and the next sync loads it */
	rc = cairn_catalog_begin(r->catalog);
	if (rc == 0) {
		if (locs != NULL)
			rc = cairn_repo_index_record(r, name, locs, count);
		else
			rc = cairn_repo_index_load(r, name, obj.data, obj.len);
		if (rc == 0)
			rc = cairn_catalog_commit(r->catalog);
		else
			cairn_catalog_rollback(r->catalog);
	}
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "index object '%s' is stored but not recorded in the catalog", name);
		goto out;
	}
	if (ret_bytes != NULL)
		*ret_bytes = obj.len;
out:
	cairn_buf_free(&obj);
	return rc;
}
