/* The catalog's cached statements and SQLite error mapping helpers. */
#include "catalog/catalog_internal.h"

#include "cairn/err.h"

#include <stdio.h>

const char *const cairn_catalog_sql[CAT_STMT_COUNT] = {
	[CAT_BLOB_GET] = "SELECT type, pack, off, len, raw_len FROM blobs WHERE id = ?1 AND type = ?2",
	[CAT_BLOB_PUT] = "INSERT OR REPLACE INTO blobs (id, type, pack, off, len, raw_len) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[CAT_PACK_KNOWN] = "SELECT 1 FROM blobs WHERE pack = ?1 LIMIT 1",
	[CAT_PACK_END] = "SELECT max(off + len) FROM blobs WHERE pack = ?1",
	[CAT_BLOB_COUNT] = "SELECT count(*) FROM blobs",
	[CAT_PACK_COUNT] = "SELECT count(DISTINCT pack) FROM blobs",
	[CAT_INDEX_SEEN] = "SELECT 1 FROM index_objects WHERE name = ?1",
	[CAT_INDEX_MARK] = "INSERT OR IGNORE INTO index_objects (name) VALUES (?1)",
	[CAT_INDEX_EACH] = "SELECT name FROM index_objects ORDER BY name",
	[CAT_INDEX_FORGET] = "DELETE FROM index_objects WHERE name = ?1",
	[CAT_SNAP_PUT] = "INSERT OR REPLACE INTO snapshots (id, time_ns, json) VALUES (?1, ?2, ?3)",
	[CAT_SNAP_DELETE] = "DELETE FROM snapshots WHERE id = ?1",
	[CAT_SNAP_KNOWN] = "SELECT 1 FROM snapshots WHERE id = ?1",
	[CAT_SNAP_EACH] = "SELECT id, time_ns, json FROM snapshots ORDER BY time_ns, id",
	[CAT_FILE_GET] = "SELECT dev, ino, size, mtime_ns, ctime_ns, ids, no_xattrs FROM files WHERE path = ?1",
	[CAT_FILE_PUT] = "INSERT OR REPLACE INTO files (path, dev, ino, size, mtime_ns, ctime_ns, ids, no_xattrs) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* one directory's rows, in path order: ?1 the first path wanted, ?2 the
	 * directory's path followed by '0' (the byte after '/') */
	[CAT_FILE_SCAN] = "SELECT dev, ino, size, mtime_ns, ctime_ns, ids, no_xattrs, path FROM files "
			  "WHERE path >= ?1 AND path < ?2 ORDER BY path",
	[CAT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[CAT_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	[CAT_SITE_HAS] = "SELECT 1 FROM site_objects WHERE site = ?1 AND name = ?2",
	[CAT_SITE_PUT] = "INSERT OR REPLACE INTO site_objects (site, name, size) VALUES (?1, ?2, ?3)",
	[CAT_SITE_FORGET] = "DELETE FROM site_objects WHERE site = ?1 AND name = ?2",
	[CAT_SITE_CLEAR] = "DELETE FROM site_objects WHERE site = ?1 AND size >= 0",
	[CAT_SITE_COUNT] = "SELECT count(*), coalesce(sum(size), 0) FROM site_objects WHERE site = ?1 AND size >= 0",
	[CAT_SITE_NEWEST] = "SELECT s.id, s.time_ns FROM snapshots s JOIN site_objects o ON o.site = ?1 AND "
			    "o.name = 'snapshots/' || s.id AND o.size >= 0 ORDER BY s.time_ns DESC, s.id DESC LIMIT 1",
	[CAT_IPACK_PUT] = "INSERT OR REPLACE INTO index_packs (index_name, pack, bytes) VALUES (?1, ?2, ?3)",
	[CAT_IPACK_OF_PACK] = "SELECT index_name FROM index_packs WHERE pack = ?1 ORDER BY index_name",
	[CAT_IPACK_OF_INDEX] = "SELECT pack, bytes FROM index_packs WHERE index_name = ?1 ORDER BY pack",
	[CAT_IPACK_FORGET_INDEX] = "DELETE FROM index_packs WHERE index_name = ?1",
	[CAT_USED_ADD] = "INSERT OR IGNORE INTO prune_used (id, type) VALUES (?1, ?2)",
	[CAT_USED_CLEAR] = "DELETE FROM prune_used",
	[CAT_USED_COUNT] = "SELECT count(*) FROM prune_used",
	/* one page of packs after ?1 (keyset): pack, its bytes in the index,
	 * blobs located there and their bytes, and the used ones */
	[CAT_PACK_USAGE] = "SELECT p.pack, p.bytes, count(b.id), coalesce(sum(b.len), 0), count(u.id), "
			   "coalesce(sum(CASE WHEN u.id IS NOT NULL THEN b.len END), 0) "
			   "FROM (SELECT pack, max(bytes) AS bytes FROM index_packs WHERE pack > ?1 GROUP BY pack "
			   "ORDER BY pack LIMIT ?2) p "
			   "LEFT JOIN blobs b ON b.pack = p.pack "
			   "LEFT JOIN prune_used u ON u.id = b.id AND u.type = b.type "
			   "GROUP BY p.pack ORDER BY p.pack",
	[CAT_MARK_PUT] = "INSERT OR IGNORE INTO prune_marks (pack, marked_ns) VALUES (?1, ?2)",
	[CAT_MARK_DELETE] = "DELETE FROM prune_marks WHERE pack = ?1",
	[CAT_MARK_EACH] = "SELECT pack, marked_ns FROM prune_marks WHERE pack > ?1 ORDER BY pack LIMIT ?2",
	[CAT_MARKED_IN_USE] = "SELECT DISTINCT b.pack FROM prune_marks m JOIN blobs b ON b.pack = m.pack "
			      "JOIN prune_used u ON u.id = b.id AND u.type = b.type",
	[CAT_PACK_USED_BLOBS] = "SELECT b.id, b.type, b.off, b.len, b.raw_len FROM blobs b JOIN prune_used u "
				"ON u.id = b.id AND u.type = b.type WHERE b.pack = ?1 ORDER BY b.off",
	[CAT_PACK_DROP_BLOBS] = "DELETE FROM blobs WHERE pack = ?1",
	[CAT_PACK_DROP_IPACKS] = "DELETE FROM index_packs WHERE pack = ?1",
	/* packs the index lists that the site is not known to hold, and their bytes */
	[CAT_SITE_LAG_PACKS] = "SELECT count(*), coalesce(sum(p.bytes), 0) FROM (SELECT pack, max(bytes) AS bytes "
			       "FROM index_packs GROUP BY pack) p WHERE NOT EXISTS (SELECT 1 FROM site_objects o "
			       "WHERE o.site = ?1 AND o.name = 'data/' || substr(lower(hex(p.pack)), 1, 2) || '/' || "
			       "lower(hex(p.pack)))",
	[CAT_SITE_LAG_INDEX] = "SELECT count(*) FROM index_objects i WHERE NOT EXISTS (SELECT 1 FROM site_objects o "
			       "WHERE o.site = ?1 AND o.name = i.name)",
};

int cairn_catalog_code(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CAIRN_ELOCKED;
	case SQLITE_FULL:
		return CAIRN_ENOSPC;
	case SQLITE_NOMEM:
		return CAIRN_ENOMEM;
	default:
		return CAIRN_EIO;
	}
}

int cairn_catalog_sqlite_err(struct cairn_catalog_busy *busy, struct sqlite3 *db, int rc, const char *kind,
			     const char *path, const char *what)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	char folded[1024]; /* the size of the thread's detail */
	int code = cairn_catalog_code(rc);

	if (busy != NULL && busy->gave_up && (rc & 0xff) == SQLITE_BUSY) {
		busy->gave_up = 0;
		code = cairn_retry_end(&busy->retry, code); /* folds the attempts into the detail */
		snprintf(folded, sizeof(folded), "%s", cairn_err_msg());
		msg = folded;
	}
	if (path != NULL)
		return cairn_err(code, "%s '%s': %s: %s", kind, path, what, msg);
	return cairn_err(code, "%s: %s: %s", kind, what, msg);
}

int cairn_catalog_sqlerr(struct cairn_catalog *c, int rc, const char *what)
{
	return cairn_catalog_sqlite_err(&c->busy, c->db, rc, "catalog", c->path, what);
}

int cairn_catalog_step_done(struct cairn_catalog *c, sqlite3_stmt *st, const char *what)
{
	int rc, ret = cairn_catalog_read_end_locked(c);

	/* a write never joins a read transaction: it would hold the write
	 * lock until cairn_catalog_read_end */
	if (ret < 0) {
		sqlite3_reset(st);
		return ret;
	}
	rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		ret = cairn_err(CAIRN_EBUG, "catalog '%s': %s: statement returned a row", c->path, what);
	else if (rc != SQLITE_DONE)
		ret = cairn_catalog_sqlerr(c, rc, what);
	sqlite3_reset(st);
	return ret;
}

int cairn_catalog_step_exists(struct cairn_catalog *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret;

	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = cairn_catalog_sqlerr(c, rc, what);
	sqlite3_reset(st);
	return ret;
}

int cairn_catalog_exec(struct cairn_catalog *c, const char *sql, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return cairn_catalog_sqlerr(c, rc, what);
	return 0;
}
