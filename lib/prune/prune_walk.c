/* Prune: the set of blobs the snapshots reference, in the catalog.
 *
 * The walk has no recursion: a stack of tree ids on the heap (the subtrees
 * of the trees read and not yet taken), each tree read once (the used set
 * says which are known), so any depth costs memory linear in the entries
 * of the trees on the current path and time linear in the distinct trees'
 * entries; a tree shared by many directories is read once. */
#include "prune_internal.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/snapshot.h"
#include "cairn/tree.h"

#include <string.h>

/* Commit the used-set inserts in batches of this many. */
#define WALK_BATCH 20000

struct walk {
	struct prune_ctx *p;
	struct cairn_buf stack;   /* tree ids still to read, 32 bytes each */
	struct cairn_buf blob;
	uint64_t pending;         /* inserts in the open transaction */
	const char *snapshot;     /* hex id, for messages */
	uint64_t done, total;
};

static int batch_step(struct walk *w)
{
	struct cairn_catalog *cat = w->p->r->catalog;
	int rc;

	if (++w->pending < WALK_BATCH)
		return 0;
	w->pending = 0;
	rc = cairn_catalog_commit(cat);
	return rc < 0 ? rc : cairn_catalog_begin(cat);
}

static int add_used(struct walk *w, uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	int rc = cairn_catalog_used_add(w->p->r->catalog, type, id);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		int b = batch_step(w);

		if (b < 0)
			return b;
	}
	return rc;
}

/* Read one tree and queue what it references. */
static int visit_tree(struct walk *w, const uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_entry *entries = NULL;
	size_t count = 0;
	char hex[CAIRN_ID_HEX];
	int rc;

	cairn_buf_reset(&w->blob);
	rc = cairn_repo_blob_read(w->p->r, w->p->z, CAIRN_BLOB_TREE, id, &w->blob, NULL);
	if (rc == 0)
		rc = cairn_tree_decode(w->blob.data, w->blob.len, &entries, &count);
	if (rc < 0) {
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		return cairn_err(rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc,
				 "snapshot %.8s: tree %.16s cannot be read (%s); prune stopped before deleting anything",
				 w->snapshot, hex, cairn_err_msg());
	}
	w->p->st->trees++;
	for (size_t i = 0; rc >= 0 && i < count; i++) {
		const struct cairn_entry *e = &entries[i];

		if (e->type == CAIRN_ENTRY_DIR) {
			if (cairn_buf_append(&w->stack, e->subtree, CAIRN_ID_BYTES) < 0)
				rc = cairn_err(CAIRN_ENOMEM, "prune: out of memory");
			continue;
		}
		for (size_t k = 0; rc >= 0 && k < e->content_count; k++)
			rc = add_used(w, CAIRN_BLOB_DATA, e->content + k * CAIRN_ID_BYTES);
	}
	cairn_entries_free(entries, count);
	return rc < 0 ? rc : 0;
}

static int walk_root(struct walk *w, const uint8_t root[CAIRN_ID_BYTES])
{
	int rc = 0;

	cairn_buf_reset(&w->stack);
	if (cairn_buf_append(&w->stack, root, CAIRN_ID_BYTES) < 0)
		return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
	while (rc >= 0 && w->stack.len > 0) {
		uint8_t id[CAIRN_ID_BYTES];

		w->stack.len -= CAIRN_ID_BYTES;
		memcpy(id, w->stack.data + w->stack.len, CAIRN_ID_BYTES);
		rc = add_used(w, CAIRN_BLOB_TREE, id);
		if (rc == 1) /* new: read it */
			rc = visit_tree(w, id);
	}
	return rc < 0 ? rc : 0;
}

static int walk_snapshot(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct walk *w = ctx;
	struct cairn_snapshot snap = { 0 };
	uint8_t root[CAIRN_ID_BYTES];
	int rc;

	w->snapshot = row->id;
	rc = cairn_snapshot_from_json(row->json, strlen(row->json), row->id, &snap);
	if (rc == 0)
		memcpy(root, snap.tree, CAIRN_ID_BYTES);
	cairn_snapshot_clear(&snap);
	if (rc < 0)
		return cairn_err_ctx(rc, "prune stopped before deleting anything");
	rc = walk_root(w, root);
	w->p->st->snapshots++;
	prune_progress(w->p, "walk", ++w->done, w->total);
	return rc;
}

static int count_snapshot(void *ctx, const struct cairn_catalog_snapshot *row)
{
	(void)row;
	(*(uint64_t *)ctx)++;
	return 0;
}

int prune_walk_snapshots(struct prune_ctx *p)
{
	struct cairn_catalog *cat = p->r->catalog;
	struct walk w = { .p = p };
	int rc;

	p->st->snapshots = 0;
	rc = cairn_catalog_snapshot_each(cat, count_snapshot, &w.total);
	if (rc == 0)
		rc = cairn_catalog_begin(cat);
	if (rc < 0)
		return rc;
	rc = cairn_catalog_snapshot_each(cat, walk_snapshot, &w);
	if (rc == 0)
		rc = cairn_catalog_commit(cat);
	else
		cairn_catalog_rollback(cat);
	if (rc == 0)
		rc = cairn_catalog_used_count(cat, &p->st->blobs_used);
	cairn_buf_free(&w.stack);
	cairn_buf_free(&w.blob);
	return rc;
}
