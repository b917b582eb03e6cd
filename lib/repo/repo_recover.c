/* Indexing orphan packs: packs stored by a run that died before writing the
 * index object that lists them. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/pack.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct orphan_scan {
	struct cairn_repo *repo;
	struct cairn_index_builder *builder;
	struct cairn_blob_loc *locs; /* all recovered, for the catalog */
	size_t count, cap;
	size_t packs;
	int rc;
};

static int scan_pack(void *ctx, const char *name, uint64_t size)
{
	struct orphan_scan *s = ctx;
	struct cairn_blob_loc *locs = NULL;
	uint8_t pack_id[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];
	size_t count = 0;
	int rc;

	if (!cairn_repo_object_parse(name, CAIRN_REPO_OBJ_PACK, hex) ||
	    cairn_hex_decode(hex, pack_id, sizeof(pack_id)) < 0)
		return 0;
	rc = cairn_catalog_pack_known(s->repo->catalog, pack_id);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = cairn_repo_pack_tail_read(s->repo->store, s->repo->keys, pack_id, size, 0, NULL, &locs, &count);
	if (rc == CAIRN_ECORRUPT)
		return 0; /* damaged or unfinished: nothing refers to it; prune or check reports it */
	if (rc < 0)
		return rc;
	rc = cairn_index_builder_add_pack(s->builder, locs, count);
	if (rc == 0 && s->count + count > s->cap) {
		size_t cap = (s->count + count) * 2;
		void *p = cairn_reallocarray(s->locs, cap, sizeof(*s->locs));

		if (p == NULL)
			rc = cairn_err(CAIRN_ENOMEM, "cannot track recovered blobs");
		else {
			s->locs = p;
			s->cap = cap;
		}
	}
	if (rc == 0) {
		memcpy(s->locs + s->count, locs, count * sizeof(*locs));
		s->count += count;
		s->packs++;
	}
	free(locs);
	return rc;
}

int cairn_repo_recover_orphans(struct cairn_repo *r, size_t *ret_recovered)
{
	struct orphan_scan s = { 0 };
	int rc;

	s.repo = r;
	rc = cairn_index_builder_new(&s.builder);
	if (rc < 0)
		return rc;
	rc = cairn_store_list(r->store, cairn_repo_object_prefix(CAIRN_REPO_OBJ_PACK), scan_pack, &s);
	if (rc == 0 && s.packs > 0)
		rc = cairn_repo_index_write(r, s.builder, s.locs, s.count, NULL);
	if (rc == 0 && ret_recovered != NULL)
		*ret_recovered = s.packs;
	cairn_index_builder_free(s.builder);
	free(s.locs);
	return rc < 0 ? cairn_err_ctx(rc, "cannot index interrupted backup's packs") : 0;
}

/* At most this many dead backups' locks are removed after one scan; the
 * rest cause another scan next time. */
#define DEAD_MAX 64

struct dead_lock_check {
	int64_t now;
	int found;
	/* stale ones, deleted once the scan has indexed what they left */
	char stale[DEAD_MAX][CAIRN_ID_HEX];
	size_t nstale;
};

static int find_dead_backup(void *ctx, const char *id, const struct cairn_lock_info *info)
{
	struct dead_lock_check *d = ctx;

	if (strcmp(info->purpose, "backup") != 0)
		return 0;
	if (info->expires_ns < d->now || cairn_lock_holder_dead(info))
		d->found = 1;
	if (cairn_lock_stale(info, d->now) && d->nstale < DEAD_MAX)
		memcpy(d->stale[d->nstale++], id, CAIRN_ID_HEX);
	return 0;
}

void cairn_repo_mark_orphans_possible(struct cairn_repo *r)
{
	(void)cairn_catalog_meta_set(r->catalog, "orphans.scan_needed", "1");
}

void cairn_repo_sweep_begin(struct cairn_repo *r)
{
	(void)cairn_catalog_meta_set(r->catalog, "orphans.sweep_pending", "1");
}

void cairn_repo_sweep_end(struct cairn_repo *r)
{
	(void)cairn_catalog_meta_set(r->catalog, "orphans.sweep_pending", "0");
}

int cairn_repo_recover_orphans_if_needed(struct cairn_repo *r, size_t *ret_recovered)
{
	struct dead_lock_check d = { .now = cairn_time_now_ns() };
	int64_t last = cairn_catalog_meta_get_i64(r->catalog, "orphans.last_scan_ns");
	int rc;

	if (ret_recovered != NULL)
		*ret_recovered = 0;
	/* The locks of dead backups are looked at in any case: once the scan
	 * has indexed the packs they may have left, they can go. */
	rc = cairn_lock_list(r, find_dead_backup, &d);
	if (rc < 0)
		return rc;
	if (last > 0 && d.now - last < CAIRN_REPO_ORPHAN_SCAN_NS &&
	    cairn_catalog_meta_get_i64(r->catalog, "orphans.scan_needed") == 0 &&
	    cairn_catalog_meta_get_i64(r->catalog, "orphans.sweep_pending") == 0 && !d.found)
		return 0;
	/* mark first: a run killed during the scan scans again next time */
	(void)cairn_catalog_meta_set(r->catalog, "orphans.scan_needed", "1");
	rc = cairn_repo_recover_orphans(r, ret_recovered);
	if (rc < 0)
		return rc;
	(void)cairn_catalog_meta_set_i64(r->catalog, "orphans.last_scan_ns", d.now);
	(void)cairn_catalog_meta_set(r->catalog, "orphans.scan_needed", "0");
	(void)cairn_catalog_meta_set(r->catalog, "orphans.sweep_pending", "0");
	/* Best effort: a lock left in place only causes another scan. */
	for (size_t i = 0; i < d.nstale; i++)
		cairn_lock_delete(r, d.stale[i]);
	return 0;
}
