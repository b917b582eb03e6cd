/* Prefetch hints of a restore from a remote store (see restore_plan.h). */
#include "restore_plan.h"

#include "cairn/catalog.h"
#include "cairn/err.h"
#include "repo/repo_internal.h"

#include <string.h>

/* File jobs queued ahead of the workers for remote restores. */
#define RESTORE_PLAN_QUEUE 64

void restore_plan_file(struct cairn_repo *r, struct restore_plan *p, const struct cairn_entry *e)
{
	char name[CAIRN_PACK_NAME_MAX];

	if (r->packcache == NULL)
		return;
	for (size_t i = 0; i < e->content_count; i++) {
		struct cairn_blob_loc loc;

		if (cairn_catalog_blob_get(r->catalog, e->content + i * CAIRN_ID_BYTES, CAIRN_BLOB_DATA, &loc) < 0)
			continue;
		/* consecutive blobs of one window: queued already */
		if (p->end != 0 && memcmp(p->pack, loc.pack, CAIRN_ID_BYTES) == 0 && loc.offset >= p->start &&
		    loc.offset + loc.length <= p->end)
			continue;
		cairn_repo_pack_name(loc.pack, name);
		memcpy(p->pack, loc.pack, CAIRN_ID_BYTES);
		if (cairn_packcache_prefetch(r->packcache, r->store, r->catalog, loc.pack, name, loc.offset, loc.length,
					     &p->start, &p->end) < 0) {
			p->end = 0;
			cairn_err_clear();
		}
	}
}

void restore_plan_end(struct cairn_repo *r, struct restore_plan *p)
{
	p->end = 0;
	if (r->packcache != NULL)
		cairn_packcache_prefetch_cancel(r->packcache);
}

size_t restore_plan_queue(struct cairn_repo *r, int threads)
{
	size_t base = (size_t)threads * 2 + 2;

	return r->packcache != NULL && base < RESTORE_PLAN_QUEUE ? RESTORE_PLAN_QUEUE : base;
}
