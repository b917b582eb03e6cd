/* A repository: its store, keys, configuration and local catalog
 * (docs/FORMAT.md "Layout", "Configuration", "Keys", "Snapshots").
 */
#ifndef CAIRN_REPO_H
#define CAIRN_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/catalog.h"
#include "cairn/chunk.h"
#include "cairn/crypto.h"
#include "cairn/pack.h"
#include "cairn/repo_layout.h"
#include "cairn/event.h"
#include "cairn/store.h"

/* The format version new repositories get; readers accept every version
 * from CAIRN_FORMAT_VERSION_MIN (docs/FORMAT.md section 16). */
#define CAIRN_FORMAT_VERSION 2
#define CAIRN_FORMAT_VERSION_MIN 1

struct cairn_repo_config {
	uint32_t version;
	char id[CAIRN_ID_HEX]; /* random repository id, hex */
	struct cairn_chunker_params chunker;
	uint32_t pack_target; /* bytes */
	int zstd_level;
};

struct cairn_repo;

/* Create a repository at `url` (which must not hold one: CAIRN_EEXIST) with
 * a fresh master key wrapped for `secret`. `cfg` may be NULL (defaults);
 * ret_id (may be NULL) receives the repository id. */
int cairn_repo_init(const char *url, const struct cairn_secret *secret, const char *host,
		    const struct cairn_repo_config *cfg, char ret_id[CAIRN_ID_HEX]);

/* The same on a store the caller opened (a configured site with its own S3
 * settings). `store` is taken, also on failure. `url` names it in messages
 * (NULL = the store's description). */
int cairn_repo_init_store(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			  const char *host, const struct cairn_repo_config *cfg, char ret_id[CAIRN_ID_HEX]);
/* Open the repository at `url` with `secret`, and its catalog under
 * `state_dir`/<repo id>/catalog.db. Errors: CAIRN_ENOTFOUND "no repository at
 * '<url>'", CAIRN_ECORRUPT / CAIRN_EFORMAT for a malformed or newer config,
 * CAIRN_EAUTH "wrong key or passphrase" when no key object opens.
 * The catalog is not synchronised yet: call cairn_repo_sync(). */
int cairn_repo_open(const char *url, const struct cairn_secret *secret, const char *state_dir,
		    struct cairn_repo **ret);
/* The same on a store the caller opened (e.g. an S3 store configured from a
 * configuration file's site). `store` is taken, also on failure (freed then).
 * `url` names the repository in messages (NULL = the store's description).
 * The catalog's location is derived from the store's description, as in
 * cairn_repo_open, so both open the same catalog. Same errors as
 * cairn_repo_open, plus CAIRN_EINVAL for a NULL store. */
int cairn_repo_open_store(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			  const char *state_dir, struct cairn_repo **ret);
/* Options of an open. Zero / NULL members take the defaults. */
struct cairn_repo_open_opts {
	/* Most Argon2id work spent on one key object (crypto.h); NULL:
	 * cairn_kdf_limits_default(). Key objects above it are skipped. */
	const struct cairn_kdf_limits *kdf_limits;
	/* Called for each key object skipped because it is malformed, too
	 * large or too costly (the message names it); may be NULL. */
	void (*on_warning)(void *ctx, const char *msg);
	void *ctx;
};
/* cairn_repo_open / cairn_repo_open_store with options (`opts` may be NULL).
 *
 * How keys are tried (FORMAT.md 3.5): the key object that opened this
 * repository last on this host (kept in `last-key` next to the catalog; a
 * hint, the repository opens without it) first, then the others as listed.
 * Small objects are read with size caps (the config at most
 * CAIRN_CONFIG_MAX_BYTES, key objects CAIRN_KEYOBJ_MAX_BYTES: larger is
 * CAIRN_ECORRUPT for the config, a skipped key object otherwise). When no
 * key object opens and some were skipped for their KDF cost, the
 * CAIRN_EAUTH detail names them and the variables that raise the limits.
 * When a key object could not be tried at all (its fetch failed: I/O,
 * transient, permission denied; or out of memory), no key opened is that
 * error, naming the object, never CAIRN_EAUTH: it may be the right one. */
int cairn_repo_open_with(const char *url, const struct cairn_secret *secret, const char *state_dir,
			 const struct cairn_repo_open_opts *opts, struct cairn_repo **ret);
int cairn_repo_open_store_with(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			       const char *state_dir, const struct cairn_repo_open_opts *opts,
			       struct cairn_repo **ret);
void cairn_repo_close(struct cairn_repo *r); /* NULL ok */

const struct cairn_repo_config *cairn_repo_config(const struct cairn_repo *r);
const struct cairn_keys *cairn_repo_keys(const struct cairn_repo *r);
struct cairn_store *cairn_repo_store(struct cairn_repo *r);
struct cairn_catalog *cairn_repo_catalog(struct cairn_repo *r);
const char *cairn_repo_key_id(const struct cairn_repo *r); /* key object that opened it */

