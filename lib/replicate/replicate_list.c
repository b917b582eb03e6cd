/* What a replica lacks: the site's recorded objects against the primary's listing and catalog. */
#include "replicate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"

int replicate_list_add(struct rep_list *l, const char *name, uint64_t size)
{
	struct rep_object *o;

	if (strlen(name) >= sizeof(l->items[0].name))
		return cairn_err(CAIRN_EINVAL, "object name '%.100s' is too long to replicate", name);
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = cairn_reallocarray(l->items, cap, sizeof(*l->items));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot list the objects to replicate");
		l->items = p;
		l->cap = cap;
	}
	o = &l->items[l->count++];
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->size = size;
	return 0;
}

void replicate_list_free(struct rep_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

/* Names that belong to a repository (not locks/, not foreign files). */
static int repository_object(const char *name)
{
	static const enum cairn_repo_obj kinds[] = { CAIRN_REPO_OBJ_KEY, CAIRN_REPO_OBJ_PACK, CAIRN_REPO_OBJ_INDEX,
						     CAIRN_REPO_OBJ_SNAPSHOT };

	if (strcmp(name, CAIRN_REPO_CONFIG_NAME) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *prefix = cairn_repo_object_prefix(kinds[i]);

		if (strncmp(name, prefix, strlen(prefix)) == 0)
			return 1;
	}
	return 0;
}

static int record_site_object(void *ctx, const char *name, uint64_t size)
{
	struct rep_ctx *c = ctx;

	if (!repository_object(name))
		return 0;
	return cairn_catalog_site_put(c->src->catalog, c->site, name, size);
}

int replicate_list_site(struct rep_ctx *c)
{
	int rc;

	replicate_progress(c, "listing the replica", 1);
	rc = cairn_catalog_begin(c->src->catalog);
	if (rc < 0)
		return rc;
	rc = cairn_catalog_site_clear(c->src->catalog, c->site);
	if (rc == 0)
		rc = cairn_store_list(c->dst, "", record_site_object, c);
	if (rc < 0) {
		cairn_catalog_rollback(c->src->catalog);
		return cairn_err_ctx(rc, "cannot list site '%s'", c->site);
	}
	return cairn_catalog_commit(c->src->catalog);
}

struct pending_ctx {
	struct rep_ctx *c;
	struct rep_list *out;
};

static int add_if_missing(struct pending_ctx *p, const char *name, uint64_t size)
{
	int rc = cairn_catalog_site_has(p->c->src->catalog, p->c->site, name);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = replicate_list_add(p->out, name, size);
	if (rc == 0) {
		p->c->stats.objects_pending++;
		p->c->stats.bytes_pending += size;
	}
	return rc;
}

static int pending_snapshot(void *ctx, const struct cairn_catalog_snapshot *row)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, row->id, name);

	return rc < 0 ? rc : add_if_missing(ctx, name, 0);
}

int replicate_pending_snapshots(struct rep_ctx *c, struct rep_list *out)
{
	struct pending_ctx p = { c, out };

	return cairn_catalog_snapshot_each(c->src->catalog, pending_snapshot, &p);
}

static int pending_object(void *ctx, const char *name, uint64_t size)
{
	return add_if_missing(ctx, name, size);
}

int replicate_pending_objects(struct rep_ctx *c, enum cairn_repo_obj kind, struct rep_list *out)
{
	struct pending_ctx p = { c, out };
	const char *prefix = cairn_repo_object_prefix(kind);
	int rc = cairn_store_list(c->src->store, prefix, pending_object, &p);

	return rc < 0 ? cairn_err_ctx(rc, "cannot list '%s' on the primary", prefix) : 0;
}
