/* Prune, phase 2: delete the packs marked longer ago than the grace
 * period, after rewriting the index objects that list them (prune.h,
 * FORMAT.md 13.5). Runs under the exclusive lock. */
#include "prune_internal.h"

#include "cairn/buf.h"
#include "cairn/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Start a new index object once this many pack groups are in the builder. */
#define SWEEP_INDEX_PACKS 256

struct doomed {
	uint8_t id[CAIRN_ID_BYTES];
	uint64_t bytes;
};

struct sweep {
	struct prune_ctx *p;
	struct doomed *packs;     /* sorted by id */
	size_t npacks, cap;
	char **index;             /* affected index object names, sorted, unique */
	size_t nindex, index_cap;
	struct cairn_index_builder *builder;
	struct cairn_blob_loc *group; /* locations of the pack group being read */
	size_t ngroup, group_cap;
};

static int doomed_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CAIRN_ID_BYTES);
}

static struct doomed *doomed_find(struct sweep *s, const uint8_t id[CAIRN_ID_BYTES])
{
	return bsearch(id, s->packs, s->npacks, sizeof(*s->packs), doomed_cmp);
}

/* Collect the marks past the grace period (mark_each is in id order). */
static int collect_due(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns)
{
	struct sweep *s = ctx;

	if (marked_ns > s->p->now_ns - s->p->grace_ns)
		return 0;
	if (s->npacks == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		void *n = realloc(s->packs, ncap * sizeof(*s->packs));

		if (n == NULL)
			return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
		s->packs = n;
		s->cap = ncap;
	}
	memcpy(s->packs[s->npacks].id, pack, CAIRN_ID_BYTES);
	s->packs[s->npacks++].bytes = 0;
	return 0;
}

/* A replica keeps packs the primary still has: replication would copy them back. */
static int drop_packs_on_primary(struct sweep *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->npacks; i++) {
		char name[CAIRN_PACK_NAME_MAX];
		uint64_t size;
		int rc;

		cairn_repo_pack_name(s->packs[i].id, name);
		rc = cairn_store_stat(s->p->o->primary, name, &size);
		if (rc == 0) {
			s->p->st->packs_on_primary++;
			continue;
		}
		if (rc != CAIRN_ENOTFOUND)
			return cairn_err_ctx(rc, "cannot look up '%s' on the primary", name);
		s->packs[kept++] = s->packs[i];
	}
	s->npacks = kept;
	return 0;
}

static int add_index(void *ctx, const char *name)
{
	struct sweep *s = ctx;
	size_t lo = 0, hi = s->nindex;

	while (lo < hi) { /* insertion into the sorted set */
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->index[mid], name);

		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->nindex == s->index_cap) {
		size_t ncap = s->index_cap ? s->index_cap * 2 : 16;
		void *n = realloc(s->index, ncap * sizeof(*s->index));

		if (n == NULL)
			return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
		s->index = n;
		s->index_cap = ncap;
	}
	memmove(s->index + lo + 1, s->index + lo, (s->nindex - lo) * sizeof(*s->index));
	s->index[lo] = strdup(name);
	if (s->index[lo] == NULL) {
		memmove(s->index + lo, s->index + lo + 1, (s->nindex - lo) * sizeof(*s->index));
		return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
	}
	s->nindex++;
	return 0;
}

/* Store the builder's groups as a new index object and record it. */
static int write_index(struct sweep *s)
{
	uint64_t bytes = 0;
	int rc = cairn_repo_index_write(s->p->r, s->builder, NULL, 0, &bytes);

	if (rc == 0 && bytes > 0)
		s->p->st->index_written++;
	return rc;
}

/* The group read so far belongs to one pack: keep it unless doomed. */
static int flush_group(struct sweep *s)
{
	struct doomed *d;
	int rc = 0;

	if (s->ngroup == 0)
		return 0;
	d = doomed_find(s, s->group[0].pack);
	if (d != NULL) {
		uint64_t bytes = 0;

		for (size_t i = 0; i < s->ngroup; i++)
			bytes += s->group[i].length;
		if (bytes > d->bytes)
			d->bytes = bytes;
	} else {
		rc = cairn_index_builder_add_pack(s->builder, s->group, s->ngroup);
		if (rc == 0 && cairn_index_builder_packs(s->builder) >= SWEEP_INDEX_PACKS)
			rc = write_index(s);
	}
	s->ngroup = 0;
	return rc;
}

static int on_loc(void *ctx, const struct cairn_blob_loc *loc)
{
	struct sweep *s = ctx;
	int rc;

	if (s->ngroup > 0 && memcmp(s->group[0].pack, loc->pack, CAIRN_ID_BYTES) != 0) {
		rc = flush_group(s);
		if (rc < 0)
			return rc;
	}
	if (s->ngroup == s->group_cap) {
		size_t ncap = s->group_cap ? s->group_cap * 2 : 256;
		void *n = realloc(s->group, ncap * sizeof(*s->group));

		if (n == NULL)
			return cairn_err(CAIRN_ENOMEM, "prune: out of memory");
		s->group = n;
		s->group_cap = ncap;
	}
	s->group[s->ngroup++] = *loc;
	return 0;
}

