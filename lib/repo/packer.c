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

/* An index object is written after this many packs or blobs. The blob
 * bound also bounds what a backup holds for blobs not yet indexed (the run
 * map, the list and the index builder: about 200 bytes each), however
 * many files it backs up (bench/results/issue13-scale). */
#define INDEX_MAX_PACKS 64
#define INDEX_MAX_BLOBS 25000
/* Room in a pack buffer beyond its target: the header of a pack of many
 * small blobs (a larger header, or a single blob above the target, grows
 * the buffer). */
#define PACK_SLACK (1024u * 1024u)
/* On a store with streamed puts, an open pack keeps about this many bytes
 * in memory (plus one blob); the rest is already written to its object. */
#define PACK_KEEP (2u * 1024u * 1024u)

/* An open pack. A thread takes a free slot for one blob: it seals the blob
 * into the pack and, when the pack is full, finishes and stores it, all
 * without holding the packer's lock, so that threads adding blobs at the
 * same time never wait for each other's sealing, hashing or storing. */
struct packer_slot {
	struct cairn_pack_writer *writer;
	struct packer_slot *next_free;
	struct cairn_packer *packer;
	/* on a store with streamed puts: the pack's object, open once its
	 * first bytes are spilled, and how many bytes went to it */
	struct cairn_store_writer *out;
	uint64_t out_bytes;
	/* a write to the pack's object failed: its object is gone and the
	 * pack can never be completed (every later add and store fails) */
	int broken;
};

struct cairn_packer {
	struct cairn_repo *repo;
	pthread_mutex_t lock;          /* map, free slots, builder, unindexed */
	pthread_cond_t slot_freed;
	pthread_mutex_t index_lock;    /* serialises index writes */
	struct cairn_idmap map;        /* data blobs */
	struct cairn_idmap tree_map;   /* tree blobs */
	struct packer_slot *slots;     /* nslots open packs */
	size_t nslots;
	struct packer_slot *free_slots;
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
	pthread_cond_init(&p->slot_freed, NULL);
	pthread_mutex_init(&p->index_lock, NULL);
	rc = cairn_packer_set_parallel(p, 1);
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
	for (size_t i = 0; i < p->nslots; i++) {
		cairn_store_writer_abort(p->slots[i].out);
		cairn_pack_writer_free(p->slots[i].writer);
	}
	free(p->slots);
	cairn_index_builder_free(p->builder);
	cairn_idmap_free(&p->map);
	cairn_idmap_free(&p->tree_map);
	free(p->unindexed);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->slot_freed);
	pthread_mutex_destroy(&p->index_lock);
	free(p);
}

/* Whether open packs are written out as they fill (the store names an
 * object when it is complete) rather than held whole until stored. */
static int streamed(const struct cairn_packer *p)
{
	return (cairn_store_caps(p->repo->store) & CAIRN_STORE_CAP_STREAMED_PUT) != 0;
}

