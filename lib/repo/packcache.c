/* Aligned pack windows for remote reads, shared fetches, a byte budget and
 * background prefetch (see packcache.h). */
#include "packcache.h"

#include "cairn/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* More windows than this are never tracked, whatever their size, so a
 * lookup stays a short scan. */
#define MAX_WINDOWS 256

/* Blob-area ends of recently used packs, so the catalog (a query over the
 * pack's blob rows) is asked once per pack, not once per read. */
#define PACK_ENDS 64

enum wstate { W_QUEUED, W_LOADING, W_READY };

struct pack_end {
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t end; /* 0 = empty slot */
};

struct window {
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t start, end;       /* bytes of the pack */
	enum wstate state;
	int read;                  /* some reader used it since it was loaded */
	uint64_t tick;             /* LRU, and queue order while queued */
	struct cairn_buf data;     /* READY: end - start bytes */
	struct cairn_store *store; /* borrowed; QUEUED: where to fetch from */
	char *name;                /* QUEUED: the pack's object name */
};

struct cairn_packcache {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a window became READY or went away */
	pthread_cond_t work;    /* a window was queued, or stopping */
	struct window *win[MAX_WINDOWS];
	unsigned nwin;
	uint64_t budget, window, bytes, tick;
	unsigned nfetchers, started, busy;
	int stopping;
	pthread_t *tids;
	struct pack_end ends[PACK_ENDS];
	unsigned next_end; /* slot to replace next */
	struct cairn_packcache_stats stats;
};

int cairn_packcache_new(uint64_t budget, uint64_t window, unsigned fetchers, struct cairn_packcache **ret)
{
	struct cairn_packcache *pc;

	if (window == 0)
		return cairn_err(CAIRN_EINVAL, "cannot create the pack cache: window size 0");
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL || (fetchers > 0 && (pc->tids = cairn_calloc(fetchers, sizeof(*pc->tids))) == NULL)) {
		free(pc);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the pack cache");
	}
	pc->budget = budget;
	pc->window = window;
	pc->nfetchers = fetchers;
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->changed, NULL);
	pthread_cond_init(&pc->work, NULL);
	*ret = pc;
	return 0;
}

static void window_free(struct window *w)
{
	cairn_buf_free(&w->data);
	free(w->name);
	free(w);
}

/* Take window i out of the table. Caller holds the lock. */
static void remove_locked(struct cairn_packcache *pc, unsigned i)
{
	struct window *w = pc->win[i];

	if (w->state == W_READY && !w->read)
		pc->stats.evicted_unread++;
	pc->bytes -= w->end - w->start;
	pc->win[i] = pc->win[--pc->nwin];
	window_free(w);
}

void cairn_packcache_free(struct cairn_packcache *pc)
{
	if (pc == NULL)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->stopping = 1;
	pthread_cond_broadcast(&pc->work);
	pthread_mutex_unlock(&pc->lock);
	for (unsigned i = 0; i < pc->started; i++)
		pthread_join(pc->tids[i], NULL);
	while (pc->nwin > 0)
		remove_locked(pc, pc->nwin - 1);
	pthread_cond_destroy(&pc->work);
	pthread_cond_destroy(&pc->changed);
	pthread_mutex_destroy(&pc->lock);
	free(pc->tids);
	free(pc);
}

/* The window of a pack whose blobs end at `data_end` that holds byte `pos`
 * (pos < data_end): aligned to the window size, the short last one merged
 * into the one before. */
static void window_bounds(uint64_t w, uint64_t data_end, uint64_t pos, uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t n = (data_end + w / 2) / w, k = pos / w;

	if (n == 0)
		n = 1;
	if (k > n - 1)
		k = n - 1;
	*ret_start = k * w;
	*ret_end = k == n - 1 ? data_end : (k + 1) * w;
}

/* End of the last blob the catalog knows in `pack`: 0, or <0 for an unknown
 * pack (no detail kept: the caller fetches the range as asked). */
