/* Snapshot objects (docs/FORMAT.md "Snapshots"): sealed JSON documents,
 * written last, naming a root tree. */
#ifndef CAIRN_SNAPSHOT_H
#define CAIRN_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/crypto.h"
#include "cairn/repo.h"

#define CAIRN_SNAPSHOT_AD "cairn-snapshot-v1"

struct cairn_snapshot_stats {
	uint64_t files, dirs, others;
	uint64_t bytes;          /* total size of the regular files */
	uint64_t bytes_read;     /* file content actually read */
	uint64_t bytes_added;    /* plaintext bytes of new blobs */
	uint64_t bytes_stored;   /* bytes of new packs and index objects */
	uint64_t blobs_added;
	uint64_t packs_written;
	uint64_t files_unchanged; /* taken from the files cache without reading */
	uint64_t errors;          /* entries that could not be read */
	int64_t duration_ns;
};

struct cairn_snapshot {
	char id[CAIRN_ID_HEX];    /* storage id; "" before it is written */
	int64_t time_ns;
	char *host;
	char *user;
	char **paths;
	size_t npaths;
	char **tags;
	size_t ntags;
	uint8_t tree[CAIRN_ID_BYTES];
	char parent[CAIRN_ID_HEX]; /* "" when none */
	int partial;               /* some entries could not be read */
	struct cairn_snapshot_stats stats;
};

void cairn_snapshot_clear(struct cairn_snapshot *s); /* frees members, zeroes */

/* JSON text of a snapshot document (malloc'd, caller frees). */
int cairn_snapshot_to_json(const struct cairn_snapshot *s, char **ret_json);
/* Parse a snapshot document; `id` (may be NULL) is copied into ret->id.
 * CAIRN_ECORRUPT / CAIRN_EFORMAT with a detail on malformed input. */
int cairn_snapshot_from_json(const char *json, size_t len, const char *id, struct cairn_snapshot *ret);

/* Write a snapshot object (sealed, "snapshots/<id>") and record it in the
 * catalog; s->id is set. */
int cairn_snapshot_write(struct cairn_repo *r, struct cairn_snapshot *s);

/* Delete snapshot `id` (full hex) from the repository, then from the
 * catalog. A snapshot already gone is success. CAIRN_EFORMAT on a version 1
 * repository (which promised never to delete anything); else the store's
 * or the catalog's error. Forget on the primary (cairn_forget_snapshot) and
 * on a replica (cairn_replicate_forget_snapshot) both delete through this. */
int cairn_snapshot_delete(struct cairn_repo *r, const char *id);

/* All snapshots known to the catalog (call cairn_repo_sync first), sorted by
 * time ascending. *ret is a malloc'd array; free with cairn_snapshots_free. */
int cairn_snapshot_list(struct cairn_repo *r, struct cairn_snapshot **ret, size_t *ret_count);
void cairn_snapshots_free(struct cairn_snapshot *s, size_t count);

/* The snapshot whose id starts with `prefix` (>= 4 hex digits).
 * CAIRN_ENOTFOUND, or CAIRN_EINVAL when ambiguous. */
int cairn_snapshot_find(struct cairn_repo *r, const char *prefix, struct cairn_snapshot *ret);

/* The newest snapshot taken at or before at_ns. CAIRN_ENOTFOUND when none. */
int cairn_snapshot_at(struct cairn_repo *r, int64_t at_ns, struct cairn_snapshot *ret);

#endif
