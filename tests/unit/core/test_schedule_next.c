/* Tests of lib/core/schedule_next.c: next runs in Europe/Berlin across DST and month ends, missed runs, jitter. */
#include "cairn_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/schedule.h"
#include "cairn/timeutil.h"

#define MIN_NS (60 * CAIRN_NS_PER_SEC)
#define NO_ANCHOR 0

static int set_berlin(void **state)
{
	(void)state;
	/* The POSIX rule is what tzdata says for Berlin since 1996; it needs no tzdata. */
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0)
		setenv("TZ", "Europe/Berlin", 1);
	else
		setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	return 0;
}

static struct cairn_schedule sched(const char *text)
{
	struct cairn_schedule s;

	if (cairn_schedule_parse(text, &s) != 0)
		fail_msg("'%s': %s", text, cairn_err_msg());
	return s;
}

/* An RFC 3339 time with its offset, e.g. "2026-03-29T03:00:00+02:00". */
static int64_t at(const char *text)
{
	int64_t ns;

	if (cairn_time_parse(text, 0, &ns) != 0)
		fail_msg("'%s': %s", text, cairn_err_msg());
	return ns;
}

#define expect_next(text, after, want) expect_next_at(text, NO_ANCHOR, after, CAIRN_SCHEDULE_LOCAL, want, __LINE__)
static void expect_next_at(const char *text, int64_t anchor, int64_t after, int flags, int64_t want, int line)
{
	struct cairn_schedule s = sched(text);
	char got_s[CAIRN_TIME_STR], want_s[CAIRN_TIME_STR];
	int64_t got = -1;
	int rc = cairn_schedule_next(&s, anchor, after, flags, &got);

	if (rc != 0)
		fail_msg("line %d: '%s': rc %d: %s", line, text, rc, cairn_err_msg());
	if (got != want) {
		cairn_time_format(got, 1, got_s);
		cairn_time_format(want, 1, want_s);
		fail_msg("line %d: '%s': got %s, want %s", line, text, got_s, want_s);
	}
}

/* The runs of `text` after `after`, one by one, must be exactly want[] (local times with offsets). */
#define expect_runs(text, after, ...) expect_runs_at(text, after, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)
static void expect_runs_at(const char *text, const char *after, const char *const *want, int line)
{
	int64_t t = at(after);

	for (int i = 0; want[i] != NULL; i++) {
		int64_t w = at(want[i]);

		expect_next_at(text, NO_ANCHOR, t, CAIRN_SCHEDULE_LOCAL, w, line);
		t = w;
	}
}

static void expect_never(const char *text, const char *after)
{
	struct cairn_schedule s = sched(text);
	int64_t got = 12345;

	assert_int_equal(cairn_schedule_next(&s, NO_ANCHOR, at(after), CAIRN_SCHEDULE_LOCAL, &got), CAIRN_ENOTFOUND);
	assert_int_equal(got, 12345); /* untouched */
	assert_non_null(strstr(cairn_err_msg(), "never runs"));
}

static void test_cairn_schedule_next_every_15min(void **state)
{
	(void)state;
	expect_runs("*/15 * * * *", "2026-06-10T10:07:00+02:00", "2026-06-10T10:15:00+02:00",
		    "2026-06-10T10:30:00+02:00", "2026-06-10T10:45:00+02:00", "2026-06-10T11:00:00+02:00");
	/* strictly after: a run exactly at `after` is not the next one; fractions count */
	expect_next("*/15 * * * *", at("2026-06-10T10:15:00+02:00"), at("2026-06-10T10:30:00+02:00"));
	expect_next("*/15 * * * *", at("2026-06-10T10:14:59+02:00") + 999999999, at("2026-06-10T10:15:00+02:00"));
	expect_next("*/15 * * * *", at("2026-06-10T10:15:00+02:00") + 1, at("2026-06-10T10:30:00+02:00"));
	/* across midnight, month and year */
	expect_next("*/15 * * * *", at("2026-12-31T23:50:00+01:00"), at("2027-01-01T00:00:00+01:00"));
	/* the interval form on the epoch grid gives the same times here */
	expect_next_at("every 15m", 0, at("2026-06-10T10:07:00+02:00"), CAIRN_SCHEDULE_LOCAL,
		       at("2026-06-10T10:15:00+02:00"), __LINE__);
}

