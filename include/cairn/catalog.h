/* The local catalog: an SQLite cache of one repository's index, snapshots
 * and the files cache. Everything here can be rebuilt from the repository
 * (lib/repo does that); deleting the file loses nothing but time.
 *
 * Schema versions are tracked with PRAGMA user_version; an unknown newer
 * version, or a file that is not a catalog, is discarded and recreated by
 * cairn_catalog_open (it is only a cache). Every function is thread-safe
 * (one internal mutex) and returns 0 or a negative CAIRN_E* code with a
 * detail naming the catalog file.
 */
#ifndef CAIRN_CATALOG_H
#define CAIRN_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/crypto.h"
#include "cairn/pack.h"
#include "cairn/retry.h"

struct cairn_catalog;

/* Open or create the catalog at `path` (parent directories are created with
 * mode 0700, the file with 0600). `repo_id` (hex) binds the file to one
 * repository: a catalog made for another repository is wiped and rebuilt.
 * Several handles, in one or more processes, may open the same file; a
 * writer waits up to 10 s for another's transaction, then CAIRN_ELOCKED. */
int cairn_catalog_open(const char *path, const char *repo_id, struct cairn_catalog **ret);
void cairn_catalog_close(struct cairn_catalog *c); /* NULL ok */

/* Group many writes into one transaction (much faster). Nested begin calls
 * are counted; only the outermost commit commits. rollback undoes all and
 * ends every nesting level (a later commit returns CAIRN_EINVAL); with no
 * transaction open it does nothing and returns 0. commit without begin is
 * CAIRN_EINVAL. The transaction belongs to the handle, so writes from other
 * threads sharing the handle join it. */
int cairn_catalog_begin(struct cairn_catalog *c);
int cairn_catalog_commit(struct cairn_catalog *c);
int cairn_catalog_rollback(struct cairn_catalog *c);

/* A run of lookups in one read transaction, so that SQLite takes and checks
 * its locks once for the run instead of once per statement (in WAL mode 3
 * system calls per statement). Reads see the catalog as of the first
 * statement after read_begin, plus this connection's own writes. Does
 * nothing when a transaction (read or write) is already open. Any write
 * statement outside begin/commit, and any cairn_catalog_begin, from any
 * thread, first ends it (so no write waits for read_end), and so does
 * read_end; lookups after that run in autocommit again. read_end with none
 * open does nothing (c may be NULL). 0, or <0 from SQLite. */
int cairn_catalog_read_begin(struct cairn_catalog *c);
int cairn_catalog_read_end(struct cairn_catalog *c);

/* Blob index. put replaces an existing row for the same id. get returns
 * CAIRN_ENOTFOUND when unknown. */
int cairn_catalog_blob_put(struct cairn_catalog *c, const struct cairn_blob_loc *loc);
int cairn_catalog_blob_get(struct cairn_catalog *c, const uint8_t id[CAIRN_ID_BYTES], uint8_t type,
			   struct cairn_blob_loc *ret_loc);
/* 1 when some blob row names this pack, 0 when none, negative on error. */
int cairn_catalog_pack_known(struct cairn_catalog *c, const uint8_t pack_id[CAIRN_ID_BYTES]);
/* Counts for status output. Either result pointer may be NULL. */
int cairn_catalog_blob_count(struct cairn_catalog *c, uint64_t *ret_blobs, uint64_t *ret_packs);
/* End of the last blob the catalog knows in a pack (offset + length): a
 * reader may fetch any range below it. CAIRN_ENOTFOUND for an unknown pack. */
int cairn_catalog_pack_data_end(struct cairn_catalog *c, const uint8_t pack_id[CAIRN_ID_BYTES], uint64_t *ret_end);

/* Index objects already loaded into the blob table. */
int cairn_catalog_index_seen(struct cairn_catalog *c, const char *name); /* 1, 0 or <0 */
int cairn_catalog_index_mark(struct cairn_catalog *c, const char *name);
/* Call cb for every index object name marked as loaded, in name order.
 * Callbacks run without the catalog lock held and may call the catalog; a
 * non-zero return stops the walk and is returned. */
int cairn_catalog_index_each(struct cairn_catalog *c, int (*cb)(void *ctx, const char *name), void *ctx);
/* Forget an index object and nothing else (blob rows stay; used when an
 * index object disappears from the repository, after a full resync).
 * Forgetting an unknown name returns 0. */
