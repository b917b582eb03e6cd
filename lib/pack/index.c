/* Index objects: build and parse the sealed list of blob locations grouped
 * by pack (docs/FORMAT.md "Index objects"). */
#include "cairn/err.h"
#include "cairn/pack.h"
#include "pack/pack_entry.h"

#include <stdlib.h>
#include <string.h>

#define INDEX_AD "cairn-index-v1"
#define INDEX_MAGIC_LEN (sizeof(CAIRN_INDEX_MAGIC) - 1)
#define INDEX_PACK_BYTES (CAIRN_ID_BYTES + 4) /* pack id || u32le blob count */

struct cairn_index_builder {
	struct cairn_blob_loc *locs; /* all blobs, pack after pack */
	size_t nlocs, cap_locs;
	size_t *pack_end;            /* pack i is locs[pack_end[i-1] .. pack_end[i]) */
	size_t npacks, cap_packs;
	uint8_t (*superseded)[CAIRN_ID_BYTES];
	size_t nsup, cap_sup;
};

typedef int (*blob_cb)(void *ctx, const struct cairn_blob_loc *loc);
typedef int (*sup_cb)(void *ctx, const uint8_t index_id[CAIRN_ID_BYTES]);

int cairn_index_builder_new(struct cairn_index_builder **ret)
{
	struct cairn_index_builder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate an index builder");
	*ret = b;
	return 0;
}

void cairn_index_builder_free(struct cairn_index_builder *b)
{
	if (b == NULL)
		return;
	free(b->locs);
	free(b->pack_end);
	free(b->superseded);
	free(b);
}

/* Array `p` grown to hold at least `need` elements of `size` bytes: the
 * (possibly moved) array, or NULL with the old one kept. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	q = cairn_reallocarray(p, n, size);
	if (q != NULL)
		*cap = n;
	return q;
}

/* Why a location cannot be listed in an index, or NULL. */
static const char *loc_problem(const struct cairn_blob_loc *loc)
{
	if (loc->offset > UINT64_MAX - loc->length)
		return "offset and length overflow";
	return cairn_pack_entry_check(loc->type, loc->length, loc->raw_length);
}

int cairn_index_builder_add_pack(struct cairn_index_builder *b, const struct cairn_blob_loc *locs, size_t count)
{
	const char *why;
	void *p;

	if (count == 0)
		return cairn_err(CAIRN_EINVAL, "cannot index a pack with no blobs");
	if (count > CAIRN_PACK_MAX_ENTRIES)
		return cairn_err(CAIRN_EINVAL, "pack %s: %zu blobs exceed the limit of %u",
				 cairn_pack_hex(locs[0].pack).s, count, CAIRN_PACK_MAX_ENTRIES);
	if (b->npacks >= UINT32_MAX)
		return cairn_err(CAIRN_EINVAL, "index already holds %zu packs", b->npacks);
	for (size_t i = 0; i < count; i++) {
		if (memcmp(locs[i].pack, locs[0].pack, CAIRN_ID_BYTES) != 0)
			return cairn_err(CAIRN_EINVAL, "pack %s: blob %zu belongs to pack %s",
					 cairn_pack_hex(locs[0].pack).s, i, cairn_pack_hex(locs[i].pack).s);
		why = loc_problem(&locs[i]);
		if (why != NULL)
			return cairn_err(CAIRN_EINVAL, "pack %s: blob %s: %s", cairn_pack_hex(locs[0].pack).s,
					 cairn_pack_hex(locs[i].id).s, why);
	}
	p = grow(b->locs, &b->cap_locs, b->nlocs + count, sizeof(*b->locs));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot grow the index to %zu blobs", b->nlocs + count);
	b->locs = p;
	p = grow(b->pack_end, &b->cap_packs, b->npacks + 1, sizeof(*b->pack_end));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot grow the index to %zu packs", b->npacks + 1);
	b->pack_end = p;
	memcpy(b->locs + b->nlocs, locs, count * sizeof(*locs));
	b->nlocs += count;
	b->pack_end[b->npacks++] = b->nlocs;
	return 0;
}

int cairn_index_builder_supersede(struct cairn_index_builder *b, const uint8_t index_id[CAIRN_ID_BYTES])
{
	void *p;

	if (b->nsup >= UINT32_MAX)
		return cairn_err(CAIRN_EINVAL, "index already supersedes %zu indexes", b->nsup);
	p = grow(b->superseded, &b->cap_sup, b->nsup + 1, sizeof(*b->superseded));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot grow the superseded list to %zu ids", b->nsup + 1);
	b->superseded = p;
	memcpy(b->superseded[b->nsup++], index_id, CAIRN_ID_BYTES);
	return 0;
}

size_t cairn_index_builder_packs(const struct cairn_index_builder *b)
{
	return b->npacks;
}

/* Body = magic || u32le pack count || per pack: id || u32le n || n * entry
 *        || u32le superseded count || ids. */
