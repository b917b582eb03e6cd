/* The clocks and the sleep every part of Cairn uses.
 *
 *	int64_t t0 = cairn_time_mono_ns();
 *	...
 *	int64_t took = cairn_time_mono_ns() - t0;   // never negative, immune to clock changes
 *
 * Wall-clock time (cairn_time_now_ns) is for what is stored or shown: times of
 * snapshots, locks, reports. Durations, deadlines and timeouts use the
 * monotonic clock. Code that tests must run against a fake clock takes a
 * struct cairn_retry_env (include/cairn/retry.h: now_ns, sleep_ns,
 * random_u64): the real one, cairn_retry_env_default(), is built on the
 * functions below.
 */
#ifndef CAIRN_CLOCK_H
#define CAIRN_CLOCK_H

#include <stdint.h>

/* Wall-clock time (CLOCK_REALTIME) in ns since the Unix epoch, UTC. */
int64_t cairn_time_now_ns(void);

/* Monotonic time (CLOCK_MONOTONIC) in ns since an unspecified start; only
 * differences mean anything. Never goes back. */
int64_t cairn_time_mono_ns(void);

/* Sleep `ns` nanoseconds, resumed after signals (EINTR), so the whole time
 * passes. ns <= 0 returns at once. */
void cairn_time_sleep_ns(int64_t ns);

/* How often operations call their progress callbacks: at most every 250 ms. */
#define CAIRN_PROGRESS_INTERVAL_NS 250000000LL

/* Throttle of a periodic report: 1 when `force` or when at least
 * `interval_ns` have passed since *last_ns (then *last_ns = now), else 0.
 * `now` is the caller's reading of its clock. Not thread-safe: the caller
 * serialises calls on one *last_ns. */
int cairn_time_due(int64_t *last_ns, int64_t now, int64_t interval_ns, int force);

#endif
