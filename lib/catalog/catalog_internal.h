/* Internals shared by the catalog files: the handle, its cached statements
 * and the SQLite error mapping. Not part of the public API. */
#ifndef CAIRN_CATALOG_INTERNAL_H
#define CAIRN_CATALOG_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "cairn/catalog.h"

/* Schema version written to PRAGMA user_version (see catalog_open.c). */
#define CAIRN_CATALOG_VERSION 4

/* Every statement the API runs, prepared once at open and reused. */
enum cairn_catalog_stmt {
	CAT_BLOB_GET,
	CAT_BLOB_PUT,
	CAT_PACK_KNOWN,
	CAT_PACK_END,
	CAT_BLOB_COUNT,
	CAT_PACK_COUNT,
	CAT_INDEX_SEEN,
	CAT_INDEX_MARK,
	CAT_INDEX_EACH,
	CAT_INDEX_FORGET,
	CAT_SNAP_PUT,
	CAT_SNAP_DELETE,
	CAT_SNAP_KNOWN,
	CAT_SNAP_EACH,
	CAT_FILE_GET,
	CAT_FILE_PUT,
	CAT_FILE_SCAN,
	CAT_META_GET,
	CAT_META_SET,
	CAT_SITE_HAS,
	CAT_SITE_PUT,
	CAT_SITE_FORGET,
	CAT_SITE_CLEAR,
	CAT_SITE_COUNT,
	CAT_SITE_NEWEST,
	CAT_IPACK_PUT,
	CAT_IPACK_OF_PACK,
	CAT_IPACK_OF_INDEX,
	CAT_IPACK_FORGET_INDEX,
	CAT_USED_ADD,
	CAT_USED_CLEAR,
	CAT_USED_COUNT,
	CAT_PACK_USAGE,
	CAT_MARK_PUT,
	CAT_MARK_DELETE,
	CAT_MARK_EACH,
	CAT_MARKED_IN_USE,
	CAT_PACK_USED_BLOBS,
	CAT_PACK_DROP_BLOBS,
	CAT_PACK_DROP_IPACKS,
	CAT_SITE_LAG_PACKS,
	CAT_SITE_LAG_INDEX,
	CAT_STMT_COUNT
};

/* SQL text of each statement, indexed by enum cairn_catalog_stmt. */
extern const char *const cairn_catalog_sql[CAT_STMT_COUNT];

/* One open catalog. `lock` guards everything below it: the connection is
 * opened with SQLITE_OPEN_NOMUTEX, so bind/step/reset on the cached
 * statements and sqlite3_errmsg() must never run on two threads at once. */
struct cairn_catalog {
	pthread_mutex_t lock;
	sqlite3 *db;
	char *path;
	int depth; /* nesting of cairn_catalog_begin, 0 = autocommit */
	int reading; /* a read transaction of cairn_catalog_read_begin is open (depth 0) */
	sqlite3_stmt *stmt[CAT_STMT_COUNT];
	struct cairn_catalog_busy busy; /* the waits of db for other connections */
};

/* End the read transaction of cairn_catalog_read_begin, if one is open
 * (caller holds the lock): before a write or a write transaction. */
int cairn_catalog_read_end_locked(struct cairn_catalog *c);

static inline void cairn_catalog_lock(struct cairn_catalog *c)
{
	pthread_mutex_lock(&c->lock);
}

static inline void cairn_catalog_unlock(struct cairn_catalog *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* cairn_catalog_sqlite_err() for the catalog `c`: "catalog '<path>': <what>:
 * <sqlite message or folded busy wait>", the mapped code returned. Call with
 * the lock held. c->db may be NULL (the generic text for rc is used). */
int cairn_catalog_sqlerr(struct cairn_catalog *c, int rc, const char *what);

/* Step a bound statement that returns no rows, then reset it. 0 or <0. */
int cairn_catalog_step_done(struct cairn_catalog *c, sqlite3_stmt *st, const char *what);

/* Step a bound query and reset it: 1 when it produced a row, 0 when none,
 * <0 on error. */
int cairn_catalog_step_exists(struct cairn_catalog *c, sqlite3_stmt *st, const char *what);

/* Execute SQL text without results (pragmas, BEGIN/COMMIT). 0 or <0. */
int cairn_catalog_exec(struct cairn_catalog *c, const char *sql, const char *what);

#endif
