/* Unit tests for the pack window cache used for remote reads. */
#include "cairn_test.h"

#include "repo/packcache.h"

#include "cairn/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW (1u << 20)
/* blobs end 1 KiB before the end (the header follows); 10.3 windows: the
 * short last part belongs to window 9 */
#define DATA_END (10u * WINDOW + WINDOW * 3 / 10)
#define PACK_BYTES (DATA_END + 1024)
#define MAX_GETS 256

/* A store decorator that records every get's range and can be slow. */
struct rec {
	struct cairn_store *inner;
	pthread_mutex_t lock;
	unsigned n;
	uint64_t off[MAX_GETS], len[MAX_GETS];
	long delay_ms;
};

static int rec_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct rec *r = s->impl;

	return cairn_store_put(r->inner, name, data, len);
}

static int rec_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length, struct cairn_buf *out)
{
	struct rec *r = s->impl;
	struct timespec ts = { 0, r->delay_ms * 1000000L };

	pthread_mutex_lock(&r->lock);
	if (r->n < MAX_GETS) {
		r->off[r->n] = offset;
		r->len[r->n] = length;
	}
	r->n++;
	pthread_mutex_unlock(&r->lock);
	if (r->delay_ms > 0)
		nanosleep(&ts, NULL);
	return cairn_store_get(r->inner, name, offset, length, out);
}

static int rec_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct rec *r = s->impl;

	return cairn_store_stat(r->inner, name, ret_size);
}

static int rec_list(struct cairn_store *s, const char *prefix, int (*cb)(void *ctx, const char *name, uint64_t size),
		    void *ctx)
{
	struct rec *r = s->impl;

	return cairn_store_list(r->inner, prefix, cb, ctx);
}

static int rec_del(struct cairn_store *s, const char *name)
{
	struct rec *r = s->impl;

	return cairn_store_del(r->inner, name);
}

static void rec_free(struct cairn_store *s)
{
	struct rec *r = s->impl;

	cairn_store_free(r->inner);
	pthread_mutex_destroy(&r->lock);
	free(r);
	free(s);
}

static const struct cairn_store_ops rec_ops = {
	.put = rec_put, .get = rec_get, .stat = rec_stat, .list = rec_list, .del = rec_del, .free = rec_free,
};

struct fixture {
	char *dir;
	struct cairn_store *store; /* rec around a fault decorator around mem */
	struct cairn_store *fault;
	struct rec *rec;
	struct cairn_catalog *cat;
	uint8_t *bytes;
	uint8_t pack[CAIRN_ID_BYTES];
};

