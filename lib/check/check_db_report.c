/* The check's working set, continued: problems, the blobs they make bad,
 * and the snapshots and paths that use those blobs. */
#include "check_db.h"

#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

/* Run a query whose first column is one integer: 1 and *ret on a row, 0 on none. */
static int query_i64(struct check_db *db, sqlite3_stmt *st, const char *what, int64_t *ret)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = check_db_sqlerr(db, rc, what);
	}
	sqlite3_reset(st);
	return rc;
}

int check_db_problem(struct check_db *db, const struct cairn_event *ev, int64_t *ret_no)
{
	const char *object = ev->object_name, *message = ev->message;
	sqlite3_stmt *st = check_db_stmt(db, CHK_PROBLEM_FIND);
	int64_t no = 0;
	int rc;

	sqlite3_bind_text(st, 1, object, -1, SQLITE_STATIC);
	rc = query_i64(db, st, "cannot look a problem up", &no);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		st = check_db_stmt(db, CHK_PROBLEM_APPEND);
		sqlite3_bind_int64(st, 1, no);
		sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
		rc = check_db_done(db, st, "cannot record a problem");
	} else {
		st = check_db_stmt(db, CHK_PROBLEM_ADD);
		sqlite3_bind_text(st, 1, object, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)ev->code);
		sqlite3_bind_int(st, 3, (int)ev->object.type);
		sqlite3_bind_blob(st, 4, ev->object.id, sizeof(ev->object.id), SQLITE_STATIC);
		sqlite3_bind_text(st, 5, message, -1, SQLITE_STATIC);
		rc = check_db_done(db, st, "cannot record a problem");
		no = sqlite3_last_insert_rowid(db->db);
	}
	if (rc == 0 && ret_no != NULL)
		*ret_no = no;
	return rc;
}

int check_db_problem_count(struct check_db *db, uint64_t *ret)
{
	int64_t n = 0;
	int rc = query_i64(db, check_db_stmt(db, CHK_PROBLEM_COUNT), "cannot count problems", &n);

	*ret = (uint64_t)n;
	return rc < 0 ? rc : 0;
}

int check_db_bad_add(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, int64_t problem)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_BAD_ADD);

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, type);
	sqlite3_bind_int64(st, 3, problem);
	return check_db_done(db, st, "cannot record a damaged blob");
}

int check_db_bad_pack(struct check_db *db, const uint8_t pack[CAIRN_ID_BYTES], uint64_t end, int64_t problem)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_BAD_PACK);

	check_db_bind_id(st, 1, pack);
	sqlite3_bind_int64(st, 2, (int64_t)end);
	sqlite3_bind_int64(st, 3, problem);
	return check_db_done(db, st, "cannot record the blobs of a damaged pack");
}

int check_db_bad_get(struct check_db *db, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, int64_t *ret_problem)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_BAD_GET);
	int rc;

	check_db_bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, type);
	rc = query_i64(db, st, "cannot look a damaged blob up", ret_problem);
	return rc < 0 ? rc : rc == 1 ? 0 : CAIRN_ENOTFOUND;
}

int check_db_has_bad(struct check_db *db)
{
	int64_t one;

	return query_i64(db, check_db_stmt(db, CHK_BAD_ANY), "cannot look damaged blobs up", &one);
}

int check_db_affected(struct check_db *db, int64_t problem, const struct check_snap *snap, const char *path,
		      int directory, size_t keep)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_USE_COUNT);
	int64_t uses = 0;
	int rc;

	sqlite3_bind_int64(st, 1, problem);
	rc = check_db_done(db, st, "cannot count a use");
	if (rc == 0) {
		st = check_db_stmt(db, CHK_USES_GET);
		sqlite3_bind_int64(st, 1, problem);
		rc = query_i64(db, st, "cannot count a use", &uses);
	}
	if (rc < 0)
		return rc;
	st = check_db_stmt(db, CHK_PSNAP_ADD);
	sqlite3_bind_int64(st, 1, problem);
	sqlite3_bind_text(st, 2, snap->id, -1, SQLITE_STATIC);
	rc = check_db_done(db, st, "cannot record an affected snapshot");
	if (rc < 0 || uses > (int64_t)keep)
		return rc;
	st = check_db_stmt(db, CHK_AFFECTED_ADD);
	sqlite3_bind_int64(st, 1, problem);
	sqlite3_bind_text(st, 2, snap->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, snap->time_ns);
	sqlite3_bind_blob(st, 4, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_int(st, 5, directory);
	return check_db_done(db, st, "cannot record an affected path");
}

