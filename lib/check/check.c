/* Checking a repository (cairn/check.h): the run, index objects and snapshot
 * objects. Packs are in check_packs.c and check_data.c, trees in
 * check_walk.c, the working set in check_db*.c. */
#include "check_internal.h"
#include "repo/id_list.h"
#include "repo/sync_fetch.h"

#include "cairn/err.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS_MAX 8

void check_progress(struct check_run *c, int force)
{
	int64_t now;

	if (c->o->on_progress == NULL)
		return;
	now = cairn_time_now_ns();
	if (!cairn_time_due(&c->last_progress_ns, now, CAIRN_PROGRESS_INTERVAL_NS, force))
		return;
	c->st.duration_ns = now - c->start_ns;
	c->o->on_progress(c->o->ctx, &c->st, c->phase);
}

static void set_phase(struct check_run *c, const char *phase)
{
	c->phase = phase;
	check_progress(c, 1);
}

int check_report(struct check_run *c, enum cairn_event_code code, enum cairn_event_object type, const uint8_t *id,
		 const char *name, int64_t *ret_no, const char *fmt, ...)
{
	char msg[1024];
	struct cairn_event ev = { .code = code, .object_name = name, .message = msg };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cairn_event_ref_set(&ev.object, type, id);
	return check_db_problem(c->db, &ev, ret_no);
}

/* check_report of a damaged index or snapshot object (kind) with the listed id `hex`. */
static int report_damaged(struct check_run *c, enum cairn_repo_obj kind, const char *hex, const char *msg)
{
	int snapshot = kind == CAIRN_REPO_OBJ_SNAPSHOT;
	enum cairn_event_code code = snapshot ? CAIRN_EVENT_DAMAGED_SNAPSHOT : CAIRN_EVENT_DAMAGED_INDEX;
	enum cairn_event_object type = snapshot ? CAIRN_EVENT_OBJECT_SNAPSHOT : CAIRN_EVENT_OBJECT_INDEX;
	uint8_t id[CAIRN_ID_BYTES];
	char name[CAIRN_REPO_NAME_MAX];

	/* listed ids are 64 hex digits (the listing skips other names) */
	if (cairn_repo_object_name(kind, hex, name) < 0 || cairn_hex_decode(hex, id, sizeof(id)) < 0)
		return check_report(c, code, CAIRN_EVENT_OBJECT_NONE, NULL, hex, NULL, "%s", msg);
	return check_report(c, code, type, id, name, NULL, "%s", msg);
}

static int list_ids(struct check_run *c, enum cairn_repo_obj kind, struct repo_id_list *l)
{
	int rc = repo_id_list_dir(c->r, kind, l);

	return rc < 0 ? cairn_err_ctx(rc, "cannot list '%s'", cairn_repo_object_prefix(kind)) : 0;
}

/* A fetched object that could not be used: damage is recorded, a vanished
 * object (deleted since the listing) skipped, anything else returned. */
static int fetch_failed(struct check_run *c, enum cairn_repo_obj kind, const struct sync_item *it)
{
	if (it->rc == CAIRN_ENOTFOUND)
		return 0;
	if (it->rc == CAIRN_ECORRUPT)
		return report_damaged(c, kind, it->id, it->err);
	return cairn_err(it->rc, "%s", it->err);
}

static int add_loc(void *ctx, const struct cairn_blob_loc *loc)
{
	struct check_run *c = ctx;

	c->st.index_entries++;
	return check_db_loc_add(c->db, loc, 1);
}

static int consume_index(void *ctx, struct sync_item *it)
{
	struct check_run *c = ctx;
	int rc;

	check_progress(c, 0);
	if (it->rc != CAIRN_ENOTFOUND)
		c->st.index_objects++;
	if (it->rc < 0)
		return fetch_failed(c, CAIRN_REPO_OBJ_INDEX, it);
	c->st.bytes_read += it->buf.len;
	rc = cairn_index_parse(cairn_repo_keys(c->r), it->buf.data, it->buf.len, add_loc, NULL, c);
	if (rc == CAIRN_ECORRUPT)
		return report_damaged(c, CAIRN_REPO_OBJ_INDEX, it->id, cairn_err_msg());
	return rc;
}

/* Every index object: fetched, verified against its name, parsed whole. */
static int check_index(struct check_run *c)
{
	struct repo_id_list l = { 0 };
	int rc = list_ids(c, CAIRN_REPO_OBJ_INDEX, &l);

	if (rc == 0)
		rc = sync_fetch_each(c->r, CAIRN_REPO_OBJ_INDEX, NULL, (const char (*)[CAIRN_ID_HEX])l.ids, l.count, consume_index, c);
	repo_id_list_free(&l);
	return rc;
}

