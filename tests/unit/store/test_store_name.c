/* Tests of object name and list prefix validation and of range resolution. */
#include "cairn_test.h"

#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"

static void test_store_name_valid_accepts(void **state)
{
	const char *good[] = {
		"config", "data/ab/abcdef0123", "index/0001", "snapshots/2024-01-01T00_00_00",
		"keys/k.json", "a", "A-Z_a.z-9", "x/y/z/w", "tmpx", "data/tmp", "a..b", "a./b.",
	};
	char longest[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(cairn_store_name_valid(good[i], NULL));
	memset(longest, 'z', 255);
	longest[255] = '\0';
	assert_true(cairn_store_name_valid(longest, NULL));
	assert_int_equal(cairn_store_name_check("mem://", "config"), 0);
}

static void test_store_name_valid_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "", "empty name" },
		{ "/abs", "absolute name" },
		{ "../x", "'.' or '..' component" },
		{ "a/../../b", "'.' or '..' component" },
		{ "a/./b", "'.' or '..' component" },
		{ "a/.", "'.' or '..' component" },
		{ "a//b", "empty path component" },
		{ "a/", "empty path component" },
		{ "x\n", "character outside [A-Za-z0-9._-/]" },
		{ "a b", "character outside [A-Za-z0-9._-/]" },
		{ "a\\b", "character outside [A-Za-z0-9._-/]" },
		{ "caf\xc3\xa9", "character outside [A-Za-z0-9._-/]" },
		{ "a%2e", "character outside [A-Za-z0-9._-/]" },
		{ ".hidden", "hidden component" },
		{ "data/.x", "hidden component" },
		{ "...", "hidden component" },
		{ "tmp", "'tmp' is reserved" },
		{ "tmp/x.tmp", "'tmp' is reserved" },
	};
	char toolong[300];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_false(cairn_store_name_valid(bad[i].name, &why));
		assert_string_equal(why, bad[i].why);
	}
	assert_false(cairn_store_name_valid(NULL, NULL));
	memset(toolong, 'z', 256);
	toolong[256] = '\0';
	assert_false(cairn_store_name_valid(toolong, &why));
	assert_string_equal(why, "longer than 255 bytes");
}

static void test_store_name_check_detail(void **state)
{
	char toolong[300];

	(void)state;
	assert_int_equal(cairn_store_name_check("file:///r", "../x"), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "invalid object name '../x' in 'file:///r': '.' or '..' component");
	/* unprintable bytes are not copied into the detail */
	assert_int_equal(cairn_store_name_check("mem://", "x\n\x1b[2J"), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(),
			    "invalid object name 'x??[2J' in 'mem://': character outside [A-Za-z0-9._-/]");
	assert_int_equal(cairn_store_name_check("mem://", NULL), CAIRN_EINVAL);
	/* a long name is shortened */
	memset(toolong, 'z', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	assert_int_equal(cairn_store_name_check("mem://", toolong), CAIRN_EINVAL);
	assert_true(strlen(cairn_err_msg()) < 150);
	assert_non_null(strstr(cairn_err_msg(), "zzz...'"));
}

static void test_store_prefix_check_cases(void **state)
{
	const char *good[] = { "", "data/", "data", "data/a", "data/ab/", "index/", "d", "c" };
	const char *bad[] = { "/", "//", "../", "..", "./", "a//", "data//", "/data/", "x\n", ".h", "tmp/", "tmp" };
	char toolong[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(cairn_store_prefix_check("mem://", good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cairn_store_prefix_check("mem://", bad[i]), CAIRN_EINVAL);
	assert_int_equal(cairn_store_prefix_check("mem://", NULL), CAIRN_EINVAL);
	memset(toolong, 'z', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	assert_int_equal(cairn_store_prefix_check("mem://", toolong), CAIRN_EINVAL);
	/* 255 bytes plus a trailing slash is still a prefix */
	memset(toolong, 'z', 255);
	toolong[255] = '/';
	toolong[256] = '\0';
	assert_int_equal(cairn_store_prefix_check("mem://", toolong), 0);
}

static void test_store_range_cases(void **state)
{
	size_t len = 12345;

	(void)state;
	assert_int_equal(cairn_store_range("m", "n", 100, 0, UINT64_MAX, &len), 0);
	assert_int_equal(len, 100);
	assert_int_equal(cairn_store_range("m", "n", 100, 40, UINT64_MAX, &len), 0);
	assert_int_equal(len, 60);
	assert_int_equal(cairn_store_range("m", "n", 100, 40, 60, &len), 0);
	assert_int_equal(len, 60);
	assert_int_equal(cairn_store_range("m", "n", 100, 100, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(cairn_store_range("m", "n", 0, 0, UINT64_MAX, &len), 0);
	assert_int_equal(len, 0);
	len = 7;
	assert_int_equal(cairn_store_range("m", "n", 100, 40, 61, &len), CAIRN_EINVAL);
	assert_int_equal(cairn_store_range("m", "n", 100, 101, 0, &len), CAIRN_EINVAL);
	assert_int_equal(cairn_store_range("m", "n", 100, UINT64_MAX, UINT64_MAX, &len), CAIRN_EINVAL);
	assert_int_equal(cairn_store_range("m", "n", 100, 1, UINT64_MAX - 1, &len), CAIRN_EINVAL);
	assert_int_equal(len, 7);
	assert_string_equal(cairn_err_msg(), "cannot read 'n' in 'm': range 1+18446744073709551614 extends past "
					     "the end (size 100)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_name_valid_accepts),
		cmocka_unit_test(test_store_name_valid_rejects),
		cmocka_unit_test(test_store_name_check_detail),
		cmocka_unit_test(test_store_prefix_check_cases),
		cmocka_unit_test(test_store_range_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