static int encode_body(const struct cairn_index_builder *b, struct cairn_buf *body)
{
	uint8_t entry[CAIRN_PACK_ENTRY_BYTES];
	size_t first = 0;
	int rc;

	rc = cairn_buf_append(body, CAIRN_INDEX_MAGIC, INDEX_MAGIC_LEN);
	if (rc == 0)
		rc = cairn_buf_put_u32le(body, (uint32_t)b->npacks);
	for (size_t p = 0; rc == 0 && p < b->npacks; p++) {
		rc = cairn_buf_append(body, b->locs[first].pack, CAIRN_ID_BYTES);
		if (rc == 0)
			rc = cairn_buf_put_u32le(body, (uint32_t)(b->pack_end[p] - first));
		for (size_t i = first; rc == 0 && i < b->pack_end[p]; i++) {
			cairn_pack_entry_store(entry, &b->locs[i]);
			rc = cairn_buf_append(body, entry, sizeof(entry));
		}
		first = b->pack_end[p];
	}
	if (rc == 0)
		rc = cairn_buf_put_u32le(body, (uint32_t)b->nsup);
	for (size_t i = 0; rc == 0 && i < b->nsup; i++)
		rc = cairn_buf_append(body, b->superseded[i], CAIRN_ID_BYTES);
	return rc;
}

int cairn_index_builder_finish(struct cairn_index_builder *b, const struct cairn_keys *keys, struct cairn_buf *out)
{
	struct cairn_buf body = { 0 };
	int rc;

	rc = encode_body(b, &body);
	if (rc == 0)
		rc = cairn_seal(keys->enc, INDEX_AD, strlen(INDEX_AD), body.data, body.len, NULL, out);
	cairn_buf_free(&body);
	if (rc < 0)
		return rc;
	b->nlocs = 0;
	b->npacks = 0;
	b->nsup = 0;
	return 0;
}

/* Walk an opened body. With callbacks NULL it only validates; the caller runs
 * it that way first so that callbacks see only fully valid objects. */
static int walk_body(const struct cairn_buf *body, blob_cb on_blob, sup_cb on_sup, void *ctx)
{
	struct cairn_rd r = cairn_rd_init(body->data, body->len);
	struct cairn_blob_loc loc;
	const uint8_t *magic, *id;
	uint32_t npacks, nblobs, nsup;
	const char *why;
	int rc;

	magic = cairn_rd_bytes(&r, INDEX_MAGIC_LEN);
	if (magic == NULL || memcmp(magic, CAIRN_INDEX_MAGIC, INDEX_MAGIC_LEN) != 0)
		return cairn_err(CAIRN_ECORRUPT, "index object: bad magic");
	npacks = cairn_rd_u32le(&r);
	if (r.bad || npacks > cairn_rd_left(&r) / INDEX_PACK_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "index object: %u packs cannot fit in %zu bytes", npacks,
				 cairn_rd_left(&r));
	for (uint32_t p = 0; p < npacks; p++) {
		memset(&loc, 0, sizeof(loc));
		cairn_rd_copy(&r, loc.pack, CAIRN_ID_BYTES);
		nblobs = cairn_rd_u32le(&r);
		if (r.bad || nblobs == 0 || nblobs > CAIRN_PACK_MAX_ENTRIES ||
		    nblobs > cairn_rd_left(&r) / CAIRN_PACK_ENTRY_BYTES)
			return cairn_err(CAIRN_ECORRUPT, "index object: pack %s lists %u blobs in %zu bytes",
					 cairn_pack_hex(loc.pack).s, nblobs, cairn_rd_left(&r));
		for (uint32_t i = 0; i < nblobs; i++) {
			cairn_pack_entry_read(&r, &loc);
			why = loc_problem(&loc);
			if (why != NULL)
				return cairn_err(CAIRN_ECORRUPT, "index object: pack %s: blob %s: %s",
						 cairn_pack_hex(loc.pack).s, cairn_pack_hex(loc.id).s, why);
			rc = on_blob != NULL ? on_blob(ctx, &loc) : 0;
			if (rc != 0)
				return rc;
		}
	}
	nsup = cairn_rd_u32le(&r);
	if (r.bad || nsup > cairn_rd_left(&r) / CAIRN_ID_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "index object: %u superseded ids cannot fit in %zu bytes", nsup,
				 cairn_rd_left(&r));
	for (uint32_t i = 0; i < nsup; i++) {
		id = cairn_rd_bytes(&r, CAIRN_ID_BYTES);
		rc = on_sup != NULL ? on_sup(ctx, id) : 0;
		if (rc != 0)
			return rc;
	}
	if (cairn_rd_done(&r) != 0)
		return cairn_err(CAIRN_ECORRUPT, "index object: %zu trailing bytes", cairn_rd_left(&r));
	return 0;
}

int cairn_index_parse(const struct cairn_keys *keys, const void *obj, size_t len,
		      int (*on_blob)(void *ctx, const struct cairn_blob_loc *loc),
		      int (*on_superseded)(void *ctx, const uint8_t index_id[CAIRN_ID_BYTES]), void *ctx)
{
	struct cairn_buf body = { 0 };
	int rc;

	rc = cairn_open(keys->enc, INDEX_AD, strlen(INDEX_AD), obj, len, &body);
	if (rc == CAIRN_ECORRUPT) {
		rc = cairn_err(CAIRN_ECORRUPT, "index object: authentication failed");
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = walk_body(&body, NULL, NULL, NULL);
	if (rc == 0 && (on_blob != NULL || on_superseded != NULL))
		rc = walk_body(&body, on_blob, on_superseded, ctx);
out:
	cairn_buf_free(&body);
	return rc;
}