int cairn_catalog_index_forget(struct cairn_catalog *c, const char *name);
/* Forget the whole blob index, in one transaction: blob rows, index
 * objects, index_packs, and prune's used blobs and marks (which were
 * computed from it). Snapshots, the files cache, sites and meta stay. For a
 * resynchronisation after index objects disappeared from the repository:
 * reloading every index object is then the only way to learn where a blob
 * that was in a deleted pack still lives. */
int cairn_catalog_index_clear(struct cairn_catalog *c);

/* Snapshots: id (64 hex), time in ns since the epoch, and the decrypted
 * snapshot document (JSON text). */
struct cairn_catalog_snapshot {
	char id[CAIRN_ID_HEX];
	int64_t time_ns;
	char *json; /* owned by whoever received the row */
};
/* put replaces a row with the same id; the id must be 64 lowercase hex
 * digits (else CAIRN_EINVAL). delete of an unknown id returns 0. */
int cairn_catalog_snapshot_put(struct cairn_catalog *c, const char *id, int64_t time_ns, const char *json);
int cairn_catalog_snapshot_delete(struct cairn_catalog *c, const char *id);
/* 1 when known, 0 when not, <0 on error. */
int cairn_catalog_snapshot_known(struct cairn_catalog *c, const char *id);
/* Calls cb for each snapshot in ascending time order (ties by id). The row
 * (and its json) is valid only during the call. Callbacks run without the
 * catalog lock held and may call the catalog; a non-zero return stops the
 * walk and is returned. */
int cairn_catalog_snapshot_each(struct cairn_catalog *c,
				int (*cb)(void *ctx, const struct cairn_catalog_snapshot *row), void *ctx);
/* The same, newest first, read a page at a time: a walk that stops early
 * (cb returns non-zero, which is returned) costs only what it read. */
int cairn_catalog_snapshot_each_newest(struct cairn_catalog *c,
				       int (*cb)(void *ctx, const struct cairn_catalog_snapshot *row), void *ctx);

/* Files cache: what a file looked like when it was last backed up and
 * which content blobs it had. Keyed by the path bytes (any bytes). */
struct cairn_catalog_file {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	size_t count;    /* content blob ids */
	uint8_t *ids;    /* count * 32 bytes, malloc'd; owned by the receiver */
	int no_xattrs;   /* 1: no extended attributes at this ctime (setting or
			  * removing one changes the ctime); 0: unknown */
};
/* path_len must be at least 1. get: CAIRN_ENOTFOUND when the path has no
 * entry, CAIRN_ECORRUPT when the stored ids are not a multiple of 32 bytes;
 * ids is NULL when count is 0. put replaces the entry for that path. */
int cairn_catalog_file_get(struct cairn_catalog *c, const void *path, size_t path_len,
			   struct cairn_catalog_file *ret_file);
int cairn_catalog_file_put(struct cairn_catalog *c, const void *path, size_t path_len,
			   const struct cairn_catalog_file *file);
void cairn_catalog_file_clear(struct cairn_catalog_file *f); /* frees ids */
/* The rows of the entries names[0 .. n) of one directory, whose path `dir`
 * (dir_len bytes; 0 for "/") has no trailing '/': the row of "dir/NAME" goes
 * to ret[i] with found[i] = 1, else found[i] = 0 (ret[i] zeroed). names must
 * be sorted bytewise (strcmp), without duplicates. One range scan in path
 * order under the catalog's lock, seeking again past a subdirectory's rows;
 * much cheaper than n lookups. On error (<0) nothing is returned (the ids
 * already read are freed); on success the caller owns every ret[i].ids. */
int cairn_catalog_file_get_dir(struct cairn_catalog *c, const void *dir, size_t dir_len, const char *const *names,
			       size_t n, struct cairn_catalog_file *ret, uint8_t *found);

/* Objects known to be on a replica site, keyed by the site's name (a
 * configured replica name, or a URL for one-off runs; 1..512 bytes).
 * has: 1, 0 or <0. put records (or updates) one; forget removes one; clear
 * removes every object of the site (before a full listing is recorded).
 * count: objects and bytes recorded. newest: the newest snapshot in the
 * catalog whose object is recorded on the site (CAIRN_ENOTFOUND if none). */
