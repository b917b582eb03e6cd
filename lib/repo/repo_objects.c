/* Sealed objects, object names and blob reads of an open repository. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdio.h>
#include <string.h>

int cairn_repo_parse_object_name(const char *name, const char *dir, char ret_id[CAIRN_ID_HEX])
{
	size_t dlen = strlen(dir);
	const char *id;

	if (strncmp(name, dir, dlen) != 0 || name[dlen] != '/')
		return 0;
	id = name + dlen + 1;
	/* data/ab/<id> */
	if (strcmp(dir, "data") == 0) {
		if (strlen(id) != 3 + 64 || id[2] != '/' || strncmp(id, id + 3, 2) != 0)
			return 0;
		id += 3;
	}
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
		return 0;
	memcpy(ret_id, id, CAIRN_ID_HEX);
	return 1;
}

void cairn_repo_pack_name(const uint8_t pack_id[CAIRN_ID_BYTES], char out[CAIRN_PACK_NAME_MAX])
{
	char hex[CAIRN_ID_HEX];

	cairn_hex_encode(pack_id, CAIRN_ID_BYTES, hex);
	snprintf(out, CAIRN_PACK_NAME_MAX, "data/%.2s/%s", hex, hex);
}

int cairn_repo_put_sealed(struct cairn_repo *r, const char *dir, const char *ad, const void *plain, size_t len,
			  char ret_id[CAIRN_ID_HEX])
{
	struct cairn_buf sealed = { 0 };
	uint8_t sid[CAIRN_ID_BYTES];
	char name[96];
	int rc;

	rc = cairn_seal(r->keys->enc, ad, strlen(ad), plain, len, NULL, &sealed);
	if (rc < 0)
		goto out;
	cairn_storage_id(sealed.data, sealed.len, sid);
	cairn_hex_encode(sid, sizeof(sid), ret_id);
	snprintf(name, sizeof(name), "%s/%s", dir, ret_id);
	rc = cairn_store_put_content(r->store, name, sealed.data, sealed.len);
out:
	cairn_buf_free(&sealed);
	return rc;
}

static int too_big(const char *what, const char *name, uint64_t size, uint64_t cap)
{
	return cairn_err(CAIRN_ECORRUPT, "%s '%s' has %llu bytes, more than the %llu a %s may have: not read", what,
			 name, (unsigned long long)size, (unsigned long long)cap, what);
}

int cairn_repo_get_small(struct cairn_store *store, const char *name, uint64_t size, uint64_t cap, const char *what,
			 struct cairn_buf *out)
{
	char detail[1024];
	uint64_t actual;
	int rc;

	if (size != UINT64_MAX) {
		if (size > cap)
			return too_big(what, name, size, cap);
		/* exactly `size` bytes, never "to the end": the read is bounded
		 * even if the object grew since it was listed */
		return cairn_store_get(store, name, 0, size, out);
	}
	/* size unknown: one bounded read (S3: one GET, not HEAD + GET) */
	rc = cairn_store_get(store, name, 0, CAIRN_STORE_AT_MOST(cap), out);
	if (rc != CAIRN_ECORRUPT)
		return rc;
	/* refused, or damaged on the way: say which in this caller's terms when
	 * the object's size confirms it is too big (a stat only on this path) */
	snprintf(detail, sizeof(detail), "%s", cairn_err_msg());
	if (cairn_store_stat(store, name, &actual) == 0 && actual > cap)
		return too_big(what, name, actual, cap);
	return cairn_err(rc, "%s", detail);
}

/* Objects of these directories are read whole and small by nature. */
static const struct {
	const char *dir;
	const char *what;
	uint64_t cap;
} capped_dirs[] = {
	{ "snapshots", "snapshot", CAIRN_SNAPSHOT_MAX_BYTES },
};

static int capped_dir(const char *dir)
{
	for (size_t i = 0; i < sizeof(capped_dirs) / sizeof(capped_dirs[0]); i++)
		if (strcmp(dir, capped_dirs[i].dir) == 0)
			return (int)i;
	return -1;
}

uint64_t cairn_repo_object_cap(const char *dir)
{
	int i = capped_dir(dir);

	return i < 0 ? UINT64_MAX : capped_dirs[i].cap;
}

