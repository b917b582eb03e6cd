/* The blob sink of a backup: dedup, pack, store, index (see packer.h).
 *
 * Write order, the invariant behind "a snapshot exists whole or not at all":
 * a pack is stored before any index object lists it, and index objects are
 * stored before the caller writes a snapshot (cairn_packer_flush). Blobs are
 * entered into the catalog only from a stored index object, so the catalog
 * never points at data the repository does not index. */
#include "packer.h"

#include "idmap.h"
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An index object is written after this many packs or blobs. */
#define INDEX_MAX_PACKS 64
#define INDEX_MAX_BLOBS 100000

struct cairn_packer {
	struct cairn_repo *repo;
	pthread_mutex_t lock;          /* map, writer, builder, unindexed */
	pthread_mutex_t index_lock;    /* serialises index writes */
	struct cairn_idmap map;        /* data blobs */
	struct cairn_idmap tree_map;   /* tree blobs */
	struct cairn_pack_writer *writer;
	struct cairn_index_builder *builder;
	struct cairn_blob_loc *unindexed;
	size_t unindexed_count, unindexed_cap;
	size_t builder_packs;
	struct cairn_packer_stats stats;
	int copy;                      /* cairn_packer_set_copy: ignore the catalog */
};

int cairn_packer_new(struct cairn_repo *r, struct cairn_packer **ret)
{
	struct cairn_packer *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate packer");
	p->repo = r;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->index_lock, NULL);
	rc = cairn_pack_writer_new(&p->writer);
	if (rc == 0)
		rc = cairn_index_builder_new(&p->builder);
	if (rc < 0) {
		cairn_packer_free(p);
		return rc;
	}
	*ret = p;
	return 0;
}

void cairn_packer_free(struct cairn_packer *p)
{
	if (p == NULL)
		return;
	cairn_pack_writer_free(p->writer);
	cairn_index_builder_free(p->builder);
	cairn_idmap_free(&p->map);
	cairn_idmap_free(&p->tree_map);
	free(p->unindexed);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->index_lock);
	free(p);
}

const struct cairn_packer_stats *cairn_packer_stats(const struct cairn_packer *p)
{
	return &p->stats;
}

/* The map of this run's unindexed blobs of `type`: a data blob and a tree
 * blob with equal bytes share an id, and each must be stored. */
static struct cairn_idmap *map_for(struct cairn_packer *p, uint8_t type)
{
	return type == CAIRN_BLOB_TREE ? &p->tree_map : &p->map;
}

/* Caller holds p->lock. */
static int known_locked(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_blob_loc loc;
	int rc;

	if (cairn_idmap_get(map_for(p, type), id) != NULL)
		return 1;
	if (p->copy)
		return 0;
	rc = cairn_catalog_blob_get(p->repo->catalog, id, type, &loc);
	if (rc == CAIRN_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : 1;
}

void cairn_packer_set_copy(struct cairn_packer *p)
{
	p->copy = 1;
}

int cairn_packer_has(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = known_locked(p, type, id);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* Write an index object for every stored, unindexed pack, then enter its
 * blobs into the catalog and drop them from the map. */
static int write_index(struct cairn_packer *p)
{
	struct cairn_index_builder *builder, *fresh = NULL;
	struct cairn_blob_loc *locs;
	uint64_t bytes = 0;
	size_t count;
	int rc;

	pthread_mutex_lock(&p->index_lock);
	rc = cairn_index_builder_new(&fresh);
	if (rc < 0)
		goto out_unlock;
	pthread_mutex_lock(&p->lock);
	builder = p->builder;
	p->builder = fresh;
	locs = p->unindexed;
	count = p->unindexed_count;
	p->unindexed = NULL;
	p->unindexed_count = p->unindexed_cap = 0;
	p->builder_packs = 0;
	pthread_mutex_unlock(&p->lock);
	if (count == 0) {
		cairn_index_builder_free(builder);
		goto out_unlock;
	}

	rc = cairn_repo_index_write(p->repo, builder, locs, count, &bytes);
	if (rc < 0)
		goto out;
	atomic_fetch_add(&p->stats.bytes_stored, bytes);
	atomic_fetch_add(&p->stats.index_written, 1);
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < count; i++)
		cairn_idmap_remove(map_for(p, locs[i].type), locs[i].id);
	pthread_mutex_unlock(&p->lock);
out:
	cairn_index_builder_free(builder);
	free(locs);
out_unlock:
	pthread_mutex_unlock(&p->index_lock);
	return rc;
}

static int reserve_locs(struct cairn_blob_loc **arr, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = cairn_reallocarray(*arr, n, sizeof(**arr));
	if (q == NULL)
		return -1;
	*arr = q;
	*cap = n;
	return 0;
}

/* Store a finished pack and record its blobs as stored but not indexed.
 * Returns 1 when an index object is due. */
static int store_pack(struct cairn_packer *p, struct cairn_buf *pack, const uint8_t pack_id[CAIRN_ID_BYTES],
		      struct cairn_blob_loc *locs, size_t count)
{
	char name[CAIRN_PACK_NAME_MAX];
	int rc, due;

	cairn_repo_pack_name(pack_id, name);
	rc = cairn_store_put_content(p->repo->store, name, pack->data, pack->len);
	if (rc < 0)
		return cairn_err_ctx(rc, "cannot store pack '%s'", name);
	atomic_fetch_add(&p->stats.bytes_stored, pack->len);
	atomic_fetch_add(&p->stats.packs_written, 1);

	pthread_mutex_lock(&p->lock);
	rc = cairn_index_builder_add_pack(p->builder, locs, count);
	if (rc == 0 && reserve_locs(&p->unindexed, &p->unindexed_cap, p->unindexed_count + count) < 0)
		rc = cairn_err(CAIRN_ENOMEM, "cannot track %zu stored blobs", count);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct cairn_idmap_entry *e = cairn_idmap_get(map_for(p, locs[i].type), locs[i].id);

		if (e != NULL) {
			e->loc = locs[i];
			e->state = CAIRN_IDMAP_STORED;
		}
		p->unindexed[p->unindexed_count++] = locs[i];
	}
	p->builder_packs++;
	due = p->builder_packs >= INDEX_MAX_PACKS || p->unindexed_count >= INDEX_MAX_BLOBS;
	pthread_mutex_unlock(&p->lock);
	return rc < 0 ? rc : due;
}

