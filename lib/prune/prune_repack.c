/* Prune's repack: the used blobs of a partly used pack are copied into new
 * packs, then the old pack is marked like an unused one.
 *
 * A blob's box does not depend on the pack that holds it (FORMAT.md section
 * 6: its AD is its type and id), so a blob is copied as stored: the used
 * part of the pack is read in one request, every blob is verified
 * (opened, decompressed, its id checked) and its stored bytes appended to
 * the new pack. Nothing is compressed or sealed again. A blob that fails
 * verification is read again on its own through the repository (which
 * fetches it twice before calling it damaged); damage stops prune. */
#include "prune_internal.h"

#include "repo/packer.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdlib.h>
#include <string.h>

static int collect_loc(void *ctx, const struct cairn_blob_loc *loc)
{
	struct prune_repack *k = ctx;

	if (k->nlocs == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 256;
		void *n = cairn_reallocarray(k->locs, cap, sizeof(*k->locs));

		if (n == NULL)
			return cairn_err(CAIRN_ENOMEM, "repack: out of memory");
		k->locs = n;
		k->cap = cap;
	}
	k->locs[k->nlocs++] = *loc;
	return 0;
}

/* The slow path: read, verify and encode the blob again. */
static int copy_decoded(struct prune_repack *k, const struct cairn_blob_loc *loc)
{
	uint8_t id[CAIRN_ID_BYTES];
	int rc;

	cairn_buf_reset(&k->plain);
	rc = cairn_repo_blob_read(k->p->r, k->p->z, loc->type, loc->id, &k->plain, NULL);
	if (rc < 0)
		return cairn_err_ctx(rc, "repack");
	rc = cairn_packer_add(k->packer, k->p->z, &k->scratch, loc->type, k->plain.data, k->plain.len, id, NULL);
	if (rc < 0)
		return rc;
	if (memcmp(id, loc->id, CAIRN_ID_BYTES) != 0)
		return cairn_err(CAIRN_ECORRUPT, "repack: a blob's content does not match its id");
	return 0;
}

/* Copy one blob whose stored bytes are `stored` (NULL when they could not
 * be read with the others). */
static int copy_blob(struct prune_repack *k, const struct cairn_blob_loc *loc, const uint8_t *stored)
{
	int rc = CAIRN_ECORRUPT;

	if (stored != NULL) {
		cairn_buf_reset(&k->plain);
		rc = cairn_blob_decode(k->p->r->keys, k->p->z, loc->type, loc->id, stored, loc->length,
				       loc->raw_length, &k->plain);
		if (rc == 0)
			rc = cairn_packer_add_stored(k->packer, loc->type, loc->id, stored, loc->length,
						     loc->raw_length, NULL);
		else if (rc != CAIRN_ECORRUPT)
			return rc;
	}
	if (rc == CAIRN_ECORRUPT)
		rc = copy_decoded(k, loc);
	if (rc < 0)
		return rc;
	k->blobs++;
	k->p->st->bytes_repacked += loc->length;
	return 0;
}

int prune_repack_pack(struct prune_repack *k, const uint8_t pack[CAIRN_ID_BYTES])
{
	char name[CAIRN_PACK_NAME_MAX];
	uint64_t first = UINT64_MAX, end = 0;
	int rc, whole;

	if (k->packer == NULL) {
		rc = cairn_packer_new(k->p->r, &k->packer);
		if (rc < 0)
			return rc;
		cairn_packer_set_copy(k->packer);
	}
	k->nlocs = 0;
	rc = cairn_catalog_pack_used_blobs(k->p->r->catalog, pack, collect_loc, k);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < k->nlocs; i++) {
		if (k->locs[i].offset < first)
			first = k->locs[i].offset;
		if (k->locs[i].offset + k->locs[i].length > end)
			end = k->locs[i].offset + k->locs[i].length;
	}
	/* one read for the used part of the pack; on failure, blob by blob */
	whole = 0;
	if (k->nlocs > 0) {
		cairn_repo_pack_name(pack, name);
		cairn_buf_reset(&k->stored);
		whole = cairn_store_get(k->p->r->store, name, first, end - first, &k->stored) == 0 &&
			k->stored.len == end - first;
	}
	for (size_t i = 0; i < k->nlocs; i++) {
		rc = copy_blob(k, &k->locs[i], whole ? k->stored.data + (k->locs[i].offset - first) : NULL);
		if (rc < 0)
			return rc;
	}
	if (cairn_buf_append(&k->emptied, pack, CAIRN_ID_BYTES) < 0)
		return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
	k->p->st->packs_repacked++;
	return 0;
}

int prune_repack_finish(struct prune_repack *k)
{
	int rc = 0;

	if (k->packer != NULL)
		rc = cairn_packer_flush(k->packer);
	if (rc == 0 && k->packer != NULL)
		k->p->st->index_written += cairn_packer_stats(k->packer)->index_written;
	for (size_t i = 0; rc == 0 && i < k->emptied.len / CAIRN_ID_BYTES; i++) {
		rc = cairn_catalog_mark_put(k->p->r->catalog, k->emptied.data + i * CAIRN_ID_BYTES, k->p->now_ns);
		if (rc > 0) {
			k->p->st->packs_marked++;
			rc = 0;
		}
	}
	k->p->st->blobs_repacked = k->blobs;
	return rc;
}

void prune_repack_free(struct prune_repack *k)
{
	cairn_packer_free(k->packer);
	k->packer = NULL;
	cairn_buf_free(&k->plain);
	cairn_buf_free(&k->scratch);
	cairn_buf_free(&k->stored);
	cairn_buf_free(&k->emptied);
	free(k->locs);
	k->locs = NULL;
	k->nlocs = k->cap = 0;
}