int cairn_repo_get_verified(struct cairn_repo *r, const char *dir, const char *id, struct cairn_buf *out)
{
	uint8_t sid[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];
	char name[96];
	size_t start = out->len;
	int capped = capped_dir(dir), rc;

	snprintf(name, sizeof(name), "%s/%s", dir, id);
	/* bytes can be damaged on the way (a proxy, a flaky link) as well as at
	 * rest: fetch again before calling the object damaged */
	for (int attempt = 1;; attempt++) {
		out->len = start;
		if (capped >= 0)
			rc = cairn_repo_get_small(r->store, name, UINT64_MAX, capped_dirs[capped].cap,
						  capped_dirs[capped].what, out);
		else
			rc = cairn_store_get(r->store, name, 0, UINT64_MAX, out);
		if (rc < 0)
			return rc;
		cairn_storage_id(out->data + start, out->len - start, sid);
		cairn_hex_encode(sid, sizeof(sid), hex);
		if (strcmp(hex, id) == 0)
			return 0;
		if (attempt == CAIRN_REPO_VERIFY_ATTEMPTS)
			return cairn_err(CAIRN_ECORRUPT,
					 "object '%s' is damaged: its content does not match its name (%d reads)", name,
					 attempt);
	}
}

int cairn_repo_get_sealed(struct cairn_repo *r, const char *dir, const char *id, const char *ad,
			  struct cairn_buf *out)
{
	struct cairn_buf sealed = { 0 };
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "%s/%s", dir, id);
	rc = cairn_repo_get_verified(r, dir, id, &sealed);
	if (rc < 0)
		goto out;
	rc = cairn_open(r->keys->enc, ad, strlen(ad), sealed.data, sealed.len, out);
	if (rc < 0)
		rc = cairn_err(CAIRN_ECORRUPT, "object '%s' failed authentication (damaged or not ours)", name);
out:
	cairn_buf_free(&sealed);
	return rc;
}

int cairn_repo_blob_read(struct cairn_repo *r, struct cairn_zctx *z, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			 struct cairn_buf *out, struct cairn_blob_loc *ret_loc)
{
	struct cairn_buf stored = { 0 };
	struct cairn_zctx *own = NULL;
	struct cairn_blob_loc loc;
	char name[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX];
	int rc;

	rc = cairn_catalog_blob_get(r->catalog, id, type, &loc);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		return cairn_err(CAIRN_ENOTFOUND, "%s blob %s is not in any index",
				 type == CAIRN_BLOB_TREE ? "tree" : "data", hex);
	}
	if (rc < 0)
		return rc;
	if (ret_loc != NULL)
		*ret_loc = loc;
	cairn_repo_pack_name(loc.pack, name);
	if (loc.type != type) {
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		return cairn_err(CAIRN_ECORRUPT, "blob %s in '%s' has type %u, expected %u", hex, name, loc.type, type);
	}
	if (z == NULL) {
		rc = cairn_zctx_new(r->config.zstd_level, &own);
		if (rc < 0)
			return rc;
		z = own;
	}
	/* a blob that fails verification is fetched again (damage in transit)
	 * before it is declared damaged (damage at rest) */
	for (int attempt = 1;; attempt++) {
		size_t start = out->len;

		cairn_buf_reset(&stored);
		/* a retry after a failed verification bypasses the cache */
		if (r->packcache != NULL && attempt == 1)
			rc = cairn_packcache_get(r->packcache, r->store, r->catalog, loc.pack, name, loc.offset,
						 loc.length, type == CAIRN_BLOB_DATA, &stored);
		else
			rc = cairn_store_get(r->store, name, loc.offset, loc.length, &stored);
		if (rc == 0 && stored.len != loc.length)
			rc = cairn_err(CAIRN_ECORRUPT, "short read of %zu bytes instead of %u", stored.len, loc.length);
		if (rc == 0)
			rc = cairn_blob_decode(r->keys, z, type, id, stored.data, stored.len, loc.raw_length, out);
		if (rc != CAIRN_ECORRUPT || attempt == CAIRN_REPO_VERIFY_ATTEMPTS)
			break;
		out->len = start;
	}
	if (rc == CAIRN_ECORRUPT)
		rc = cairn_err_ctx(rc, "damaged object '%s'", name);
	else if (rc < 0)
		rc = cairn_err_ctx(rc, "cannot read object '%s'", name);
	cairn_buf_free(&stored);
	cairn_zctx_free(own);
	return rc;
}
