/* Internals of a repository handle, shared by the lib/repo files. */
#ifndef CAIRN_REPO_INTERNAL_H
#define CAIRN_REPO_INTERNAL_H

#include "cairn/repo.h"
#include "packcache.h"

struct cairn_repo {
	char *url;
	struct cairn_store *store;     /* owned */
	struct cairn_keys *keys;       /* owned, sodium_malloc'd */
	struct cairn_catalog *catalog; /* owned */
	struct cairn_packcache *packcache; /* owned; remote stores only, else NULL */
	char *catalog_path;
	struct cairn_repo_config config;
	char key_id[CAIRN_ID_HEX];
};

#define CAIRN_INDEX_AD "cairn-index-v1"
/* Remote reads (packcache.h): aligned pack windows of 16 MiB (a pack of the
 * default target size is one request), at most 128 MiB of them in memory,
 * 3 background threads for prefetch. */
#define CAIRN_REPO_PACKCACHE_BUDGET (128ull * 1024 * 1024)
#define CAIRN_REPO_PACKCACHE_WINDOW (16ull * 1024 * 1024)
#define CAIRN_REPO_PACKCACHE_FETCHERS 3

/* The most bytes a reader fetches of an object read whole whose size is
 * small by nature (FORMAT.md 2.4); larger ones are refused as damaged
 * without being read. Key objects: CAIRN_KEYOBJ_MAX_BYTES (crypto.h). */
#define CAIRN_CONFIG_MAX_BYTES (64u * 1024)
#define CAIRN_LOCK_MAX_BYTES (64u * 1024)
#define CAIRN_SNAPSHOT_MAX_BYTES (16u * 1024 * 1024)

/* Fetch object `name` whole, appending it to out, but never more than `cap`
 * bytes. With its `size` known (from a listing), above cap it is
 * CAIRN_ECORRUPT naming the object, its size and the cap, and nothing is
 * fetched; else the fetch asks for exactly `size` bytes, so an object that
 * grows in the meantime is read only that far (and fails its parse or its
 * hash). With size UINT64_MAX, one get bounded by CAIRN_STORE_AT_MOST(cap)
 * (about cap+1 bytes read at most); when the store refuses it, a stat
 * confirms the size for the same message. `what` names the kind of object
 * in messages ("key object"). Errors of the get pass through. */
int cairn_repo_get_small(struct cairn_store *store, const char *name, uint64_t size, uint64_t cap, const char *what,
			 struct cairn_buf *out);

/* The cap on the size of a whole read of an object of `kind`: UINT64_MAX
 * (none) except for snapshots (CAIRN_SNAPSHOT_MAX_BYTES). */
uint64_t cairn_repo_object_cap(enum cairn_repo_obj kind);

/* Parse the config object. */
int cairn_repo_config_parse(const void *data, size_t len, struct cairn_repo_config *ret);
/* Serialise a config object (JSON text) into out. */
int cairn_repo_config_write(const struct cairn_repo_config *cfg, struct cairn_buf *out);

/* Record index object `name` in the catalog: its blob locations (grouped
 * by pack, as in the object), the packs it lists and their bytes, and the
 * name itself. index_load parses a sealed object first. Call inside a
 * catalog transaction (cairn_repo_index_write and the sync do). */
int cairn_repo_index_record(struct cairn_repo *r, const char *name, const struct cairn_blob_loc *locs,
			    size_t count);
int cairn_repo_index_load(struct cairn_repo *r, const char *name, const void *obj, size_t len);

/* Load every index object not yet in the catalog (see cairn_repo_sync). */
int cairn_repo_sync_index(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev),
			  void *ctx);
int cairn_repo_sync_snapshots(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev),
			      void *ctx);

/* Store a key object wrapping `master` for `secret` as keys/<storage id>. */
int cairn_repo_put_key_object(struct cairn_store *store, const uint8_t master[CAIRN_KEY_BYTES],
			      const struct cairn_secret *secret, const char *host, const char *label,
			      char ret_id[CAIRN_ID_HEX]);

/* The key object that last opened the repository on this host, kept in
 * `cache_dir`/last-key (next to the catalog) so that the next open tries it
 * first. read: ret_id gets the id, or "" when there is none or it is not
 * 64 lowercase hex digits (never an error: the file is only a hint). write:
 * replaces the file atomically; best effort (errors are ignored). */
void repo_last_key_read(const char *cache_dir, char ret_id[CAIRN_ID_HEX]);
void repo_last_key_write(const char *cache_dir, const char *id);

#endif