/* Bring the catalog up to date with the repository: load index objects and
 * snapshots it does not know yet, forget snapshots that are gone. When an
 * index object the catalog loaded has disappeared, the whole catalog (files
 * cache included) is discarded and rebuilt from the repository. Damaged
 * index or snapshot objects are skipped, each reported through `on_event`
 * (may be NULL; from the calling thread) as CAIRN_EVENT_DAMAGED_INDEX or
 * CAIRN_EVENT_DAMAGED_SNAPSHOT with the object's type, id and name, and
 * make the call return CAIRN_ECORRUPT after everything else was loaded. */
int cairn_repo_sync(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev), void *ctx);

/* Find packs that no index object lists (left by an interrupted backup),
 * read their headers and write an index object for them, so that the next
 * backup reuses their blobs instead of uploading them again. Packs whose
 * header is damaged are skipped (they hold nothing a snapshot refers to).
 * Call after cairn_repo_sync(). ret_recovered (may be NULL) gets the number
 * of packs indexed. */
int cairn_repo_recover_orphans(struct cairn_repo *r, size_t *ret_recovered);

/* cairn_repo_recover_orphans only when orphans may exist, so that a
 * backup does not list every pack of a large repository each time: when a
 * backup through this catalog failed (cairn_repo_mark_orphans_possible), a
 * prune's sweep through it did not finish (cairn_repo_sweep_begin),
 * when a backup lock of a holder that died (same host, process gone) or
 * expired is found, when the catalog never scanned, or when the last scan
 * is older than CAIRN_REPO_ORPHAN_SCAN_NS. Records the scan in the catalog,
 * then deletes the stale backup locks (cairn_lock_stale) that it acted on. */
#define CAIRN_REPO_ORPHAN_SCAN_NS (7LL * 24 * 3600 * 1000000000LL)
int cairn_repo_recover_orphans_if_needed(struct cairn_repo *r, size_t *ret_recovered);
/* Note in the catalog that this run may leave orphan packs (it failed). */
void cairn_repo_mark_orphans_possible(struct cairn_repo *r);
/* A prune's sweep, which deletes index objects before their packs, may
 * leave orphan packs only if it stops half-way: _begin notes that before it
 * deletes anything, _end (after a sweep that finished) takes the note back,
 * so a finished sweep costs the next backup no scan. Separate from the mark
 * above, which _end never clears. */
void cairn_repo_sweep_begin(struct cairn_repo *r);
void cairn_repo_sweep_end(struct cairn_repo *r);

/* Sealed objects (index, snapshots): seal `plain` with AD `ad`, store as
 * the object of `kind` named by its storage id (repo_layout.h); ret_id
 * receives the id. An existing identical object is success. */
int cairn_repo_put_sealed(struct cairn_repo *r, enum cairn_repo_obj kind, const char *ad, const void *plain,
			  size_t len, char ret_id[CAIRN_ID_HEX]);
/* Fetch the object of `kind` with id `id` verified (cairn_repo_get_verified)
 * and open it with AD `ad`, appending the plaintext to out. CAIRN_ECORRUPT
 * names the object; CAIRN_EINVAL for an id that is not 64 lowercase hex. */
int cairn_repo_get_sealed(struct cairn_repo *r, enum cairn_repo_obj kind, const char *id, const char *ad,
			  struct cairn_buf *out);

/* Object name of a pack: "data/<first 2 hex>/<64 hex>" (repo_layout.h). */
#define CAIRN_PACK_NAME_MAX CAIRN_REPO_NAME_MAX
void cairn_repo_pack_name(const uint8_t pack_id[CAIRN_ID_BYTES], char out[CAIRN_PACK_NAME_MAX]);

/* Verified reads: the one re-read rule. Bytes can be damaged on the way (a
 * proxy, a flaky link or disk) as well as at rest, so a read that fails
 * verification (CAIRN_ECORRUPT) is read again before it is believed: at
 * most CAIRN_REPO_READ_ATTEMPTS reads in all, without waiting, through the
 * retry policy of include/cairn/retry.h (retry class: corrupt only;
 * transient errors are the store's retry decorator's). Any other result
 * of a read ends the rule at once. */
#define CAIRN_REPO_READ_ATTEMPTS 3
/* Run `read_once(ctx, attempt)` (attempt 1, 2, ...) by the rule. It must
 * start from scratch each time (reset what it appends) and record its
 * detail with cairn_err(). Returns its last result; a final CAIRN_ECORRUPT
 * becomes "damaged object '<name>': <last detail> (N reads)". */
int cairn_repo_read_verified(const char *name, int (*read_once)(void *ctx, unsigned attempt), void *ctx);

/* Fetch the object of `kind` with id `id` whole (appended to out; a
 * snapshot at most its size cap) and check that its SHA-256 is its id, by
 * the re-read rule: CAIRN_ECORRUPT naming the object when no read agrees.
 * CAIRN_EINVAL for an id that is not 64 lowercase hex or the config. */
int cairn_repo_get_verified(struct cairn_repo *r, enum cairn_repo_obj kind, const char *id, struct cairn_buf *out);
/* Fetch the object `name` whole from `store` (appended to out). When the
 * name carries an id (every kind but the config, repo_layout.h) the bytes
 * are checked against it by the re-read rule, CAIRN_ECORRUPT naming the
 * object otherwise; other names are fetched once, unchecked. For a
 * repository's objects on another store too (a replica's source). */
