/* Unit tests for the retry decorator over the fault decorator over the memory driver, with a fake clock,
 * under the statistics decorator (the stack cairn_s3_open builds around its driver). */
#include "cairn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/store.h"

struct clock {
	int64_t now;
	int64_t slept;
	unsigned sleeps;
	uint64_t rnd;
};

static int64_t fake_now(void *ctx)
{
	return ((struct clock *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ns)
{
	struct clock *c = ctx;

	c->now += ns;
	c->slept += ns;
	c->sleeps++;
}

static uint64_t fake_random(void *ctx)
{
	struct clock *c = ctx;

	c->rnd = c->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	return c->rnd >> 1;
}

struct fx {
	struct clock clock;
	struct cairn_store *mem;   /* borrowed: inside fault */
	struct cairn_store *fault; /* borrowed: inside retry */
	struct cairn_store *retry; /* borrowed: inside s */
	struct cairn_store *s;     /* the statistics decorator */
};

#define MS 1000000LL

static struct cairn_retry_policy test_policy(void)
{
	struct cairn_retry_policy p = { .deadline_ns = 10000 * MS, .max_attempts = 8, .backoff_base_ns = 100 * MS,
					.backoff_cap_ns = 1000 * MS };
	return p;
}

static void fx_open(struct fx *f, const struct cairn_retry_policy *p)
{
	struct cairn_retry_env env = { fake_now, fake_sleep, fake_random, &f->clock };

	f->clock.now = 1000 * MS;
	assert_int_equal(cairn_store_mem_open(&f->mem), 0);
	assert_int_equal(cairn_store_fault_wrap(f->mem, &f->fault), 0);
	assert_int_equal(cairn_store_retry_wrap(f->fault, p, &env, &f->retry), 0);
	assert_int_equal(cairn_store_stats_wrap(f->retry, &f->s), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cairn_retry_policy p = test_policy();

	assert_non_null(f);
	fx_open(f, &p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cairn_store_free(f->s);
	free(f);
	return 0;
}

static void test_retry_transient_twice_then_success(void **state)
{
	struct fx *f = *state;
	struct cairn_store_stats st;
	struct cairn_buf b = { 0 };

	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 2, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_put(f->s, "config", "hello", 5), 0);
	assert_int_equal(cairn_store_fault_calls(f->fault, CAIRN_OP_PUT), 3);
	assert_int_equal(f->clock.sleeps, 2);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.operations, 1);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.bytes_up, 5);
	assert_int_equal(st.requests, 3); /* not S3: one request per attempt */
	assert_int_equal(st.http_bytes_sent, 0);
	/* the same for get, with a timeout */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 1, 2, CAIRN_ETIMEOUT);
	assert_int_equal(cairn_store_get(f->s, "config", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.retries, 4);
	assert_int_equal(st.bytes_down, 5);
	cairn_buf_free(&b);
}

static void test_retry_permanent_not_retried(void **state)
{
	struct fx *f = *state;
	struct cairn_store_stats st;
	struct cairn_buf b = { 0 };
	uint64_t size = 9;

	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 0, CAIRN_EAUTH);
	assert_int_equal(cairn_store_put(f->s, "config", "x", 1), CAIRN_EAUTH);
	assert_string_equal(cairn_err_msg(), "injected fault on put 'config'"); /* one attempt: its own detail */
	assert_int_equal(cairn_store_fault_calls(f->fault, CAIRN_OP_PUT), 1);
	cairn_store_fault_set(f->fault, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	/* not-found and invalid are answers, not failures to retry */
	assert_int_equal(cairn_store_get(f->s, "missing", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_stat(f->s, "missing", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_del(f->s, "missing"), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_put(f->s, "../x", "x", 1), CAIRN_EINVAL);
	assert_int_equal(cairn_store_fault_calls(f->fault, CAIRN_OP_GET), 1);
	assert_int_equal(cairn_store_fault_calls(f->fault, CAIRN_OP_STAT), 1);
	assert_int_equal(cairn_store_fault_calls(f->fault, CAIRN_OP_DEL), 1);
	assert_int_equal(size, 9);
	assert_int_equal(f->clock.sleeps, 0);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.operations, 5);
	assert_int_equal(st.attempts, 5);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.failures, 5);
}

static void test_retry_deadline(void **state)
{
	struct fx f = { 0 };
	struct cairn_retry_policy p = test_policy();
	struct cairn_buf b = { 0 };
	unsigned calls;

	(void)state;
	p.deadline_ns = 1000 * MS;
	p.max_attempts = 1000;
	p.backoff_cap_ns = 400 * MS;
	fx_open(&f, &p);
	assert_int_equal(cairn_store_put(f.s, "data/aa", "abc", 3), 0);
	cairn_store_fault_set(f.fault, CAIRN_FAULT_FAIL, CAIRN_OP_GET, NULL, 1, 0, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(f.s, "data/aa", 0, 3, &b), CAIRN_ETIMEOUT);
	calls = cairn_store_fault_calls(f.fault, CAIRN_OP_GET);
	assert_true(calls >= 3);
	assert_true(f.clock.slept < 1000 * MS);
	assert_non_null(strstr(cairn_err_msg(), "(deadline 1.0s)"));
	assert_non_null(strstr(cairn_err_msg(), "attempt 1: injected fault on get 'data/aa'"));
	assert_int_equal(b.len, 2); /* a failed get leaves the buffer as it was */
	cairn_buf_free(&b);
	cairn_store_free(f.s);
}

static void test_retry_attempt_cap(void **state)
{
	struct fx f = { 0 };
	struct cairn_retry_policy p = test_policy();
	struct cairn_store_stats st;

	(void)state;
	p.max_attempts = 3;
	fx_open(&f, &p);
	cairn_store_fault_set(f.fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 0, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_put(f.s, "config", "x", 1), CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_fault_calls(f.fault, CAIRN_OP_PUT), 3);
	assert_non_null(strstr(cairn_err_msg(), "after 3 attempts"));
	cairn_store_stats_get(f.s, &st);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(st.bytes_up, 0);
	cairn_store_free(f.s);
}

static void test_retry_short_get(void **state)
{
	struct fx *f = *state;
	uint8_t data[1000];
	struct cairn_buf b = { 0 };
	struct cairn_store_stats st;

	cairn_test_fill_random(data, sizeof(data), 4);
	assert_int_equal(cairn_store_put(f->s, "data/bb", data, sizeof(data)), 0);
	/* half the bytes once: retried, the right bytes in the end */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, NULL, 1, 1, 0);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(f->s, "data/bb", 100, 500, &b), 0);
	assert_int_equal(b.len, 502);
	assert_memory_equal(b.data, "XY", 2);
	assert_memory_equal(b.data + 2, data + 100, 500);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.retries, 1);
	/* always short: the attempts run out with a clear message */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, NULL, 1, 0, 0);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(f->s, "data/bb", 0, 1000, &b), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "short read of 'data/bb' in 'mem://': 500 of 1000 bytes"));
	assert_int_equal(b.len, 0);
	cairn_buf_free(&b);
}

