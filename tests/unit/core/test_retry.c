/* Unit tests for the retry policy, on a fake clock, sleep and random source. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/retry.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC CAIRN_NS_PER_SEC
#define MS (CAIRN_NS_PER_SEC / 1000)

/* A clock that moves only when slept on or when an attempt "takes" time. */
struct fake {
	int64_t now;
	int64_t sleeps[128];
	unsigned n_sleeps;
	int64_t deadline_at; /* when set, every sleep must end strictly before it */
	const uint64_t *script; /* random values to return in turn; then `fixed` */
	size_t n_script, i_script;
	uint64_t fixed;
	uint64_t seed; /* when non-zero: xorshift64* instead of script/fixed */
};

static int64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ns)
{
	struct fake *f = ctx;

	assert_true(ns > 0);
	f->now += ns;
	if (f->n_sleeps < sizeof(f->sleeps) / sizeof(f->sleeps[0]))
		f->sleeps[f->n_sleeps] = ns;
	f->n_sleeps++;
	if (f->deadline_at != 0)
		assert_true(f->now < f->deadline_at);
}

static uint64_t fake_random(void *ctx)
{
	struct fake *f = ctx;

	if (f->seed != 0) {
		f->seed ^= f->seed >> 12;
		f->seed ^= f->seed << 25;
		f->seed ^= f->seed >> 27;
		return f->seed * 0x2545f4914f6cdd1dULL;
	}
	if (f->i_script < f->n_script)
		return f->script[f->i_script++];
	return f->fixed;
}

static struct cairn_retry_env fake_env(struct fake *f)
{
	struct cairn_retry_env env = { fake_now, fake_sleep, fake_random, f };
	return env;
}

static struct cairn_retry_policy policy(int64_t deadline, unsigned attempts, int64_t base, int64_t cap)
{
	struct cairn_retry_policy p = {
		.deadline_ns = deadline, .max_attempts = attempts, .backoff_base_ns = base, .backoff_cap_ns = cap,
	};
	return p;
}

/* One attempt that takes `cost` ns and fails with rc (0: succeeds). */
static int attempt(struct fake *f, int64_t cost, int rc, const char *detail)
{
	f->now += cost;
	if (rc == 0)
		return 0;
	return cairn_err(rc, "%s", detail);
}

static void test_retry_should_retry_succeeds_on_third(void **state)
{
	static const uint64_t rnd[] = { 50 * MS, 150 * MS };
	struct fake f = { .now = 1000 * SEC, .script = rnd, .n_script = 2 };
	struct cairn_retry_policy p = policy(30 * SEC, 5, 100 * MS, 10 * SEC);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;
	int rc, n = 0;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	cairn_err(CAIRN_EIO, "unrelated older detail");
	do {
		n++;
		rc = attempt(&f, 10 * MS, n < 3 ? CAIRN_ETRANSIENT : 0, "503 SlowDown on 'packs/ab'");
	} while (rc != 0 && cairn_retry_should_retry(&r, rc));
	assert_int_equal(cairn_retry_end(&r, rc), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r.stats.attempts, 3);
	assert_int_equal(r.stats.retries, 2);
	/* windows 100 ms then 200 ms: the scripted values fall inside both */
	assert_int_equal(f.n_sleeps, 2);
	assert_int_equal(f.sleeps[0], 50 * MS);
	assert_int_equal(f.sleeps[1], 150 * MS);
	assert_int_equal(r.stats.slept_ns, 200 * MS);
	assert_int_equal(r.stats.elapsed_ns, 230 * MS);
	/* success leaves the thread's detail alone */
	assert_string_equal(cairn_err_msg(), "503 SlowDown on 'packs/ab'");
}

