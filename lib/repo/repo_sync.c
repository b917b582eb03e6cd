/* Keeping the catalog in step with the repository: index objects and
 * snapshots that appeared, snapshots and index objects that went away. */
#include "id_list.h"
#include "repo_internal.h"
#include "sync_fetch.h"

#include "cairn/err.h"
#include "cairn/event.h"
#include "cairn/pack.h"
#include "cairn/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Report the damaged object `dir`/`id` (its detail in cairn_err_msg()). */
static void warn_damaged(void (*on_event)(void *, const struct cairn_event *), void *ctx, enum cairn_repo_obj kind,
			 const char *id)
{
	int snapshot = kind == CAIRN_REPO_OBJ_SNAPSHOT;
	struct cairn_event ev = { .code = snapshot ? CAIRN_EVENT_DAMAGED_SNAPSHOT : CAIRN_EVENT_DAMAGED_INDEX,
				  .message = cairn_err_msg() };
	uint8_t bin[CAIRN_ID_BYTES];
	char name[CAIRN_REPO_NAME_MAX];

	if (on_event == NULL)
		return;
	/* a listed id is 64 hex digits; anything else names no object */
	if (cairn_repo_object_name(kind, id, name) == 0 && cairn_hex_decode(id, bin, sizeof(bin)) == 0) {
		cairn_event_ref_set(&ev.object, snapshot ? CAIRN_EVENT_OBJECT_SNAPSHOT : CAIRN_EVENT_OBJECT_INDEX, bin);
		ev.object_name = name;
	}
	on_event(ctx, &ev);
}

struct index_load {
	struct cairn_repo *r;
	void (*on_event)(void *ctx, const struct cairn_event *ev);
	void *ctx;
	int damaged;
};

/* Load one fetched index object into the catalog, in one transaction. */
static int load_index(void *vctx, struct sync_item *it)
{
	struct index_load *l = vctx;
	struct cairn_repo *r = l->r;
	char name[CAIRN_REPO_NAME_MAX];
	int rc = it->rc;

	(void)cairn_repo_object_name(CAIRN_REPO_OBJ_INDEX, it->id, name); /* a listed, valid id */
	if (rc == 0) {
		rc = cairn_catalog_begin(r->catalog);
		if (rc < 0)
			return rc;
		rc = cairn_repo_index_load(r, name, it->buf.data, it->buf.len);
		if (rc < 0) {
			cairn_catalog_rollback(r->catalog);
			rc = cairn_err_ctx(rc, "index object '%s'", name);
		} else {
			rc = cairn_catalog_commit(r->catalog);
		}
	} else {
		rc = cairn_err(rc, "%s", it->err);
	}
	if (rc == CAIRN_ECORRUPT) {
		warn_damaged(l->on_event, l->ctx, CAIRN_REPO_OBJ_INDEX, it->id);
		l->damaged++;
		return 0;
	}
	return rc;
}

struct seen_check {
	const struct repo_id_list *present;
	int missing;
};

static int check_seen(void *ctx, const char *name)
{
	struct seen_check *c = ctx;
	char id[CAIRN_ID_HEX];

	if (cairn_repo_object_parse(name, CAIRN_REPO_OBJ_INDEX, id) && !repo_id_list_has(c->present, id))
		c->missing++;
	return 0;
}

int cairn_repo_sync_index(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev),
			  void *ctx)
{
	struct repo_id_list present = { 0 };
	struct seen_check check = { &present, 0 };
	struct index_load load = { r, on_event, ctx, 0 };
	size_t todo = 0;
	int rc;

	rc = repo_id_list_dir(r, CAIRN_REPO_OBJ_INDEX, &present);
	if (rc < 0)
		goto out;
	rc = cairn_catalog_index_each(r->catalog, check_seen, &check);
	if (rc < 0)
		goto out;
	/* Index objects went away (a prune superseded them): the blob rows
	 * they gave may name deleted packs, and a blob of a deleted pack may
	 * live on in another pack that an older index object lists. Reload the
	 * blob index from what is there; the snapshots, the files cache and the
	 * replication state stay, so the next backup still skips unchanged
	 * files. */
	if (check.missing > 0) {
		rc = cairn_catalog_index_clear(r->catalog);
		if (rc < 0)
			goto out;
	}
	/* the ones not loaded yet, kept in place at the front of the list */
	for (size_t i = 0; i < present.count; i++) {
		char name[CAIRN_REPO_NAME_MAX];

		(void)cairn_repo_object_name(CAIRN_REPO_OBJ_INDEX, present.ids[i], name); /* listed, valid */
		rc = cairn_catalog_index_seen(r->catalog, name);
		if (rc < 0)
			goto out;
		if (rc == 0)
			memmove(present.ids[todo++], present.ids[i], CAIRN_ID_HEX);
	}
	rc = sync_fetch_each(r, CAIRN_REPO_OBJ_INDEX, NULL, (const char (*)[CAIRN_ID_HEX])present.ids, todo, load_index, &load);
	if (rc == 0 && load.damaged)
		rc = cairn_err(CAIRN_ECORRUPT, "%d damaged index object%s skipped", load.damaged,
			       load.damaged == 1 ? "" : "s");
out:
	repo_id_list_free(&present);
	return rc;
}

