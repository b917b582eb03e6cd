/* Tests of lib/core/schedule.c: "every" intervals and cron expressions. */
#include "cairn_test.h"

#include <string.h>

#include "cairn/err.h"
#include "cairn/schedule.h"

static struct cairn_schedule parse_ok(const char *text)
{
	struct cairn_schedule s;

	if (cairn_schedule_parse(text, &s) != 0)
		fail_msg("'%s': %s", text, cairn_err_msg());
	return s;
}

static void expect_bad(const char *text, const char *msg)
{
	struct cairn_schedule s;

	memset(&s, 0x5a, sizeof(s));
	if (cairn_schedule_parse(text, &s) != CAIRN_EINVAL || strcmp(cairn_err_msg(), msg) != 0)
		fail_msg("'%s': got '%s', want '%s'", text, cairn_err_msg(), msg);
	assert_int_equal(s.every_ns, 0x5a5a5a5a5a5a5a5aLL); /* untouched */
}

static void test_cairn_schedule_parse_every(void **state)
{
	struct cairn_schedule s;

	(void)state;
	s = parse_ok("every 15m");
	assert_int_equal(s.kind, CAIRN_SCHEDULE_EVERY);
	assert_int_equal(s.every_ns, 900 * 1000000000LL);
	s = parse_ok("  Every   1h30m ");
	assert_int_equal(s.every_ns, 5400 * 1000000000LL);
	s = parse_ok("every 1s");
	assert_int_equal(s.every_ns, 1000000000LL);
	expect_bad("every", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one "
		   "has 1");
	expect_bad("every 0s", "'every 0s' is shorter than one second");
	expect_bad("every soon", "'every' takes a duration such as 15m, 1h or 1d, not 'soon'");
	expect_bad("every 15 m", "'every' takes a duration such as 15m, 1h or 1d, not '15 m'");
	expect_bad("", "empty schedule (expected e.g. 'every 15m' or '30 2 * * *')");
	expect_bad("   ", "empty schedule (expected e.g. 'every 15m' or '30 2 * * *')");
}

