/* Opening, creating, migrating, wiping and closing the catalog database.
 *
 * Schema (PRAGMA user_version = 4). Ids are raw 32-byte BLOBs, never hex:
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       bookkeeping; 'repo_id' (hex) binds the file to one repository and is
 *       written once, when the file is created.
 *   blobs(id BLOB, type INT, pack BLOB, off INT, len INT, raw_len INT,
 *         PRIMARY KEY (id, type)) WITHOUT ROWID, index blobs_pack(pack);
 *         a data blob and a tree blob may share an id (same bytes)
 *       where every known blob lives (struct cairn_blob_loc); off is the
 *       u64 offset stored as a two's-complement int64.
 *   index_objects(name TEXT PRIMARY KEY) WITHOUT ROWID
 *       index objects whose entries have been loaded into blobs.
 *   snapshots(id TEXT PRIMARY KEY, time_ns INT, json TEXT),
 *       index snapshots_time(time_ns)
 *       decrypted snapshot documents; id is 64 lowercase hex digits.
 *   files(path BLOB PRIMARY KEY, dev INT, ino INT, size INT, mtime_ns INT,
 *         ctime_ns INT, ids BLOB, no_xattrs INT) WITHOUT ROWID (version 4;
 *         before: a rowid table without no_xattrs, its rows kept)
 *       the files cache; path is raw bytes, ids is count * 32 bytes and
 *       dev/ino/size are u64 stored as two's-complement int64; no_xattrs 1:
 *       the file had no extended attributes at that ctime (0: unknown, the
 *       value of rows from before version 4).
 *   site_objects(site TEXT, name TEXT, size INT, PRIMARY KEY (site, name))
 *         WITHOUT ROWID (version 2)
 *       objects known to be stored on a replica site (by its name), so that
 *       a replication run with nothing to do lists nothing there. The
 *       site's bookkeeping (last run, last full listing) is in meta under
 *       "site.<name>.<what>". A row with size -1 is a tombstone: the object
 *       was removed from the site on purpose (forget on a replica) and is
 *       not to be copied again; listings of the site keep tombstones.
 *   index_packs(index_name TEXT, pack BLOB, bytes INT,
 *         PRIMARY KEY (index_name, pack)) WITHOUT ROWID,
 *         index index_packs_pack(pack) (version 3)
 *       which packs each loaded index object lists, and the stored bytes of
 *       the pack's entries there: what prune rewrites and measures.
 *   prune_used(id BLOB, type INT, PRIMARY KEY (id, type)) WITHOUT ROWID
 *       blobs referenced by the snapshots, filled by prune's walk.
 *   prune_marks(pack BLOB PRIMARY KEY, marked_ns INT) WITHOUT ROWID
 *       packs prune found unused (or repacked), and since when.
 *   Migrating to version 3 empties index_objects and blobs, so that the
 *   next synchronisation loads every index object again and fills
 *   index_packs.
 *
 * Migrations: migrations[v] takes the schema from version v to v + 1 and
 * runs inside one BEGIN IMMEDIATE transaction together with the new
 * user_version, so a concurrent opener either sees the old schema or the
 * new one. A newer version than CAIRN_CATALOG_VERSION, a file that is not a
 * database, a database that is not a catalog, or a catalog of another
 * repository is deleted (with its -wal, -shm and -journal) and recreated.
 */
#include "catalog/catalog_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/file.h"

/* open_once() result asking for the file to be deleted and recreated. */
#define OPEN_WIPE 1

