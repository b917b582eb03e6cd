/* Parallel fetches of index and snapshot objects for the catalog sync (see sync_fetch.h). */
#include "sync_fetch.h"

#include "repo_internal.h"
#include "workpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"

struct fetch_ctx {
	struct cairn_repo *r;
	enum cairn_repo_obj kind;
	const char *ad;
};

static void fetch_one(void *job, int worker, void *vctx)
{
	struct fetch_ctx *c = vctx;
	struct sync_item *it = job;

	(void)worker;
	if (c->ad != NULL)
		it->rc = cairn_repo_get_sealed(c->r, c->kind, it->id, c->ad, &it->buf);
	else
		it->rc = cairn_repo_get_verified(c->r, c->kind, it->id, &it->buf);
	if (it->rc < 0)
		snprintf(it->err, sizeof(it->err), "%s", cairn_err_msg());
}

int sync_fetch_each(struct cairn_repo *r, enum cairn_repo_obj kind, const char *ad, const char (*ids)[CAIRN_ID_HEX],
		    size_t n, int (*consume)(void *ctx, struct sync_item *item), void *ctx)
{
	struct fetch_ctx fc = { r, kind, ad };
	struct cairn_workpool *pool = NULL;
	struct sync_item *items;
	int rc = 0;

	if (n == 0)
		return 0;
	items = calloc(CAIRN_SYNC_BATCH, sizeof(*items));
	if (items == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot read '%s': out of memory", cairn_repo_object_prefix(kind));
	/* one object: no threads */
	if (n > 1) {
		int threads = n < CAIRN_SYNC_FETCHERS ? (int)n : CAIRN_SYNC_FETCHERS;

		rc = cairn_workpool_new(threads, CAIRN_SYNC_BATCH, fetch_one, &fc, &pool);
		if (rc < 0)
			goto out;
	}
	for (size_t start = 0; rc == 0 && start < n; start += CAIRN_SYNC_BATCH) {
		size_t count = n - start < CAIRN_SYNC_BATCH ? n - start : CAIRN_SYNC_BATCH;

		for (size_t i = 0; i < count; i++) {
			memcpy(items[i].id, ids[start + i], CAIRN_ID_HEX);
			items[i].rc = 0;
			items[i].err[0] = '\0';
			if (pool != NULL)
				cairn_workpool_submit(pool, &items[i]);
			else
				fetch_one(&items[i], 0, &fc);
		}
		if (pool != NULL)
			cairn_workpool_drain(pool);
		/* each object's memory goes as soon as it is consumed: at most
		 * one batch of objects is held (index objects of older writers
		 * reach 7 MB each; bench/results/issue13-scale) */
		for (size_t i = 0; i < count; i++) {
			if (rc == 0)
				rc = consume(ctx, &items[i]);
			cairn_buf_free(&items[i].buf);
		}
	}
out:
	cairn_workpool_free(pool);
	for (size_t i = 0; i < CAIRN_SYNC_BATCH; i++)
		cairn_buf_free(&items[i].buf);
	free(items);
	return rc;
}
