/* Next-run computation for schedules: intervals, cron in local time or UTC across DST, missed runs, jitter. */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cairn/err.h"
#include "cairn/schedule.h"
#include "cairn/timeutil.h"

_Static_assert(sizeof(time_t) >= 8, "cron search needs a 64-bit time_t");

#define SEARCH_YEARS 400 /* one Gregorian cycle: every possible date occurs in it */
#define LAST_YEAR 2262   /* int64 nanoseconds since 1970 end in April 2262 */
#define DAY_SECS 86400

/* A wall-clock minute. */
struct civil {
	int64_t year;
	int mon;  /* 1..12 */
	int day;  /* 1..31 */
	int hour; /* 0..23 */
	int min;  /* 0..59 */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic: 400-year
 * cycles of 146097 days, years counted from March so that Feb 29 comes last). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* The wall-clock time `c` read as if it were UTC, in seconds. */
static int64_t naive_secs(const struct civil *c)
{
	return days_from_civil(c->year, c->mon, c->day) * DAY_SECS + c->hour * 3600 + c->min * 60;
}

/* Wall-clock time of instant t (seconds): the minute into *c, the second into *sec. */
static int to_civil(int64_t t, int flags, struct civil *c, int *sec)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((flags & CAIRN_SCHEDULE_UTC ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) == NULL)
		return cairn_err(CAIRN_EINVAL, "time %lld s is out of the range of the C library", (long long)t);
	c->year = (int64_t)tm.tm_year + 1900;
	c->mon = tm.tm_mon + 1;
	c->day = tm.tm_mday;
	c->hour = tm.tm_hour;
	c->min = tm.tm_min;
	*sec = tm.tm_sec;
	return 0;
}

/* UTC offset (seconds east) in effect at instant t. */
static int utc_offset(int64_t t, int flags, int64_t *ret)
{
	struct civil c;
	int sec, rc;

	if ((rc = to_civil(t, flags, &c, &sec)) != 0)
		return rc;
	*ret = naive_secs(&c) + sec - t;
	return 0;
}

/* The instant at which wall-clock minute `c` runs, if after `after_s`:
 * 0 with *ret set, 1 when it runs at or before after_s (or never), or an error.
 * The offsets a day before and after give the (at most two) candidate instants:
 * one when no transition is near, two in a fall-back fold (the earlier one
 * greater than after_s wins), none in a spring-forward gap, in which case the
 * run goes to the first minute after the gap, or (skip_gap) does not happen. */
static int civil_to_instant(const struct civil *c, int flags, bool skip_gap, int64_t after_s, int64_t *ret)
{
	int64_t n = naive_secs(c), before, after, off, t[2], best = 0;
	bool exists = false, found = false;
	int rc;

	if ((rc = utc_offset(n - DAY_SECS, flags, &before)) != 0 ||
	    (rc = utc_offset(n + DAY_SECS, flags, &after)) != 0)
		return rc;
	t[0] = n - before;
	t[1] = n - after;
	for (int i = 0; i < 2; i++) {
		if ((rc = utc_offset(t[i], flags, &off)) != 0)
			return rc;
		if (t[i] + off != n)
			continue;
		exists = true;
		if (t[i] > after_s && (!found || t[i] < best)) {
			best = t[i];
			found = true;
		}
	}
	if (!exists && before < after && !skip_gap) {
		int64_t lo = t[1], hi = t[0]; /* offset `before` at lo, `after` at hi */

		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if ((rc = utc_offset(mid, flags, &off)) != 0)
				return rc;
			if (off == before)
				lo = mid;
			else
				hi = mid;
		}
		hi = floor_div(hi + 59, 60) * 60; /* the first whole minute after the gap */
		if (hi > after_s) {
			best = hi;
			found = true;
		}
	}
	if (!found)
		return 1;
	*ret = best;
	return 0;
}

static void next_day(struct civil *c)
{
	c->hour = 0;
	c->min = 0;
	if (++c->day > days_in_month(c->year, c->mon)) {
		c->day = 1;
		if (++c->mon > 12) {
			c->mon = 1;
			c->year++;
		}
	}
}

/* The lowest set bit of `bits` at or above `from`, up to `max`; -1 if none. */
static int next_bit(uint64_t bits, int from, int max)
{
	for (int v = from; v <= max; v++) {
		if (bits >> v & 1)
			return v;
	}
	return -1;
}

static bool day_matches(const struct cairn_schedule *s, const struct civil *c)
{
	int64_t days = days_from_civil(c->year, c->mon, c->day);
	int wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	bool mday_ok = s->mdays >> c->day & 1;
	bool wday_ok = s->wdays >> wday & 1;

	if (s->mday_any || s->wday_any)
		return mday_ok && wday_ok;
	return mday_ok || wday_ok;
}

/* Cron: 0 with *ret_s, 1 if no run exists, or an error. Walks wall-clock time
 * field by field: a month that does not match is skipped whole, then days,
 * hours and minutes, so a run years away costs a few thousand steps. */
