/* A small LRU cache of pack windows for remote reads (see packcache.h). */
#include "packcache.h"

#include "cairn/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct window {
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t start;
	struct cairn_buf data;
	uint64_t used; /* LRU tick; 0 = empty */
};

struct cairn_packcache {
	pthread_mutex_t lock;
	struct window *slots;
	unsigned nslots;
	uint64_t window;
	uint64_t tick;
};

int cairn_packcache_new(unsigned slots, uint64_t window, struct cairn_packcache **ret)
{
	struct cairn_packcache *pc = calloc(1, sizeof(*pc));

	if (pc == NULL || (pc->slots = cairn_calloc(slots ? slots : 1, sizeof(*pc->slots))) == NULL) {
		free(pc);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the pack cache");
	}
	pc->nslots = slots ? slots : 1;
	pc->window = window;
	pthread_mutex_init(&pc->lock, NULL);
	*ret = pc;
	return 0;
}

void cairn_packcache_free(struct cairn_packcache *pc)
{
	if (pc == NULL)
		return;
	for (unsigned i = 0; i < pc->nslots; i++)
		cairn_buf_free(&pc->slots[i].data);
	free(pc->slots);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* Copy from a cached window covering the range. 1 on a hit. Caller holds lock. */
static int lookup_locked(struct cairn_packcache *pc, const uint8_t pack[CAIRN_ID_BYTES], uint64_t offset,
			 uint32_t length, struct cairn_buf *out, int *rc)
{
	for (unsigned i = 0; i < pc->nslots; i++) {
		struct window *w = &pc->slots[i];

		if (w->used == 0 || memcmp(w->pack, pack, CAIRN_ID_BYTES) != 0 || offset < w->start ||
		    offset + length > w->start + w->data.len)
			continue;
		w->used = ++pc->tick;
		*rc = cairn_buf_append(out, w->data.data + (offset - w->start), length);
		return 1;
	}
	return 0;
}

int cairn_packcache_get(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			struct cairn_buf *out)
{
	struct cairn_buf fetched = { 0 };
	struct window *victim;
	uint64_t end = 0, wend;
	int rc = 0;

	pthread_mutex_lock(&pc->lock);
	if (lookup_locked(pc, pack, offset, length, out, &rc)) {
		pthread_mutex_unlock(&pc->lock);
		return rc;
	}
	pthread_mutex_unlock(&pc->lock);

	if (cairn_catalog_pack_data_end(catalog, pack, &end) < 0 || end < offset + length)
		end = offset + length;
	wend = offset + pc->window < end ? offset + pc->window : end;
	if (wend < offset + length)
		wend = offset + length;
	rc = cairn_store_get(store, name, offset, wend - offset, &fetched);
	if (rc == 0 && fetched.len != wend - offset)
		rc = cairn_err(CAIRN_ECORRUPT, "short read of '%s': %zu bytes instead of %llu", name, fetched.len,
			       (unsigned long long)(wend - offset));
	if (rc == 0)
		rc = cairn_buf_append(out, fetched.data, length);
	if (rc < 0) {
		cairn_buf_free(&fetched);
		return rc;
	}
	pthread_mutex_lock(&pc->lock);
	victim = &pc->slots[0];
	for (unsigned i = 1; i < pc->nslots; i++)
		if (pc->slots[i].used < victim->used)
			victim = &pc->slots[i];
	cairn_buf_free(&victim->data);
	victim->data = fetched;
	memcpy(victim->pack, pack, CAIRN_ID_BYTES);
	victim->start = offset;
	victim->used = ++pc->tick;
	pthread_mutex_unlock(&pc->lock);
	return 0;
}