static unsigned gets(struct fixture *f)
{
	unsigned n;

	pthread_mutex_lock(&f->rec->lock);
	n = f->rec->n;
	pthread_mutex_unlock(&f->rec->lock);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_store *mem = NULL;
	struct cairn_blob_loc loc = { 0 };
	char path[600];

	f->dir = cairn_test_mkdtemp("packcache");
	f->bytes = malloc(PACK_BYTES);
	cairn_test_fill_random(f->bytes, PACK_BYTES, 5);
	memset(f->pack, 0xaa, sizeof(f->pack));
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	assert_int_equal(cairn_store_fault_wrap(mem, &f->fault), 0);
	f->rec = calloc(1, sizeof(*f->rec));
	f->store = calloc(1, sizeof(*f->store));
	f->rec->inner = f->fault;
	pthread_mutex_init(&f->rec->lock, NULL);
	f->store->ops = &rec_ops;
	f->store->description = "rec://";
	f->store->impl = f->rec;
	assert_int_equal(cairn_store_put(f->store, "data/aa/p", f->bytes, PACK_BYTES), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
	assert_int_equal(cairn_catalog_open(path, "00", &f->cat), 0);
	/* the catalog knows where the pack's last blob ends */
	memcpy(loc.pack, f->pack, sizeof(f->pack));
	loc.type = 1;
	loc.offset = DATA_END - 100;
	loc.length = 100;
	loc.raw_length = 60;
	assert_int_equal(cairn_catalog_blob_put(f->cat, &loc), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_catalog_close(f->cat);
	cairn_store_free(f->store);
	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f->bytes);
	free(f);
	return 0;
}

static void get_and_check(struct fixture *f, struct cairn_packcache *pc, uint64_t off, uint32_t len)
{
	struct cairn_buf out = { 0 };

	assert_int_equal(cairn_buf_append(&out, "x", 1), 0);
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", off, len, 1, &out), 0);
	assert_int_equal(out.len, 1 + len);
	assert_memory_equal(out.data + 1, f->bytes + off, len);
	cairn_buf_free(&out);
}

/* Every recorded get is one whole window, and no window was fetched twice. */
static void assert_aligned_and_distinct(struct fixture *f)
{
	for (unsigned i = 0; i < f->rec->n; i++) {
		uint64_t end = f->rec->off[i] + f->rec->len[i];

		assert_int_equal(f->rec->off[i] % WINDOW, 0);
		assert_true(end == f->rec->off[i] + WINDOW || (f->rec->off[i] == 9 * WINDOW && end == DATA_END));
		for (unsigned j = 0; j < i; j++)
			assert_true(f->rec->off[j] != f->rec->off[i]);
	}
}

static void test_packcache_get_serves_a_window_from_one_request(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;

	assert_int_equal(cairn_packcache_new(8ull * WINDOW, WINDOW, 0, &pc), 0);
	get_and_check(f, pc, 1000, 5000);
	get_and_check(f, pc, 0, 1000);
	get_and_check(f, pc, WINDOW - 10, 10);
	assert_int_equal(gets(f), 1);
	assert_int_equal(f->rec->off[0], 0);
	assert_int_equal(f->rec->len[0], WINDOW);
	/* the window of an offset is aligned, whatever offset came first */
	get_and_check(f, pc, 3 * WINDOW + 777, 10);
	get_and_check(f, pc, 3 * WINDOW, 10);
	assert_int_equal(gets(f), 2);
	assert_aligned_and_distinct(f);
	cairn_packcache_free(pc);
}

static void test_packcache_get_straddling_blob_uses_both_windows(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;

	assert_int_equal(cairn_packcache_new(8ull * WINDOW, WINDOW, 0, &pc), 0);
	get_and_check(f, pc, WINDOW - 100, 300);
	assert_int_equal(gets(f), 2);
	get_and_check(f, pc, 2 * WINDOW - 50, 2 * WINDOW + 100); /* windows 1 to 4 */
	assert_int_equal(gets(f), 5);
	get_and_check(f, pc, 10, 4 * WINDOW);
	assert_int_equal(gets(f), 5);
	assert_aligned_and_distinct(f);
	cairn_packcache_free(pc);
}

static void test_packcache_get_merges_the_short_last_window(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;

	assert_int_equal(cairn_packcache_new(8ull * WINDOW, WINDOW, 0, &pc), 0);
	get_and_check(f, pc, DATA_END - 100, 100);
	get_and_check(f, pc, 9 * WINDOW, 100);
	assert_int_equal(gets(f), 1);
	assert_int_equal(f->rec->off[0], 9 * WINDOW);
	assert_int_equal(f->rec->len[0], DATA_END - 9 * WINDOW); /* never the header */
	cairn_packcache_free(pc);
}

static void test_packcache_get_evicts_least_recently_used_within_budget(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_packcache_stats st;

	assert_int_equal(cairn_packcache_new(2ull * WINDOW, WINDOW, 0, &pc), 0);
	get_and_check(f, pc, 0, 10);
	get_and_check(f, pc, WINDOW, 10);
	get_and_check(f, pc, 5, 5); /* window 0 is now the most recent */
	get_and_check(f, pc, 2 * WINDOW, 10); /* evicts window 1 */
	get_and_check(f, pc, 20, 5);
	assert_int_equal(gets(f), 3);
	get_and_check(f, pc, WINDOW, 10);
	assert_int_equal(gets(f), 4);
	cairn_packcache_stats(pc, &st);
	assert_true(st.peak_bytes <= 2ull * WINDOW);
	cairn_packcache_free(pc);
}

static void test_packcache_get_without_room_reads_the_range_directly(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_packcache_stats st;

	assert_int_equal(cairn_packcache_new(WINDOW / 2, WINDOW, 0, &pc), 0);
	get_and_check(f, pc, 100, 10);
	get_and_check(f, pc, 200, 10);
	assert_int_equal(gets(f), 2);
	assert_int_equal(f->rec->len[0], 10);
	cairn_packcache_stats(pc, &st);
	assert_int_equal(st.direct, 2);
	assert_int_equal(st.peak_bytes, 0);
	cairn_packcache_free(pc);
}

static void test_packcache_get_errors_are_returned_and_not_cached(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_buf out = { 0 };

	assert_int_equal(cairn_packcache_new(4ull * WINDOW, WINDOW, 0, &pc), 0);
	assert_int_equal(cairn_buf_append(&out, "keep", 4), 0);
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", 0, 10, 1, &out),
			 CAIRN_ETRANSIENT);
	assert_int_equal(out.len, 4);
	/* the second window of a straddling read fails: nothing is appended */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 2, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", WINDOW - 5, 10, 1, &out),
			 CAIRN_ETRANSIENT);
	assert_int_equal(out.len, 4);
	get_and_check(f, pc, 0, 10);
	get_and_check(f, pc, WINDOW - 5, 10);
	/* a truncated window is a short read, not cached */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, NULL, 1, 1, 0);
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", 5 * WINDOW, 10, 1, &out),
			 CAIRN_ECORRUPT);
	get_and_check(f, pc, 5 * WINDOW, 10);
	/* an unknown pack, or a range past the last known blob: fetched as asked */
	out.len = 0;
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, (const uint8_t *)"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
					     "data/aa/p", 100, 10, 1, &out),
			 0);
	assert_memory_equal(out.data, f->bytes + 100, 10);
	out.len = 0;
	assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", DATA_END, 1000, 1, &out), 0);
	assert_memory_equal(out.data, f->bytes + DATA_END, 1000);
	assert_int_equal(f->rec->len[f->rec->n - 1], 1000);
	cairn_buf_free(&out);
	cairn_packcache_free(pc);
}