/* Copy the groups of every affected index object that survive into new
 * index objects, superseding the old ones. */
static int rewrite_index(struct sweep *s)
{
	struct cairn_repo *r = s->p->r;
	struct cairn_buf obj = { 0 };
	int rc = cairn_index_builder_new(&s->builder);

	for (size_t i = 0; rc == 0 && i < s->nindex; i++) {
		char id[CAIRN_ID_HEX];
		uint8_t old[CAIRN_ID_BYTES];

		cairn_buf_reset(&obj);
		if (!cairn_repo_object_parse(s->index[i], CAIRN_REPO_OBJ_INDEX, id))
			rc = cairn_err(CAIRN_ECORRUPT, "the catalog lists '%s' as an index object", s->index[i]);
		else
			rc = cairn_repo_get_verified(r, CAIRN_REPO_OBJ_INDEX, id, &obj);
		if (rc == 0)
			rc = cairn_index_parse(r->keys, obj.data, obj.len, on_loc, NULL, s);
		if (rc == 0)
			rc = flush_group(s);
		if (rc == 0 && cairn_hex_decode(id, old, sizeof(old)) == 0)
			rc = cairn_index_builder_supersede(s->builder, old);
		if (rc < 0)
			rc = cairn_err_ctx(rc, "cannot rewrite index object '%s'; nothing was deleted", s->index[i]);
	}
	if (rc == 0)
		rc = write_index(s);
	cairn_buf_free(&obj);
	return rc;
}

/* Commit the catalog transaction of a batch that went well (rc 0), else roll
 * it back and return rc. */
static int end_batch(struct cairn_repo *r, int rc)
{
	if (rc == 0)
		return cairn_catalog_commit(r->catalog);
	(void)cairn_catalog_rollback(r->catalog);
	return rc;
}

/* Old index objects first (the new ones list what survives), then packs, in
 * batches of CAIRN_STORE_DEL_MANY_MAX: one request a batch on a store that
 * deletes in batches (S3), one a object elsewhere. A batch leaves the catalog
 * before its objects leave the store: an interrupted or failed batch leaves
 * objects that nothing records (orphan recovery, armed by the sweep marker,
 * finds them), never catalog rows that point at deleted data. */
static int delete_all(struct sweep *s)
{
	struct cairn_repo *r = s->p->r;
	const char *batch[CAIRN_STORE_DEL_MANY_MAX];
	char (*names)[CAIRN_PACK_NAME_MAX] = NULL;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < s->nindex; i += CAIRN_STORE_DEL_MANY_MAX) {
		size_t n = s->nindex - i < CAIRN_STORE_DEL_MANY_MAX ? s->nindex - i : CAIRN_STORE_DEL_MANY_MAX;

		rc = cairn_catalog_begin(r->catalog);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			batch[k] = s->index[i + k];
			rc = cairn_catalog_index_drop(r->catalog, s->index[i + k]);
		}
		rc = end_batch(r, rc);
		if (rc == 0)
			rc = cairn_store_del_many(r->store, batch, n);
		if (rc == 0)
			s->p->st->index_deleted += n;
	}
	if (rc == 0 && s->npacks > 0) {
		names = cairn_reallocarray(NULL, s->npacks < CAIRN_STORE_DEL_MANY_MAX ? s->npacks : CAIRN_STORE_DEL_MANY_MAX,
					   sizeof(*names));
		if (names == NULL)
			rc = cairn_err(CAIRN_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < s->npacks; i += CAIRN_STORE_DEL_MANY_MAX) {
		size_t n = s->npacks - i < CAIRN_STORE_DEL_MANY_MAX ? s->npacks - i : CAIRN_STORE_DEL_MANY_MAX;

		rc = cairn_catalog_begin(r->catalog);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			cairn_repo_pack_name(s->packs[i + k].id, names[k]);
			batch[k] = names[k];
			rc = cairn_catalog_pack_drop(r->catalog, s->packs[i + k].id);
		}
		rc = end_batch(r, rc);
		if (rc == 0)
			rc = cairn_store_del_many(r->store, batch, n);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			s->p->st->packs_deleted++;
			s->p->st->bytes_deleted += s->packs[i + k].bytes;
		}
		prune_progress(s->p, "sweep", i + n, s->npacks);
	}
	free(names);
	return rc;
}

int prune_sweep(struct prune_ctx *p)
{
	struct sweep s = { .p = p };
	int rc;

	rc = cairn_catalog_mark_each(p->r->catalog, collect_due, &s);
	if (rc == 0 && p->o->primary != NULL)
		rc = drop_packs_on_primary(&s);
	for (size_t i = 0; rc == 0 && i < s.npacks; i++)
		rc = cairn_catalog_pack_indexes(p->r->catalog, s.packs[i].id, add_index, &s);
	if (rc == 0 && s.npacks > 0)
		rc = rewrite_index(&s);
	if (rc == 0)
		rc = delete_all(&s);
	cairn_index_builder_free(s.builder);
	for (size_t i = 0; i < s.nindex; i++)
		free(s.index[i]);
	free(s.index);
	free(s.packs);
	free(s.group);
	return rc;
}
