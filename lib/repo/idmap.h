/* An open-addressing hash map from 32-byte ids to blob locations, for the
 * blobs a backup has written but not yet indexed. Not thread-safe. */
#ifndef CAIRN_IDMAP_H
#define CAIRN_IDMAP_H

#include "cairn/pack.h"

enum cairn_idmap_state { CAIRN_IDMAP_CLAIMED = 1, CAIRN_IDMAP_STORED = 2 };

struct cairn_idmap_entry {
	struct cairn_blob_loc loc; /* loc.id is the key */
	uint8_t state;             /* 0 = empty slot, 0xff = deleted */
};

struct cairn_idmap {
	struct cairn_idmap_entry *slots;
	size_t cap;   /* power of two */
	size_t used;  /* live + deleted */
	size_t live;
};

void cairn_idmap_free(struct cairn_idmap *m); /* frees slots; m itself is the caller's */
/* The entry for id, or NULL. */
struct cairn_idmap_entry *cairn_idmap_get(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES]);
/* Insert id (must be absent) with `state`; returns the entry or NULL when out of memory. */
struct cairn_idmap_entry *cairn_idmap_put(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES], uint8_t state);
void cairn_idmap_remove(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES]);

#endif