static const char schema_v1[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE blobs (id BLOB, type INT, pack BLOB, off INT, len INT,"
	" raw_len INT, PRIMARY KEY (id, type)) WITHOUT ROWID;"
	"CREATE INDEX blobs_pack ON blobs (pack);"
	"CREATE TABLE index_objects (name TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE snapshots (id TEXT PRIMARY KEY, time_ns INT, json TEXT);"
	"CREATE INDEX snapshots_time ON snapshots (time_ns);"
	"CREATE TABLE files (path BLOB PRIMARY KEY, dev INT, ino INT, size INT, mtime_ns INT,"
	" ctime_ns INT, ids BLOB);";

static const char schema_v2[] =
	"CREATE TABLE site_objects (site TEXT, name TEXT, size INT, PRIMARY KEY (site, name)) WITHOUT ROWID;";

static const char schema_v3[] =
	"CREATE TABLE index_packs (index_name TEXT, pack BLOB, bytes INT, PRIMARY KEY (index_name, pack))"
	" WITHOUT ROWID;"
	"CREATE INDEX index_packs_pack ON index_packs (pack);"
	"CREATE TABLE prune_used (id BLOB, type INT, PRIMARY KEY (id, type)) WITHOUT ROWID;"
	"CREATE TABLE prune_marks (pack BLOB PRIMARY KEY, marked_ns INT) WITHOUT ROWID;"
	"DELETE FROM index_objects;"
	"DELETE FROM blobs;";

/* The files cache without a rowid (one B-tree search per lookup instead of
 * the path index's and the table's), with no_xattrs; rows are kept. */
static const char schema_v4[] =
	"CREATE TABLE files_v4 (path BLOB PRIMARY KEY, dev INT, ino INT, size INT, mtime_ns INT, ctime_ns INT,"
	" ids BLOB, no_xattrs INT NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"INSERT INTO files_v4 (path, dev, ino, size, mtime_ns, ctime_ns, ids)"
	" SELECT path, dev, ino, size, mtime_ns, ctime_ns, ids FROM files WHERE path IS NOT NULL;"
	"DROP TABLE files;"
	"ALTER TABLE files_v4 RENAME TO files;";

static const char *const migrations[CAIRN_CATALOG_VERSION] = {
	schema_v1,
	schema_v2,
	schema_v3,
	schema_v4,
};

/* Errors during open that mean "this file is not a usable catalog": record
 * the detail and ask for a wipe. Everything else (busy, full, I/O) is
 * returned as an error and the file is left alone. */
static int open_fail(struct cairn_catalog *c, int rc, const char *what)
{
	int ret = cairn_catalog_sqlerr(c, rc, what);

	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_ERROR: /* missing tables or columns */
	case SQLITE_FORMAT:
	case SQLITE_SCHEMA:
		return OPEN_WIPE;
	default:
		return ret;
	}
}

/* Create the file ourselves so that it gets mode 0600; SQLite gives the
 * -wal and -shm files the mode of the database file. */
static int precreate(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return cairn_err(cairn_err_from_errno(errno), "catalog '%s': cannot open: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int wipe_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *name = cairn_asprintf("%s%s", path, suffixes[i]);
		int err;

		if (name == NULL)
			return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", path);
		if (unlink(name) != 0 && errno != ENOENT) {
			err = errno;
			free(name);
			return cairn_err(cairn_err_from_errno(err), "catalog '%s': cannot delete '%s%s': %s", path,
					 path, suffixes[i], strerror(err));
		}
		free(name);
	}
	return 0;
}

/* Run a query returning one integer (a pragma or a count). */
static int query_int(struct cairn_catalog *c, const char *sql, const char *what, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		rc = open_fail(c, rc, what);
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return 0;
}

static int store_repo_id(struct cairn_catalog *c, const char *repo_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "INSERT INTO meta (key, value) VALUES ('repo_id', ?1)", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, repo_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		rc = open_fail(c, rc, "storing repository id");
	sqlite3_finalize(st);
	return rc;
}

/* Bring the schema to CAIRN_CATALOG_VERSION inside one write transaction. */
static int migrate_locked(struct cairn_catalog *c, const char *repo_id)
{
	char sql[64];
	int64_t version = 0, objects = 0;
	int rc;

	rc = query_int(c, "PRAGMA user_version", "reading schema version", &version);
	if (rc != 0)
		return rc;
	if (version < 0 || version > CAIRN_CATALOG_VERSION) {
		cairn_err(CAIRN_EFORMAT, "catalog '%s': schema version %" PRId64 " is newer than %d", c->path,
			  version, CAIRN_CATALOG_VERSION);
		return OPEN_WIPE;
	}
	if (version == 0) {
		rc = query_int(c, "SELECT count(*) FROM sqlite_master", "reading schema", &objects);
		if (rc != 0)
			return rc;
		if (objects != 0) {
			cairn_err(CAIRN_EFORMAT, "catalog '%s': database is not a catalog", c->path);
			return OPEN_WIPE;
		}
	}
	for (; version < CAIRN_CATALOG_VERSION; version++) {
		rc = sqlite3_exec(c->db, migrations[version], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return open_fail(c, rc, "creating schema");
		if (version == 0 && (rc = store_repo_id(c, repo_id)) != 0)
			return rc;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CAIRN_CATALOG_VERSION);
	rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return open_fail(c, rc, "writing schema version");
	return 0;
}

static int migrate(struct cairn_catalog *c, const char *repo_id)
{
	int64_t version = 0;
	int rc;

	rc = query_int(c, "PRAGMA user_version", "reading schema version", &version);
	if (rc != 0 || version == CAIRN_CATALOG_VERSION)
		return rc;
	/* Re-read under the write lock: another process may be migrating. */
	rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return open_fail(c, rc, "starting migration");
	rc = migrate_locked(c, repo_id);
	if (rc != 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = open_fail(c, rc, "committing migration");
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

static int prepare_all(struct cairn_catalog *c)
{
	for (int i = 0; i < CAT_STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(c->db, cairn_catalog_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[i],
					    NULL);

		if (rc != SQLITE_OK)
			return open_fail(c, rc, "preparing statements");
	}
	return 0;
}

static int check_repo_id(struct cairn_catalog *c, const char *repo_id)
{
	sqlite3_stmt *st = c->stmt[CAT_META_GET];
	int rc = sqlite3_bind_text(st, 1, "repo_id", -1, SQLITE_STATIC);
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *have = sqlite3_column_text(st, 0);

		if (have == NULL || strcmp((const char *)have, repo_id) != 0) {
			cairn_err(CAIRN_EFORMAT, "catalog '%s': made for another repository", c->path);
			ret = OPEN_WIPE;
		}
	} else if (rc == SQLITE_DONE) {
		cairn_err(CAIRN_EFORMAT, "catalog '%s': no repository id", c->path);
		ret = OPEN_WIPE;
	} else {
		ret = open_fail(c, rc, "reading repository id");
	}
	sqlite3_reset(st);
	return ret;
}

static void close_db(struct cairn_catalog *c)
{
	for (int i = 0; i < CAT_STMT_COUNT; i++) {
		sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	sqlite3_close_v2(c->db);
	c->db = NULL;
	c->depth = 0;
}

/* Ask the kernel to read the catalog ahead: a backup looks up every file
 * and blob in it, and on a cold page cache one sequential read is much
 * cheaper than thousands of random page reads. Best effort. */
static void prefetch(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
		close(fd);
	}
}

/* Switch to WAL, waiting for other openers. Changing the journal mode of a
 * new file needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
 * without its busy handler, when two connections each hold a shared lock
 * and want it (two cron backups starting together on a new host): wait as
 * the busy handler does (the retry policy's jitter spreads the processes). */
static int set_wal(struct cairn_catalog *c)
{
	for (int count = 0;; count++) {
		int rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);

		if ((rc & 0xff) != SQLITE_BUSY || !cairn_catalog_busy_wait(&c->busy, count))
			return rc;
	}
}

/* One attempt: 0 when open and valid, OPEN_WIPE, or <0. */
static int open_once(struct cairn_catalog *c, const char *repo_id)
{
	char *name;
	int rc = precreate(c->path);

	if (rc != 0)
		return rc;
	prefetch(c->path);
	/* SQLite may be built to read "file:..." names as URIs: keep the
	 * path a path. */
	name = strncasecmp(c->path, "file:", 5) == 0 ? cairn_asprintf("./%s", c->path) : c->path;
	if (name == NULL)
		return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", c->path);
	rc = sqlite3_open_v2(name, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (name != c->path)
		free(name);
	if (rc != SQLITE_OK)
		return cairn_catalog_sqlerr(c, rc, "cannot open");
	rc = cairn_catalog_busy_attach(&c->busy, c->db, NULL, NULL);
	if (rc != 0)
		return rc;
	/* The first statement reads the header: a non-database fails here. */
	rc = set_wal(c);
	if (rc != SQLITE_OK)
		return open_fail(c, rc, "setting journal mode");
	/* A cache: losing the last commits on power loss is fine. 16 MiB of
	 * page cache keeps the blob index's upper levels in memory. */
	rc = sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -16384",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return open_fail(c, rc, "setting pragmas");
	rc = migrate(c, repo_id);
	if (rc != 0)
		return rc;
	rc = prepare_all(c);
	if (rc != 0)
		return rc;
	return check_repo_id(c, repo_id);
}

int cairn_catalog_open(const char *path, const char *repo_id, struct cairn_catalog **ret)
{
	struct cairn_catalog *c;
	int rc;

	if (path == NULL || path[0] == '\0' || repo_id == NULL || repo_id[0] == '\0' || ret == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog open: path, repository id and result are required");
	c = cairn_calloc(1, sizeof(*c));
	if (c == NULL)
		return cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", path);
	c->path = cairn_strdup(path);
	if (c->path == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory", path);
		goto err1;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		rc = cairn_err(CAIRN_ENOMEM, "catalog '%s': cannot create mutex", path);
		goto err2;
	}
	rc = cairn_file_mkdir_p(AT_FDCWD, path, 0700, CAIRN_FILE_PARENTS);
	if (rc != 0) {
		rc = cairn_err_ctx(rc, "catalog '%s'", path);
		goto err3;
	}
	for (int attempt = 0;; attempt++) {
		rc = open_once(c, repo_id);
		if (rc == 0)
			break;
		close_db(c);
		if (rc < 0)
			goto err3;
		if (attempt > 0) {
			/* Still unusable right after being recreated: the detail
			 * of the last check says why. */
			rc = CAIRN_EIO;
			goto err3;
		}
		rc = wipe_files(path);
		if (rc != 0)
			goto err3;
	}
	*ret = c;
	return 0;

err3:
	pthread_mutex_destroy(&c->lock);
err2:
	free(c->path);
err1:
	free(c);
	return rc;
}

void cairn_catalog_close(struct cairn_catalog *c)
{
	if (c == NULL)
		return;
	/* Closing with an open transaction rolls it back. */
	close_db(c);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}
