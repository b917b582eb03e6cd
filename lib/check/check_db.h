/* Private to check_db*.c: the scratch database handle and its statements. */
#ifndef CAIRN_CHECK_DB_H
#define CAIRN_CHECK_DB_H

#include <sqlite3.h>

#include "check_internal.h"

#include "cairn/catalog.h"

enum check_db_stmt {
	CHK_LOC_ADD,
	CHK_LOC_GET,
	CHK_PACK_LOCS,
	CHK_PACK_ADD,
	CHK_PRESENT_PAGE,
	CHK_INDEXED_PAGE,
	CHK_SNAP_ADD,
	CHK_SNAP_NEXT,
	CHK_TREE_GET,
	CHK_TREE_SET,
	CHK_REF_GET,
	CHK_REF_ADD,
	CHK_STASH_PUT,
	CHK_STASH_GET,
	CHK_PROBLEM_FIND,
	CHK_PROBLEM_ADD,
	CHK_PROBLEM_APPEND,
	CHK_PROBLEM_COUNT,
	CHK_PROBLEM_EACH,
	CHK_BAD_ADD,
	CHK_BAD_PACK,
	CHK_BAD_GET,
	CHK_BAD_ANY,
	CHK_USE_COUNT,
	CHK_USES_GET,
	CHK_PSNAP_ADD,
	CHK_AFFECTED_ADD,
	CHK_AFFECTED_EACH,
	CHK_STMT_COUNT
};

extern const char *const check_db_sql[CHK_STMT_COUNT];

struct check_db {
	sqlite3 *db;
	sqlite3_stmt *stmt[CHK_STMT_COUNT]; /* prepared once */
	struct cairn_catalog_busy busy;     /* SQLite busy waits, through the retry policy */
};

/* Record "check working set: <what>: <sqlite message>" and return the code,
 * both as lib/catalog maps them (cairn_catalog_sqlite_err). */
int check_db_sqlerr(struct check_db *db, int rc, const char *what);
/* A statement, reset and with its bindings cleared. */
sqlite3_stmt *check_db_stmt(struct check_db *db, enum check_db_stmt which);
/* Bind a 32-byte id (borrowed until the statement is reset). */
static inline int check_db_bind_id(sqlite3_stmt *st, int col, const uint8_t id[CAIRN_ID_BYTES])
{
	return sqlite3_bind_blob(st, col, id, CAIRN_ID_BYTES, SQLITE_STATIC);
}

/* Step once (a row is ignored), reset. 0 or <0. */
int check_db_done(struct check_db *db, sqlite3_stmt *st, const char *what);

#endif
