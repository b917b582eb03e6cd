/* Tests of the contract's shared entry points: cairn_store_free, cairn_store_del_many (batches and the
 * fallback), cairn_store_put_content's fallback and the statistics query. */
#include "cairn_test.h"

#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/store.h"

/* A driver over the memory driver that records the calls it gets; with_batch adds a del_many. */
struct spy {
	struct cairn_store base;
	struct cairn_store *inner;
	unsigned dels, batches, puts;
	size_t batch_sizes[8];
	uint64_t requests; /* reported as wire requests when non-zero */
};

static int spy_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct spy *p = s->impl;

	p->puts++;
	return cairn_store_put(p->inner, name, data, len);
}

static int spy_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		   struct cairn_buf *out)
{
	return cairn_store_get(((struct spy *)s->impl)->inner, name, offset, length, out);
}

static int spy_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	return cairn_store_stat(((struct spy *)s->impl)->inner, name, ret_size);
}

static int spy_list(struct cairn_store *s, const char *prefix, int (*cb)(void *ctx, const char *name, uint64_t size),
		    void *ctx)
{
	return cairn_store_list(((struct spy *)s->impl)->inner, prefix, cb, ctx);
}

static int spy_del(struct cairn_store *s, const char *name)
{
	struct spy *p = s->impl;

	p->dels++;
	return cairn_store_del(p->inner, name);
}

static int spy_del_many(struct cairn_store *s, const char *const *names, size_t n)
{
	struct spy *p = s->impl;

	assert_true(n >= 1 && n <= CAIRN_STORE_DEL_MANY_MAX);
	if (p->batches < 8)
		p->batch_sizes[p->batches] = n;
	p->batches++;
	for (size_t i = 0; i < n; i++) {
		int rc = cairn_store_del(p->inner, names[i]);

		if (rc != 0 && rc != CAIRN_ENOTFOUND)
			return rc;
	}
	return 0;
}

static void spy_stats(struct cairn_store *s, struct cairn_store_stats *acc)
{
	struct spy *p = s->impl;

	if (p->requests != 0) {
		acc->requests += p->requests;
		acc->wire = 1;
	}
}

static void spy_free(struct cairn_store *s)
{
	struct spy *p = s->impl;

	cairn_store_free(p->inner);
	free(p);
}

static const struct cairn_store_ops spy_ops = { .put = spy_put, .get = spy_get, .stat = spy_stat,
						.list = spy_list, .del = spy_del, .free = spy_free };
static const struct cairn_store_ops spy_batch_ops = { .put = spy_put, .get = spy_get, .stat = spy_stat,
						      .list = spy_list, .del = spy_del, .del_many = spy_del_many,
						      .stats = spy_stats, .free = spy_free };

static struct spy *spy_open(int with_batch)
{
	struct spy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(cairn_store_mem_open(&p->inner), 0);
	p->base.ops = with_batch ? &spy_batch_ops : &spy_ops;
	p->base.description = "spy://";
	p->base.impl = p;
	p->base.caps = with_batch ? CAIRN_STORE_CAP_BATCH_DELETE : 0;
	return p;
}

static char **make_names(size_t n)
{
	char **names = calloc(n, sizeof(*names));

	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		names[i] = cairn_asprintf("data/%05zu", i);
		assert_non_null(names[i]);
	}
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_store_free_null(void **state)
{
	struct cairn_store *s;

	(void)state;
	cairn_store_free(NULL);
	assert_int_equal(cairn_store_mem_open(&s), 0);
	assert_string_equal(s->description, "mem://");
	cairn_store_free(s);
}