static void test_cairn_schedule_next_hourly_17(void **state)
{
	(void)state;
	expect_runs("17 * * * *", "2026-06-10T10:16:59+02:00", "2026-06-10T10:17:00+02:00",
		    "2026-06-10T11:17:00+02:00", "2026-06-10T12:17:00+02:00");
	expect_next("17 * * * *", at("2026-06-10T23:30:00+02:00"), at("2026-06-11T00:17:00+02:00"));
	/* spring forward: 02:17 does not exist; an every-hour schedule skips it (no extra run at 03:00) */
	expect_runs("17 * * * *", "2026-03-29T01:00:00+01:00", "2026-03-29T01:17:00+01:00",
		    "2026-03-29T03:17:00+02:00");
	/* fall back: 02:17 runs once, at its first occurrence */
	expect_runs("17 * * * *", "2026-10-25T01:30:00+02:00", "2026-10-25T02:17:00+02:00",
		    "2026-10-25T03:17:00+01:00");
	expect_next("@hourly", at("2026-06-10T10:00:00+02:00"), at("2026-06-10T11:00:00+02:00"));
}

static void test_cairn_schedule_next_dst_spring_forward(void **state)
{
	(void)state;
	/* 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST; 02:30 runs once, at 03:00 */
	expect_runs("30 2 * * *", "2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
		    "2026-03-30T02:30:00+02:00");
	assert_int_equal(at("2026-03-29T03:00:00+02:00"), at("2026-03-29T01:00:00Z"));
	/* several skipped times collapse into one run; 03:00 itself is that run */
	expect_runs("0,30 2,3 * * *", "2026-03-29T01:59:00+01:00", "2026-03-29T03:00:00+02:00",
		    "2026-03-29T03:30:00+02:00", "2026-03-30T02:00:00+02:00");
	/* a time just before the gap is untouched */
	expect_runs("59 1 * * *", "2026-03-28T12:00:00+01:00", "2026-03-29T01:59:00+01:00",
		    "2026-03-30T01:59:00+02:00");
	/* every 15 minutes: the gap is simply not there */
	expect_runs("*/15 * * * *", "2026-03-29T01:40:00+01:00", "2026-03-29T01:45:00+01:00",
		    "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00");
	/* in UTC nothing happens that night */
	expect_next_at("30 2 * * *", NO_ANCHOR, at("2026-03-29T00:00:00Z"), CAIRN_SCHEDULE_UTC,
		       at("2026-03-29T02:30:00Z"), __LINE__);
}

static void test_cairn_schedule_next_dst_fall_back(void **state)
{
	(void)state;
	/* 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET; 02:30 occurs twice and runs once */
	expect_runs("30 2 * * *", "2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00",
		    "2026-10-26T02:30:00+01:00");
	/* a run inside the repeated hour: the next one is tomorrow */
	expect_next("30 2 * * *", at("2026-10-25T02:30:00+02:00") + 1, at("2026-10-26T02:30:00+01:00"));
	expect_next("30 2 * * *", at("2026-10-25T02:59:00+02:00"), at("2026-10-26T02:30:00+01:00"));
	/* asked from inside the second 02:00-03:00 (a restart), the first 02:30 is in the past */
	expect_next("30 2 * * *", at("2026-10-25T02:10:00+01:00"), at("2026-10-25T02:30:00+01:00"));
	/* quarter-hourly: the repeated hour is not run again (one 1h15m gap) */
	expect_runs("0,15,30,45 * * * *", "2026-10-25T02:40:00+02:00", "2026-10-25T02:45:00+02:00",
		    "2026-10-25T03:00:00+01:00", "2026-10-25T03:15:00+01:00");
	/* intervals ignore the clock */
	expect_next_at("every 1h", 0, at("2026-10-25T02:30:00+02:00"), CAIRN_SCHEDULE_LOCAL,
		       at("2026-10-25T02:00:00+01:00"), __LINE__);
}

