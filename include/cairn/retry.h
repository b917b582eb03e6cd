/* One retry policy for all I/O: a total deadline, an attempt cap, exponential
 * backoff with full jitter, transient errors only, and every attempt's error
 * folded into the final message.
 *
 *	struct cairn_retry r;
 *	struct cairn_retry_policy policy = cairn_retry_policy_default();
 *	int rc;
 *
 *	cairn_retry_begin(&r, &policy, NULL);
 *	do
 *		rc = put_object(...);           // records its detail with cairn_err()
 *	while (rc != 0 && cairn_retry_should_retry(&r, rc));
 *	rc = cairn_retry_end(&r, rc);
 *	// r.stats.attempts, r.stats.retries, r.stats.slept_ns for --json
 *
 * Only codes whose cairn_err_class() is CAIRN_CLASS_TRANSIENT are retried
 * (other classes when the policy's retry_classes names them).
 * Before retry number k (k = 0 for the first) the loop sleeps a uniformly
 * random time in [0, min(cap, base * 2^k)] ("full jitter"). A retry is made
 * only if it can start strictly before the deadline: when the sleep would
 * reach or cross it, the loop stops at once with CAIRN_ETIMEOUT instead of
 * sleeping.
 *
 * Time, sleep and randomness come from a struct cairn_retry_env, so tests run
 * with a fake clock instantly. A struct cairn_retry belongs to one operation
 * on one thread; it holds no pointers to free.
 */
#ifndef CAIRN_RETRY_H
#define CAIRN_RETRY_H

#include <stddef.h>
#include <stdint.h>

struct cairn_retry_policy {
	int64_t deadline_ns;      /* total time from begin for all attempts and sleeps; > 0 */
	unsigned max_attempts;    /* attempts in all, the first included; >= 1 */
	int64_t backoff_base_ns;  /* window of the first retry's sleep; >= 0 */
	int64_t backoff_cap_ns;   /* largest window; >= backoff_base_ns */
	unsigned flags;           /* CAIRN_RETRY_* below; 0 for I/O */
	/* The error classes retried, a bit (1u << CAIRN_CLASS_x) each; 0 means
	 * transient only (the default). The repository's re-read rule retries
	 * CAIRN_CLASS_CORRUPT: bytes damaged in transit read right again. */
	unsigned retry_classes;
};

/* A wait for a holder (a repository lock, a database another connection is
 * writing) rather than a retry of failed I/O: when the next sleep would reach
 * or cross the deadline, sleep only until the deadline and make one last
 * attempt there, and when the deadline stops the loop, return the last
 * attempt's own code (it names the holder; its class is transient) instead of
 * CAIRN_ETIMEOUT. The detail is folded as for any other stop. */
#define CAIRN_RETRY_LAST_AT_DEADLINE 0x1u

/* Defaults: deadline 120 s, 8 attempts, base 100 ms, cap 20 s. */
#define CAIRN_RETRY_DEFAULT_DEADLINE_NS (120LL * 1000000000LL)
#define CAIRN_RETRY_DEFAULT_ATTEMPTS 8u
#define CAIRN_RETRY_DEFAULT_BASE_NS (100LL * 1000000LL)
#define CAIRN_RETRY_DEFAULT_CAP_NS (20LL * 1000000000LL)

struct cairn_retry_policy cairn_retry_policy_default(void);

/* Clock, sleep and random source. Every function gets `ctx`. */
struct cairn_retry_env {
	int64_t (*now_ns)(void *ctx);            /* monotonic time in ns */
	void (*sleep_ns)(void *ctx, int64_t ns); /* sleep about ns (ns > 0) */
	uint64_t (*random_u64)(void *ctx);       /* uniformly random 64 bits */
	void *ctx;
};

/* The real environment: cairn_time_mono_ns, cairn_time_sleep_ns
 * (include/cairn/clock.h), getrandom(2). */
struct cairn_retry_env cairn_retry_env_default(void);

/* Counters, readable at any time (for --json summaries). */
struct cairn_retry_stats {
	unsigned attempts; /* attempts recorded (should_retry or end with an error, or end's success) */
	unsigned retries;  /* sleeps taken, i.e. attempts started after the first */
	int64_t slept_ns;  /* total backoff slept */
	int64_t elapsed_ns; /* begin to end (set by cairn_retry_end) */
};

/* Add `s` into `total` (attempts, retries and times summed). */
void cairn_retry_stats_add(struct cairn_retry_stats *total, const struct cairn_retry_stats *s);

#define CAIRN_RETRY_LOG_MAX 640    /* folded attempt details kept in full */
#define CAIRN_RETRY_DETAIL_MAX 200 /* one attempt's detail, cut beyond this */

/* The state of one operation's retries. Fields other than `stats` are
 * private. */
struct cairn_retry {
	struct cairn_retry_stats stats;
	struct cairn_retry_policy policy;
	struct cairn_retry_env env;
	int64_t start_ns;
	int stopped;   /* should_retry said stop; final_rc holds the verdict */
	int final_rc;
	int why;       /* what stopped it: 0 the result itself, 1 the attempt cap, 2 the deadline */
	unsigned logged; /* attempts whose detail is in log */
	size_t log_len;
	char log[CAIRN_RETRY_LOG_MAX];
	char last[CAIRN_RETRY_DETAIL_MAX]; /* the latest attempt's detail */
};

/* Start an operation: copy `policy`, take `env` (NULL for the real one) and
 * read the clock. 0, or CAIRN_EINVAL (with a detail) when the policy breaks
 * the limits in struct cairn_retry_policy, has an unknown flag, or env lacks
 * a function; r is then unusable. */
int cairn_retry_begin(struct cairn_retry *r, const struct cairn_retry_policy *policy,
		      const struct cairn_retry_env *env);

/* Record an attempt that failed with `rc` (its detail is the thread's current
 * cairn_err_msg()) and decide. Returns 1 after sleeping the backoff: try
 * again. Returns 0 to stop: rc is 0, or not transient, or the attempt cap is
 * reached, or the deadline would be reached before the next attempt could
 * start (with CAIRN_RETRY_LAST_AT_DEADLINE: once the attempt made at the
 * deadline has failed); cairn_retry_end() then gives the verdict. Once it
 * has returned 0 it keeps returning 0. */
int cairn_retry_should_retry(struct cairn_retry *r, int rc);

/* Finish: `rc` is the last attempt's result. Returns 0 on success (the
 * thread's detail is left alone). On failure returns the final code: rc
 * itself, or CAIRN_ETIMEOUT when the deadline stopped the loop (rc itself
 * with CAIRN_RETRY_LAST_AT_DEADLINE); an error
 * after a single attempt keeps its detail as it is, otherwise the detail
 * becomes "after N attempts in T: attempt 1: ...; attempt 2: ..." (bounded:
 * each attempt's detail is cut at CAIRN_RETRY_DETAIL_MAX bytes, and attempts
 * beyond CAIRN_RETRY_LOG_MAX bytes are summarised as "[k attempts omitted]"
 * with the last one always shown). An rc not yet given to should_retry is
 * recorded as an attempt first. Sets stats.elapsed_ns. */
int cairn_retry_end(struct cairn_retry *r, int rc);

#endif