static void test_retry_should_retry_permanent_not_retried(void **state)
{
	struct fake f = { .fixed = 7 };
	struct cairn_retry_policy p = policy(30 * SEC, 5, 100 * MS, 10 * SEC);
	struct cairn_retry_env env = fake_env(&f);
	static const int permanent[] = { CAIRN_EIO, CAIRN_EAUTH, CAIRN_ENOTFOUND, CAIRN_ECORRUPT, CAIRN_EINVAL,
					 CAIRN_EBUG, CAIRN_EEXIST, -999 };
	struct cairn_retry r;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++) {
		assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
		rc = attempt(&f, 0, permanent[i], "cannot put 'packs/ab': 403 AccessDenied");
		assert_int_equal(cairn_retry_should_retry(&r, rc), 0);
		assert_int_equal(cairn_retry_end(&r, rc), permanent[i]);
		/* a single attempt keeps its own detail */
		assert_string_equal(cairn_err_msg(), "cannot put 'packs/ab': 403 AccessDenied");
		assert_int_equal(r.stats.attempts, 1);
		assert_int_equal(r.stats.retries, 0);
	}
	assert_int_equal(f.n_sleeps, 0);

	/* transient, then permanent: stops at the permanent one, both folded */
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	rc = attempt(&f, 0, CAIRN_ETRANSIENT, "503 SlowDown");
	assert_int_equal(cairn_retry_should_retry(&r, rc), 1);
	rc = attempt(&f, 0, CAIRN_EAUTH, "403 SignatureDoesNotMatch");
	assert_int_equal(cairn_retry_should_retry(&r, rc), 0);
	assert_int_equal(cairn_retry_should_retry(&r, rc), 0); /* stays stopped, counts nothing more */
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_EAUTH);
	assert_int_equal(r.stats.attempts, 2);
	assert_string_equal(cairn_err_msg(),
			    "after 2 attempts in 0.0s: attempt 1: 503 SlowDown; attempt 2: 403 SignatureDoesNotMatch");
}

/* Sleeps of exactly the window (1, 2, 4 s) bring the clock to 7 s; the next
 * window is 8 s. With a deadline of 15 s that retry would start AT the
 * deadline, so the loop stops without sleeping; with one nanosecond more it
 * sleeps the 8 s, and then stops because even a 1 ns sleep would reach it. */
static void test_retry_should_retry_deadline_exact(void **state)
{
	static const uint64_t rnd[] = { 1 * SEC, 2 * SEC, 4 * SEC, 8 * SEC };
	struct fake f;
	struct cairn_retry_policy p;
	struct cairn_retry_env env;
	struct cairn_retry r;
	int rc, round;

	(void)state;
	for (round = 0; round < 2; round++) {
		memset(&f, 0, sizeof(f));
		f.now = 5 * SEC;
		f.script = rnd;
		f.n_script = 4;
		f.fixed = 1; /* after the script: 1 ns */
		env = fake_env(&f);
		p = policy(15 * SEC + round, 100, 1 * SEC, 60 * SEC);
		f.deadline_at = f.now + p.deadline_ns; /* fake_sleep asserts no sleep reaches it */
		assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
		do
			rc = attempt(&f, 0, CAIRN_ETRANSIENT, "connection reset");
		while (cairn_retry_should_retry(&r, rc));
		assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETIMEOUT);
		assert_int_equal(f.n_sleeps, 3 + round);
		assert_int_equal(r.stats.attempts, 4 + round);
		assert_int_equal(r.stats.slept_ns, round == 0 ? 7 * SEC : 15 * SEC);
		assert_int_equal(f.now, 5 * SEC + r.stats.slept_ns);
		assert_non_null(strstr(cairn_err_msg(), round == 0 ? "after 4 attempts in 7.0s (deadline 15.0s): "
								     "attempt 1: connection reset; attempt 2: "
								   : "after 5 attempts in 15.0s (deadline 15.0s): "
								     "attempt 1: connection reset; attempt 2: "));
	}

	/* an attempt that itself outlasts the deadline is not retried */
	memset(&f, 0, sizeof(f));
	env = fake_env(&f);
	p = policy(10 * SEC, 100, 1 * MS, 1 * MS);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	rc = attempt(&f, 11 * SEC, CAIRN_ETRANSIENT, "timed out reading 'packs/ab'");
	assert_int_equal(cairn_retry_should_retry(&r, rc), 0);
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETIMEOUT);
	assert_int_equal(f.n_sleeps, 0);
	assert_string_equal(cairn_err_msg(),
			    "after 1 attempt in 11.0s (deadline 10.0s): attempt 1: timed out reading 'packs/ab'");
}

