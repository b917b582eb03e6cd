/* Time points and durations: parsing and formatting for the command line
 * and the repository (times are int64 nanoseconds since the Unix epoch, UTC).
 */
#ifndef CAIRN_TIMEUTIL_H
#define CAIRN_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/clock.h" /* cairn_time_now_ns(), the wall clock */

#define CAIRN_NS_PER_SEC 1000000000LL
#define CAIRN_TIME_STR 40

/* Parse a point in time:
 *   "latest" or "now"                    -> now_ns
 *   RFC 3339 "2026-11-26T12:00:00Z", with optional fraction and a zone
 *   "Z" / "+02:00" / "-0500"; 't' and ' ' accepted as separator
 *   local time without a zone: "2026-11-26T12:00:00", "2026-11-26 12:00",
 *   "2026-11-26" (midnight), interpreted in the TZ of the process
 *   relative: "2h ago", "30m ago", "-30m", "-1d12h" -> now_ns minus the duration
 * 0, or CAIRN_EINVAL with a detail quoting the text. */
int cairn_time_parse(const char *text, int64_t now_ns, int64_t *ret_ns);

/* Parse a duration: one or more <number><unit> groups, unit one of
 * s, m, h, d, w (e.g. "90s", "15m", "1h30m", "7d"); a bare number is seconds.
 * 0, or CAIRN_EINVAL with a detail. */
int cairn_duration_parse(const char *text, int64_t *ret_ns);

/* "2026-11-26T12:00:00Z" (UTC, seconds precision) or, with `nanos`,
 * "2026-11-26T12:00:00.123456789Z". out must hold CAIRN_TIME_STR bytes. */
void cairn_time_format(int64_t ns, int nanos, char *out);

/* Human duration: "0s", "45s", "3m12s", "2h5m", "4d3h" (rounded down to
 * seconds, two largest units). Negative values get a leading '-'. */
void cairn_duration_format(int64_t ns, char *out, size_t out_len);

/* Rates (cairn_rate_parse): 0 = no limit, else 4 KiB/s .. 1 TiB/s. Slower
 * than the minimum, the stall detector would take a limited transfer for a
 * stalled one; more than the maximum is a typo. */
#define CAIRN_RATE_MIN 4096ULL
#define CAIRN_RATE_MAX (1ULL << 40)

/* Parse a rate in bytes per second: DIGITS[.DIGITS][k|K|m|M|g|G] (1024,
 * 1024^2, 1024^3), e.g. "512k", "10M", "1.5G"; "0" means no limit. Nothing
 * else is accepted: no blanks, signs, exponents or trailing text. Non-zero
 * rates must be at least CAIRN_RATE_MIN and at most CAIRN_RATE_MAX. 0 and
 * *ret, or CAIRN_EINVAL with a detail (not quoting the text: the caller
 * names the option and quotes it). */
int cairn_rate_parse(const char *text, uint64_t *ret);

#endif