struct reader {
	struct fixture *f;
	struct cairn_packcache *pc;
	uint64_t off;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct cairn_buf out = { 0 };
	int rc = cairn_packcache_get(rd->pc, rd->f->store, rd->f->cat, rd->f->pack, "data/aa/p", rd->off, 4096, 1, &out);

	if (rc == 0 && (out.len != 4096 || memcmp(out.data, rd->f->bytes + rd->off, 4096) != 0))
		rc = -100;
	cairn_buf_free(&out);
	return (void *)(intptr_t)rc;
}

static void test_packcache_get_concurrent_readers_share_one_fetch(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_packcache_stats st;
	struct reader rd[8];
	pthread_t t[8];

	assert_int_equal(cairn_packcache_new(8ull * WINDOW, WINDOW, 0, &pc), 0);
	f->rec->delay_ms = 100;
	for (int i = 0; i < 8; i++) {
		rd[i] = (struct reader){ f, pc, (uint64_t)(2 * WINDOW + (unsigned)i * 50000 + (i % 2) * WINDOW) };
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &rd[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		void *rc;

		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_int_equal((intptr_t)rc, 0);
	}
	assert_int_equal(gets(f), 2); /* windows 2 and 3, once each */
	assert_aligned_and_distinct(f);
	cairn_packcache_stats(pc, &st);
	assert_int_equal(st.fetches, 2);
	assert_int_equal(st.hits + st.waits, 6);
	cairn_packcache_free(pc);
}

static void test_packcache_prefetch_fetches_in_background(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_packcache_stats st;
	uint64_t ws = 0, we = 0;

	assert_int_equal(cairn_packcache_new(8ull * WINDOW, WINDOW, 2, &pc), 0);
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", WINDOW + 10,
						  2 * WINDOW, &ws, &we),
			 0);
	assert_int_equal(ws, 3 * WINDOW);
	assert_int_equal(we, 4 * WINDOW);
	/* queued or loaded already: nothing more */
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", 2 * WINDOW, 10, NULL,
						  NULL),
			 0);
	cairn_packcache_prefetch_wait(pc);
	assert_int_equal(gets(f), 3);
	get_and_check(f, pc, WINDOW, 3 * WINDOW);
	assert_int_equal(gets(f), 3);
	assert_aligned_and_distinct(f);
	cairn_packcache_stats(pc, &st);
	assert_int_equal(st.prefetches, 3);
	assert_int_equal(st.demand_fetches, 0);
	/* a range the cache does not handle is returned as is */
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", DATA_END, 10, &ws, &we),
			 0);
	assert_int_equal(ws, DATA_END);
	assert_int_equal(we, DATA_END + 10);
	cairn_packcache_free(pc);
}

