/* S3 driver: listing with ListObjectsV2, page by page, names relative to the store's prefix. */
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"
#include "store/store_s3_int.h"

#define LIST_PAGE_MAX (16u << 20) /* largest list page accepted */

struct listed {
	char *name;
	uint64_t size;
};

struct page {
	const char *key_prefix;
	size_t plen;
	struct listed *items;
	size_t n, cap;
};

static int page_add(void *ctx, const char *key, uint64_t size)
{
	struct page *pg = ctx;
	const char *rel;

	if (strncmp(key, pg->key_prefix, pg->plen) != 0)
		return 0;
	rel = key + pg->plen;
	if (!cairn_store_name_valid(rel, NULL))
		return 0; /* not an object of this store (hidden, temporary, foreign) */
	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? 2 * pg->cap : 256;
		struct listed *items = cairn_reallocarray(pg->items, cap, sizeof(*items));

		if (items == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot list S3 keys: out of memory");
		pg->items = items;
		pg->cap = cap;
	}
	pg->items[pg->n].name = cairn_strdup(rel);
	if (pg->items[pg->n].name == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot list S3 keys: out of memory");
	pg->items[pg->n++].size = size;
	return 0;
}

static void page_clear(struct page *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		free(pg->items[i].name);
	pg->n = 0;
}

/* One ListObjectsV2 page into pg; *token is replaced by the next one (NULL at the end). */
static int list_page(struct s3_store *s, const char *full, const char *prefix, struct page *pg, char **token)
{
	struct cairn_sigv4_kv q[4] = { { "list-type", "2" }, { "max-keys", s->max_keys }, { "prefix", full },
				       { "continuation-token", *token } };
	struct cairn_buf body = { 0 };
	struct s3_req r = { .method = "GET", .query = q, .n_query = *token != NULL ? 4 : 3, .sink = &body,
			    .max_body = LIST_PAGE_MAX };
	char *next = NULL;
	int rc, truncated = 0;

	rc = cairn_s3_request(s, &r);
	if (rc == 0)
		rc = cairn_s3_xml_list(body.data, body.len, page_add, pg, &truncated, &next);
	if (rc == 0 && truncated && (next == NULL || next[0] == '\0' || (*token != NULL && strcmp(next, *token) == 0)))
		rc = cairn_err(CAIRN_ETRANSIENT, "S3 list page is truncated but gives no new continuation token");
	if (rc != 0 && rc != CAIRN_ENOMEM)
		rc = cairn_err_ctx(rc, "cannot list '%s' in '%s'", prefix, s->desc);
	cairn_http_response_free(&r.resp);
	cairn_buf_free(&body);
	free(*token);
	*token = NULL;
	if (rc == 0 && truncated) {
		*token = next;
		next = NULL;
	}
	free(next);
	return rc;
}

int cairn_s3_list(struct cairn_store *st, const char *prefix,
		   int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct s3_store *s = st->impl;
	struct page pg = { .key_prefix = s->key_prefix, .plen = strlen(s->key_prefix) };
	char *full, *token = NULL;
	int rc;

	rc = cairn_store_prefix_check(s->desc, prefix);
	if (rc != 0)
		return rc;
	full = cairn_asprintf("%s%s", s->key_prefix, prefix);
	if (full == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot list '%s' in '%s': out of memory", prefix, s->desc);
	do {
		rc = list_page(s, full, prefix, &pg, &token);
		/* the callback runs between pages, with nothing held */
		for (size_t i = 0; rc == 0 && i < pg.n; i++)
			rc = cb(ctx, pg.items[i].name, pg.items[i].size);
		page_clear(&pg);
	} while (rc == 0 && token != NULL);
	free(token);
	free(pg.items);
	free(full);
	return rc;
}