static int next_cron(const struct cairn_schedule *s, int64_t after_s, int flags, int64_t *ret_s)
{
	const uint64_t minutes = s->minutes & ((1ULL << 60) - 1);
	const uint32_t hours = s->hours & ((1U << 24) - 1);
	struct civil c;
	int64_t limit;
	int sec, rc;

	if (minutes == 0 || hours == 0 || (s->months & 0x1ffe) == 0 ||
	    ((s->mdays & 0xfffffffe) == 0 && (s->wdays & 0x7f) == 0))
		return 1;
	if ((rc = to_civil(after_s, flags, &c, &sec)) != 0)
		return rc;
	limit = c.year + SEARCH_YEARS < LAST_YEAR ? c.year + SEARCH_YEARS : LAST_YEAR;
	/* start at the minute after the one holding after_s */
	if (++c.min > 59) {
		c.min = 0;
		if (++c.hour > 23)
			next_day(&c);
	}
	while (c.year <= limit) {
		int v;

		if (!(s->months >> c.mon & 1)) {
			c.day = days_in_month(c.year, c.mon);
			next_day(&c);
			continue;
		}
		if (!day_matches(s, &c)) {
			next_day(&c);
			continue;
		}
		if ((v = next_bit(hours, c.hour, 23)) < 0) {
			next_day(&c);
			continue;
		}
		if (v != c.hour) {
			c.hour = v;
			c.min = 0;
		}
		if ((v = next_bit(minutes, c.min, 59)) < 0) {
			c.min = 0;
			if (++c.hour > 23)
				next_day(&c);
			continue;
		}
		c.min = v;
		rc = civil_to_instant(&c, flags, hours == (1U << 24) - 1, after_s, ret_s);
		if (rc <= 0)
			return rc;
		if (++c.min > 59) { /* this minute ran before after_s: go on */
			c.min = 0;
			if (++c.hour > 23)
				next_day(&c);
		}
	}
	return 1;
}

/* Every: 0 with *ret, 1 if the next run would not fit in int64, or an error. */
static int next_every(const struct cairn_schedule *s, int64_t anchor_ns, int64_t after_ns, int64_t *ret)
{
	int64_t d, k, step, t;

	if (s->every_ns <= 0)
		return cairn_err(CAIRN_EINVAL, "schedule interval %lld ns is not positive", (long long)s->every_ns);
	if (__builtin_sub_overflow(after_ns, anchor_ns, &d))
		return cairn_err(CAIRN_EINVAL, "anchor and time are too far apart");
	k = floor_div(d, s->every_ns) + 1;
	if (__builtin_mul_overflow(k, s->every_ns, &step) || __builtin_add_overflow(anchor_ns, step, &t))
		return 1;
	*ret = t;
	return 0;
}

/* 0 with *ret_ns, 1 if no run exists, or an error with a detail. */
static int next_run(const struct cairn_schedule *s, int64_t anchor_ns, int64_t after_ns, int flags, int64_t *ret_ns)
{
	int64_t t_s;
	int rc;

	if (s == NULL)
		return cairn_err(CAIRN_EINVAL, "no schedule given");
	if ((flags & ~CAIRN_SCHEDULE_UTC) != 0)
		return cairn_err(CAIRN_EINVAL, "unknown schedule flags 0x%x", (unsigned)flags);
	switch (s->kind) {
	case CAIRN_SCHEDULE_EVERY:
		return next_every(s, anchor_ns, after_ns, ret_ns);
	case CAIRN_SCHEDULE_CRON:
		rc = next_cron(s, floor_div(after_ns, CAIRN_NS_PER_SEC), flags, &t_s);
		if (rc != 0)
			return rc;
		if (t_s > INT64_MAX / CAIRN_NS_PER_SEC || t_s < INT64_MIN / CAIRN_NS_PER_SEC)
			return 1;
		*ret_ns = t_s * CAIRN_NS_PER_SEC;
		return 0;
	default:
		return cairn_err(CAIRN_EINVAL, "schedule is not set");
	}
}

int cairn_schedule_next(const struct cairn_schedule *s, int64_t anchor_ns, int64_t after_ns, int flags,
			int64_t *ret_ns)
{
	int64_t t;
	int rc;

	if (ret_ns == NULL)
		return cairn_err(CAIRN_EINVAL, "no result pointer given");
	rc = next_run(s, anchor_ns, after_ns, flags, &t);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return cairn_err(CAIRN_ENOTFOUND, "schedule never runs (no matching date before the year %d)",
				 LAST_YEAR + 1);
	*ret_ns = t;
	return 0;
}

int cairn_schedule_missed(const struct cairn_schedule *s, int64_t anchor_ns, int64_t last_run_ns, int64_t now_ns,
			  int flags, bool *ret_missed)
{
	int64_t t = 0;
	int rc;

	if (ret_missed == NULL)
		return cairn_err(CAIRN_EINVAL, "no result pointer given");
	rc = next_run(s, anchor_ns, last_run_ns, flags, &t);
	if (rc < 0)
		return rc;
	*ret_missed = rc == 0 && now_ns > last_run_ns && t <= now_ns;
	return 0;
}

int64_t cairn_schedule_jitter(int64_t max_ns, uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL; /* splitmix64: every seed bit moves every output bit */

	if (max_ns <= 0)
		return 0;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (int64_t)(z % (uint64_t)max_ns); /* bias < max_ns / 2^64: none for real windows */
}

uint64_t cairn_schedule_jitter_seed(const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (text == NULL)
		return h;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}
