/* A small cache of pack windows for reading blobs from remote stores: one
 * request fetches up to `window` bytes of a pack, and the blobs that follow
 * (usually the next files of the same directory, or the next chunks of the
 * same file) are served from memory. Cuts the requests per restored GB by
 * the number of blobs per window. Thread-safe. */
#ifndef CAIRN_PACKCACHE_H
#define CAIRN_PACKCACHE_H

#include <stdint.h>

#include "cairn/catalog.h"
#include "cairn/store.h"

struct cairn_packcache;

/* `slots` windows of up to `window` bytes each are kept (LRU). */
int cairn_packcache_new(unsigned slots, uint64_t window, struct cairn_packcache **ret);
void cairn_packcache_free(struct cairn_packcache *pc); /* NULL ok */

/* Append bytes [offset, offset+length) of pack `name` (id `pack`) to out,
 * from the cache or by fetching a window that starts at offset and ends at
 * most at the end of the pack's last blob known to the catalog. */
int cairn_packcache_get(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			struct cairn_buf *out);

#endif