static int consume_snapshot(void *ctx, struct sync_item *it)
{
	struct check_run *c = ctx;
	struct cairn_snapshot snap = { 0 };
	struct check_snap row = { 0 };
	int rc;

	check_progress(c, 0);
	if (it->rc < 0)
		return fetch_failed(c, CAIRN_REPO_OBJ_SNAPSHOT, it);
	/* the sealed box is 40 bytes longer than the document */
	c->st.bytes_read += it->buf.len + CAIRN_SEAL_OVERHEAD;
	rc = cairn_snapshot_from_json((const char *)it->buf.data, it->buf.len, it->id, &snap);
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_EFORMAT)
		return report_damaged(c, CAIRN_REPO_OBJ_SNAPSHOT, it->id, cairn_err_msg());
	if (rc < 0)
		return rc;
	memcpy(row.id, it->id, CAIRN_ID_HEX);
	row.time_ns = snap.time_ns;
	memcpy(row.tree, snap.tree, CAIRN_ID_BYTES);
	cairn_snapshot_clear(&snap);
	c->st.snapshots++;
	return check_db_snap_add(c->db, &row);
}

/* Every snapshot object: verified, opened and parsed. */
static int check_snapshots(struct check_run *c)
{
	struct repo_id_list l = { 0 };
	int rc = list_ids(c, CAIRN_REPO_OBJ_SNAPSHOT, &l);

	if (rc == 0)
		rc = sync_fetch_each(c->r, CAIRN_REPO_OBJ_SNAPSHOT, CAIRN_SNAPSHOT_AD, (const char (*)[CAIRN_ID_HEX])l.ids, l.count,
				     consume_snapshot, c);
	repo_id_list_free(&l);
	return rc;
}

static int default_threads(int asked)
{
	long n = asked > 0 ? asked : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > THREADS_MAX ? THREADS_MAX : (int)n;
}

static int check_opts(const struct cairn_check_opts *o)
{
	if (o == NULL)
		return cairn_err(CAIRN_EINVAL, "check: options are required");
	if (isnan(o->read_data_percent) || o->read_data_percent < 0 || o->read_data_percent > 100)
		return cairn_err(CAIRN_EINVAL, "check: the share of packs to read must be from 0 to 100, not %g",
				 o->read_data_percent);
	if (o->threads < 0)
		return cairn_err(CAIRN_EINVAL, "check: %d threads", o->threads);
	return 0;
}

static int run_phases(struct check_run *c)
{
	int rc;

	set_phase(c, "index");
	rc = check_index(c);
	if (rc == 0) {
		set_phase(c, "packs");
		rc = check_packs_list(c);
	}
	if (rc == 0 && c->o->read_data_percent > 0) {
		set_phase(c, "data");
		rc = check_packs_read(c);
	}
	if (rc == 0) {
		set_phase(c, "snapshots");
		rc = check_snapshots(c);
	}
	if (rc == 0) {
		set_phase(c, "trees");
		rc = check_walk(c);
	}
	return rc;
}

int cairn_check_run(struct cairn_repo *r, const struct cairn_check_opts *opts, struct cairn_check_stats *ret_stats)
{
	struct check_run c = { 0 };
	int rc;

	if (ret_stats != NULL)
		memset(ret_stats, 0, sizeof(*ret_stats));
	rc = check_opts(opts);
	if (rc < 0)
		return rc;
	c.r = r;
	c.o = opts;
	c.max_paths = opts->max_paths ? opts->max_paths : CAIRN_CHECK_MAX_PATHS_DEFAULT;
	c.threads = default_threads(opts->threads);
	c.window = opts->window ? opts->window : CAIRN_CHECK_WINDOW;
	c.start_ns = cairn_time_now_ns();
	c.phase = "index";
	if (opts->has_seed)
		c.st.seed = opts->seed;
	else
		cairn_random_bytes(&c.st.seed, sizeof(c.st.seed));
	if (!opts->has_seed)
		c.st.seed &= CAIRN_CHECK_SEED_RANDOM_MAX; /* exact in JSON and in every language */
	rc = check_db_open(&c.db);
	if (rc == 0)
		rc = run_phases(&c);
	if (rc == 0)
		rc = check_db_problem_count(c.db, &c.st.problems);
	if (rc == 0 && c.st.problems > 0) {
		rc = check_db_problems_each(c.db, opts->on_problem, opts->ctx);
		if (rc == 0)
			rc = cairn_err(CAIRN_ECORRUPT, "%llu problem%s found", (unsigned long long)c.st.problems,
				       c.st.problems == 1 ? "" : "s");
	}
	c.st.duration_ns = cairn_time_now_ns() - c.start_ns;
	check_db_close(c.db);
	if (ret_stats != NULL)
		*ret_stats = c.st;
	return rc;
}