static void test_packcache_prefetch_never_evicts_unread_windows(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;
	struct cairn_packcache_stats st;

	assert_int_equal(cairn_packcache_new(3ull * WINDOW, WINDOW, 1, &pc), 0);
	/* a tree read far ahead (not marked read) keeps its window */
	{
		struct cairn_buf out = { 0 };

		assert_int_equal(cairn_packcache_get(pc, f->store, f->cat, f->pack, "data/aa/p", 8 * WINDOW, 10, 0, &out),
				 0);
		cairn_buf_free(&out);
	}
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", 0, 4 * WINDOW, NULL,
						  NULL),
			 0);
	cairn_packcache_prefetch_wait(pc);
	assert_int_equal(gets(f), 3); /* window 8, then only two of the four */
	get_and_check(f, pc, 0, 10);   /* read: may be evicted by a prefetch now */
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", 2 * WINDOW, 10, NULL,
						  NULL),
			 0);
	cairn_packcache_prefetch_wait(pc);
	assert_int_equal(gets(f), 4);
	get_and_check(f, pc, 8 * WINDOW, 10);
	get_and_check(f, pc, WINDOW, 10);
	get_and_check(f, pc, 2 * WINDOW, 10);
	assert_int_equal(gets(f), 4);
	assert_aligned_and_distinct(f);
	cairn_packcache_stats(pc, &st);
	assert_int_equal(st.evicted_unread, 0);
	assert_true(st.peak_bytes <= 3ull * WINDOW);
	cairn_packcache_free(pc);
}

static void test_packcache_prefetch_cancel_drops_the_queue(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = NULL;

	assert_int_equal(cairn_packcache_new(16ull * WINDOW, WINDOW, 1, &pc), 0);
	f->rec->delay_ms = 200;
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", 0, 6 * WINDOW, NULL,
						  NULL),
			 0);
	cairn_packcache_prefetch_cancel(pc);
	cairn_packcache_prefetch_wait(pc);
	assert_true(gets(f) <= 1); /* at most the one already running */
	f->rec->delay_ms = 0;
	get_and_check(f, pc, 5 * WINDOW, 10);
	assert_true(gets(f) <= 2);
	/* a failed prefetch is not cached; the reader fetches again */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_packcache_prefetch(pc, f->store, f->cat, f->pack, "data/aa/p", 7 * WINDOW, 10, NULL,
						  NULL),
			 0);
	cairn_packcache_prefetch_wait(pc);
	get_and_check(f, pc, 7 * WINDOW, 10);
	cairn_packcache_free(pc);
}

static void test_packcache_new_rejects_a_zero_window(void **state)
{
	struct cairn_packcache *pc = NULL;

	(void)state;
	assert_int_equal(cairn_packcache_new(WINDOW, 0, 0, &pc), CAIRN_EINVAL);
	assert_null(pc);
	cairn_packcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packcache_get_serves_a_window_from_one_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_straddling_blob_uses_both_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_merges_the_short_last_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_evicts_least_recently_used_within_budget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_without_room_reads_the_range_directly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_errors_are_returned_and_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_get_concurrent_readers_share_one_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_prefetch_fetches_in_background, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_prefetch_never_evicts_unread_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packcache_prefetch_cancel_drops_the_queue, setup, teardown),
		cmocka_unit_test(test_packcache_new_rejects_a_zero_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
