/* Internals of a repository check (cairn/check.h), shared by lib/repo/check*.c. */
#ifndef CAIRN_CHECK_INTERNAL_H
#define CAIRN_CHECK_INTERNAL_H

#include "cairn/check.h"
#include "cairn/pack.h"
#include "repo/repo_internal.h"

/* The check's working set: a private temporary SQLite database (not the
 * catalog, which the check does not trust and which is a cache of the
 * repository; this is scratch space for one run). One write transaction
 * stays open for the whole run; the page cache is bounded, so a large
 * repository spills to the temporary file instead of growing memory.
 * Single-threaded: only the calling thread uses it. */
struct check_db;

int check_db_open(struct check_db **ret);
void check_db_close(struct check_db *db); /* NULL ok */

/* Blob locations: from index objects (from_index 1) or from the headers of
 * orphan packs (0). Adding one twice is a no-op. get prefers a location
 * from an index object; CAIRN_ENOTFOUND when there is none at all. */
int check_db_loc_add(struct check_db *db, const struct cairn_blob_loc *loc, int from_index);
int check_db_loc_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, struct cairn_blob_loc *ret,
		     int *ret_from_index);
/* The index entries of one pack, by offset (malloc'd array, NULL when none). */
int check_db_pack_locs(struct check_db *db, const uint8_t pack[CAIRN_ID_BYTES], struct cairn_blob_loc **ret,
		       size_t *ret_n);

/* Packs: those listed in data/ (with their size), and those the index
 * objects list. A page holds the rows after `after` (NULL: from the start),
 * in id order. */
struct check_pack_row {
	uint8_t id[CAIRN_ID_BYTES];
	int present;        /* in data/ */
	uint64_t size;      /* when present */
	uint64_t entries;   /* index entries for it (0: an orphan) */
	uint64_t data_end;  /* end of its last indexed blob */
};
int check_db_pack_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint64_t size);
/* Packs present in data/, with their index statistics. */
int check_db_present_page(struct check_db *db, const uint8_t *after, struct check_pack_row *rows, size_t max,
			  size_t *ret_n);
/* Packs the index objects list, present or not. */
int check_db_indexed_page(struct check_db *db, const uint8_t *after, struct check_pack_row *rows, size_t max,
			  size_t *ret_n);

/* Snapshots that opened, walked in (time, id) order: next gives the one
 * after (time_ns, id) (id "" to start), CAIRN_ENOTFOUND at the end. */
struct check_snap {
	char id[CAIRN_ID_HEX];
	int64_t time_ns;
	uint8_t tree[CAIRN_ID_BYTES];
};
int check_db_snap_add(struct check_db *db, const struct check_snap *s);
int check_db_snap_next(struct check_db *db, int64_t time_ns, const char *id, struct check_snap *ret);

/* Trees walked: CHECK_TREE_NEW when not yet, else whether anything below it
 * is damaged or missing. */
enum { CHECK_TREE_CLEAN = 0, CHECK_TREE_DIRTY = 1, CHECK_TREE_NEW = 2 };
int check_db_tree_state(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES]); /* state or <0 */
int check_db_tree_set(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int dirty);
/* Data blobs referenced, each with the plaintext length an index object
 * gives it (what a restore writes for it), -1 when no index object lists
 * it. get: 1 when recorded (*ret_raw_len as recorded), 0 when not yet
 * (*ret_raw_len from the index entries), <0. add: records a blob not
 * recorded yet (a known one is left as it is); 0 or <0. */
int check_db_ref_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int64_t *ret_raw_len);
int check_db_ref_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], int64_t raw_len);

/* Verified plaintext of tree blobs met while reading packs, so that the walk
 * does not fetch them again. get: CAIRN_ENOTFOUND when not kept. */
int check_db_stash_put(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], const void *data, size_t len);
int check_db_stash_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], struct cairn_buf *out);

/* Problems, one per object (a second report on an object appends its
 * message); ret_no identifies it. Blobs marked bad belong to a problem: a
 * path that uses one is affected by it. */
int check_db_problem(struct check_db *db, const struct cairn_event *ev, int64_t *ret_no);
int check_db_problem_count(struct check_db *db, uint64_t *ret);
int check_db_bad_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, int64_t problem);
/* Every indexed blob of `pack` ending after `end` (0: all of them). */
int check_db_bad_pack(struct check_db *db, const uint8_t pack[CAIRN_ID_BYTES], uint64_t end, int64_t problem);
int check_db_bad_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, int64_t *ret_problem);
int check_db_has_bad(struct check_db *db); /* 1, 0 or <0 */
/* Record one use (snapshot, path) of a problem's objects; only the first
 * `keep` are kept, all are counted. */
int check_db_affected(struct check_db *db, int64_t problem, const struct check_snap *snap, const char *path,
		      int directory, size_t keep);
/* Call cb for every problem, in the order found. */
int check_db_problems_each(struct check_db *db, void (*cb)(void *ctx, const struct cairn_check_problem *p),
			   void *ctx);

/* One run. */
struct check_run {
	struct cairn_repo *r;
	const struct cairn_check_opts *o;
	struct check_db *db;
	struct cairn_check_stats st;
	size_t max_paths;
	size_t window;
	int threads;
	const char *phase;
	int64_t start_ns, last_progress_ns;
};

/* Progress callback, at most every 250 ms unless forced. */
void check_progress(struct check_run *c, int force);
/* Record a problem `code` about the object `type`/`id` (id may be NULL only
 * with CAIRN_EVENT_OBJECT_NONE), which messages call `name` (one problem
 * per name); the message is printf-like. ret_no may be NULL. */
int check_report(struct check_run *c, enum cairn_event_code code, enum cairn_event_object type, const uint8_t *id,
		 const char *name, int64_t *ret_no, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The phases, in order (each returns 0 or an error that stops the check;
 * what is damaged or missing is recorded, not returned). */
int check_packs_list(struct check_run *c);      /* data/: sizes, missing, orphans */
int check_packs_read(struct check_run *c);      /* read_data_percent: read and verify packs */
int check_walk(struct check_run *c);            /* every snapshot's trees */

/* Call each(ctx, row) for every pack present in data/, in id order. */
int check_pack_pages(struct check_run *c, int (*each)(void *ctx, const struct check_pack_row *row), void *ctx);

#endif
