/* The check's working set: a private temporary SQLite database (see
 * check_internal.h). Blob locations, packs, snapshots, trees walked and
 * blobs referenced; the problems and their affected paths are in
 * check_db_report.c. */
#include "check_db.h"

#include "cairn/catalog.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

static const char schema[] =
	"PRAGMA journal_mode = OFF;"
	"PRAGMA synchronous = OFF;"
	"PRAGMA cache_size = -16384;" /* 16 MiB of pages, then the temporary file */
	"CREATE TABLE locs (id BLOB, type INT, pack BLOB, off INT, len INT, raw_len INT, src INT,"
	" PRIMARY KEY (id, type, pack, off)) WITHOUT ROWID;"
	"CREATE INDEX locs_pack ON locs (pack, src, off);"
	"CREATE TABLE packs (id BLOB PRIMARY KEY, size INT) WITHOUT ROWID;"
	"CREATE TABLE snaps (time_ns INT, id TEXT, tree BLOB, PRIMARY KEY (time_ns, id)) WITHOUT ROWID;"
	"CREATE TABLE trees (id BLOB PRIMARY KEY, dirty INT) WITHOUT ROWID;"
	"CREATE TABLE refs (id BLOB PRIMARY KEY, raw_len INT) WITHOUT ROWID;"
	"CREATE TABLE stash (id BLOB PRIMARY KEY, data BLOB);"
	"CREATE TABLE bad (id BLOB, type INT, problem INT, PRIMARY KEY (id, type)) WITHOUT ROWID;"
	"CREATE TABLE problems (no INTEGER PRIMARY KEY, object TEXT UNIQUE, code INT, otype INT, oid BLOB,"
	" message TEXT, uses INT DEFAULT 0);"
	"CREATE TABLE psnaps (problem INT, snap TEXT, PRIMARY KEY (problem, snap)) WITHOUT ROWID;"
	"CREATE TABLE affected (problem INT, snap TEXT, time_ns INT, path BLOB, dir INT);"
	"CREATE INDEX affected_problem ON affected (problem);"
	"BEGIN;";

/* Columns of a pack page: id, present, size, entries, data_end. */
#define PACK_PAGE_COLS "p.id, 1, p.size, count(l.id), coalesce(max(l.off + l.len), 0)"