/* The kept uses of one problem, with their paths, as arrays owned by the caller. */
struct affected_list {
	struct cairn_check_affected *items;
	char **paths;
	size_t n;
};

static void affected_free(struct affected_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int affected_push(struct affected_list *l, sqlite3_stmt *st)
{
	const void *path = sqlite3_column_blob(st, 2);
	size_t len = (size_t)sqlite3_column_bytes(st, 2);
	const unsigned char *snap = sqlite3_column_text(st, 0);
	struct cairn_check_affected *a;
	void *p;
	char *copy;

	p = cairn_reallocarray(l->items, l->n + 1, sizeof(*l->items));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "check: out of memory");
	l->items = p;
	p = cairn_reallocarray(l->paths, l->n + 1, sizeof(*l->paths));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "check: out of memory");
	l->paths = p;
	copy = malloc(len + 1);
	if (copy == NULL)
		return cairn_err(CAIRN_ENOMEM, "check: out of memory");
	if (len > 0)
		memcpy(copy, path, len);
	copy[len] = '\0';
	a = &l->items[l->n];
	memset(a, 0, sizeof(*a));
	if (snap != NULL)
		memcpy(a->snapshot, snap, strnlen((const char *)snap, CAIRN_ID_HEX - 1));
	a->time_ns = sqlite3_column_int64(st, 1);
	a->path = copy;
	a->directory = sqlite3_column_int(st, 3);
	l->paths[l->n++] = copy;
	return 0;
}

static int affected_load(struct check_db *db, int64_t problem, struct affected_list *l)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_AFFECTED_EACH);
	int rc;

	sqlite3_bind_int64(st, 1, problem);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = affected_push(l, st);
		if (rc < 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = check_db_sqlerr(db, rc, "cannot list affected paths");
	sqlite3_reset(st);
	return rc;
}

/* Load problem number > after into *p (strings owned by the caller). 1, 0 at the end, <0. */
static int problem_next(struct check_db *db, int64_t after, int64_t *ret_no, struct cairn_check_problem *p,
			char **ret_object, char **ret_message)
{
	sqlite3_stmt *st = check_db_stmt(db, CHK_PROBLEM_EACH);
	int rc;

	sqlite3_bind_int64(st, 1, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(p, 0, sizeof(*p));
		*ret_no = sqlite3_column_int64(st, 0);
		*ret_object = cairn_strdup((const char *)sqlite3_column_text(st, 1));
		p->event.code = (enum cairn_event_code)sqlite3_column_int(st, 2);
		p->event.object.type = (enum cairn_event_object)sqlite3_column_int(st, 3);
		if (sqlite3_column_bytes(st, 4) == (int)sizeof(p->event.object.id))
			memcpy(p->event.object.id, sqlite3_column_blob(st, 4), sizeof(p->event.object.id));
		*ret_message = cairn_strdup((const char *)sqlite3_column_text(st, 5));
		p->uses = (uint64_t)sqlite3_column_int64(st, 6);
		p->snapshots = (uint64_t)sqlite3_column_int64(st, 7);
		rc = *ret_object != NULL && *ret_message != NULL ? 1 : cairn_err(CAIRN_ENOMEM, "check: out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = check_db_sqlerr(db, rc, "cannot list problems");
	}
	sqlite3_reset(st);
	return rc;
}

int check_db_problems_each(struct check_db *db, void (*cb)(void *ctx, const struct cairn_check_problem *p),
			   void *ctx)
{
	int64_t no = 0;
	int rc;

	do {
		struct cairn_check_problem p;
		struct affected_list l = { 0 };
		char *object = NULL, *message = NULL;

		rc = problem_next(db, no, &no, &p, &object, &message);
		if (rc == 1 && (rc = affected_load(db, no, &l)) == 0) {
			p.event.object_name = object;
			p.event.message = message;
			p.affected = l.items;
			p.naffected = l.n;
			if (cb != NULL)
				cb(ctx, &p);
			rc = 1;
		}
		affected_free(&l);
		free(object);
		free(message);
	} while (rc == 1);
	return rc;
}