static void test_cairn_schedule_next_month_ends(void **state)
{
	(void)state;
	/* the 31st: months of 30 days (and February) are skipped */
	expect_runs("0 0 31 * *", "2026-03-31T00:00:00+02:00", "2026-05-31T00:00:00+02:00",
		    "2026-07-31T00:00:00+02:00", "2026-08-31T00:00:00+02:00", "2026-10-31T00:00:00+01:00",
		    "2026-12-31T00:00:00+01:00", "2027-01-31T00:00:00+01:00", "2027-03-31T00:00:00+02:00");
	expect_runs("0 0 30 * *", "2027-01-30T00:00:00+01:00", "2027-03-30T00:00:00+02:00");
	expect_runs("@monthly", "2026-01-31T12:00:00+01:00", "2026-02-01T00:00:00+01:00",
		    "2026-03-01T00:00:00+01:00");
	expect_runs("45 23 * 2 *", "2028-02-28T23:45:00+01:00", "2028-02-29T23:45:00+01:00",
		    "2029-02-01T23:45:00+01:00");
}

static void test_cairn_schedule_next_feb29(void **state)
{
	(void)state;
	expect_runs("0 0 29 2 *", "2026-01-01T00:00:00+01:00", "2028-02-29T00:00:00+01:00",
		    "2032-02-29T00:00:00+01:00");
	/* 2100 is not a leap year: eight years without a run */
	expect_next("0 0 29 2 *", at("2096-02-29T00:00:00+01:00"), at("2104-02-29T00:00:00+01:00"));
	/* nor is 2200 (in UTC here) */
	expect_next_at("0 0 29 2 *", NO_ANCHOR, at("2200-01-01T00:00:00Z"), CAIRN_SCHEDULE_UTC,
		       at("2204-02-29T00:00:00Z"), __LINE__);
}

static void test_cairn_schedule_next_dom_and_dow(void **state)
{
	(void)state;
	/* both restricted: the 13th or any Friday (2026-04-13 is a Monday) */
	expect_runs("0 12 13 * fri", "2026-04-01T00:00:00+02:00", "2026-04-03T12:00:00+02:00",
		    "2026-04-10T12:00:00+02:00", "2026-04-13T12:00:00+02:00", "2026-04-17T12:00:00+02:00");
	/* day of month "*": only Fridays */
	expect_runs("0 12 * * fri", "2026-04-10T12:00:00+02:00", "2026-04-17T12:00:00+02:00");
	/* day of week "*": only the 13th */
	expect_runs("0 12 13 * *", "2026-04-03T12:00:00+02:00", "2026-04-13T12:00:00+02:00",
		    "2026-05-13T12:00:00+02:00");
	/* day of week "*" stepped by 7 (Sunday) starts with '*', so both must match: Feb 29 on a Sunday */
	expect_runs("0 0 29 2 */7", "2026-01-01T00:00:00+01:00", "2032-02-29T00:00:00+01:00",
		    "2060-02-29T00:00:00+01:00");
	expect_next("0 0 29 2 */7", at("2088-03-01T00:00:00+01:00"), at("2128-02-29T00:00:00+01:00"));
	/* 7 is Sunday too */
	expect_runs("0 6 * * 7", "2026-04-01T00:00:00+02:00", "2026-04-05T06:00:00+02:00");
}

