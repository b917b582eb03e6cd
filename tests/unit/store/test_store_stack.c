/* The decorators (retry, statistics, faults) stacked in every order over the memory driver: retries happen
 * only for faults beneath the retry decorator, the statistics decorator counts what reaches it, capabilities
 * and the description pass through, and del_many works through any stack. */
#include "cairn_test.h"

#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/store.h"

struct clock {
	int64_t now;
	unsigned sleeps;
};

static int64_t fake_now(void *ctx)
{
	return ((struct clock *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ns)
{
	struct clock *c = ctx;

	c->now += ns;
	c->sleeps++;
}

static uint64_t fake_random(void *ctx)
{
	(void)ctx;
	return 12345;
}

struct stack {
	struct clock clock;
	struct cairn_store *mem;   /* the driver, borrowed */
	struct cairn_store *fault; /* borrowed */
	struct cairn_store *top;
};

/* Build the stack `layers`, outermost first: 'r' retry, 's' statistics, 'f' faults, over mem. */
static void stack_open(struct stack *k, const char *layers)
{
	struct cairn_retry_policy p = { .deadline_ns = 60000000000LL, .max_attempts = 5, .backoff_base_ns = 1000000,
					.backoff_cap_ns = 10000000 };
	struct cairn_retry_env env = { fake_now, fake_sleep, fake_random, &k->clock };
	struct cairn_store *s;

	k->clock.now = 1000000000LL;
	assert_int_equal(cairn_store_mem_open(&k->mem), 0);
	s = k->mem;
	for (size_t i = strlen(layers); i-- > 0;) {
		switch (layers[i]) {
		case 'r':
			assert_int_equal(cairn_store_retry_wrap(s, &p, &env, &s), 0);
			break;
		case 's':
			assert_int_equal(cairn_store_stats_wrap(s, &s), 0);
			break;
		case 'f':
			assert_int_equal(cairn_store_fault_wrap(s, &s), 0);
			k->fault = s;
			break;
		default:
			fail_msg("unknown layer '%c'", layers[i]);
		}
	}
	k->top = s;
}

struct order {
	const char *layers;
	int put_rc;          /* a put whose first two attempts meet a transient fault */
	unsigned fault_puts; /* puts the fault decorator saw */
	uint64_t operations, failures, attempts, retries, bytes_up;
};

static const struct order orders[] = {
	/* statistics outside retry: one operation, as callers asked */
	{ "srf", 0, 3, 1, 0, 3, 2, 5 },
	/* statistics inside retry: every attempt */
	{ "rsf", 0, 3, 3, 2, 3, 2, 5 },
	/* statistics beneath the faults: only what got through */
	{ "rfs", 0, 3, 1, 0, 3, 2, 5 },
	/* faults above the retry decorator: not retried */
	{ "sfr", CAIRN_ETRANSIENT, 1, 1, 1, 0, 0, 0 },
	{ "fsr", CAIRN_ETRANSIENT, 1, 0, 0, 0, 0, 0 },
	{ "frs", CAIRN_ETRANSIENT, 1, 0, 0, 0, 0, 0 },
};

static void test_stack_orders_retry_and_stats(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		const struct order *o = &orders[i];
		struct stack k = { 0 };
		struct cairn_store_stats st;
		uint64_t size;

		stack_open(&k, o->layers);
		cairn_store_fault_set(k.fault, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 1, 2, CAIRN_ETRANSIENT);
		if (cairn_store_put(k.top, "config", "hello", 5) != o->put_rc)
			fail_msg("stack '%s': put returned %s", o->layers, cairn_err_msg());
		assert_int_equal(cairn_store_fault_calls(k.fault, CAIRN_OP_PUT), o->fault_puts);
		assert_int_equal(cairn_store_stat(k.mem, "config", &size), o->put_rc == 0 ? 0 : CAIRN_ENOTFOUND);
		assert_int_equal(k.clock.sleeps, o->retries);
		cairn_store_stats_get(k.top, &st);
		if (st.operations != o->operations || st.failures != o->failures || st.attempts != o->attempts ||
		    st.retries != o->retries || st.bytes_up != o->bytes_up || st.requests != o->attempts)
			fail_msg("stack '%s': operations %llu failures %llu attempts %llu retries %llu bytes_up %llu "
				 "requests %llu",
				 o->layers, (unsigned long long)st.operations, (unsigned long long)st.failures,
				 (unsigned long long)st.attempts, (unsigned long long)st.retries,
				 (unsigned long long)st.bytes_up, (unsigned long long)st.requests);
		/* capabilities and description pass through every layer */
		assert_int_equal(cairn_store_caps(k.top), cairn_store_caps(k.mem));
		assert_string_equal(k.top->description, "mem://");
		cairn_store_free(k.top);
	}
}

static void test_stack_orders_get_faults(void **state)
{
	static const char *const layers[] = { "srf", "rsf", "rfs", "sfr", "fsr", "frs" };
	/* bytes the statistics decorator saw delivered: above the retry decorator the answers; between
	 * it and the faults every attempt's (5 short, then 10); beneath the faults what the driver read */
	static const uint64_t bytes_down[] = { 20, 25, 30, 15, 20, 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		int retried = strchr(layers[i], 'r') < strchr(layers[i], 'f');
		struct stack k = { 0 };
		struct cairn_buf b = { 0 };
		struct cairn_store_stats st;

		stack_open(&k, layers[i]);
		assert_int_equal(cairn_store_put(k.mem, "data/x", "0123456789", 10), 0);
		/* a short read once: retried beneath a retry decorator, else returned short */
		cairn_store_fault_set(k.fault, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, NULL, 1, 1, 0);
		assert_int_equal(cairn_store_get(k.top, "data/x", 0, 10, &b), 0);
		assert_int_equal(b.len, retried ? 10 : 5);
		/* a flipped bit is no transport error: it comes through whatever the order */
		cairn_buf_reset(&b);
		cairn_store_fault_set(k.fault, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, NULL, 1, 1, 0);
		assert_int_equal(cairn_store_get(k.top, "data/x", 0, UINT64_MAX, &b), 0);
		assert_int_equal(b.len, 10);
		assert_memory_not_equal(b.data, "0123456789", 10);
		cairn_store_stats_get(k.top, &st);
		assert_int_equal(st.bytes_down, bytes_down[i]);
		cairn_buf_free(&b);
		cairn_store_free(k.top);
	}
}

static void test_stack_orders_del_many(void **state)
{
	static const char *const layers[] = { "srf", "rsf", "rfs", "sfr", "fsr", "frs", "" };
	const char *names[] = { "index/a", "index/b", "index/missing" };

	(void)state;
	for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		struct stack k = { 0 };
		uint64_t size;

		stack_open(&k, layers[i]);
		assert_int_equal(cairn_store_put(k.mem, "index/a", "a", 1), 0);
		assert_int_equal(cairn_store_put(k.mem, "index/b", "b", 1), 0);
		assert_int_equal(cairn_store_put(k.mem, "index/c", "c", 1), 0);
		assert_int_equal(cairn_store_del_many(k.top, names, 3), 0);
		assert_int_equal(cairn_store_stat(k.mem, "index/a", &size), CAIRN_ENOTFOUND);
		assert_int_equal(cairn_store_stat(k.mem, "index/b", &size), CAIRN_ENOTFOUND);
		assert_int_equal(cairn_store_stat(k.mem, "index/c", &size), 0);
		if (k.fault != NULL)
			assert_int_equal(cairn_store_fault_calls(k.fault, CAIRN_OP_DEL), 3);
		cairn_store_free(k.top);
	}
}

static void test_stack_stats_wrap_errors(void **state)
{
	struct cairn_store *s = NULL;

	(void)state;
	assert_int_equal(cairn_store_stats_wrap(NULL, &s), CAIRN_EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_orders_retry_and_stats),
		cmocka_unit_test(test_stack_orders_get_faults),
		cmocka_unit_test(test_stack_orders_del_many),
		cmocka_unit_test(test_stack_stats_wrap_errors),
	};

	return cmocka_run_group_tests_name("store stacks", tests, NULL, NULL);
}