/* Finish the current pack (caller holds p->lock, which this releases). */
static int finish_pack_unlock(struct cairn_packer *p)
{
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t pack_id[CAIRN_ID_BYTES];
	size_t count = 0;
	int rc;

	rc = cairn_pack_writer_finish(p->writer, p->repo->keys, &pack, pack_id, &locs, &count);
	pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		rc = store_pack(p, &pack, pack_id, locs, count);
	cairn_buf_free(&pack);
	free(locs);
	if (rc == 1)
		rc = write_index(p);
	return rc;
}

/* Claim `id` for this run: 1 when it is new (the caller stores it, or
 * calls unclaim), 0 when known, <0 on error. */
static int claim(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_idmap_entry *e;
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = known_locked(p, type, id);
	if (rc != 0) {
		pthread_mutex_unlock(&p->lock);
		return rc < 0 ? rc : 0;
	}
	e = cairn_idmap_put(map_for(p, type), id, CAIRN_IDMAP_CLAIMED);
	pthread_mutex_unlock(&p->lock);
	if (e == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track new blob");
	return 1;
}

static void unclaim(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	pthread_mutex_lock(&p->lock);
	cairn_idmap_remove(map_for(p, type), id);
	pthread_mutex_unlock(&p->lock);
}

/* Append a claimed blob's stored bytes to the open pack (then *ret_added
 * = 1), and store the pack when it is full. The claim is dropped when the
 * blob could not be appended. */
static int append_claimed(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *stored,
			  size_t len, uint32_t raw_len, int *ret_added)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = cairn_pack_writer_add(p->writer, type, id, stored, len, raw_len);
	if (rc < 0) {
		pthread_mutex_unlock(&p->lock);
		unclaim(p, type, id);
		return rc;
	}
	atomic_fetch_add(&p->stats.blobs_added, 1);
	atomic_fetch_add(&p->stats.bytes_added, raw_len);
	if (ret_added != NULL)
		*ret_added = 1;
	if (cairn_pack_writer_bytes(p->writer) < p->repo->config.pack_target) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	return finish_pack_unlock(p);
}

int cairn_packer_add(struct cairn_packer *p, struct cairn_zctx *z, struct cairn_buf *scratch, uint8_t type,
		     const void *data, size_t len, uint8_t ret_id[CAIRN_ID_BYTES], int *ret_added)
{
	int rc;

	if (ret_added != NULL)
		*ret_added = 0;
	cairn_blob_id(p->repo->keys, data, len, ret_id);
	rc = claim(p, type, ret_id);
	if (rc <= 0)
		return rc;
	cairn_buf_reset(scratch);
	rc = cairn_blob_encode(p->repo->keys, z, type, ret_id, data, len, scratch);
	if (rc < 0) {
		unclaim(p, type, ret_id);
		return rc;
	}
	return append_claimed(p, type, ret_id, scratch->data, scratch->len, (uint32_t)len, ret_added);
}

int cairn_packer_add_stored(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *stored,
			    size_t len, uint32_t raw_len, int *ret_added)
{
	int rc;

	if (ret_added != NULL)
		*ret_added = 0;
	rc = claim(p, type, id);
	if (rc <= 0)
		return rc;
	return append_claimed(p, type, id, stored, len, raw_len, ret_added);
}

int cairn_packer_flush(struct cairn_packer *p)
{
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (cairn_pack_writer_count(p->writer) > 0)
		rc = finish_pack_unlock(p);
	else
		pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		rc = write_index(p);
	return rc;
}