static int data_end_of(struct cairn_packcache *pc, struct cairn_catalog *catalog, const uint8_t pack[CAIRN_ID_BYTES],
		       uint64_t *ret_end)
{
	uint64_t end = 0;
	int rc;

	pthread_mutex_lock(&pc->lock);
	for (unsigned i = 0; i < PACK_ENDS; i++)
		if (pc->ends[i].end != 0 && memcmp(pc->ends[i].pack, pack, CAIRN_ID_BYTES) == 0) {
			*ret_end = pc->ends[i].end;
			pthread_mutex_unlock(&pc->lock);
			return 0;
		}
	pthread_mutex_unlock(&pc->lock);
	rc = cairn_catalog_pack_data_end(catalog, pack, &end);
	if (rc < 0 || end == 0) {
		cairn_err_clear();
		return rc < 0 ? rc : CAIRN_ENOTFOUND;
	}
	pthread_mutex_lock(&pc->lock);
	memcpy(pc->ends[pc->next_end].pack, pack, CAIRN_ID_BYTES);
	pc->ends[pc->next_end].end = end;
	pc->next_end = (pc->next_end + 1) % PACK_ENDS;
	pthread_mutex_unlock(&pc->lock);
	*ret_end = end;
	return 0;
}

static struct window *find_locked(struct cairn_packcache *pc, const uint8_t pack[CAIRN_ID_BYTES], uint64_t start)
{
	for (unsigned i = 0; i < pc->nwin; i++)
		if (pc->win[i]->start == start && memcmp(pc->win[i]->pack, pack, CAIRN_ID_BYTES) == 0)
			return pc->win[i];
	return NULL;
}

/* The least recently used window in `state` (and, for READY, with read
 * state `read`); the most recently queued one for QUEUED. UINT_MAX if none. */
static unsigned pick_locked(struct cairn_packcache *pc, enum wstate state, int read)
{
	unsigned best = (unsigned)-1;

	for (unsigned i = 0; i < pc->nwin; i++) {
		const struct window *w = pc->win[i];

		if (w->state != state || (state == W_READY && w->read != read))
			continue;
		if (best == (unsigned)-1 || (state == W_QUEUED ? w->tick > pc->win[best]->tick
							       : w->tick < pc->win[best]->tick))
			best = i;
	}
	return best;
}

/* Make room for `size` more bytes and one more window: evict windows
 * already read (least recently used first); for a reader (`demand`) also
 * drop queued prefetches (newest first), then unread windows. 1 when there
 * is room. Caller holds the lock. */
static int make_room_locked(struct cairn_packcache *pc, uint64_t size, int demand)
{
	while (pc->bytes + size > pc->budget || pc->nwin >= MAX_WINDOWS) {
		unsigned i = pick_locked(pc, W_READY, 1);

		if (i == (unsigned)-1 && demand)
			i = pick_locked(pc, W_QUEUED, 0);
		if (i == (unsigned)-1 && demand)
			i = pick_locked(pc, W_READY, 0);
		if (i == (unsigned)-1)
			return 0;
		remove_locked(pc, i);
	}
	return 1;
}

static struct window *add_locked(struct cairn_packcache *pc, const uint8_t pack[CAIRN_ID_BYTES], uint64_t start,
				 uint64_t end, enum wstate state)
{
	struct window *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	memcpy(w->pack, pack, CAIRN_ID_BYTES);
	w->start = start;
	w->end = end;
	w->state = state;
	w->tick = ++pc->tick;
	pc->win[pc->nwin++] = w;
	pc->bytes += end - start;
	if (pc->bytes > pc->stats.peak_bytes)
		pc->stats.peak_bytes = pc->bytes;
	return w;
}

/* Fetch window w (LOADING, owned by the caller) without the lock, into a
 * buffer of exactly its size (no growth by doubling). */
