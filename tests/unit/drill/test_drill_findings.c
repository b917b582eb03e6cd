/* Tests of lib/drill/drill_findings.c: damaged objects grouped with their
 * files, restore errors and verification failures kept up to the list limit
 * and counted beyond it, consequences of reported problems, names of the
 * damaged objects (from the restore and from sync messages), untrusted text
 * cleaned before it is kept. */
#include "cairn_test.h"

#include "cairn/drill.h"

#include <stdio.h>
#include <string.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cairn_drill_on_restore_problem_groups(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/a", "data/ab/p1", "bad");
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/b", "data/cd/p2", "bad");
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/c", "data/ab/p1", "bad");
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/d", NULL, "tree unreadable");
	assert_int_equal(f.ndamaged, 3);
	assert_int_equal(f.damaged_files, 4);
	assert_string_equal(f.damaged[0].object, "data/ab/p1");
	assert_int_equal(f.damaged[0].nfiles, 2);
	assert_string_equal(f.damaged[0].files[1], "/c");
	assert_null(f.damaged[2].object);
	assert_int_equal(f.errors.total, 0);
	cairn_drill_findings_free(&f);
	assert_int_equal(f.ndamaged, 0);
	cairn_drill_findings_free(NULL);
}

static void test_cairn_drill_on_restore_problem_list_limit(void **state)
{
	struct cairn_drill_findings f = { 0 };
	char path[32];

	(void)state;
	for (int i = 0; i < CAIRN_DRILL_LIST_MAX + 50; i++) {
		snprintf(path, sizeof(path), "/e%d", i);
		cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_ERROR, path, NULL, "permission denied");
	}
	assert_int_equal(f.errors.n, CAIRN_DRILL_LIST_MAX);
	assert_int_equal(f.errors.total, CAIRN_DRILL_LIST_MAX + 50);
	assert_int_equal(f.error_paths.used, CAIRN_DRILL_LIST_MAX + 50); /* all remembered for the verification */
	assert_string_equal(f.errors.items[0].msg, "permission denied");
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_on_verify_failure_consequences(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/a", "data/ab/p1", "bad");
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_ERROR, "/b", NULL, "denied");
	assert_int_equal(cairn_drill_on_verify_failure(&f, "/a", 1, "missing"), CAIRN_DRILL_AFTER_DAMAGE);
	assert_int_equal(cairn_drill_on_verify_failure(&f, "/b", 4, "mode differs"), CAIRN_DRILL_AFTER_ERROR);
	assert_int_equal(cairn_drill_on_verify_failure(&f, "/z", 2, "size differs"), CAIRN_DRILL_AFTER_NONE);
	assert_int_equal(f.failures.total, 3);
	assert_int_equal(f.failures_after_damage, 1);
	assert_int_equal(f.failures_after_error, 1);
	assert_string_equal(f.failures.items[0].msg, "missing (the restore reported its data damaged)");
	assert_string_equal(f.failures.items[1].msg, "mode differs (the restore reported an error for it)");
	assert_string_equal(f.failures.items[2].msg, "size differs");
	assert_int_equal(f.failures.items[1].problems, 4);
	assert_string_equal(cairn_drill_after_text(CAIRN_DRILL_AFTER_NONE), "");
	/* a damaged file is missing after the restore: counted once */
	assert_int_equal(cairn_drill_failed_files(&f), 3);
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_damaged_names(void **state)
{
	struct cairn_drill_findings f = { 0 };
	json_t *names;

	(void)state;
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/a", "data/ab/p1", "bad");
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_DAMAGED, "/b", NULL, "bad");
	cairn_drill_on_sync_warning(&f, "skipping damaged object 'index/" HEX64 "': authentication failed");
	cairn_drill_on_sync_warning(&f, "something without an object name");
	assert_int_equal(f.nsync_damage, 2);
	names = cairn_drill_damaged_names(&f);
	assert_non_null(names);
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "data/ab/p1");
	assert_string_equal(json_string_value(json_array_get(names, 1)), "index/" HEX64);
	json_decref(names);
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_findings_clean_text(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	cairn_drill_on_restore_problem(&f, CAIRN_RESTORE_ERROR, "/x\n\xff", NULL, "bad\x1b[31m");
	assert_string_equal(f.errors.items[0].path, "/x\\x0a\\xff");
	assert_string_equal(f.errors.items[0].msg, "bad\\x1b[31m");
	cairn_drill_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_drill_on_restore_problem_groups),
		cmocka_unit_test(test_cairn_drill_on_restore_problem_list_limit),
		cmocka_unit_test(test_cairn_drill_on_verify_failure_consequences),
		cmocka_unit_test(test_cairn_drill_damaged_names),
		cmocka_unit_test(test_cairn_drill_findings_clean_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
