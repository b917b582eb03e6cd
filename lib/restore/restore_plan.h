/* The read plan of a restore from a remote store: as the walk hands each file
 * to a worker, the pack windows holding the file's blobs are queued for the
 * pack cache's background threads, so downloads run ahead of the workers and
 * in parallel with them, in the order the workers will need them. */
#ifndef CAIRN_RESTORE_PLAN_H
#define CAIRN_RESTORE_PLAN_H

#include <stdint.h>

#include "cairn/repo.h"
#include "cairn/tree.h"

/* Zero-initialise; owns nothing. Used by the walk's thread only. */
struct restore_plan {
	uint8_t pack[CAIRN_ID_BYTES]; /* the last window asked for ... */
	uint64_t start, end;          /* ... and its bytes; end 0 = none */
};

/* Queue the windows of the data blobs of `e` (a file entry) that are not
 * cached, loading or queued yet. Does nothing for a repository without a
 * pack cache (local stores), for blobs the catalog does not know (the worker
 * reports those) or when the cache has no room. Never fails: prefetch only
 * makes reads faster. */
void restore_plan_file(struct cairn_repo *r, struct restore_plan *p, const struct cairn_entry *e);

/* How many batches of files may wait for the `threads` workers: a few,
 * or for a store read through the pack cache enough to let the walk (and
 * so the prefetch) run ahead of the workers. Each waiting batch holds one
 * fd (its directory's). */
size_t restore_plan_queue(struct cairn_repo *r, int threads);

/* Drop the prefetches still queued (the restore is over). */
void restore_plan_end(struct cairn_repo *r, struct restore_plan *p);

#endif