static void test_retry_should_retry_attempts_cap(void **state)
{
	struct fake f = { .fixed = 0 };
	struct cairn_retry_policy p = policy(3600 * SEC, 3, 100 * MS, 10 * SEC);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;
	int rc, calls = 0;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do {
		calls++;
		rc = attempt(&f, 0, CAIRN_ENOSPC, "no space left on 'store'");
	} while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(calls, 3);
	/* the last error's code, not a timeout */
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ENOSPC);
	assert_int_equal(r.stats.attempts, 3);
	assert_int_equal(r.stats.retries, 2);
	assert_int_equal(r.stats.slept_ns, 0); /* random 0: zero-length sleeps are skipped */
	assert_int_equal(f.n_sleeps, 0);

	/* one attempt allowed: no retry, the detail untouched */
	p.max_attempts = 1;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	rc = attempt(&f, 0, CAIRN_ETRANSIENT, "503 SlowDown");
	assert_int_equal(cairn_retry_should_retry(&r, rc), 0);
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	assert_string_equal(cairn_err_msg(), "503 SlowDown");
}

static void test_retry_should_retry_jitter_bounds(void **state)
{
	const int64_t base = 100 * MS, cap = 2 * SEC;
	struct cairn_retry_policy p = policy(INT64_MAX, 12, base, cap);
	int64_t max_seen[11] = { 0 }, min_seen[11];
	uint64_t seed;
	unsigned k;

	(void)state;
	for (k = 0; k < 11; k++)
		min_seen[k] = INT64_MAX;
	for (seed = 1; seed <= 2000; seed++) {
		struct fake f = { .seed = seed * 0x9e3779b97f4a7c15ULL };
		struct cairn_retry_env env = fake_env(&f);
		struct cairn_retry r;
		int64_t before = 0;
		int rc;

		assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
		for (k = 0;; k++) {
			int64_t w = base << (k < 5 ? k : 5);

			rc = attempt(&f, 0, CAIRN_ETRANSIENT, "reset");
			before = f.now;
			if (!cairn_retry_should_retry(&r, rc))
				break;
			w = w < cap ? w : cap;
			/* every sleep within [0, min(cap, base * 2^k)] */
			assert_true(f.now - before >= 0 && f.now - before <= w);
			max_seen[k] = f.now - before > max_seen[k] ? f.now - before : max_seen[k];
			min_seen[k] = f.now - before < min_seen[k] ? f.now - before : min_seen[k];
		}
		assert_int_equal(k, 11);
		assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	}
	/* full jitter really spreads over the whole window */
	for (k = 0; k < 11; k++) {
		int64_t w = (base << (k < 5 ? k : 5)) < cap ? (base << (k < 5 ? k : 5)) : cap;

		assert_true(max_seen[k] > w * 95 / 100);
		assert_true(min_seen[k] < w * 5 / 100);
	}

	/* huge bases and caps do not overflow the window */
	{
		struct fake f = { .seed = 42 };
		struct cairn_retry_env env = fake_env(&f);
		struct cairn_retry r;
		struct cairn_retry_policy big = policy(INT64_MAX, 100, INT64_MAX / 3, INT64_MAX - 1);
		unsigned j;
		int rc;

		assert_int_equal(cairn_retry_begin(&r, &big, &env), 0);
		do
			rc = attempt(&f, 0, CAIRN_ETRANSIENT, "reset");
		while (cairn_retry_should_retry(&r, rc));
		rc = cairn_retry_end(&r, rc);
		/* stopped by the deadline (a sleep would reach INT64_MAX) or the cap */
		assert_true(rc == CAIRN_ETIMEOUT || rc == CAIRN_ETRANSIENT);
		assert_true(f.now >= 0 && f.now == r.stats.slept_ns);
		assert_true(f.n_sleeps >= 1);
		for (j = 0; j < f.n_sleeps && j < 128; j++)
			assert_true(f.sleeps[j] > 0 && f.sleeps[j] <= INT64_MAX - 1);
	}
}

