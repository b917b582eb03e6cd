/* What the catalog knows of a replica site: newest complete snapshot, last runs, what is pending. */
#include "replicate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"

struct count_ctx {
	struct cairn_repo *r;
	const char *site;
	uint64_t pending;
};

static int count_pending(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct count_ctx *c = ctx;
	char name[CAIRN_REPO_NAME_MAX];
	int rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, row->id, name);

	if (rc == 0)
		rc = cairn_catalog_site_has(c->r->catalog, c->site, name);
	if (rc == 0)
		c->pending++;
	return rc < 0 ? rc : 0;
}

int cairn_replicate_site_status(struct cairn_repo *src, const char *site, struct cairn_site_status *ret)
{
	struct count_ctx cc = { src, site, 0 };
	char key[REP_SITE_KEY_MAX], *err = NULL;
	int rc;

	if (src == NULL || site == NULL || site[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "site status: a repository and a site name are required");
	memset(ret, 0, sizeof(*ret));
	rc = cairn_catalog_site_newest(src->catalog, site, ret->newest_id, &ret->newest_time_ns);
	if (rc == CAIRN_ENOTFOUND) {
		ret->newest_id[0] = '\0';
		ret->newest_time_ns = 0;
	} else if (rc < 0) {
		return rc;
	}
	ret->last_attempt_ns = replicate_meta_i64(src, site, "last_attempt_ns");
	ret->last_success_ns = replicate_meta_i64(src, site, "last_success_ns");
	ret->last_full_ns = replicate_meta_i64(src, site, "last_full_ns");
	replicate_site_key(site, "last_error", key);
	if (cairn_catalog_meta_get(src->catalog, key, &err) == 0 && err != NULL)
		snprintf(ret->last_error, sizeof(ret->last_error), "%s", err);
	free(err);
	rc = cairn_catalog_site_count(src->catalog, site, &ret->objects_on_site, &ret->bytes_on_site);
	if (rc < 0)
		return rc;
	rc = cairn_catalog_snapshot_each(src->catalog, count_pending, &cc);
	if (rc < 0)
		return rc;
	ret->snapshots_pending = cc.pending;
	{
		uint64_t packs = 0, bytes = 0, index = 0;

		rc = cairn_catalog_site_lag(src->catalog, site, &packs, &bytes, &index);
		if (rc < 0)
			return rc;
		ret->objects_pending = packs + index + cc.pending;
		ret->bytes_pending = bytes;
	}
	return 0;
}