const char *const check_db_sql[CHK_STMT_COUNT] = {
	[CHK_LOC_ADD] = "INSERT OR IGNORE INTO locs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[CHK_LOC_GET] = "SELECT pack, off, len, raw_len, src FROM locs WHERE id = ?1 AND type = ?2 "
			"ORDER BY src DESC LIMIT 1",
	[CHK_PACK_LOCS] = "SELECT id, type, off, len, raw_len FROM locs WHERE pack = ?1 AND src = 1 ORDER BY off",
	[CHK_PACK_ADD] = "INSERT OR REPLACE INTO packs VALUES (?1, ?2)",
	[CHK_PRESENT_PAGE] = "SELECT " PACK_PAGE_COLS " FROM packs p LEFT JOIN locs l ON l.pack = p.id AND l.src = 1 "
			     "WHERE p.id > ?1 GROUP BY p.id ORDER BY p.id LIMIT ?2",
	[CHK_INDEXED_PAGE] = "SELECT l.pack, p.id IS NOT NULL, coalesce(p.size, 0), count(*), max(l.off + l.len) "
			     "FROM locs l LEFT JOIN packs p ON p.id = l.pack WHERE l.src = 1 AND l.pack > ?1 "
			     "GROUP BY l.pack ORDER BY l.pack LIMIT ?2",
	[CHK_SNAP_ADD] = "INSERT OR REPLACE INTO snaps VALUES (?1, ?2, ?3)",
	[CHK_SNAP_NEXT] = "SELECT time_ns, id, tree FROM snaps WHERE (time_ns, id) > (?1, ?2) "
			  "ORDER BY time_ns, id LIMIT 1",
	[CHK_TREE_GET] = "SELECT dirty FROM trees WHERE id = ?1",
	[CHK_TREE_SET] = "INSERT OR REPLACE INTO trees VALUES (?1, ?2)",
	/* a known blob costs one probe of refs; a new one a probe of locs too
	 * (UNION ALL stops at the first row) */
	[CHK_REF_GET] = "SELECT 1, raw_len FROM refs WHERE id = ?1 UNION ALL "
			"SELECT 0, (SELECT raw_len FROM locs WHERE id = ?1 AND type = ?2 AND src = 1 LIMIT 1) LIMIT 1",
	[CHK_REF_ADD] = "INSERT OR IGNORE INTO refs VALUES (?1, ?2)",
	[CHK_STASH_PUT] = "INSERT OR IGNORE INTO stash VALUES (?1, ?2)",
	[CHK_STASH_GET] = "SELECT data FROM stash WHERE id = ?1",
	[CHK_PROBLEM_FIND] = "SELECT no FROM problems WHERE object = ?1",
	[CHK_PROBLEM_ADD] = "INSERT INTO problems (object, code, otype, oid, message) VALUES (?1, ?2, ?3, ?4, ?5)",
	[CHK_PROBLEM_APPEND] = "UPDATE problems SET message = message || '; ' || ?2 "
			       "WHERE no = ?1 AND length(message) < 2000 AND instr(message, ?2) = 0",
	[CHK_PROBLEM_COUNT] = "SELECT count(*) FROM problems",
	[CHK_PROBLEM_EACH] = "SELECT no, object, code, otype, oid, message, uses, "
			     "(SELECT count(*) FROM psnaps WHERE problem = no) FROM problems WHERE no > ?1 "
			     "ORDER BY no LIMIT 1",
	[CHK_BAD_ADD] = "INSERT OR IGNORE INTO bad VALUES (?1, ?2, ?3)",
	[CHK_BAD_PACK] = "INSERT OR IGNORE INTO bad SELECT id, type, ?3 FROM locs "
			 "WHERE pack = ?1 AND src = 1 AND off + len > ?2",
	[CHK_BAD_GET] = "SELECT problem FROM bad WHERE id = ?1 AND type = ?2",
	[CHK_BAD_ANY] = "SELECT 1 FROM bad LIMIT 1",
	[CHK_USE_COUNT] = "UPDATE problems SET uses = uses + 1 WHERE no = ?1",
	[CHK_USES_GET] = "SELECT uses FROM problems WHERE no = ?1",
	[CHK_PSNAP_ADD] = "INSERT OR IGNORE INTO psnaps VALUES (?1, ?2)",
	[CHK_AFFECTED_ADD] = "INSERT INTO affected VALUES (?1, ?2, ?3, ?4, ?5)",
	[CHK_AFFECTED_EACH] = "SELECT snap, time_ns, path, dir FROM affected WHERE problem = ?1 ORDER BY rowid",
};

int check_db_sqlerr(struct check_db *db, int rc, const char *what)
{
	return cairn_catalog_sqlite_err(&db->busy, db->db, rc, "check working set", NULL, what);
}

sqlite3_stmt *check_db_stmt(struct check_db *db, enum check_db_stmt which)
{
	sqlite3_stmt *st = db->stmt[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int check_db_done(struct check_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return check_db_sqlerr(db, rc, what);
	return 0;
}

int check_db_open(struct check_db **ret)
{
	struct check_db *db = calloc(1, sizeof(*db));
	int rc;

	if (db == NULL)
		return cairn_err(CAIRN_ENOMEM, "check working set: out of memory");
	/* "": a private temporary database, deleted when closed (and unlinked
	 * as soon as SQLite creates its file) */
	rc = sqlite3_open_v2("", &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK && cairn_catalog_busy_attach(&db->busy, db->db, NULL, NULL) != 0) {
		rc = cairn_err_ctx(CAIRN_EBUG, "check working set");
		check_db_close(db);
		return rc;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->db, schema, NULL, NULL, NULL);
	for (int i = 0; rc == SQLITE_OK && i < CHK_STMT_COUNT; i++)
		rc = sqlite3_prepare_v3(db->db, check_db_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[i], NULL);
	if (rc != SQLITE_OK) {
		rc = check_db_sqlerr(db, rc, "cannot create");
		check_db_close(db);
		return rc;
	}
	*ret = db;
	return 0;
}

void check_db_close(struct check_db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < CHK_STMT_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->db); /* the open transaction and the file go with it */
	free(db);
}

/* Copy a 32-byte id column; CAIRN_EBUG for a row this file did not write. */
static int column_id(sqlite3_stmt *st, int col, uint8_t out[CAIRN_ID_BYTES])
{
	if (sqlite3_column_bytes(st, col) != CAIRN_ID_BYTES || sqlite3_column_blob(st, col) == NULL)
		return cairn_err(CAIRN_EBUG, "check working set: malformed id in a row");
	memcpy(out, sqlite3_column_blob(st, col), CAIRN_ID_BYTES);
	return 0;
}

int check_db_loc_add(struct check_db *db, const struct cairn_blob_loc *loc, int from_index)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_LOC_ADD);

	check_db_bind_id(st, 1, loc->id);
	sqlite3_bind_int(st, 2, loc->type);
	check_db_bind_id(st, 3, loc->pack);
	sqlite3_bind_int64(st, 4, (int64_t)loc->offset);
	sqlite3_bind_int64(st, 5, loc->length);
	sqlite3_bind_int64(st, 6, loc->raw_length);
	sqlite3_bind_int(st, 7, from_index);
	return check_db_done(db, st, "cannot record a blob location");
}