static void test_retry_end_message_folding(void **state)
{
	struct fake f = { .fixed = 0 };
	struct cairn_retry_policy p = policy(60 * SEC, 4, 100 * MS, 1 * SEC);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;
	char detail[64];
	int rc, i = 0;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do {
		i++;
		snprintf(detail, sizeof(detail), "cannot get 'packs/%d': 503 SlowDown", i);
		rc = attempt(&f, 800 * MS, CAIRN_ETRANSIENT, detail);
	} while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	assert_string_equal(cairn_err_msg(), "after 4 attempts in 3.2s: attempt 1: cannot get 'packs/1': 503 SlowDown; "
					     "attempt 2: cannot get 'packs/2': 503 SlowDown; "
					     "attempt 3: cannot get 'packs/3': 503 SlowDown; "
					     "attempt 4: cannot get 'packs/4': 503 SlowDown");

	/* an attempt without a detail gets the code's description; end records an
	 * error it was not shown */
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	cairn_err_clear();
	assert_int_equal(cairn_retry_should_retry(&r, CAIRN_ETIMEOUT), 1);
	cairn_err_clear();
	assert_int_equal(cairn_retry_end(&r, CAIRN_EIO), CAIRN_EIO);
	assert_int_equal(r.stats.attempts, 2);
	assert_string_equal(cairn_err_msg(),
			    "after 2 attempts in 0.0s: attempt 1: timed out; attempt 2: input/output error");
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80		? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;

		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
		}
	}
	return 1;
}

static void test_retry_end_message_truncation(void **state)
{
	struct fake f = { .fixed = 0 };
	struct cairn_retry_policy p = policy(3600 * SEC, 50, 0, 0);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;
	char detail[1000];
	const char *msg, *q;
	int rc, i = 0;
	size_t n;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do {
		i++;
		n = (size_t)snprintf(detail, sizeof(detail), "try %d ", i);
		/* long details of two-byte characters: cut without splitting one */
		while (n + 2 < 600) {
			memcpy(detail + n, "\xc3\xa9", 2);
			n += 2;
		}
		detail[n] = '\0';
		rc = attempt(&f, 0, CAIRN_ETRANSIENT, detail);
	} while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(i, 50);
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	msg = cairn_err_msg();
	assert_true(strlen(msg) < 1000);
	assert_true(valid_utf8(msg));
	assert_non_null(strstr(msg, "after 50 attempts in 0.0s: attempt 1: try 1 "));
	assert_non_null(strstr(msg, "attempt 3: try 3 "));
	assert_null(strstr(msg, "attempt 4: "));
	assert_non_null(strstr(msg, "...; [46 attempts omitted]; attempt 50: try 50 "));
	q = msg + strlen(msg) - 3;
	assert_string_equal(q, "...");
	/* each attempt's text is cut at CAIRN_RETRY_DETAIL_MAX */
	q = strstr(msg, "attempt 2: ");
	assert_true(strstr(q, "; ") - q < CAIRN_RETRY_DETAIL_MAX);

	/* an omitted count of exactly one is spelled in the singular */
	p.max_attempts = 5;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	i = 0;
	do {
		i++;
		memset(detail, 'x', 190);
		snprintf(detail + 190, 16, " %d", i);
		rc = attempt(&f, 0, CAIRN_ETRANSIENT, detail);
	} while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "; [1 attempt omitted]; attempt 5: xxx"));
}

static void test_retry_stats_counters(void **state)
{
	static const uint64_t rnd[] = { 30 * MS, 70 * MS, 110 * MS };
	struct fake f = { .script = rnd, .n_script = 3 };
	struct cairn_retry_policy p = policy(60 * SEC, 10, 100 * MS, 1 * SEC);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry_stats total = { 0 };
	struct cairn_retry r;
	int rc, i;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	for (i = 0; i < 3; i++) {
		rc = attempt(&f, 5 * MS, CAIRN_ELOCKED, "locked");
		assert_int_equal(cairn_retry_should_retry(&r, rc), 1);
		assert_int_equal(r.stats.attempts, (unsigned)i + 1);
		assert_int_equal(r.stats.retries, (unsigned)i + 1);
	}
	rc = attempt(&f, 5 * MS, 0, NULL);
	assert_int_equal(cairn_retry_end(&r, rc), 0);
	assert_int_equal(r.stats.attempts, 4);
	assert_int_equal(r.stats.retries, 3);
	assert_int_equal(r.stats.slept_ns, 210 * MS);
	assert_int_equal(r.stats.elapsed_ns, 230 * MS);
	cairn_retry_stats_add(&total, &r.stats);

	/* a first-time success counts one attempt, no retry */
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	assert_int_equal(cairn_retry_end(&r, attempt(&f, 1 * MS, 0, NULL)), 0);
	assert_int_equal(r.stats.attempts, 1);
	assert_int_equal(r.stats.retries, 0);
	cairn_retry_stats_add(&total, &r.stats);
	assert_int_equal(total.attempts, 5);
	assert_int_equal(total.retries, 3);
	assert_int_equal(total.slept_ns, 210 * MS);
	assert_int_equal(total.elapsed_ns, 231 * MS);
}

