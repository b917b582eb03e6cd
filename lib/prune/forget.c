/* Forget: apply a retention policy to the snapshots (see prune.h). */
#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct collect {
	struct cairn_snapshot *snaps;
	size_t n, cap;
};

static int collect_row(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct collect *c = ctx;
	int rc;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->snaps, ncap * sizeof(*c->snaps));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "forget: out of memory");
		c->snaps = p;
		c->cap = ncap;
	}
	memset(&c->snaps[c->n], 0, sizeof(c->snaps[c->n]));
	rc = cairn_snapshot_from_json(row->json, strlen(row->json), row->id, &c->snaps[c->n]);
	if (rc < 0)
		return cairn_err_ctx(rc, "snapshot %.8s", row->id);
	c->n++;
	return 0;
}

/* Newest first within a group; groups in order. */
static int entry_cmp(const void *a, const void *b)
{
	const struct cairn_forget_entry *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->snap.time_ns != y->snap.time_ns)
		return x->snap.time_ns > y->snap.time_ns ? -1 : 1;
	return -strcmp(x->snap.id, y->snap.id);
}

int cairn_forget_plan(struct cairn_repo *r, const struct cairn_retention_policy *policy, int64_t grace_ns,
		      int64_t now_ns, struct cairn_forget_entry **ret, size_t *ret_count)
{
	struct collect c = { 0 };
	struct cairn_retention_result *res = NULL;
	struct cairn_forget_entry *e = NULL;
	int rc;

	*ret = NULL;
	*ret_count = 0;
	rc = cairn_catalog_snapshot_each(r->catalog, collect_row, &c);
	if (rc == 0)
		rc = cairn_retention_select(policy, c.snaps, c.n, CAIRN_RETENTION_GROUP_DEFAULT, &res, NULL);
	if (rc == 0 && c.n > 0) {
		e = calloc(c.n, sizeof(*e));
		if (e == NULL)
			rc = cairn_err(CAIRN_ENOMEM, "forget: out of memory");
	}
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		e[i].snap = c.snaps[i];
		memset(&c.snaps[i], 0, sizeof(c.snaps[i]));
		e[i].reasons = res[i].reasons;
		e[i].group = res[i].group;
		e[i].grace = grace_ns > 0 && now_ns - e[i].snap.time_ns < grace_ns;
		e[i].keep = e[i].reasons != 0 || e[i].grace;
	}
	if (rc == 0 && c.n > 1)
		qsort(e, c.n, sizeof(*e), entry_cmp);
	for (size_t i = 0; i < c.n; i++)
		cairn_snapshot_clear(&c.snaps[i]);
	free(c.snaps);
	free(res);
	if (rc < 0) {
		cairn_forget_plan_free(e, e != NULL ? c.n : 0);
		return rc;
	}
	*ret = e;
	*ret_count = c.n;
	return 0;
}

void cairn_forget_plan_free(struct cairn_forget_entry *entries, size_t count)
{
	for (size_t i = 0; entries != NULL && i < count; i++)
		cairn_snapshot_clear(&entries[i].snap);
	free(entries);
}

int cairn_forget_snapshot(struct cairn_repo *r, const char *id)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (r->config.version < 2)
		return cairn_err(CAIRN_EFORMAT,
				 "repository '%s' has format version 1, which promised that nothing is ever deleted; "
				 "forget needs a version 2 repository",
				 r->url);
	rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, id, name);
	if (rc < 0)
		return rc;
	rc = cairn_store_del(r->store, name);
	if (rc < 0 && rc != CAIRN_ENOTFOUND)
		return cairn_err_ctx(rc, "cannot delete '%s'", name);
	return cairn_catalog_snapshot_delete(r->catalog, id);
}
