/* Unit tests for the repository layout (lib/repo/repo_layout.c): the name
 * of every kind of object, the listing prefixes, parsing names back, and
 * hostile ids refused. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/repo.h"
#include "cairn/repo_layout.h"

#include <stdio.h>
#include <string.h>

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_repo_object_name_every_kind(void **state)
{
	static const struct {
		enum cairn_repo_obj kind;
		const char *name, *prefix;
	} cases[] = {
		{ CAIRN_REPO_OBJ_KEY, "keys/" ID, "keys/" },
		{ CAIRN_REPO_OBJ_PACK, "data/01/" ID, "data/" },
		{ CAIRN_REPO_OBJ_INDEX, "index/" ID, "index/" },
		{ CAIRN_REPO_OBJ_SNAPSHOT, "snapshots/" ID, "snapshots/" },
		{ CAIRN_REPO_OBJ_LOCK, "locks/" ID, "locks/" },
	};
	char name[CAIRN_REPO_NAME_MAX], id[CAIRN_ID_HEX];
	enum cairn_repo_obj kind;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cairn_repo_object_name(cases[i].kind, ID, name), 0);
		assert_string_equal(name, cases[i].name);
		assert_string_equal(cairn_repo_object_prefix(cases[i].kind), cases[i].prefix);
		assert_int_equal(strncmp(name, cases[i].prefix, strlen(cases[i].prefix)), 0);
		/* and back */
		memset(id, 0, sizeof(id));
		assert_int_equal(cairn_repo_object_parse(name, cases[i].kind, id), 1);
		assert_string_equal(id, ID);
		assert_int_equal(cairn_repo_object_kind(name, &kind, id), 1);
		assert_int_equal(kind, cases[i].kind);
		/* no other kind claims it */
		for (int k = 0; k < CAIRN_REPO_OBJ_KINDS; k++)
			if ((enum cairn_repo_obj)k != cases[i].kind)
				assert_int_equal(cairn_repo_object_parse(name, (enum cairn_repo_obj)k, id), 0);
	}
	/* the config has no id */
	assert_int_equal(cairn_repo_object_name(CAIRN_REPO_OBJ_CONFIG, NULL, name), 0);
	assert_string_equal(name, "config");
	assert_string_equal(name, CAIRN_REPO_CONFIG_NAME);
	assert_int_equal(cairn_repo_object_kind("config", &kind, id), 1);
	assert_int_equal(kind, CAIRN_REPO_OBJ_CONFIG);
	assert_string_equal(id, "");
}

static void test_repo_object_name_bin_matches_hex(void **state)
{
	uint8_t raw[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX], a[CAIRN_REPO_NAME_MAX], b[CAIRN_REPO_NAME_MAX];

	(void)state;
	for (int k = 0; k < CAIRN_REPO_OBJ_KINDS; k++) {
		cairn_test_fill_random(raw, sizeof(raw), (unsigned)k + 7);
		cairn_hex_encode(raw, sizeof(raw), hex);
		cairn_repo_object_name_bin((enum cairn_repo_obj)k, raw, a);
		assert_int_equal(cairn_repo_object_name((enum cairn_repo_obj)k, hex, b), 0);
		assert_string_equal(a, b);
	}
	/* the pack name helper is the layout's */
	cairn_repo_pack_name(raw, a);
	cairn_repo_object_name_bin(CAIRN_REPO_OBJ_PACK, raw, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), strlen("data/ab/") + 64);
}

static void test_repo_object_name_hostile_ids(void **state)
{
	static const char *const bad[] = {
		"",
		"../../../etc/passwd",
		"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", /* upper case */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",   /* 63 digits */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", /* 65 digits */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		"../index/0123456789abcdef0123456789abcdef0123456789abcdef01234567",
	};
	char name[CAIRN_REPO_NAME_MAX];

	(void)state;
	for (int k = CAIRN_REPO_OBJ_KEY; k < CAIRN_REPO_OBJ_KINDS; k++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			strcpy(name, "junk");
			assert_int_equal(cairn_repo_object_name((enum cairn_repo_obj)k, bad[i], name), CAIRN_EINVAL);
			assert_string_equal(name, "");
			assert_int_equal(cairn_repo_id_valid(bad[i]), 0);
		}
		assert_int_equal(cairn_repo_object_name((enum cairn_repo_obj)k, NULL, name), CAIRN_EINVAL);
		assert_non_null(strstr(cairn_err_msg(), "not a valid id"));
	}
	assert_int_equal(cairn_repo_object_name((enum cairn_repo_obj)99, ID, name), CAIRN_EINVAL);
	assert_string_equal(cairn_repo_object_prefix((enum cairn_repo_obj)99), "");
	assert_int_equal(cairn_repo_id_valid(NULL), 0);
	assert_int_equal(cairn_repo_id_valid(ID), 1);
}

static void test_repo_object_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"data/ab/" ID,        /* folder does not match the id */
		"data/" ID,           /* no folder */
		"data/01/" ID "/x",   /* deeper */
		"index/" ID "0",      /* too long */
		"index//" ID,
		"index" ID,
		"snapshots/" ID ".tmp",
		"locks/../keys/" ID,
		"Keys/" ID,
		"configx",
		"tmp/" ID,
		"",
	};
	char id[CAIRN_ID_HEX] = "untouched";
	enum cairn_repo_obj kind = CAIRN_REPO_OBJ_LOCK;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int k = 0; k < CAIRN_REPO_OBJ_KINDS; k++)
			assert_int_equal(cairn_repo_object_parse(bad[i], (enum cairn_repo_obj)k, id), 0);
		assert_int_equal(cairn_repo_object_kind(bad[i], &kind, id), 0);
	}
	assert_string_equal(id, "untouched");
	assert_int_equal(kind, CAIRN_REPO_OBJ_LOCK);
	assert_int_equal(cairn_repo_object_parse(NULL, CAIRN_REPO_OBJ_INDEX, id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo_object_name_every_kind),
		cmocka_unit_test(test_repo_object_name_bin_matches_hex),
		cmocka_unit_test(test_repo_object_name_hostile_ids),
		cmocka_unit_test(test_repo_object_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