int cairn_catalog_site_has(struct cairn_catalog *c, const char *site, const char *name);
int cairn_catalog_site_put(struct cairn_catalog *c, const char *site, const char *name, uint64_t size);
int cairn_catalog_site_forget(struct cairn_catalog *c, const char *site, const char *name);
int cairn_catalog_site_clear(struct cairn_catalog *c, const char *site);
int cairn_catalog_site_count(struct cairn_catalog *c, const char *site, uint64_t *ret_objects, uint64_t *ret_bytes);
int cairn_catalog_site_newest(struct cairn_catalog *c, const char *site, char ret_id[CAIRN_ID_HEX],
			      int64_t *ret_time_ns);

/* Small key/value store for bookkeeping. get returns a malloc'd string or
 * CAIRN_ENOTFOUND. The key "repo_id" is set by open; meta_set refuses it
 * (CAIRN_EINVAL). */
int cairn_catalog_meta_get(struct cairn_catalog *c, const char *key, char **ret_value);
int cairn_catalog_meta_set(struct cairn_catalog *c, const char *key, const char *value);
/* Integer bookkeeping on top of them: get gives 0 for a missing or
 * unreadable value (a cache: absent means "never"). */
int64_t cairn_catalog_meta_get_i64(struct cairn_catalog *c, const char *key);
int cairn_catalog_meta_set_i64(struct cairn_catalog *c, const char *key, int64_t value);

/* A tombstone for `name` on `site`: removed there on purpose (forget on a
 * replica), so replication does not copy it again; site_has() says 1,
 * site_count() and site_newest() ignore it, site_clear() keeps it. */
int cairn_catalog_site_tombstone(struct cairn_catalog *c, const char *site, const char *name);

/* What `site` lacks of what the catalog knows: packs the index lists that
 * the site is not recorded to hold, their stored bytes (blob bytes from the
 * index), and index objects. From the catalog alone. */
int cairn_catalog_site_lag(struct cairn_catalog *c, const char *site, uint64_t *ret_packs, uint64_t *ret_bytes,
			   uint64_t *ret_index);

/* Prune bookkeeping (schema version 3, see lib/catalog/catalog_open.c).
 * Callbacks run without the catalog lock (they may call the catalog);
 * a non-zero return stops the walk and is returned. */

/* index_packs: which packs an index object lists and their bytes there. */
int cairn_catalog_index_pack_put(struct cairn_catalog *c, const char *index_name,
				 const uint8_t pack[CAIRN_ID_BYTES], uint64_t bytes);
int cairn_catalog_index_packs(struct cairn_catalog *c, const char *index_name,
			      int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], uint64_t bytes), void *ctx);
int cairn_catalog_pack_indexes(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES],
			       int (*cb)(void *ctx, const char *index_name), void *ctx);
/* Forget an index object: its index_packs rows and its index_objects row. */
int cairn_catalog_index_drop(struct cairn_catalog *c, const char *index_name);

/* The set of blobs the snapshots reference. used_add: 1 when new, 0 when
 * already in the set, <0 on error. */
int cairn_catalog_used_clear(struct cairn_catalog *c);
int cairn_catalog_used_add(struct cairn_catalog *c, uint8_t type, const uint8_t id[CAIRN_ID_BYTES]);
int cairn_catalog_used_count(struct cairn_catalog *c, uint64_t *ret);

/* Usage of every pack some index object lists, in pack id order, read a
 * page at a time (memory does not grow with the repository). */
struct cairn_catalog_pack_usage {
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t bytes;       /* stored bytes of its entries, from the index */
	uint64_t blobs;       /* blobs whose catalog location is this pack */
	uint64_t blob_bytes;  /* their stored bytes */
	uint64_t used_blobs;  /* of those, blobs in the used set */
	uint64_t used_bytes;
};
int cairn_catalog_pack_usage_each(struct cairn_catalog *c,
				  int (*cb)(void *ctx, const struct cairn_catalog_pack_usage *u), void *ctx);

/* Marks: packs found unused, and since when. mark_put keeps an older mark:
 * 1 when it marked the pack, 0 when it was marked already. */
int cairn_catalog_mark_put(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns);
int cairn_catalog_mark_delete(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES]);
int cairn_catalog_mark_each(struct cairn_catalog *c,
			    int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns), void *ctx);
/* Marked packs holding the catalog location of a used blob. */
int cairn_catalog_marked_in_use(struct cairn_catalog *c, int (*cb)(void *ctx, const uint8_t pack[CAIRN_ID_BYTES]),
				void *ctx);