static void test_cairn_schedule_parse_cron_fields(void **state)
{
	struct cairn_schedule s;

	(void)state;
	s = parse_ok("* * * * *");
	assert_int_equal(s.kind, CAIRN_SCHEDULE_CRON);
	assert_true(s.minutes == (1ULL << 60) - 1);
	assert_int_equal(s.hours, (1u << 24) - 1);
	assert_int_equal(s.mdays, 0xfffffffeu);
	assert_int_equal(s.months, 0x1ffe);
	assert_int_equal(s.wdays, 0x7f);
	assert_true(s.mday_any && s.wday_any);
	s = parse_ok("*/15 0-6/2,22 1,15 jan-mar,DEC mon-fri");
	assert_true(s.minutes == (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	assert_int_equal(s.hours, 1u | 1u << 2 | 1u << 4 | 1u << 6 | 1u << 22);
	assert_int_equal(s.mdays, 1u << 1 | 1u << 15);
	assert_int_equal(s.months, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 12);
	assert_int_equal(s.wdays, 0x3e);
	assert_false(s.mday_any);
	assert_false(s.wday_any);
	s = parse_ok("5/20 * * * 7");
	assert_true(s.minutes == (1ULL << 5 | 1ULL << 25 | 1ULL << 45));
	assert_int_equal(s.wdays, 1); /* 7 is Sunday */
	s = parse_ok("0 0 * * 5-7");
	assert_int_equal(s.wdays, 1u | 1u << 5 | 1u << 6);
	s = parse_ok("59 23 31 12 0");
	assert_true(s.minutes == 1ULL << 59);
	s = parse_ok("\t0\t12  *  *  sun ");
	assert_int_equal(s.wdays, 1);
}

static void test_cairn_schedule_parse_macros(void **state)
{
	struct cairn_schedule s;

	(void)state;
	s = parse_ok("@daily");
	assert_true(s.minutes == 1 && s.hours == 1 && s.mdays == 0xfffffffeu);
	s = parse_ok("@WEEKLY");
	assert_int_equal(s.wdays, 1);
	s = parse_ok("@yearly");
	assert_int_equal(s.months, 2);
	assert_int_equal(s.mdays, 2);
	expect_bad("@reboot", "unknown schedule '@reboot' (known: @hourly, @daily, @weekly, @monthly, @yearly)");
}

static void test_cairn_schedule_parse_cron_errors(void **state)
{
	(void)state;
	expect_bad("* * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one "
		   "has 4");
	expect_bad("* * * * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
		   "this one has more");
	expect_bad("60 * * * *", "minute field: '60' is out of range 0-59");
	expect_bad("* 24 * * *", "hour field: '24' is out of range 0-23");
	expect_bad("* * 0 * *", "day-of-month field: '0' is out of range 1-31");
	expect_bad("* * 32 * *", "day-of-month field: '32' is out of range 1-31");
	expect_bad("* * * 13 *", "month field: '13' is out of range 1-12");
	expect_bad("* * * * 8", "day-of-week field: '8' is out of range 0-7");
	expect_bad("* * * foo *", "month field: 'foo' is not a value");
	expect_bad("* * * * mon-", "day-of-week field: 'mon-' is not a range");
	expect_bad("5-1 * * * *", "minute field: range '5-1' goes backwards");
	expect_bad("*/0 * * * *", "minute field: step in '*/0' must be from 1 to 59");
	expect_bad("*/ * * * *", "minute field: '*/' needs a step after '/'");
	expect_bad("*/99999999999 * * * *", "minute field: step in '*/99999999999' must be from 1 to 59");
	expect_bad("1,,2 * * * *", "minute field '1,,2' has an empty list item");
	expect_bad(", * * * *", "minute field ',' has an empty list item");
	expect_bad("1x * * * *", "minute field: unexpected 'x' in '1x'");
	expect_bad("99999999999999 * * * *", "minute field: '99999999999999' is not a value");
	expect_bad("* * * * monday", "day-of-week field: 'monday' is not a value");
	expect_bad("-1 * * * *", "minute field: '-1' is not a value");
}

static void test_cairn_schedule_cron_matches_days(void **state)
{
	struct cairn_schedule s = parse_ok("30 2 1 * mon");
	struct tm tm;

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_min = 30;
	tm.tm_hour = 2;
	tm.tm_mday = 1; /* the 1st, a Wednesday: day-of-month matches */
	tm.tm_wday = 3;
	assert_true(cairn_schedule_cron_matches(&s, &tm));
	tm.tm_mday = 6; /* a Monday */
	tm.tm_wday = 1;
	assert_true(cairn_schedule_cron_matches(&s, &tm));
	tm.tm_mday = 7; /* neither */
	tm.tm_wday = 2;
	assert_false(cairn_schedule_cron_matches(&s, &tm));
	tm.tm_min = 31;
	tm.tm_mday = 1;
	assert_false(cairn_schedule_cron_matches(&s, &tm));
	/* with day-of-month "*", the day of the week must match */
	s = parse_ok("0 0 * * mon");
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 5;
	tm.tm_wday = 0;
	assert_false(cairn_schedule_cron_matches(&s, &tm));
	tm.tm_wday = 1;
	assert_true(cairn_schedule_cron_matches(&s, &tm));
	tm.tm_mon = 12; /* out of range */
	assert_false(cairn_schedule_cron_matches(&s, &tm));
	s = parse_ok("every 1h");
	assert_false(cairn_schedule_cron_matches(&s, &tm));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_schedule_parse_every),
		cmocka_unit_test(test_cairn_schedule_parse_cron_fields),
		cmocka_unit_test(test_cairn_schedule_parse_macros),
		cmocka_unit_test(test_cairn_schedule_parse_cron_errors),
		cmocka_unit_test(test_cairn_schedule_cron_matches_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
