/* The retry policy for all I/O: deadline, attempt cap, full-jitter backoff, folded attempt details. */
#include "cairn/retry.h"
#include "cairn/clock.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* Details longer than their buffers are cut on purpose (and marked). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define FINAL_MAX 1024

enum { STOP_RESULT, STOP_ATTEMPTS, STOP_DEADLINE };

struct cairn_retry_policy cairn_retry_policy_default(void)
{
	struct cairn_retry_policy p = {
		.deadline_ns = CAIRN_RETRY_DEFAULT_DEADLINE_NS,
		.max_attempts = CAIRN_RETRY_DEFAULT_ATTEMPTS,
		.backoff_base_ns = CAIRN_RETRY_DEFAULT_BASE_NS,
		.backoff_cap_ns = CAIRN_RETRY_DEFAULT_CAP_NS,
	};
	return p;
}

static int64_t real_now_ns(void *ctx)
{
	(void)ctx;
	return cairn_time_mono_ns();
}

static void real_sleep_ns(void *ctx, int64_t ns)
{
	(void)ctx;
	cairn_time_sleep_ns(ns);
}

static uint64_t real_random_u64(void *ctx)
{
	uint64_t v = 0, z;

	(void)ctx;
	if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
		return v;
	/* no getrandom: splitmix64 of the clock still spreads concurrent clients */
	z = (uint64_t)real_now_ns(NULL) + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct cairn_retry_env cairn_retry_env_default(void)
{
	struct cairn_retry_env env = { real_now_ns, real_sleep_ns, real_random_u64, NULL };
	return env;
}

void cairn_retry_stats_add(struct cairn_retry_stats *total, const struct cairn_retry_stats *s)
{
	total->attempts += s->attempts;
	total->retries += s->retries;
	total->slept_ns += s->slept_ns;
	total->elapsed_ns += s->elapsed_ns;
}

int cairn_retry_begin(struct cairn_retry *r, const struct cairn_retry_policy *policy,
		      const struct cairn_retry_env *env)
{
	memset(r, 0, sizeof(*r));
	if (policy == NULL)
		return cairn_err(CAIRN_EINVAL, "retry policy is missing");
	if (policy->deadline_ns <= 0 || policy->max_attempts < 1 || policy->backoff_base_ns < 0 ||
	    policy->backoff_cap_ns < policy->backoff_base_ns || (policy->flags & ~CAIRN_RETRY_LAST_AT_DEADLINE) != 0)
		return cairn_err(CAIRN_EINVAL,
				 "retry policy is invalid (deadline %lld ns, %u attempts, backoff %lld..%lld ns, flags %#x)",
				 (long long)policy->deadline_ns, policy->max_attempts,
				 (long long)policy->backoff_base_ns, (long long)policy->backoff_cap_ns, policy->flags);
	if (env != NULL && (env->now_ns == NULL || env->sleep_ns == NULL || env->random_u64 == NULL))
		return cairn_err(CAIRN_EINVAL, "retry environment lacks a clock, sleep or random function");
	r->policy = *policy;
	r->env = env != NULL ? *env : cairn_retry_env_default();
	r->start_ns = r->env.now_ns(r->env.ctx);
	return 0;
}

static int64_t elapsed(const struct cairn_retry *r)
{
	int64_t d = r->env.now_ns(r->env.ctx) - r->start_ns;

	return d > 0 ? d : 0; /* a clock that goes back counts as no time */
}

/* Count an attempt; keep its detail when it failed. */
static void record(struct cairn_retry *r, int rc)
{
	const char *msg;
	size_t len;
	int n;

	r->stats.attempts++;
	if (rc == 0)
		return;
	msg = cairn_err_msg();
	if (msg[0] == '\0')
		msg = cairn_err_desc(rc);
	n = snprintf(r->last, sizeof(r->last), "attempt %u: %s", r->stats.attempts, msg);
	if (n < 0) {
		snprintf(r->last, sizeof(r->last), "attempt %u: %s", r->stats.attempts, cairn_err_desc(rc));
	} else if ((size_t)n >= sizeof(r->last)) {
		/* cut, without splitting a UTF-8 sequence, and say so */
		len = sizeof(r->last) - 4;
		while (len > 0 && ((unsigned char)r->last[len] & 0xc0) == 0x80)
			len--;
		memcpy(r->last + len, "...", 4);
	}
	/* the log is a prefix of the attempts: once one does not fit, none follows */
	len = strlen(r->last);
	if (r->logged + 1 == r->stats.attempts && r->log_len + 2 + len < sizeof(r->log)) {
		if (r->log_len > 0) {
			memcpy(r->log + r->log_len, "; ", 2);
			r->log_len += 2;
		}
		memcpy(r->log + r->log_len, r->last, len + 1);
		r->log_len += len;
		r->logged++;
	}
}

static int stop(struct cairn_retry *r, int rc, int why)
{
	r->stopped = 1;
	r->final_rc = rc;
	r->why = why;
	return 0;
}

/* min(cap, base * 2^k) without overflow. */
static int64_t window(const struct cairn_retry_policy *p, unsigned k)
{
	int64_t w = p->backoff_base_ns;

	while (k-- > 0 && w < p->backoff_cap_ns) {
		if (w > p->backoff_cap_ns / 2)
			return p->backoff_cap_ns;
		w *= 2;
	}
	return w < p->backoff_cap_ns ? w : p->backoff_cap_ns;
}

/* The verdict when the deadline stops the loop after an attempt failed with rc. */
static int at_deadline(const struct cairn_retry *r, int rc)
{
	return (r->policy.flags & CAIRN_RETRY_LAST_AT_DEADLINE) ? rc : CAIRN_ETIMEOUT;
}

int cairn_retry_should_retry(struct cairn_retry *r, int rc)
{
	int64_t w, sleep_ns = 0, spent;

	if (r->stopped)
		return 0;
	record(r, rc);
	if (rc == 0)
		return stop(r, 0, STOP_RESULT);
	if (!((r->policy.retry_classes != 0 ? r->policy.retry_classes : 1u << CAIRN_CLASS_TRANSIENT) &
	      (1u << cairn_err_class(rc))))
		return stop(r, rc, STOP_RESULT);
	if (r->stats.attempts >= r->policy.max_attempts)
		return stop(r, rc, STOP_ATTEMPTS);
	w = window(&r->policy, r->stats.retries);
	if (w > 0)
		sleep_ns = (int64_t)(r->env.random_u64(r->env.ctx) % ((uint64_t)w + 1));
	/* the next attempt must start strictly before the deadline; a wait
	 * makes its last attempt at the deadline */
	spent = elapsed(r);
	if (spent >= r->policy.deadline_ns)
		return stop(r, at_deadline(r, rc), STOP_DEADLINE);
	if (sleep_ns >= r->policy.deadline_ns - spent) {
		if (!(r->policy.flags & CAIRN_RETRY_LAST_AT_DEADLINE))
			return stop(r, CAIRN_ETIMEOUT, STOP_DEADLINE);
		sleep_ns = r->policy.deadline_ns - spent;
	}
	if (sleep_ns > 0)
		r->env.sleep_ns(r->env.ctx, sleep_ns);
	r->stats.slept_ns += sleep_ns;
	r->stats.retries++;
	return 1;
}

/* "3.2s": seconds with one decimal, rounded down. */
static void fmt_secs(int64_t ns, char *out, size_t len)
{
	snprintf(out, len, "%lld.%llds", (long long)(ns / CAIRN_NS_PER_SEC),
		 (long long)(ns % CAIRN_NS_PER_SEC / (CAIRN_NS_PER_SEC / 10)));
}

int cairn_retry_end(struct cairn_retry *r, int rc)
{
	char msg[FINAL_MAX], took[32], limit[32], tail[CAIRN_RETRY_DETAIL_MAX + 48];
	unsigned failed;
	int final;

	if (!r->stopped) {
		record(r, rc);
		stop(r, rc, STOP_RESULT);
	}
	r->stats.elapsed_ns = elapsed(r);
	final = r->final_rc;
	if (final == 0)
		return 0;
	if (r->stats.attempts <= 1 && r->why != STOP_DEADLINE)
		return final; /* one attempt: its own detail says it all */

	failed = r->stats.attempts;
	tail[0] = '\0';
	if (r->logged < failed) {
		unsigned omitted = failed - r->logged - 1;

		if (omitted > 0)
			snprintf(tail, sizeof(tail), "; [%u attempt%s omitted]; %s", omitted, omitted == 1 ? "" : "s",
				 r->last);
		else
			snprintf(tail, sizeof(tail), "; %s", r->last);
	}
	fmt_secs(r->stats.elapsed_ns, took, sizeof(took));
	limit[0] = '\0';
	if (r->why == STOP_DEADLINE) {
		char d[24];

		fmt_secs(r->policy.deadline_ns, d, sizeof(d));
		snprintf(limit, sizeof(limit), " (deadline %s)", d);
	}
	snprintf(msg, sizeof(msg), "after %u attempt%s in %s%s: %s%s", failed, failed == 1 ? "" : "s", took, limit,
		 r->log, tail);
	return cairn_err(final, "%s", msg);
}