static void test_store_del_many_batches(void **state)
{
	struct spy *p = spy_open(1);
	size_t n = 2 * CAIRN_STORE_DEL_MANY_MAX + 500;
	char **names = make_names(n);
	uint64_t size;

	(void)state;
	assert_int_equal(cairn_store_put(&p->base, names[0], "a", 1), 0);
	assert_int_equal(cairn_store_put(&p->base, names[n - 1], "b", 1), 0);
	assert_int_equal(cairn_store_del_many(&p->base, (const char *const *)names, n), 0);
	assert_int_equal(p->batches, 3);
	assert_int_equal(p->batch_sizes[0], CAIRN_STORE_DEL_MANY_MAX);
	assert_int_equal(p->batch_sizes[1], CAIRN_STORE_DEL_MANY_MAX);
	assert_int_equal(p->batch_sizes[2], 500);
	assert_int_equal(p->dels, 0);
	assert_int_equal(cairn_store_stat(p->inner, names[0], &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_stat(p->inner, names[n - 1], &size), CAIRN_ENOTFOUND);
	/* nothing to delete: no call */
	assert_int_equal(cairn_store_del_many(&p->base, (const char *const *)names, 0), 0);
	assert_int_equal(p->batches, 3);
	free_names(names, n);
	cairn_store_free(&p->base);
}

static void test_store_del_many_fallback(void **state)
{
	struct spy *p = spy_open(0);
	char **names = make_names(5);
	uint64_t size;

	(void)state;
	for (size_t i = 0; i < 5; i += 2)
		assert_int_equal(cairn_store_put(&p->base, names[i], "x", 1), 0);
	/* one del each, the missing ones counted as deleted */
	assert_int_equal(cairn_store_del_many(&p->base, (const char *const *)names, 5), 0);
	assert_int_equal(p->dels, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(cairn_store_stat(p->inner, names[i], &size), CAIRN_ENOTFOUND);
	free_names(names, 5);
	cairn_store_free(&p->base);
}

static void test_store_del_many_invalid_name(void **state)
{
	struct spy *p = spy_open(0);
	const char *names[] = { "data/a", "data/b", "tmp/x" };
	uint64_t size;

	(void)state;
	assert_int_equal(cairn_store_put(&p->base, "data/a", "x", 1), 0);
	assert_int_equal(cairn_store_del_many(&p->base, names, 3), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "spy://"));
	assert_int_equal(p->dels, 0); /* checked before anything is deleted */
	assert_int_equal(cairn_store_stat(p->inner, "data/a", &size), 0);
	cairn_store_free(&p->base);
}

static void test_store_put_content_fallback(void **state)
{
	struct spy *p = spy_open(0);
	struct cairn_buf b = { 0 };

	(void)state;
	assert_int_equal(cairn_store_put_content(&p->base, "data/c", "same", 4), 0);
	/* already there: success (the name comes from the bytes) */
	assert_int_equal(cairn_store_put_content(&p->base, "data/c", "same", 4), 0);
	assert_int_equal(p->puts, 2);
	assert_int_equal(cairn_store_get(&p->base, "data/c", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 4);
	cairn_buf_free(&b);
	cairn_store_free(&p->base);
}

static void test_store_stats_get_requests(void **state)
{
	struct spy *p = spy_open(1);
	struct cairn_store *retry;
	struct cairn_store_stats st;

	(void)state;
	assert_int_equal(cairn_store_retry_wrap(&p->base, NULL, NULL, &retry), 0);
	assert_int_equal(cairn_store_put(retry, "config", "x", 1), 0);
	/* no layer counts wire requests: requests are the attempts */
	cairn_store_stats_get(retry, &st);
	assert_int_equal(st.attempts, 1);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.wire, 0);
	/* a driver that counts them wins */
	p->requests = 7;
	cairn_store_stats_get(retry, &st);
	assert_int_equal(st.attempts, 1);
	assert_int_equal(st.requests, 7);
	assert_int_equal(st.wire, 1);
	cairn_store_stats_get(NULL, &st);
	assert_int_equal(st.requests, 0);
	cairn_store_free(retry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_free_null),
		cmocka_unit_test(test_store_del_many_batches),
		cmocka_unit_test(test_store_del_many_fallback),
		cmocka_unit_test(test_store_del_many_invalid_name),
		cmocka_unit_test(test_store_put_content_fallback),
		cmocka_unit_test(test_store_stats_get_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
