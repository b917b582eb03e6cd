/* Internals of prune (include/cairn/prune.h). */
#ifndef CAIRN_PRUNE_INTERNAL_H
#define CAIRN_PRUNE_INTERNAL_H

#include "cairn/compress.h"
#include "cairn/prune.h"

#include "repo/repo_internal.h"

struct prune_ctx {
	struct cairn_repo *r;
	const struct cairn_prune_opts *o;
	struct cairn_prune_stats *st;
	struct cairn_zctx *z;
	int64_t now_ns;
	int64_t grace_ns;
	int threshold;
};

/* Add every blob the catalog's snapshots reference to the used set;
 * trees already in the set are not read again. CAIRN_ECORRUPT naming the
 * snapshot and tree that could not be read. */
int prune_walk_snapshots(struct prune_ctx *p);

/* Remove the mark of every marked pack that holds a used blob. */
int prune_unmark_used(struct prune_ctx *p);

/* The sweep: delete packs marked before now - grace (see prune.h). Called
 * with the exclusive lock held and the used set up to date. */
int prune_sweep(struct prune_ctx *p);

/* Repack state: the packer receiving the copies, the used blobs of the
 * pack being copied and its bytes, and the packs emptied. */
struct prune_repack {
	struct prune_ctx *p;
	struct cairn_packer *packer;   /* made by the first repack */
	struct cairn_buf plain, scratch, stored;
	struct cairn_buf emptied;      /* pack ids, 32 bytes each, marked after the flush */
	struct cairn_blob_loc *locs;
	size_t nlocs, cap;
	uint64_t blobs;
};

/* Copy the used blobs of `pack` into the repack's packer (prune_repack.c);
 * the pack is marked by prune_repack_finish. */
int prune_repack_pack(struct prune_repack *k, const uint8_t pack[CAIRN_ID_BYTES]);
/* Store the copies (packs, then their index object), then mark the packs
 * they came from: their used blobs now live elsewhere too. */
int prune_repack_finish(struct prune_repack *k);
void prune_repack_free(struct prune_repack *k);

/* Progress helper. */
void prune_progress(struct prune_ctx *p, const char *phase, uint64_t done, uint64_t total);

#endif