/* A wait: the sleep that would cross the deadline is cut to end at it, one
 * last attempt is made there, and the holder's own code is the verdict. */
static void test_retry_should_retry_last_at_deadline(void **state)
{
	struct fake f = { .fixed = 5 * SEC }; /* every sleep takes its whole window */
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry_policy p = policy(12 * SEC, UINT32_MAX, 5 * SEC, 5 * SEC);
	struct cairn_retry r;
	int rc;

	(void)state;
	p.flags = CAIRN_RETRY_LAST_AT_DEADLINE;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do
		rc = attempt(&f, 0, CAIRN_ELOCKED, "held by prune on host 'b'");
	while (cairn_retry_should_retry(&r, rc));
	/* attempts at 0, 5, 10 and 12 s (the deadline) */
	assert_int_equal(f.n_sleeps, 3);
	assert_int_equal(f.sleeps[0], 5 * SEC);
	assert_int_equal(f.sleeps[1], 5 * SEC);
	assert_int_equal(f.sleeps[2], 2 * SEC);
	assert_int_equal(f.now, 12 * SEC);
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ELOCKED);
	assert_int_equal(r.stats.attempts, 4);
	assert_non_null(strstr(cairn_err_msg(), "after 4 attempts in 12.0s (deadline 12.0s)"));
	assert_non_null(strstr(cairn_err_msg(), "attempt 4: held by prune on host 'b'"));

	/* without the flag the same loop stops before the sleep that would
	 * reach the deadline, and says it timed out */
	f = (struct fake){ .fixed = 5 * SEC };
	env = fake_env(&f);
	p.flags = 0;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do
		rc = attempt(&f, 0, CAIRN_ELOCKED, "held");
	while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(f.now, 10 * SEC);
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETIMEOUT);
}

/* A wait whose holder goes away: success, and the detail is left alone. */
static void test_retry_should_retry_last_at_deadline_success(void **state)
{
	struct fake f = { .fixed = 5 * SEC };
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry_policy p = policy(12 * SEC, UINT32_MAX, 5 * SEC, 5 * SEC);
	struct cairn_retry r;
	int rc, n = 0;

	(void)state;
	p.flags = CAIRN_RETRY_LAST_AT_DEADLINE;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	do
		rc = attempt(&f, 0, ++n < 4 ? CAIRN_ELOCKED : 0, "held");
	while (rc != 0 && cairn_retry_should_retry(&r, rc));
	assert_int_equal(cairn_retry_end(&r, rc), 0);
	assert_int_equal(n, 4);
	assert_int_equal(f.now, 12 * SEC); /* the last attempt, at the deadline, got it */
}

static void test_retry_begin_rejects(void **state)
{
	struct fake f = { 0 };
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;
	struct cairn_retry_policy p;

	(void)state;
	p = policy(0, 3, 1, 2);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	p = policy(-1, 3, 1, 2);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	p = policy(SEC, 0, 1, 2);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	p = policy(SEC, 3, -1, 2);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	p = policy(SEC, 3, 5, 2);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "retry policy is invalid"));
	p = policy(SEC, 3, 1, 2);
	p.flags = 0x80;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	assert_int_equal(cairn_retry_begin(&r, NULL, &env), CAIRN_EINVAL);
	p = policy(SEC, 3, 1, 2);
	env.random_u64 = NULL;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	env = fake_env(&f);
	env.now_ns = NULL;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), CAIRN_EINVAL);
	env = fake_env(&f);
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);

	p = cairn_retry_policy_default();
	assert_int_equal(p.deadline_ns, CAIRN_RETRY_DEFAULT_DEADLINE_NS);
	assert_int_equal(p.max_attempts, CAIRN_RETRY_DEFAULT_ATTEMPTS);
	assert_int_equal(cairn_retry_begin(&r, &p, NULL), 0);
}