int check_db_loc_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, struct cairn_blob_loc *ret,
		     int *ret_from_index)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_LOC_GET);
	int rc;

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, type);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return CAIRN_ENOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		rc = check_db_sqlerr(db, rc, "cannot look a blob up");
		sqlite3_reset(st);
		return rc;
	}
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->id, id, CAIRN_ID_BYTES);
	ret->type = type;
	rc = column_id(st, 0, ret->pack);
	ret->offset = (uint64_t)sqlite3_column_int64(st, 1);
	ret->length = (uint32_t)sqlite3_column_int64(st, 2);
	ret->raw_length = (uint32_t)sqlite3_column_int64(st, 3);
	if (ret_from_index != NULL)
		*ret_from_index = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	return rc;
}

int check_db_pack_locs(struct check_db *db, const uint8_t pack[CAIRN_ID_BYTES], struct cairn_blob_loc **ret,
		       size_t *ret_n)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_PACK_LOCS);
	struct cairn_blob_loc *locs = NULL;
	size_t n = 0, cap = 0;
	int rc;

	check_db_bind_id(st, 1, pack);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *p = cairn_reallocarray(locs, ncap, sizeof(*locs));

			if (p == NULL) {
				rc = cairn_err(CAIRN_ENOMEM, "check: cannot list the blobs of a pack");
				goto out;
			}
			locs = p;
			cap = ncap;
		}
		memset(&locs[n], 0, sizeof(locs[n]));
		rc = column_id(st, 0, locs[n].id);
		if (rc < 0)
			goto out;
		memcpy(locs[n].pack, pack, CAIRN_ID_BYTES);
		locs[n].type = (uint8_t)sqlite3_column_int(st, 1);
		locs[n].offset = (uint64_t)sqlite3_column_int64(st, 2);
		locs[n].length = (uint32_t)sqlite3_column_int64(st, 3);
		locs[n].raw_length = (uint32_t)sqlite3_column_int64(st, 4);
		n++;
	}
	rc = rc == SQLITE_DONE ? 0 : check_db_sqlerr(db, rc, "cannot list the blobs of a pack");
out:
	sqlite3_reset(st);
	if (rc < 0) {
		free(locs);
		return rc;
	}
	*ret = locs;
	*ret_n = n;
	return 0;
}

int check_db_pack_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint64_t size)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_PACK_ADD);

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	return check_db_done(db, st, "cannot record a pack");
}

static int pack_page(struct check_db *db, enum check_db_stmt which, const uint8_t *after,
		     struct check_pack_row *rows, size_t max, size_t *ret_n)
{
	static const uint8_t start[1] = { 0 };
	sqlite3_stmt *st = check_db_stmt(db, which);
	size_t n = 0;
	int rc = SQLITE_DONE;

