/* Tests of lib/drill/drill_history.c: appending records (directories and
 * file created, one line each, modes), refusing a site that cannot name a
 * file, and reading the last drills back for the chart (oldest first, the
 * last CAIRN_DRILL_CHART_MAX, torn lines skipped). */
#include "cairn_test.h"

#include "cairn/drill.h"
#include "cairn/buf.h"
#include "cairn/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void append(const char *dir, const char *site, long long t, const char *result, long long recovery)
{
	json_t *rec = json_pack("{s:I, s:s, s:I}", "time_ns", (json_int_t)t, "result", result, "recovery_ns",
				(json_int_t)recovery);

	assert_int_equal(cairn_drill_history_append(dir, site, rec), 0);
	json_decref(rec);
}

static void test_cairn_drill_history_append(void **state)
{
	char *dir = cairn_test_mkdtemp("drill_history"), *state_dir = NULL, *path;
	struct cairn_drill_last last;
	struct stat st;
	FILE *f;
	char line[256];
	int lines = 0;

	(void)state;
	state_dir = cairn_asprintf("%s/state", dir); /* created by the append */
	append(state_dir, "dr", 100, "pass", 5);
	append(state_dir, "dr", 200, "fail", 7);
	path = cairn_drill_history_path(state_dir, "dr");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		lines++;
	fclose(f);
	assert_int_equal(lines, 2);
	assert_int_equal(cairn_drill_last_read(state_dir, "dr", &last, NULL), 0);
	assert_int_equal(last.time_ns, 200);
	assert_false(last.pass);
	free(path);
	path = cairn_drill_history_path(state_dir, "x");
	*strrchr(path, '/') = '\0';
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(path);
	cairn_test_rmtree(dir);
	free(state_dir);
	free(dir);
}

static void test_cairn_drill_history_append_bad_site(void **state)
{
	char *dir = cairn_test_mkdtemp("drill_history_bad");
	json_t *rec = json_object();

	(void)state;
	assert_int_equal(cairn_drill_history_append(dir, "../etc", rec), CAIRN_EINVAL);
	assert_int_equal(cairn_drill_history_append(dir, NULL, rec), CAIRN_EINVAL);
	json_decref(rec);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_cairn_drill_history_last(void **state)
{
	char *dir = cairn_test_mkdtemp("drill_chart"), *path;
	struct cairn_drill_past past[CAIRN_DRILL_CHART_MAX];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(cairn_drill_history_last(dir, "dr", past, CAIRN_DRILL_CHART_MAX), 0); /* no history */
	for (int i = 1; i <= 3; i++)
		append(dir, "dr", i, i == 2 ? "fail" : "pass", i * 10);
	path = cairn_drill_history_path(dir, "dr");
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("{\"time_ns\": 4, \"res", f); /* torn */
	fputs("\n{\"time_ns\": 5, \"result\": \"pass\"}\n", f);
	fclose(f);
	n = cairn_drill_history_last(dir, "dr", past, CAIRN_DRILL_CHART_MAX);
	assert_int_equal(n, 4);
	assert_int_equal(past[0].time_ns, 1);
	assert_int_equal(past[0].recovery_ns, 10);
	assert_false(past[1].pass);
	assert_int_equal(past[3].time_ns, 5);
	assert_int_equal(past[3].recovery_ns, -1);
	/* the last CAIRN_DRILL_CHART_MAX, oldest first */
	for (int i = 6; i <= 30; i++)
		append(dir, "dr", i, "pass", i);
	n = cairn_drill_history_last(dir, "dr", past, CAIRN_DRILL_CHART_MAX);
	assert_int_equal(n, CAIRN_DRILL_CHART_MAX);
	assert_int_equal(past[0].time_ns, 30 - CAIRN_DRILL_CHART_MAX + 1);
	assert_int_equal(past[CAIRN_DRILL_CHART_MAX - 1].time_ns, 30);
	n = cairn_drill_history_last(dir, "dr", past, 3);
	assert_int_equal(n, 3);
	assert_int_equal(past[0].time_ns, 28);
	free(path);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_drill_history_append),
		cmocka_unit_test(test_cairn_drill_history_append_bad_site),
		cmocka_unit_test(test_cairn_drill_history_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
