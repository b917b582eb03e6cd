/* Unit tests for time and duration parsing and formatting. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define NOW 1795737600000000000LL /* 2026-11-27T00:00:00Z */

static int64_t parse_ok(const char *text)
{
	int64_t ns = 0;

	if (cairn_time_parse(text, NOW, &ns) != 0)
		fail_msg("cannot parse '%s': %s", text, cairn_err_msg());
	return ns;
}

static void test_time_parse_rfc3339(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-26T12:00:00Z"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26t12:00:00z"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26T14:00:00+02:00"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26T07:00:00-0500"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26T12:00:00.5Z"), 1795694400LL * CAIRN_NS_PER_SEC + 500000000);
	assert_int_equal(parse_ok("2026-11-26T12:00:00.123456789Z"), 1795694400LL * CAIRN_NS_PER_SEC + 123456789);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400LL * CAIRN_NS_PER_SEC);
}

static void test_time_parse_local(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(parse_ok("2026-11-26 12:00"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26T12:00:00"), 1795694400LL * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("2026-11-26"), 1795651200LL * CAIRN_NS_PER_SEC);
	setenv("TZ", "CET-1", 1); /* POSIX form: needs no tzdata */
	/* CET is UTC+1 in November */
	assert_int_equal(parse_ok("2026-11-26 13:00"), 1795694400LL * CAIRN_NS_PER_SEC);
	unsetenv("TZ");
}

static void test_time_parse_relative(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("latest"), NOW);
	assert_int_equal(parse_ok("now"), NOW);
	assert_int_equal(parse_ok("2h ago"), NOW - 7200 * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("-30m"), NOW - 1800 * CAIRN_NS_PER_SEC);
	assert_int_equal(parse_ok("-1d12h"), NOW - 129600 * CAIRN_NS_PER_SEC);
}

static void test_time_parse_rejects(void **state)
{
	static const char *bad[] = { "", "yesterday", "2026-13-01", "2026-11-26T25:00:00Z", "2026-11-26T12:00:00+",
				     "2026-11-26T12Z", "12:00", "-", "-5x", "ago", "2026-11-26T12:00:00Zjunk" };
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cairn_time_parse(bad[i], NOW, &ns) != CAIRN_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(cairn_err_msg(), "invalid time"));
	}
}

static void test_duration_parse(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(cairn_duration_parse("90s", &ns), 0);
	assert_int_equal(ns, 90 * CAIRN_NS_PER_SEC);
	assert_int_equal(cairn_duration_parse("1h30m", &ns), 0);
	assert_int_equal(ns, 5400 * CAIRN_NS_PER_SEC);
	assert_int_equal(cairn_duration_parse("7d", &ns), 0);
	assert_int_equal(ns, 604800 * CAIRN_NS_PER_SEC);
	assert_int_equal(cairn_duration_parse("2w", &ns), 0);
	assert_int_equal(ns, 1209600 * CAIRN_NS_PER_SEC);
	assert_int_equal(cairn_duration_parse("45", &ns), 0);
	assert_int_equal(ns, 45 * CAIRN_NS_PER_SEC);
	assert_int_equal(cairn_duration_parse("", &ns), CAIRN_EINVAL);
	assert_int_equal(cairn_duration_parse("h", &ns), CAIRN_EINVAL);
	assert_int_equal(cairn_duration_parse("5y", &ns), CAIRN_EINVAL);
	assert_int_equal(cairn_duration_parse("1h5", &ns), CAIRN_EINVAL);
	assert_int_equal(cairn_duration_parse("-5m", &ns), CAIRN_EINVAL);
	assert_int_equal(cairn_duration_parse("99999999999999999999d", &ns), CAIRN_EINVAL);
}

static void test_time_format(void **state)
{
	char out[CAIRN_TIME_STR];

	(void)state;
	cairn_time_format(1795694400LL * CAIRN_NS_PER_SEC + 5, 0, out);
	assert_string_equal(out, "2026-11-26T12:00:00Z");
	cairn_time_format(1795694400LL * CAIRN_NS_PER_SEC + 5, 1, out);
	assert_string_equal(out, "2026-11-26T12:00:00.000000005Z");
	cairn_time_format(-1, 1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999999Z");
}

static void test_duration_format(void **state)
{
	char out[32];

	(void)state;
	cairn_duration_format(0, out, sizeof(out));
	assert_string_equal(out, "0s");
	cairn_duration_format(45 * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "45s");
	cairn_duration_format(192 * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "3m12s");
	cairn_duration_format(7500 * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "2h5m");
	cairn_duration_format(3600 * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "1h");
	cairn_duration_format((4 * 86400 + 3 * 3600 + 59) * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "4d3h");
	cairn_duration_format(-90 * CAIRN_NS_PER_SEC, out, sizeof(out));
	assert_string_equal(out, "-1m30s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse_rfc3339),   cmocka_unit_test(test_time_parse_local),
		cmocka_unit_test(test_time_parse_relative),  cmocka_unit_test(test_time_parse_rejects),
		cmocka_unit_test(test_duration_parse),       cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_duration_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