int cairn_packer_set_parallel(struct cairn_packer *p, size_t n)
{
	struct packer_slot *slots;

	if (n == 0)
		n = 1;
	if (n <= p->nslots)
		return 0;
	for (size_t i = 0; i < p->nslots; i++)
		if (cairn_pack_writer_count(p->slots[i].writer) > 0)
			return cairn_err(CAIRN_EBUG, "cannot add pack slots after blobs were added");
	slots = cairn_reallocarray(p->slots, n, sizeof(*slots));
	if (slots == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu open packs", n);
	p->slots = slots;
	for (size_t i = p->nslots; i < n; i++) {
		int rc;

		memset(&slots[i], 0, sizeof(slots[i]));
		slots[i].packer = p;
		rc = cairn_pack_writer_new(&slots[i].writer);
		if (rc < 0)
			return rc;
		p->nslots = i + 1;
		/* room for what an open pack holds in memory: all of it, or what
		 * is not yet streamed out and one chunk (pages are only touched
		 * as the pack fills) */
		rc = cairn_pack_writer_preallocate(slots[i].writer,
						   streamed(p) ? PACK_KEEP + p->repo->config.chunker.max + PACK_SLACK
							       : (size_t)p->repo->config.pack_target + PACK_SLACK);
		if (rc < 0)
			return rc;
	}
	p->free_slots = NULL;
	for (size_t i = p->nslots; i-- > 0;) {
		p->slots[i].next_free = p->free_slots;
		p->free_slots = &p->slots[i];
	}
	return 0;
}

/* Take a free open pack, waiting while every one is in use. */
static struct packer_slot *slot_take(struct cairn_packer *p)
{
	struct packer_slot *s;

	pthread_mutex_lock(&p->lock);
	while (p->free_slots == NULL)
		pthread_cond_wait(&p->slot_freed, &p->lock);
	s = p->free_slots;
	p->free_slots = s->next_free;
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void slot_give(struct cairn_packer *p, struct packer_slot *s)
{
	pthread_mutex_lock(&p->lock);
	s->next_free = p->free_slots;
	p->free_slots = s;
	pthread_cond_signal(&p->slot_freed);
	pthread_mutex_unlock(&p->lock);
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
static int store_pack(struct cairn_packer *p, struct packer_slot *s, struct cairn_buf *pack,
		      const uint8_t pack_id[CAIRN_ID_BYTES], struct cairn_blob_loc *locs, size_t count)
{
	char name[CAIRN_PACK_NAME_MAX];
	uint64_t bytes = pack->len;
	int rc, due;

	cairn_repo_pack_name(pack_id, name);
	if (s->broken)
		return cairn_err(CAIRN_EIO, "cannot store pack '%s': an earlier write of it failed", name);
	if (s->out != NULL) {
		/* the rest of the streamed pack, then its name */
		rc = cairn_store_writer_write(s->out, pack->data, pack->len);
		if (rc == 0)
			rc = cairn_store_writer_commit(s->out, name);
		else
			cairn_store_writer_abort(s->out);
		s->out = NULL;
		bytes += s->out_bytes;
		s->out_bytes = 0;
	} else {
		rc = cairn_store_put_content(p->repo->store, name, pack->data, pack->len);
	}
	if (rc < 0)
		return cairn_err_ctx(rc, "cannot store pack '%s'", name);
	atomic_fetch_add(&p->stats.bytes_stored, bytes);
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

/* Finish and store the pack of a slot the caller holds; its buffer is kept
 * for the slot's next pack. 1 when an index object is due. */
static int finish_slot(struct cairn_packer *p, struct packer_slot *s)
{
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t pack_id[CAIRN_ID_BYTES];
	size_t count = 0;
	int rc;

	rc = cairn_pack_writer_finish(s->writer, p->repo->keys, &pack, pack_id, &locs, &count);
	if (rc == 0)
		rc = store_pack(p, s, &pack, pack_id, locs, count);
	cairn_pack_writer_give_buffer(s->writer, &pack);
	free(locs);
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

/* cairn_pack_writer_spill's sink: the slot's pack object, opened on the
 * first spill. */
static int spill_to_store(void *ctx, const void *data, size_t len)
{
	struct packer_slot *s = ctx;
	int rc;

	if (s->broken)
		return cairn_err(CAIRN_EIO, "cannot add to a pack whose object could not be written");
	if (s->out == NULL) {
		rc = cairn_store_writer_open(s->packer->repo->store, &s->out);
		if (rc < 0)
			return cairn_err_ctx(rc, "cannot start a pack");
	}
	rc = cairn_store_writer_write(s->out, data, len);
	if (rc < 0) {
		/* part of it may be written: this object must never be named */
		cairn_store_writer_abort(s->out);
		s->out = NULL;
		s->broken = 1;
		return cairn_err_ctx(rc, "cannot write a pack");
	}
	s->out_bytes += len;
	return 0;
}

/* Put a claimed blob into an open pack: its stored bytes (stored != NULL),
 * or its plaintext `pt` sealed straight into the pack. A pack is stored
 * before a blob that would take it past the pack target (so a pack buffer
 * never holds more than the target, unless a single blob is larger) and
 * once it reaches the target; then an index object is written when one is
 * due. The claim is dropped when the blob could not be added. */
static int add_claimed(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *stored,
		       const void *pt, size_t len, uint32_t raw_len, int *ret_added)
{
	size_t target = p->repo->config.pack_target, bytes;
	size_t stored_len = stored != NULL ? len : len + CAIRN_SEAL_OVERHEAD;
	struct packer_slot *s = slot_take(p);
	int rc = 0, due = 0;

	bytes = cairn_pack_writer_bytes(s->writer);
	if (bytes > 0 && stored_len > target - (bytes < target ? bytes : target))
		rc = finish_slot(p, s);
	due = rc == 1;
	if (rc >= 0 && stored != NULL)
		rc = cairn_pack_writer_add(s->writer, type, id, stored, len, raw_len);
	else if (rc >= 0)
		rc = cairn_pack_writer_seal(s->writer, p->repo->keys, type, id, pt, len, raw_len);
	if (rc < 0) {
		slot_give(p, s);
		unclaim(p, type, id);
		return rc;
	}
	atomic_fetch_add(&p->stats.blobs_added, 1);
	atomic_fetch_add(&p->stats.bytes_added, raw_len);
	if (ret_added != NULL)
		*ret_added = 1;
	if (cairn_pack_writer_bytes(s->writer) >= target)
		rc = finish_slot(p, s);
	else if (streamed(p))
		rc = cairn_pack_writer_spill(s->writer, PACK_KEEP, spill_to_store, s);
	due |= rc == 1;
	slot_give(p, s);
	if (rc >= 0 && due)
		rc = write_index(p);
	return rc < 0 ? rc : 0;
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
	rc = cairn_blob_plaintext(z, data, len, scratch);
	if (rc < 0) {
		unclaim(p, type, ret_id);
		return rc;
	}
	return add_claimed(p, type, ret_id, NULL, scratch->data, scratch->len, (uint32_t)len, ret_added);
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
	return add_claimed(p, type, id, stored, NULL, len, raw_len, ret_added);
}

int cairn_packer_flush(struct cairn_packer *p)
{
	int rc = 0;

	/* no add runs: every slot is free and this thread's to finish */
	for (size_t i = 0; rc >= 0 && i < p->nslots; i++)
		if (cairn_pack_writer_count(p->slots[i].writer) > 0)
			rc = finish_slot(p, &p->slots[i]);
	if (rc >= 0)
		rc = write_index(p);
	return rc;
}
