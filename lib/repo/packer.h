/* The blob sink of a backup: deduplicates blobs against the catalog and the
 * blobs of this run, encodes new ones into packs, stores full packs and
 * writes index objects (after the packs they list). Thread-safe. */
#ifndef CAIRN_PACKER_H
#define CAIRN_PACKER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/compress.h"
#include "cairn/repo.h"

struct cairn_packer_stats {
	_Atomic uint64_t blobs_added;
	_Atomic uint64_t bytes_added;   /* plaintext */
	_Atomic uint64_t bytes_stored;  /* packs + index objects */
	_Atomic uint64_t packs_written;
	_Atomic uint64_t index_written;
};

struct cairn_packer;

int cairn_packer_new(struct cairn_repo *r, struct cairn_packer **ret);
void cairn_packer_free(struct cairn_packer *p); /* NULL ok; unflushed blobs are dropped */
/* Keep up to `n` packs open at once (default 1), one per thread that adds
 * blobs at the same time: each add seals into a pack no other thread holds,
 * and a full pack is hashed and stored by the thread that filled it while
 * the others go on. Memory: up to n packs of the repository's pack target.
 * Call before the first add. 0, or CAIRN_ENOMEM / CAIRN_EBUG. */
int cairn_packer_set_parallel(struct cairn_packer *p, size_t n);

/* Compute the blob id of `data` (into ret_id) and store the blob unless the
 * repository or this run already has it. `z` and `scratch` belong to the
 * calling thread. *ret_added (may be NULL) tells whether it was new. */
int cairn_packer_add(struct cairn_packer *p, struct cairn_zctx *z, struct cairn_buf *scratch, uint8_t type,
		     const void *data, size_t len, uint8_t ret_id[CAIRN_ID_BYTES], int *ret_added);

/* Store a blob given as its stored bytes (sealed, as in a pack: FORMAT.md
 * section 6), unless this run (or, outside copy mode, the repository)
 * already has it. The caller has verified them (cairn_blob_decode): a
 * blob's box does not depend on the pack it is in, so prune's repack copies
 * blobs without encoding them again. */
int cairn_packer_add_stored(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *stored,
			    size_t len, uint32_t raw_len, int *ret_added);

/* Copy mode (prune's repack): a blob the catalog knows is stored again
 * (it is being copied out of a pack that will be deleted); only blobs of
 * this run are deduplicated. Call before the first add. */
void cairn_packer_set_copy(struct cairn_packer *p);
/* 1 when the blob of `type` is known (repository or this run), 0 when not,
 * <0 error. */
int cairn_packer_has(struct cairn_packer *p, uint8_t type, const uint8_t id[CAIRN_ID_BYTES]);

/* Store the unfinished pack and write an index object for every stored pack
 * not yet indexed. Call with no cairn_packer_add running. After it returns
 * 0, every blob added so far is in the repository and findable. */
int cairn_packer_flush(struct cairn_packer *p);

const struct cairn_packer_stats *cairn_packer_stats(const struct cairn_packer *p);

#endif
