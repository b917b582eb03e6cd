/* Tests of lib/config/config_values.c: rates, numbers, booleans, names,
 * tags, host names and URLs. */
#include "config_test.h"

#include "config/config_internal.h"

static void test_cairn_rate_parse_valid(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0 },           { "4096", 4096 },           { "4k", 4096 },
		{ "512k", 512 << 10 }, { "512K", 512 << 10 },     { "10M", 10 << 20 },
		{ "10m", 10 << 20 },  { "1.5G", 1536ULL << 20 },  { "0.5M", 512 << 10 },
		{ "1024G", 1ULL << 40 }, { "1099511627776", 1ULL << 40 }, { "4.0000001k", 4096 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cairn_rate_parse(cases[i].text, &v) != 0)
			fail_msg("'%s': %s", cases[i].text, cairn_err_msg());
		assert_int_equal(v, cases[i].bytes);
	}
}

static void test_cairn_rate_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "fast", "10MB", "10 M", " 10M", "10M ", "-1", "+5M", "1e6", "10Mi", "10M/s", "k", ".5M", "5.M",
		"1..5M", "0x10", "1025G", "1099511627777", "99999999999999999999999", "4095", "1k", "3.9k", "10kk",
		"1,5M", "18446744073709551616",
	};
	uint64_t v = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cairn_rate_parse(bad[i], &v) != CAIRN_EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(v, 77);
	}
	cairn_rate_parse("1k", &v);
	assert_string_equal(cairn_err_msg(), "below the minimum of 4k (4096 bytes per second; 0 means no limit)");
	cairn_rate_parse("2048G", &v);
	assert_string_equal(cairn_err_msg(), "more than 1 TiB per second");
}

static void test_cfg_parse_int_limits(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(cfg_parse_int("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cfg_parse_int("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(cfg_parse_int("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(cfg_parse_int("9223372036854775807", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(cfg_parse_int("9223372036854775808", 0, INT64_MAX, &v), -1);
	assert_int_equal(cfg_parse_int("11", 0, 10, &v), -1);
	assert_int_equal(cfg_parse_int("", 0, 10, &v), -1);
	assert_int_equal(cfg_parse_int("-1", -5, 10, &v), -1);
	assert_int_equal(cfg_parse_int(" 1", 0, 10, &v), -1);
	assert_int_equal(cfg_parse_int("1 ", 0, 10, &v), -1);
	assert_int_equal(cfg_parse_int("99999999999999999999999999999", 0, 10, &v), -1);
}

static void test_cfg_parse_bool_words(void **state)
{
	int b = -1;

	(void)state;
	assert_int_equal(cfg_parse_bool("On", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(cfg_parse_bool("FALSE", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(cfg_parse_bool("y", &b), -1);
	assert_int_equal(cfg_parse_bool("", &b), -1);
	assert_int_equal(cfg_parse_bool("yes ", &b), -1);
}

static void test_cfg_valid_name_rules(void **state)
{
	(void)state;
	assert_true(cfg_valid_name("a"));
	assert_true(cfg_valid_name("dr-eu_1"));
	assert_true(cfg_valid_name("abcdefghijabcdefghijabcdefghij12"));
	assert_false(cfg_valid_name(""));
	assert_false(cfg_valid_name("abcdefghijabcdefghijabcdefghij123"));
	assert_false(cfg_valid_name("a.b"));
	assert_false(cfg_valid_name("a b"));
	assert_false(cfg_valid_name("\xc3\xa9t\xc3\xa9"));
	assert_true(cfg_valid_tag("prod:eu@2+x=y.z-_"));
	assert_false(cfg_valid_tag("a b"));
	assert_false(cfg_valid_tag(""));
	assert_true(cfg_valid_host("web-01.example.com"));
	assert_false(cfg_valid_host("web/01"));
}

static void test_cfg_url_kind_forms(void **state)
{
	enum cairn_config_url_kind k;

	(void)state;
	assert_int_equal(cfg_url_kind("/srv/cairn", &k), 0);
	assert_int_equal(k, CAIRN_CONFIG_URL_LOCAL);
	assert_int_equal(cfg_url_kind("file:///srv/cairn", &k), 0);
	assert_int_equal(k, CAIRN_CONFIG_URL_LOCAL);
	assert_int_equal(cfg_url_kind("s3://bucket", &k), 0);
	assert_int_equal(k, CAIRN_CONFIG_URL_S3);
	assert_int_equal(cfg_url_kind("s3://my.bucket-1/a/b/", &k), 0);
	assert_int_equal(cfg_url_kind("s3://bu", &k), -1);
	assert_int_equal(cfg_url_kind("s3://bucket//a", &k), -1);
	assert_int_equal(cfg_url_kind("s3://bucket/./a", &k), -1);
	assert_int_equal(cfg_url_kind("s3://bucket/a b", &k), -1);
	assert_int_equal(cfg_url_kind("s3://", &k), -1);
	assert_int_equal(cfg_url_kind("file://srv", &k), -1);
	assert_int_equal(cfg_url_kind("relative/path", &k), -1);
	assert_int_equal(cfg_url_kind("http://x/y", &k), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_rate_parse_valid),
		cmocka_unit_test(test_cairn_rate_parse_invalid),
		cmocka_unit_test(test_cfg_parse_int_limits),
		cmocka_unit_test(test_cfg_parse_bool_words),
		cmocka_unit_test(test_cfg_valid_name_rules),
		cmocka_unit_test(test_cfg_url_kind_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