/* The real clock, sleep and random source, kept to a few milliseconds. */
static void test_retry_env_default_real(void **state)
{
	struct cairn_retry_policy p = policy(5 * SEC, 4, 1 * MS, 2 * MS);
	struct cairn_retry_env env = cairn_retry_env_default();
	struct cairn_retry r;
	uint64_t a, b;
	int64_t t0, t1;
	int rc;

	(void)state;
	t0 = env.now_ns(env.ctx);
	env.sleep_ns(env.ctx, 1 * MS);
	t1 = env.now_ns(env.ctx);
	assert_true(t1 - t0 >= 1 * MS);
	a = env.random_u64(env.ctx);
	b = env.random_u64(env.ctx);
	assert_true(a != b);

	assert_int_equal(cairn_retry_begin(&r, &p, NULL), 0);
	do
		rc = cairn_err(CAIRN_ETRANSIENT, "reset");
	while (cairn_retry_should_retry(&r, rc));
	assert_int_equal(cairn_retry_end(&r, rc), CAIRN_ETRANSIENT);
	assert_int_equal(r.stats.attempts, 4);
	assert_int_equal(r.stats.retries, 3);
	assert_true(r.stats.slept_ns <= 1 * MS + 2 * MS + 2 * MS);
	assert_true(r.stats.elapsed_ns >= r.stats.slept_ns);
	assert_true(r.stats.elapsed_ns < 5 * SEC);
}

/* retry_classes: the default retries transient errors only; a policy naming
 * the corrupt class retries CAIRN_ECORRUPT and no longer the transient. */
static void test_retry_should_retry_classes(void **state)
{
	struct fake f = { .now = 5 * SEC };
	struct cairn_retry_policy p = policy(30 * SEC, 3, 0, 0);
	struct cairn_retry_env env = fake_env(&f);
	struct cairn_retry r;

	(void)state;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	assert_int_equal(cairn_retry_should_retry(&r, attempt(&f, 0, CAIRN_ECORRUPT, "bad bytes")), 0);
	assert_int_equal(cairn_retry_end(&r, CAIRN_ECORRUPT), CAIRN_ECORRUPT);

	p.retry_classes = 1u << CAIRN_CLASS_CORRUPT;
	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	assert_int_equal(cairn_retry_should_retry(&r, attempt(&f, 0, CAIRN_ECORRUPT, "bad bytes")), 1);
	assert_int_equal(cairn_retry_should_retry(&r, attempt(&f, 0, CAIRN_ECORRUPT, "bad bytes")), 1);
	/* the attempt cap still holds */
	assert_int_equal(cairn_retry_should_retry(&r, attempt(&f, 0, CAIRN_ECORRUPT, "bad bytes")), 0);
	assert_int_equal(r.stats.attempts, 3);
	assert_int_equal(f.n_sleeps, 0); /* backoff 0: no waiting */

	assert_int_equal(cairn_retry_begin(&r, &p, &env), 0);
	assert_int_equal(cairn_retry_should_retry(&r, attempt(&f, 0, CAIRN_ETRANSIENT, "503")), 0);
	assert_int_equal(cairn_retry_end(&r, CAIRN_ETRANSIENT), CAIRN_ETRANSIENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_should_retry_succeeds_on_third),
		cmocka_unit_test(test_retry_should_retry_permanent_not_retried),
		cmocka_unit_test(test_retry_should_retry_deadline_exact),
		cmocka_unit_test(test_retry_should_retry_attempts_cap),
		cmocka_unit_test(test_retry_should_retry_jitter_bounds),
		cmocka_unit_test(test_retry_end_message_folding),
		cmocka_unit_test(test_retry_end_message_truncation),
		cmocka_unit_test(test_retry_stats_counters),
		cmocka_unit_test(test_retry_should_retry_last_at_deadline),
		cmocka_unit_test(test_retry_should_retry_last_at_deadline_success),
		cmocka_unit_test(test_retry_begin_rejects),
		cmocka_unit_test(test_retry_env_default_real),
		cmocka_unit_test(test_retry_should_retry_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