static void test_cairn_schedule_next_impossible(void **state)
{
	(void)state;
	expect_never("0 0 31 2 *", "2026-01-01T00:00:00+01:00");
	expect_never("0 0 30 2 *", "2026-01-01T00:00:00+01:00");
	expect_never("0 0 31 4,6,9,11 *", "2026-01-01T00:00:00+01:00");
	/* possible, but not before int64 nanoseconds run out in 2262 */
	expect_never("0 0 29 2 *", "2260-03-01T00:00:00+01:00");
	expect_never("0 0 29 2 */7", "2252-03-01T00:00:00+01:00");
}

static void test_cairn_schedule_next_every_anchored(void **state)
{
	int64_t a = at("2026-06-10T10:00:00Z");

	(void)state;
	expect_next_at("every 90m", a, a + 100 * MIN_NS, 0, a + 180 * MIN_NS, __LINE__);
	expect_next_at("every 90m", a, a + 180 * MIN_NS, 0, a + 270 * MIN_NS, __LINE__);
	expect_next_at("every 90m", a, a, 0, a + 90 * MIN_NS, __LINE__);
	/* before the anchor: the same grid, backwards */
	expect_next_at("every 90m", a, a - 1, 0, a, __LINE__);
	expect_next_at("every 90m", a, a - 100 * MIN_NS, 0, a - 90 * MIN_NS, __LINE__);
	/* anchored on the epoch: 00:00, 01:30, ... 10:30 UTC */
	expect_next_at("every 90m", 0, a, 0, at("2026-06-10T10:30:00Z"), __LINE__);
	/* the flag does not matter for intervals */
	expect_next_at("every 90m", a, a + 1, CAIRN_SCHEDULE_UTC, a + 90 * MIN_NS, __LINE__);
}