static void test_retry_put_after_lost_answer(void **state)
{
	struct fx *f = *state;

	/* the object is there already, as if the failed attempt had stored it */
	assert_int_equal(cairn_store_put(f->mem, "data/cc", "same", 4), 0);
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_put(f->s, "data/cc", "same", 4), 0);
	/* other bytes under the name: still EEXIST */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_put(f->s, "data/cc", "diff", 4), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "other content"));
	/* without an earlier failure EEXIST is returned at once */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	assert_int_equal(cairn_store_put(f->s, "data/cc", "same", 4), CAIRN_EEXIST);
	/* a delete whose answer was lost */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_DEL, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_del(f->mem, "data/cc"), 0);
	assert_int_equal(cairn_store_del(f->s, "data/cc"), 0);
	assert_int_equal(cairn_store_del(f->s, "data/cc"), CAIRN_ENOTFOUND);
}

/* A store whose first list call delivers two names, then fails transiently. */
struct flaky {
	struct cairn_store base;
	struct cairn_store *inner;
	int lists;
};

struct flaky_list {
	int (*cb)(void *ctx, const char *name, uint64_t size);
	void *ctx;
	int n;
};

static int flaky_cb(void *vctx, const char *name, uint64_t size)
{
	struct flaky_list *l = vctx;

	if (++l->n > 2)
		return cairn_err(CAIRN_ETRANSIENT, "connection reset while listing");
	return l->cb(l->ctx, name, size);
}

static int flaky_list_op(struct cairn_store *s, const char *prefix,
			 int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct flaky *f = s->impl;
	struct flaky_list l = { cb, ctx, 0 };

	if (f->lists++ == 0)
		return cairn_store_list(f->inner, prefix, flaky_cb, &l);
	return cairn_store_list(f->inner, prefix, cb, ctx);
}

static int flaky_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	return cairn_store_put(((struct flaky *)s->impl)->inner, name, data, len);
}

static void flaky_free(struct cairn_store *s)
{
	cairn_store_free(((struct flaky *)s->impl)->inner);
}

static int count_names(void *ctx, const char *name, uint64_t size)
{
	unsigned *seen = ctx;

	(void)size;
	seen[name[6] - '0']++;
	return 0;
}

