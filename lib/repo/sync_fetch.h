/* Fetching many small objects of one directory (index, snapshots) in
 * parallel for the catalog sync, handed to the caller in order. */
#ifndef CAIRN_SYNC_FETCH_H
#define CAIRN_SYNC_FETCH_H

#include "cairn/buf.h"
#include "cairn/repo.h"

/* Objects in flight at once, and fetch threads. A batch bounds memory:
 * index objects are at most a few MiB (a checkpoint's worth of entries). */
#define CAIRN_SYNC_BATCH 8
#define CAIRN_SYNC_FETCHERS 8

struct sync_item {
	char id[CAIRN_ID_HEX];
	struct cairn_buf buf; /* verified bytes (opened plaintext when `ad` was given) */
	int rc;               /* 0 or the fetch's error */
	char err[512];        /* its detail */
};

/* For each ids[i] (0 <= i < n): fetch the object of `kind` with id
 * ids[i], verified against its name (and opened with `ad` unless NULL), up to CAIRN_SYNC_FETCHERS at a
 * time, then call consume(ctx, item) in the order of ids, from the calling
 * thread. A failed fetch is handed over too (item->rc, item->err); a
 * non-zero return from consume stops and is returned. */
int sync_fetch_each(struct cairn_repo *r, enum cairn_repo_obj kind, const char *ad, const char (*ids)[CAIRN_ID_HEX],
		    size_t n, int (*consume)(void *ctx, struct sync_item *item), void *ctx);

#endif
