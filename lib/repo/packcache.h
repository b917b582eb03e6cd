/* A cache of pack windows for reading blobs from remote stores.
 *
 * Each pack is cut into fixed, aligned windows: window k covers bytes
 * [k*W, (k+1)*W) of the pack's blob area (the part below the end of the last
 * blob the catalog knows, so the header is never fetched); a last window
 * shorter than W/2 is merged into the one before it, so a pack a little
 * larger than W is one window. Windows never overlap: every stored byte
 * belongs to exactly one window, and a blob that straddles a boundary is
 * copied from both. One request fetches one window.
 *
 * A window being fetched is shared: a second reader waits for the fetch
 * already running instead of fetching again. Memory is bounded by a byte
 * budget that counts cached, loading and queued windows alike; when nothing
 * can be evicted, a reader fetches just its range, uncached.
 *
 * Prefetch: a caller that knows which blobs it will read (a restore does)
 * queues their windows; background threads owned by the cache fetch them in
 * queue order. Prefetch only takes budget from windows already read, never
 * from windows still waiting to be read, so a reader far behind does not
 * lose what was fetched for it. Thread-safe. */
#ifndef CAIRN_PACKCACHE_H
#define CAIRN_PACKCACHE_H

#include <stdint.h>

#include "cairn/catalog.h"
#include "cairn/store.h"

struct cairn_packcache;

/* Counters, for tests and diagnostics. */
struct cairn_packcache_stats {
	uint64_t fetches;        /* window requests (demand and prefetch) */
	uint64_t fetched_bytes;  /* bytes of those requests */
	uint64_t demand_fetches; /* of the fetches, made by a reader that needed the window */
	uint64_t prefetches;     /* of the fetches, made by the background threads */
	uint64_t direct;         /* uncached range requests (unknown pack, no room) */
	uint64_t hits;           /* window uses served from memory */
	uint64_t waits;          /* window uses that waited for a fetch already running */
	uint64_t evicted_unread; /* windows evicted before anyone read them */
	uint64_t peak_bytes;     /* highest budget use */
};

/* Cache windows of `window` bytes (> 0) within `budget` bytes of memory;
 * `fetchers` background threads (0 = no prefetch; started on first use).
 * 0, CAIRN_EINVAL (window 0) or CAIRN_ENOMEM. */
int cairn_packcache_new(uint64_t budget, uint64_t window, unsigned fetchers, struct cairn_packcache **ret);
/* Stops and joins the background threads first. NULL ok. */
void cairn_packcache_free(struct cairn_packcache *pc);

/* Append bytes [offset, offset+length) of pack `name` (id `pack`) in `store`
 * to out, from cached windows, by waiting for a window being fetched, or by
 * fetching its windows. A pack the catalog does not know, or a range past the
 * end of its last known blob, is fetched as asked, uncached. With mark_read
 * the windows count as read (evictable for prefetch); without it (a
 * restore's walk reading a tree far ahead of the data) a window fetched for
 * the read is kept for the readers of its data. On error out is left as it
 * was and the error of the store (or CAIRN_ECORRUPT for a short read) is
 * returned; a failed window is not cached. */
int cairn_packcache_get(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			int mark_read, struct cairn_buf *out);

/* Queue the windows covering [offset, offset+length) of the pack for the
 * background threads, unless cached, loading or queued already, or unless
 * the budget has no room without evicting windows not read yet. `store`
 * must outlive the cache. *ret_start and *ret_end (both or neither may be
 * NULL) are set to the last window covering the range (to the range itself
 * when the cache does not handle it), so a caller can skip further blobs
 * inside it. 0, or CAIRN_ENOMEM; a failed fetch is simply not cached. */
int cairn_packcache_prefetch(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			     const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			     uint64_t *ret_start, uint64_t *ret_end);

/* Drop every queued prefetch not started yet (e.g. at the end of a restore). */
void cairn_packcache_prefetch_cancel(struct cairn_packcache *pc);

/* Wait until no prefetch is queued or running (for tests). */
void cairn_packcache_prefetch_wait(struct cairn_packcache *pc);

void cairn_packcache_stats(struct cairn_packcache *pc, struct cairn_packcache_stats *ret);

#endif
