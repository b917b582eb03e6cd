/* Internals of prune (include/cairn/prune.h). */
#ifndef CAIRN_PRUNE_INTERNAL_H
#define CAIRN_PRUNE_INTERNAL_H

#include "cairn/compress.h"
#include "cairn/prune.h"

#include "repo_internal.h"

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

/* Progress helper. */
void prune_progress(struct prune_ctx *p, const char *phase, uint64_t done, uint64_t total);

#endif