static void test_retry_list_no_duplicates(void **state)
{
	static const struct cairn_store_ops flaky_ops = { .put = flaky_put, .list = flaky_list_op, .free = flaky_free };
	struct flaky fl = { .base = { &flaky_ops, "flaky://", NULL } };
	struct cairn_retry_policy p = test_policy();
	struct clock c = { 0 };
	struct cairn_retry_env env = { fake_now, fake_sleep, fake_random, &c };
	struct cairn_store *s;
	unsigned seen[5] = { 0 };
	char name[16];

	(void)state;
	fl.base.impl = &fl;
	assert_int_equal(cairn_store_mem_open(&fl.inner), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "index/%d", i);
		assert_int_equal(cairn_store_put(fl.inner, name, "x", 1), 0);
	}
	assert_int_equal(cairn_store_retry_wrap(&fl.base, &p, &env, &s), 0);
	assert_int_equal(cairn_store_list(s, "index/", count_names, seen), 0);
	assert_int_equal(fl.lists, 2);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seen[i], 1);
	assert_string_equal(s->description, "flaky://");
	cairn_store_free(s);
}

static void test_retry_del_many(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "data/d1", "data/d2", "data/d3" };
	struct cairn_store_stats st;
	uint64_t size;

	for (int i = 0; i < 3; i++)
		assert_int_equal(cairn_store_put(f->mem, names[i], "x", 1), 0);
	/* the second name's delete fails once: the batch is retried whole, all gone in the end */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_DEL, "d2", 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_del_many(f->s, names, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cairn_store_stat(f->mem, names[i], &size), CAIRN_ENOTFOUND);
	assert_int_equal(f->clock.sleeps, 1);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.operations, 1); /* one batch */
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.failures, 0);
	/* a permanent failure is not retried, and says which object */
	assert_int_equal(cairn_store_put(f->mem, names[0], "x", 1), 0);
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_DEL, "d1", 1, 0, CAIRN_EAUTH);
	assert_int_equal(cairn_store_del_many(f->s, names, 3), CAIRN_EAUTH);
	assert_string_equal(cairn_err_msg(), "injected fault on del 'data/d1'");
	assert_int_equal(f->clock.sleeps, 1);
	cairn_store_stats_get(f->s, &st);
	assert_int_equal(st.failures, 1);
}

static void test_retry_stats_and_caps(void **state)
{
	struct fx *f = *state;
	struct cairn_store_stats st;

	/* the retry decorator counts attempts and retries only; the mem driver nothing */
	cairn_store_fault_set(f->fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 1, CAIRN_ETRANSIENT);
	assert_int_equal(cairn_store_put(f->s, "config", "abc", 3), 0);
	cairn_store_stats_get(f->retry, &st);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.operations, 0);
	assert_int_equal(st.bytes_up, 0);
	assert_int_equal(st.requests, 2); /* no driver counts requests: one per attempt */
	assert_int_equal(st.wire, 0);
	cairn_store_stats_get(f->mem, &st);
	assert_int_equal(st.attempts, 0);
	assert_int_equal(st.requests, 0);
	cairn_store_stats_get(NULL, &st);
	assert_int_equal(st.requests, 0);
	/* capabilities and description pass through */
	assert_int_equal(cairn_store_caps(f->retry), cairn_store_caps(f->mem));
	assert_int_equal(cairn_store_caps(f->s), CAIRN_STORE_CAP_ATOMIC_CREATE | CAIRN_STORE_CAP_RANGED_READ);
	assert_string_equal(f->s->description, "mem://");
}

static void test_retry_wrap_invalid(void **state)
{
	struct cairn_retry_policy p = test_policy();
	struct cairn_store *mem, *s = NULL;

	(void)state;
	assert_int_equal(cairn_store_retry_wrap(NULL, NULL, NULL, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	p.deadline_ns = 0;
	/* the inner store is taken (and freed) even on failure: no leak under ASan */
	assert_int_equal(cairn_store_retry_wrap(mem, &p, NULL, &s), CAIRN_EINVAL);
	assert_null(s);
	/* defaults work, with the real clock */
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	assert_int_equal(cairn_store_retry_wrap(mem, NULL, NULL, &s), 0);
	assert_int_equal(cairn_store_put(s, "config", "x", 1), 0);
	cairn_store_free(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_retry_transient_twice_then_success),
		T(test_retry_permanent_not_retried),
		cmocka_unit_test(test_retry_deadline),
		cmocka_unit_test(test_retry_attempt_cap),
		T(test_retry_short_get),
		T(test_retry_put_after_lost_answer),
		cmocka_unit_test(test_retry_list_no_duplicates),
		T(test_retry_del_many),
		T(test_retry_stats_and_caps),
		cmocka_unit_test(test_retry_wrap_invalid),
	};

	return cmocka_run_group_tests_name("store retry decorator", tests, NULL, NULL);
}