/* The used blobs located in `pack`, by offset. */
int cairn_catalog_pack_used_blobs(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES],
				  int (*cb)(void *ctx, const struct cairn_blob_loc *loc), void *ctx);
/* Forget a deleted pack: its blob locations, index_packs rows and mark. */
int cairn_catalog_pack_drop(struct cairn_catalog *c, const uint8_t pack[CAIRN_ID_BYTES]);

/* ---- SQLite under Cairn's rules ----
 * One mapping of SQLite result codes to CAIRN_E* codes, and waits for a
 * database another connection holds that go through the retry policy
 * (include/cairn/retry.h). The catalog uses them for its connection, check
 * for its working database (lib/check/check_db.c).
 *
 *	struct cairn_catalog_busy busy;        // lives as long as the connection
 *
 *	cairn_catalog_busy_attach(&busy, db, NULL, NULL);
 *	rc = sqlite3_step(st);                  // waits while another writer holds the lock
 *	if (rc != SQLITE_DONE)
 *		return cairn_catalog_sqlite_err(&busy, db, rc, "catalog", path, "cannot store blob");
 */
struct sqlite3;
struct cairn_catalog_busy;

/* Map an SQLite result code (primary or extended) to a CAIRN_E* code:
 * BUSY and LOCKED -> CAIRN_ELOCKED (transient), FULL -> CAIRN_ENOSPC,
 * NOMEM -> CAIRN_ENOMEM, anything else -> CAIRN_EIO. */
int cairn_catalog_code(int sqlite_rc);

/* Record "<kind> '<path>': <what>: <reason>" ("<kind>: <what>: <reason>"
 * when path is NULL) and return cairn_catalog_code(rc). The reason is
 * SQLite's message for `db` (NULL: the generic text of rc); when rc is a busy
 * answer after a wait of `busy` (may be NULL) gave up, it is the wait's
 * attempts folded as cairn_retry_end() does: "after N attempts in T
 * (deadline D): attempt 1: database is locked; ...". Call with the
 * connection's lock held (it reads sqlite3_errmsg). */
int cairn_catalog_sqlite_err(struct cairn_catalog_busy *busy, struct sqlite3 *db, int rc, const char *kind,
			     const char *path, const char *what);

/* How long a connection waits for a database another one holds: 10 s. */
#define CAIRN_CATALOG_BUSY_DEADLINE_NS (10LL * 1000000000LL)

/* The wait policy for a busy database: deadline CAIRN_CATALOG_BUSY_DEADLINE_NS,
 * no attempt cap, backoff 1 ms growing to 100 ms with full jitter, and one
 * last attempt at the deadline (CAIRN_RETRY_LAST_AT_DEADLINE), so a writer
 * that gives up says CAIRN_ELOCKED, as SQLite's own busy timeout did. */
struct cairn_retry_policy cairn_catalog_busy_policy(void);

/* The busy waits of one SQLite connection. Embed it beside the connection;
 * it must outlive it. Used by one thread at a time, as the connection is.
 * Fields are private. */
struct cairn_catalog_busy {
	struct cairn_retry retry;          /* the current or last wait */
	struct cairn_retry_policy policy;
	struct cairn_retry_env env;
	int gave_up;                       /* a wait ended without the lock, not yet reported */
};

/* Make `db` wait through `busy` whenever SQLite finds a lock it needs held
 * (sqlite3_busy_handler): each busy answer is one attempt of the retry
 * policy, which sleeps its backoff and says whether to try again. `policy`
 * NULL is cairn_catalog_busy_policy(); `env` NULL the real clock (a test's
 * fake clock makes the wait instant). 0, or CAIRN_EINVAL (with a detail) for
 * an invalid policy or env; `busy` is then unusable. */
int cairn_catalog_busy_attach(struct cairn_catalog_busy *busy, struct sqlite3 *db,
			      const struct cairn_retry_policy *policy, const struct cairn_retry_env *env);

/* One step of a busy wait, for statements SQLite answers SQLITE_BUSY without
 * calling the busy handler (changing the journal mode of a new file while
 * another connection reads it): `count` is 0 at a statement's first busy
 * answer and grows by one per answer. 1 after sleeping the backoff: run the
 * statement again. 0: give up; cairn_catalog_sqlite_err() then folds the
 * attempts into its detail. */
int cairn_catalog_busy_wait(struct cairn_catalog_busy *busy, int count);

#endif