int cairn_repo_object_read(struct cairn_store *store, const char *name, struct cairn_buf *out);

/* Read a blob by id through the catalog: locate, fetch, decode, verify.
 * CAIRN_ENOTFOUND when the catalog does not know it; CAIRN_ECORRUPT (detail
 * names the pack object and the blob) on damage. `z` may be NULL (one is
 * made per call). Appends to out. ret_loc (may be NULL) gets the location. */
int cairn_repo_blob_read(struct cairn_repo *r, struct cairn_zctx *z, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			 struct cairn_buf *out, struct cairn_blob_loc *ret_loc);
/* Read the blob at `loc` (its pack, offset, lengths, type and id as an
 * index or pack header gives them): fetch, decode, verify, by the re-read
 * rule. With CAIRN_REPO_READ_CACHED the first read may come from the pack
 * cache of a remote repository (a re-read never does). `z` may be NULL.
 * Appends the plaintext to out. CAIRN_ECORRUPT "damaged object '<pack>':
 * ..."; other errors "cannot read object '<pack>': ...". bytes_read (may
 * be NULL) is increased by the bytes fetched from the store. */
#define CAIRN_REPO_READ_CACHED 1
int cairn_repo_blob_read_at(struct cairn_repo *r, struct cairn_zctx *z, const struct cairn_blob_loc *loc, int flags,
			    struct cairn_buf *out, uint64_t *bytes_read);

/* Read and authenticate the header of pack `pack_id` (`size` bytes, from a
 * listing) from its tail: a read of the last 64 KiB, and a second of
 * exactly the header when it is larger; by the re-read rule, or once with
 * CAIRN_REPO_READ_ONCE (a caller that applies the rule to a larger read,
 * e.g. a whole pack). ret_locs (malloc'd, the caller frees) and ret_count
 * as cairn_pack_read_header gives them, written only on success.
 * CAIRN_ECORRUPT for a pack too short to have a trailer, a header that is
 * malformed, larger than the pack, or fails authentication (damaged, or
 * not this repository's key); store errors pass through. bytes_read (may
 * be NULL) is increased by the bytes fetched. */
#define CAIRN_REPO_READ_ONCE 2
int cairn_repo_pack_tail_read(struct cairn_store *store, const struct cairn_keys *keys,
			      const uint8_t pack_id[CAIRN_ID_BYTES], uint64_t size, int flags, uint64_t *bytes_read,
			      struct cairn_blob_loc **ret_locs, size_t *ret_count);

/* The one index write. Seal the builder's packs into an index object
 * (emptying the builder), store it (index/<storage id>), and only then
 * record it in the catalog in one transaction: its blobs (`locs`, `count`:
 * every location the builder holds; locs NULL: taken from the sealed
 * object itself), the packs it lists with their bytes, and its name. A put
 * that fails leaves the catalog untouched; a catalog failure after the put
 * leaves an object the next cairn_repo_sync loads (its name is not in the
 * catalog yet), so no blob is ever in the catalog without an index object
 * listing it. An empty builder writes nothing (0, ret_bytes 0). ret_bytes
 * (may be NULL) gets the object's size. Errors name the object. */
int cairn_repo_index_write(struct cairn_repo *r, struct cairn_index_builder *b, const struct cairn_blob_loc *locs,
			   size_t count, uint64_t *ret_bytes);

/* Keys. */
int cairn_repo_key_add(struct cairn_repo *r, const struct cairn_secret *secret, const char *host, const char *label,
		       char ret_id[CAIRN_ID_HEX]);
/* One key object as cairn_repo_key_list sees it. */
struct cairn_repo_key_entry {
	const char *id;                       /* 64 lowercase hex */
	int current;                          /* 1 for the key that opened the repository */
	const struct cairn_keyobj_info *info; /* NULL when the object is unusable */
	int rc;                               /* 0, or why it is unusable: CAIRN_ECORRUPT, CAIRN_EFORMAT */
	const char *problem;                  /* the detail when rc < 0 (valid during the call), else NULL */
};
/* Call cb for every key object (valid names only), in no particular order.
 * A malformed, oversized (CAIRN_KEYOBJ_MAX_BYTES) or unsupported key object
 * is reported through cb with info NULL and does not stop the listing; one
 * that disappears meanwhile is left out. A non-zero return from cb stops
 * and is returned; store errors are returned as they are. */
int cairn_repo_key_list(struct cairn_repo *r, int (*cb)(void *ctx, const struct cairn_repo_key_entry *e), void *ctx);
/* Remove the key object whose id starts with `id_prefix` (at least 8 hex).
 * Refuses (CAIRN_EINVAL) to remove the key that opened the repository or
 * the last key; CAIRN_ENOTFOUND / CAIRN_EINVAL (ambiguous) otherwise. */
int cairn_repo_key_remove(struct cairn_repo *r, const char *id_prefix);

#endif