static void test_cairn_schedule_next_errors(void **state)
{
	struct cairn_schedule s = sched("0 0 * * *"), none;
	int64_t got = 7;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(cairn_schedule_next(&none, 0, 0, 0, &got), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "schedule is not set");
	assert_int_equal(cairn_schedule_next(NULL, 0, 0, 0, &got), CAIRN_EINVAL);
	assert_int_equal(cairn_schedule_next(&s, 0, 0, 0, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_schedule_next(&s, 0, 0, 2, &got), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "unknown schedule flags 0x2");
	assert_int_equal(got, 7);
	/* the next run of an interval would not fit in int64 */
	s = sched("every 1h");
	assert_int_equal(cairn_schedule_next(&s, 0, INT64_MAX - 1, 0, &got), CAIRN_ENOTFOUND);
	assert_int_equal(got, 7);
}

static void expect_missed(const char *text, int64_t anchor, const char *last, const char *now, bool want)
{
	struct cairn_schedule s = sched(text);
	bool missed = !want;

	assert_int_equal(cairn_schedule_missed(&s, anchor, at(last), at(now), 0, &missed), 0);
	if (missed != want)
		fail_msg("'%s' last %s now %s: missed %d, want %d", text, last, now, missed, want);
}

static void test_cairn_schedule_missed_after_downtime(void **state)
{
	const char *daily = "30 2 * * *";
	struct cairn_schedule s = sched(daily);
	int64_t next;

	(void)state;
	/* three days down: three runs were due, the answer is one catch-up */
	expect_missed(daily, 0, "2026-06-08T02:30:00+02:00", "2026-06-11T10:00:00+02:00", true);
	/* after the catch-up run at 10:00 nothing more is owed, and the next run is tomorrow's */
	expect_missed(daily, 0, "2026-06-11T10:00:00+02:00", "2026-06-11T23:00:00+02:00", false);
	assert_int_equal(cairn_schedule_next(&s, 0, at("2026-06-11T10:00:00+02:00"), 0, &next), 0);
	assert_int_equal(next, at("2026-06-12T02:30:00+02:00"));
	/* (last, now]: a run due exactly now counts, one a second later does not */
	expect_missed(daily, 0, "2026-06-08T02:30:00+02:00", "2026-06-09T02:30:00+02:00", true);
	expect_missed(daily, 0, "2026-06-08T02:30:00+02:00", "2026-06-09T02:29:59+02:00", false);
	/* the clock went back */
	expect_missed(daily, 0, "2026-06-08T02:30:00+02:00", "2026-06-01T00:00:00+02:00", false);
	/* the repeated hour owes nothing */
	expect_missed(daily, 0, "2026-10-25T02:30:00+02:00", "2026-10-25T02:45:00+01:00", false);
	/* intervals */
	expect_missed("every 90m", at("2026-06-08T00:00:00Z"), "2026-06-08T00:00:00Z", "2026-06-11T00:00:00Z",
		      true);
	expect_missed("every 90m", at("2026-06-08T00:00:00Z"), "2026-06-08T00:00:00Z", "2026-06-08T01:29:00Z",
		      false);
	/* a schedule that never runs never owes a run */
	expect_missed("0 0 31 2 *", 0, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", false);
}

static void test_cairn_schedule_missed_errors(void **state)
{
	struct cairn_schedule none;
	bool missed = true;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(cairn_schedule_missed(&none, 0, 0, 1, 0, &missed), CAIRN_EINVAL);
	assert_true(missed); /* untouched */
	assert_int_equal(cairn_schedule_missed(&none, 0, 0, 1, 0, NULL), CAIRN_EINVAL);
}

static void test_cairn_schedule_jitter_spread(void **state)
{
	const int64_t max = 3600 * CAIRN_NS_PER_SEC;
	int buckets[10] = { 0 };
	char host[32];

	(void)state;
	assert_int_equal(cairn_schedule_jitter(0, 42), 0);
	assert_int_equal(cairn_schedule_jitter(-5, 42), 0);
	assert_int_equal(cairn_schedule_jitter(1, 42), 0);
	/* deterministic */
	assert_int_equal(cairn_schedule_jitter(max, 42), cairn_schedule_jitter(max, 42));
	assert_int_equal(cairn_schedule_jitter_seed("db1/backup"), cairn_schedule_jitter_seed("db1/backup"));
	assert_true(cairn_schedule_jitter_seed("db1/backup") != cairn_schedule_jitter_seed("db2/backup"));
	assert_int_equal(cairn_schedule_jitter_seed(NULL), cairn_schedule_jitter_seed(""));
	/* 1000 similar host names spread over the hour */
	for (int i = 0; i < 1000; i++) {
		int64_t j;

		snprintf(host, sizeof(host), "host%d", i);
		j = cairn_schedule_jitter(max, cairn_schedule_jitter_seed(host));
		assert_in_range(j, 0, max - 1);
		buckets[j / (max / 10)]++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(buckets[i], 60, 140);
	/* consecutive seeds too */
	for (uint64_t seed = 0; seed < 1000; seed++)
		assert_in_range(cairn_schedule_jitter(max, seed), 0, max - 1);
	assert_true(cairn_schedule_jitter(max, 1) != cairn_schedule_jitter(max, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_schedule_next_every_15min),
		cmocka_unit_test(test_cairn_schedule_next_hourly_17),
		cmocka_unit_test(test_cairn_schedule_next_dst_spring_forward),
		cmocka_unit_test(test_cairn_schedule_next_dst_fall_back),
		cmocka_unit_test(test_cairn_schedule_next_month_ends),
		cmocka_unit_test(test_cairn_schedule_next_feb29),
		cmocka_unit_test(test_cairn_schedule_next_dom_and_dow),
		cmocka_unit_test(test_cairn_schedule_next_impossible),
		cmocka_unit_test(test_cairn_schedule_next_every_anchored),
		cmocka_unit_test(test_cairn_schedule_next_errors),
		cmocka_unit_test(test_cairn_schedule_missed_after_downtime),
		cmocka_unit_test(test_cairn_schedule_missed_errors),
		cmocka_unit_test(test_cairn_schedule_jitter_spread),
	};

	return cmocka_run_group_tests(tests, set_berlin, NULL);
}