struct snap_gone {
	const struct repo_id_list *present;
	struct repo_id_list gone;
};

static int find_gone(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct snap_gone *g = ctx;

	if (repo_id_list_has(g->present, row->id))
		return 0;
	return repo_id_list_add(&g->gone, row->id);
}

/* Record one fetched snapshot object in the catalog. */
static int load_snapshot(void *vctx, struct sync_item *it)
{
	struct index_load *l = vctx;
	struct cairn_snapshot snap = { 0 };
	char *json;
	int rc = it->rc;

	if (rc == 0)
		rc = cairn_snapshot_from_json((const char *)it->buf.data, it->buf.len, it->id, &snap);
	else
		rc = cairn_err(rc, "%s", it->err);
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_EFORMAT) {
		warn_damaged(l->on_event, l->ctx, CAIRN_REPO_OBJ_SNAPSHOT, it->id);
		l->damaged++;
		return 0;
	}
	if (rc < 0)
		return rc;
	json = malloc(it->buf.len + 1);
	if (json == NULL) {
		cairn_snapshot_clear(&snap);
		return cairn_err(CAIRN_ENOMEM, "cannot load snapshot");
	}
	memcpy(json, it->buf.data, it->buf.len);
	json[it->buf.len] = '\0';
	rc = cairn_catalog_snapshot_put(l->r->catalog, it->id, snap.time_ns, json);
	free(json);
	cairn_snapshot_clear(&snap);
	return rc;
}

int cairn_repo_sync_snapshots(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev),
			  void *ctx)
{
	struct repo_id_list present = { 0 }, fresh = { 0 };
	struct snap_gone gone = { &present, { 0 } };
	struct index_load load = { r, on_event, ctx, 0 };
	int rc;

	rc = repo_id_list_dir(r, CAIRN_REPO_OBJ_SNAPSHOT, &present);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < present.count; i++) {
		rc = cairn_catalog_snapshot_known(r->catalog, present.ids[i]);
		if (rc == 0)
			rc = repo_id_list_add(&fresh, present.ids[i]);
		else if (rc > 0)
			rc = 0;
		if (rc < 0)
			goto out;
	}
	rc = sync_fetch_each(r, CAIRN_REPO_OBJ_SNAPSHOT, CAIRN_SNAPSHOT_AD, (const char (*)[CAIRN_ID_HEX])fresh.ids, fresh.count,
			     load_snapshot, &load);
	if (rc < 0)
		goto out;
	/* forget snapshots removed from the repository */
	rc = cairn_catalog_snapshot_each(r->catalog, find_gone, &gone);
	for (size_t i = 0; rc == 0 && i < gone.gone.count; i++)
		rc = cairn_catalog_snapshot_delete(r->catalog, gone.gone.ids[i]);
	if (rc == 0 && load.damaged)
		rc = cairn_err(CAIRN_ECORRUPT, "%d damaged snapshot object%s skipped", load.damaged,
			       load.damaged == 1 ? "" : "s");
out:
	repo_id_list_free(&gone.gone);
	repo_id_list_free(&fresh);
	repo_id_list_free(&present);
	return rc;
}

int cairn_repo_sync(struct cairn_repo *r, void (*on_event)(void *ctx, const struct cairn_event *ev),
			  void *ctx)
{
	int rc_index, rc_snap;

	rc_index = cairn_repo_sync_index(r, on_event, ctx);
	if (rc_index < 0 && rc_index != CAIRN_ECORRUPT)
		return rc_index;
	rc_snap = cairn_repo_sync_snapshots(r, on_event, ctx);
	if (rc_snap < 0)
		return rc_snap;
	return rc_index;
}