static int fetch_window(struct cairn_store *store, const char *name, struct window *w)
{
	int rc;

	if (w->data.cap < w->end - w->start) {
		cairn_buf_free(&w->data);
		w->data.data = malloc((size_t)(w->end - w->start));
		if (w->data.data == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate a window of '%s'", name);
		w->data.cap = (size_t)(w->end - w->start);
	}
	rc = cairn_store_get(store, name, w->start, w->end - w->start, &w->data);

	if (rc == 0 && w->data.len != w->end - w->start)
		rc = cairn_err(CAIRN_ECORRUPT, "short read of '%s': %zu bytes instead of %llu", name, w->data.len,
			       (unsigned long long)(w->end - w->start));
	return rc;
}

/* Publish the outcome of fetching w. Caller holds the lock. */
static void fetched_locked(struct cairn_packcache *pc, struct window *w, int rc)
{
	pc->stats.fetches++;
	if (rc == 0) {
		pc->stats.fetched_bytes += w->end - w->start;
		w->state = W_READY;
		w->read = 0;
		w->tick = ++pc->tick;
	} else {
		for (unsigned i = 0; i < pc->nwin; i++)
			if (pc->win[i] == w)
				remove_locked(pc, i);
	}
	pthread_cond_broadcast(&pc->changed);
}

static int direct_get(struct cairn_packcache *pc, struct cairn_store *store, const char *name, uint64_t offset,
		      uint64_t length, struct cairn_buf *out)
{
	size_t before = out->len;
	int rc;

	pthread_mutex_lock(&pc->lock);
	pc->stats.direct++;
	pthread_mutex_unlock(&pc->lock);
	rc = cairn_store_get(store, name, offset, length, out);
	if (rc == 0 && out->len - before != length)
		rc = cairn_err(CAIRN_ECORRUPT, "short read of '%s': %zu bytes instead of %llu", name, out->len - before,
			       (unsigned long long)length);
	return rc;
}

/* Append [pos, end) (inside one window [ws, we) of the pack) to out. */
static int get_from_window(struct cairn_packcache *pc, struct cairn_store *store, const uint8_t pack[CAIRN_ID_BYTES],
			   const char *name, uint64_t ws, uint64_t we, uint64_t pos, uint64_t end, int mark_read,
			   struct cairn_buf *out)
{
	struct window *w;
	int rc, waited = 0;

	pthread_mutex_lock(&pc->lock);
	for (;;) {
		w = find_locked(pc, pack, ws);
		if (w != NULL && w->state == W_READY) {
			w->read |= mark_read;
			w->tick = ++pc->tick;
			if (waited)
				pc->stats.waits++;
			else
				pc->stats.hits++;
			rc = cairn_buf_append(out, w->data.data + (pos - ws), (size_t)(end - pos));
			pthread_mutex_unlock(&pc->lock);
			return rc;
		}
		if (w != NULL && w->state == W_LOADING) {
			waited = 1;
			pthread_cond_wait(&pc->changed, &pc->lock);
			continue;
		}
		if (w != NULL) { /* queued for prefetch: fetch it now, here */
			w->state = W_LOADING;
			break;
		}
		if (!make_room_locked(pc, we - ws, 1) || (w = add_locked(pc, pack, ws, we, W_LOADING)) == NULL) {
			pthread_mutex_unlock(&pc->lock);
			return direct_get(pc, store, name, pos, end - pos, out);
		}
		break;
	}
	pthread_mutex_unlock(&pc->lock);
	rc = fetch_window(store, name, w);
	pthread_mutex_lock(&pc->lock);
	pc->stats.demand_fetches++;
	fetched_locked(pc, w, rc);
	if (rc == 0) {
		w->read = mark_read;
		rc = cairn_buf_append(out, w->data.data + (pos - ws), (size_t)(end - pos));
	}
	pthread_mutex_unlock(&pc->lock);
	return rc;
}

int cairn_packcache_get(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			int mark_read, struct cairn_buf *out)
{
	size_t before = out->len;
	uint64_t data_end = 0, pos = offset, end = offset + length;
	int rc = 0;

	if (data_end_of(pc, catalog, pack, &data_end) < 0 || end > data_end || length == 0)
		return direct_get(pc, store, name, offset, length, out);
	while (pos < end && rc == 0) {
		uint64_t ws, we;

		window_bounds(pc->window, data_end, pos, &ws, &we);
		rc = get_from_window(pc, store, pack, name, ws, we, pos, end < we ? end : we, mark_read, out);
		pos = end < we ? end : we;
	}
	if (rc < 0)
		out->len = before;
	return rc;
}

static void *fetcher_main(void *arg)
{
	struct cairn_packcache *pc = arg;

	pthread_mutex_lock(&pc->lock);
	for (;;) {
		struct window *w;
		char *name;
		unsigned i = (unsigned)-1;
		int rc;

		while (!pc->stopping && (i = pick_locked(pc, W_QUEUED, 0)) == (unsigned)-1)
			pthread_cond_wait(&pc->work, &pc->lock);
		if (pc->stopping)
			break;
		/* oldest queued first: pick_locked gives the newest */
		for (unsigned j = 0; j < pc->nwin; j++)
			if (pc->win[j]->state == W_QUEUED && pc->win[j]->tick < pc->win[i]->tick)
				i = j;
		w = pc->win[i];
		w->state = W_LOADING;
		name = w->name;
		w->name = NULL;
		pc->busy++;
		pthread_mutex_unlock(&pc->lock);
		rc = fetch_window(w->store, name, w);
		free(name);
		pthread_mutex_lock(&pc->lock);
		pc->busy--;
		if (rc == 0)
			pc->stats.prefetches++;
		fetched_locked(pc, w, rc);
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

/* Queue one window. Caller holds the lock. 0 or CAIRN_ENOMEM. */
static int queue_locked(struct cairn_packcache *pc, struct cairn_store *store, const uint8_t pack[CAIRN_ID_BYTES],
			const char *name, uint64_t ws, uint64_t we)
{
	struct window *w;
	char *copy;

	if (find_locked(pc, pack, ws) != NULL || !make_room_locked(pc, we - ws, 0))
		return 0;
	copy = cairn_strdup(name);
	if (copy == NULL || (w = add_locked(pc, pack, ws, we, W_QUEUED)) == NULL) {
		free(copy);
		return cairn_err(CAIRN_ENOMEM, "cannot queue a prefetch of '%s'", name);
	}
	w->store = store;
	w->name = copy;
	/* all threads on first use; with fewer, the readers fetch what is left */
	while (pc->started < pc->nfetchers && pthread_create(&pc->tids[pc->started], NULL, fetcher_main, pc) == 0)
		pc->started++;
	pc->nfetchers = pc->started; /* 0: no more prefetch (readers take over what is queued) */
	pthread_cond_signal(&pc->work);
	return 0;
}

int cairn_packcache_prefetch(struct cairn_packcache *pc, struct cairn_store *store, struct cairn_catalog *catalog,
			     const uint8_t pack[CAIRN_ID_BYTES], const char *name, uint64_t offset, uint32_t length,
			     uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t data_end = 0, pos = offset, end = offset + length, ws = offset, we = end;
	int rc = 0;

	if (ret_start != NULL)
		*ret_start = offset;
	if (ret_end != NULL)
		*ret_end = end;
	if (length == 0 || data_end_of(pc, catalog, pack, &data_end) < 0 || end > data_end)
		return 0;
	pthread_mutex_lock(&pc->lock);
	while (pc->nfetchers > 0 && pos < end && rc == 0) {
		window_bounds(pc->window, data_end, pos, &ws, &we);
		rc = queue_locked(pc, store, pack, name, ws, we);
		pos = we;
	}
	pthread_mutex_unlock(&pc->lock);
	if (rc == 0 && ret_start != NULL && ret_end != NULL) {
		*ret_start = ws;
		*ret_end = we;
	}
	return rc;
}

void cairn_packcache_prefetch_cancel(struct cairn_packcache *pc)
{
	unsigned i;

	pthread_mutex_lock(&pc->lock);
	while ((i = pick_locked(pc, W_QUEUED, 0)) != (unsigned)-1)
		remove_locked(pc, i);
	pthread_cond_broadcast(&pc->changed);
	pthread_mutex_unlock(&pc->lock);
}

void cairn_packcache_prefetch_wait(struct cairn_packcache *pc)
{
	pthread_mutex_lock(&pc->lock);
	while (pc->busy > 0 || (pc->started > 0 && pick_locked(pc, W_QUEUED, 0) != (unsigned)-1))
		pthread_cond_wait(&pc->changed, &pc->lock);
	pthread_mutex_unlock(&pc->lock);
}

void cairn_packcache_stats(struct cairn_packcache *pc, struct cairn_packcache_stats *ret)
{
	pthread_mutex_lock(&pc->lock);
	*ret = pc->stats;
	pthread_mutex_unlock(&pc->lock);
}