	/* a zero-length blob sorts before every id */
	if (after != NULL)
		check_db_bind_id(st, 1, after);
	else
		sqlite3_bind_blob(st, 1, start, 0, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct check_pack_row *row = &rows[n++];

		rc = column_id(st, 0, row->id);
		if (rc < 0) {
			sqlite3_reset(st);
			return rc;
		}
		row->present = sqlite3_column_int(st, 1);
		row->size = (uint64_t)sqlite3_column_int64(st, 2);
		row->entries = (uint64_t)sqlite3_column_int64(st, 3);
		row->data_end = (uint64_t)sqlite3_column_int64(st, 4);
	}
	if (n < max && rc != SQLITE_DONE)
		rc = check_db_sqlerr(db, rc, "cannot list packs");
	else
		rc = 0;
	sqlite3_reset(st);
	*ret_n = n;
	return rc;
}

int check_db_present_page(struct check_db *db, const uint8_t *after, struct check_pack_row *rows, size_t max,
			  size_t *ret_n)
{
	return pack_page(db, CHK_PRESENT_PAGE, after, rows, max, ret_n);
}

int check_db_indexed_page(struct check_db *db, const uint8_t *after, struct check_pack_row *rows, size_t max,
			  size_t *ret_n)
{
	return pack_page(db, CHK_INDEXED_PAGE, after, rows, max, ret_n);
}

int check_db_snap_add(struct check_db *db, const struct check_snap *s)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_SNAP_ADD);

	sqlite3_bind_int64(st, 1, s->time_ns);
	sqlite3_bind_text(st, 2, s->id, -1, SQLITE_STATIC);
	check_db_bind_id(st, 3, s->tree);
	return check_db_done(db, st, "cannot record a snapshot");
}

int check_db_snap_next(struct check_db *db, int64_t time_ns, const char *id, struct check_snap *ret)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_SNAP_NEXT);
	const unsigned char *text;
	int rc;

	sqlite3_bind_int64(st, 1, time_ns);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(ret, 0, sizeof(*ret));
		ret->time_ns = sqlite3_column_int64(st, 0);
		text = sqlite3_column_text(st, 1);
		if (text != NULL)
			memcpy(ret->id, text, strnlen((const char *)text, CAIRN_ID_HEX - 1));
		rc = column_id(st, 2, ret->tree);
	} else if (rc == SQLITE_DONE) {
		rc = CAIRN_ENOTFOUND;
	} else {
		rc = check_db_sqlerr(db, rc, "cannot list snapshots");
	}
	sqlite3_reset(st);
	return rc;
}

int check_db_tree_state(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES])
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_TREE_GET);
	int rc;

	check_db_bind_id(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = sqlite3_column_int(st, 0) ? CHECK_TREE_DIRTY : CHECK_TREE_CLEAN;
	else if (rc == SQLITE_DONE)
		rc = CHECK_TREE_NEW;
	else
		rc = check_db_sqlerr(db, rc, "cannot look a tree up");
	sqlite3_reset(st);
	return rc;
}

int check_db_tree_set(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int dirty)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_TREE_SET);

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, dirty);
	return check_db_done(db, st, "cannot record a tree");
}

int check_db_ref_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int64_t *ret_raw_len)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_REF_GET);
	int rc;

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, CAIRN_BLOB_DATA);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_raw_len = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
		rc = sqlite3_column_int(st, 0);
	} else {
		rc = check_db_sqlerr(db, rc, "cannot look a blob reference up");
	}
	sqlite3_reset(st);
	return rc;
}

int check_db_ref_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int64_t raw_len)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_REF_ADD);

	check_db_bind_id(st, 1, id);
	if (raw_len >= 0)
		sqlite3_bind_int64(st, 2, raw_len);
	else
		sqlite3_bind_null(st, 2);
	return check_db_done(db, st, "cannot record a blob reference");
}

int check_db_stash_put(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], const void *data, size_t len)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_STASH_PUT);

	check_db_bind_id(st, 1, id);
	sqlite3_bind_blob64(st, 2, len ? data : "", len, SQLITE_STATIC);
	return check_db_done(db, st, "cannot keep a tree");
}

int check_db_stash_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], struct cairn_buf *out)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_STASH_GET);
	int rc;

	check_db_bind_id(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = cairn_buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	else if (rc == SQLITE_DONE)
		rc = CAIRN_ENOTFOUND;
	else
		rc = check_db_sqlerr(db, rc, "cannot read a kept tree");
	sqlite3_reset(st);
	return rc;
}
