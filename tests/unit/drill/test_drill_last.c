/* The last drill of each site, read back from <state dir>/drills/<site>.jsonl:
 * which lines count, the last one wins, torn and malformed lines are skipped,
 * site names that cannot name a file, and the one-line description. */
#include "cairn_test.h"

#include "cairn/drill.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC 1000000000LL
#define T0 (1800000000LL * SEC)

/* A history line: result, time offset in seconds, recovery and RTO in ms (-1 = null). */
static void line(FILE *f, const char *result, int64_t at, int64_t recovery_ms, int64_t rto_ms, const char *reasons)
{
	char rto[32] = "null";

	if (rto_ms >= 0)
		snprintf(rto, sizeof(rto), "%lld", (long long)(rto_ms * 1000000));
	fprintf(f,
		"{\"time_ns\": %lld, \"time\": \"x\", \"site\": \"dr\", \"url\": \"/r\", \"point\": \"3f2a91c0aa\", "
		"\"point_time_ns\": %lld, \"requested_time_ns\": %lld, \"loss_window_ns\": 7200000000000, "
		"\"rpo_ns\": null, \"rto_ns\": %s, \"recovery_ns\": %lld, \"first_byte_ns\": 1, \"sync_ns\": 2, "
		"\"files\": 10, \"bytes\": 100, \"verified_files\": 10, \"sample_percent\": 100, \"requests\": 0, "
		"\"retries\": 0, \"damaged_objects\": [], \"failed_files\": 0, \"result\": \"%s\", \"reasons\": %s, "
		"\"exit_code\": %d}\n",
		(long long)(T0 + at * SEC), (long long)(T0 - 7200 * SEC), (long long)T0, rto,
		(long long)(recovery_ms * 1000000), result, reasons, strcmp(result, "pass") == 0 ? 0 : 11);
}

static char *history(const char *dir, const char *site)
{
	char sub[4200];
	char *path = cairn_drill_history_path(dir, site);

	snprintf(sub, sizeof(sub), "%s/drills", dir);
	mkdir(sub, 0700);
	assert_non_null(path);
	return path;
}

static void test_names(void **state)
{
	char *p;

	(void)state;
	assert_true(cairn_drill_site_name_ok("primary"));
	assert_true(cairn_drill_site_name_ok("dr-1_B"));
	assert_true(cairn_drill_site_name_ok("abcdefghijabcdefghijabcdefghij12"));
	assert_false(cairn_drill_site_name_ok("abcdefghijabcdefghijabcdefghij123"));
	assert_false(cairn_drill_site_name_ok(""));
	assert_false(cairn_drill_site_name_ok(NULL));
	assert_false(cairn_drill_site_name_ok(".."));
	assert_false(cairn_drill_site_name_ok("a/b"));
	assert_false(cairn_drill_site_name_ok("s3://bucket"));
	p = cairn_drill_history_path("/var/lib/cairn", "dr");
	assert_string_equal(p, "/var/lib/cairn/drills/dr.jsonl");
	free(p);
	assert_null(cairn_drill_history_path("/var/lib/cairn", "../x"));
}

static void test_parse_line(void **state)
{
	struct cairn_drill_last d;
	json_t *rec = NULL;
	const char *ok = "{\"time_ns\": 5, \"result\": \"fail\", \"recovery_ns\": 7, \"reasons\": [\"RTO not met\", 3, "
			 "\"object x damaged\"], \"point\": \"ab\", \"exit_code\": 12, \"rto_ns\": \"1h\"}";

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(cairn_drill_last_parse(ok, strlen(ok), &d, &rec), 0);
	assert_int_equal(d.time_ns, 5);
	assert_false(d.pass);
	assert_int_equal(d.recovery_ns, 7);
	assert_int_equal(d.rto_ns, -1);          /* not an integer: unknown */
	assert_int_equal(d.loss_window_ns, -1);  /* missing: unknown */
	assert_int_equal(d.exit_code, 12);
	assert_string_equal(d.point, "ab");
	assert_string_equal(d.reasons, "RTO not met; object x damaged");
	assert_true(json_is_object(rec));
	assert_int_equal(json_integer_value(json_object_get(rec, "exit_code")), 12);
	json_decref(rec);
	/* lines that do not count */
	assert_int_equal(cairn_drill_last_parse("", 0, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("{\"time_ns\": 5, \"res", 19, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("[1]", 3, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("{\"result\": \"pass\"}", 18, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("{\"time_ns\": 0, \"result\": \"pass\"}", 33, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("{\"time_ns\": 5, \"result\": \"ok\"}", 31, &d, NULL), -1);
	assert_int_equal(cairn_drill_last_parse("{\"time_ns\": \"5\", \"result\": \"pass\"}", 35, &d, NULL), -1);
}

static void test_last_line_counts(void **state)
{
	char *dir = cairn_test_mkdtemp("drill_last"), *path = history(dir, "dr");
	struct cairn_drill_last d;
	json_t *rec = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(cairn_drill_last_read(dir, "dr", &d, NULL), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_drill_last_read(dir, "../dr", &d, NULL), CAIRN_EINVAL);
	f = fopen(path, "w");
	assert_non_null(f);
	line(f, "pass", 0, 12300, 3600000, "[]");
	line(f, "fail", 100, 61000, 60000, "[\"RTO not met: 1m1s, the objective is 1m\"]");
	fputs("this is not json\n", f);
	fputs("{\"time_ns\": 99, \"result\": \"maybe\"}\n", f);
	fputs("{\"time_ns\": 12345, \"result\": \"pa", f); /* torn by a drill killed while appending */
	fclose(f);
	assert_int_equal(cairn_drill_last_read(dir, "dr", &d, &rec), 0);
	assert_string_equal(d.site, "dr");
	assert_false(d.pass);
	assert_int_equal(d.time_ns, T0 + 100 * SEC);
	assert_int_equal(d.recovery_ns, 61 * SEC);
	assert_int_equal(d.rto_ns, 60 * SEC);
	assert_int_equal(d.loss_window_ns, 7200 * SEC);
	assert_int_equal(d.rpo_ns, -1);
	assert_int_equal(d.exit_code, 11);
	assert_string_equal(d.reasons, "RTO not met: 1m1s, the objective is 1m");
	assert_string_equal(json_string_value(json_object_get(rec, "result")), "fail");
	json_decref(rec);
	/* a pass after it counts */
	f = fopen(path, "a");
	fputs("\n", f);
	line(f, "pass", 200, 1500, -1, "[]");
	fclose(f);
	assert_int_equal(cairn_drill_last_read(dir, "dr", &d, NULL), 0);
	assert_true(d.pass);
	assert_int_equal(d.time_ns, T0 + 200 * SEC);
	assert_int_equal(d.rto_ns, -1);
	/* nothing that counts */
	free(path);
	path = history(dir, "empty");
	f = fopen(path, "w");
	fputs("garbage\n{}\n", f);
	fclose(f);
	assert_int_equal(cairn_drill_last_read(dir, "empty", &d, NULL), CAIRN_ENOTFOUND);
	free(path);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_list(void **state)
{
	char *dir = cairn_test_mkdtemp("drill_list"), *path;
	struct cairn_drill_last *all = NULL;
	size_t n = 99;
	char other[4300];
	FILE *f;

	(void)state;
	assert_int_equal(cairn_drill_last_list(dir, &all, &n), 0); /* no directory: no drill */
	assert_null(all);
	assert_int_equal(n, 0);
	path = history(dir, "usb");
	f = fopen(path, "w");
	line(f, "pass", 0, 1000, -1, "[]");
	fclose(f);
	free(path);
	path = history(dir, "primary");
	f = fopen(path, "w");
	line(f, "fail", 5, 1000, 500, "[\"RTO\"]");
	fclose(f);
	free(path);
	path = history(dir, "nothing");
	f = fopen(path, "w");
	fclose(f);
	free(path);
	/* not histories: another suffix, a name no site can have */
	snprintf(other, sizeof(other), "%s/drills/usb.json", dir);
	f = fopen(other, "w");
	fclose(f);
	snprintf(other, sizeof(other), "%s/drills/a.b.jsonl", dir);
	f = fopen(other, "w");
	line(f, "pass", 0, 1000, -1, "[]");
	fclose(f);
	assert_int_equal(cairn_drill_last_list(dir, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].site, "primary");
	assert_false(all[0].pass);
	assert_string_equal(all[1].site, "usb");
	assert_true(all[1].pass);
	free(all);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_describe(void **state)
{
	struct cairn_drill_last d;
	char buf[512];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.time_ns = T0;
	d.pass = 1;
	d.recovery_ns = 12300 * 1000000LL;
	d.rto_ns = 3600 * SEC;
	d.loss_window_ns = 7200 * SEC;
	d.rpo_ns = -1;
	cairn_drill_last_describe(&d, buf, sizeof(buf));
	assert_string_equal(buf, "pass, 2027-01-15T08:00:00Z, RTO achieved 12.3 s (target 1h), loss window 2h");
	d.pass = 0;
	d.recovery_ns = 192 * SEC;
	d.rto_ns = -1;
	d.loss_window_ns = -1;
	snprintf(d.reasons, sizeof(d.reasons), "object 'data/ab/cd' is damaged");
	cairn_drill_last_describe(&d, buf, sizeof(buf));
	assert_string_equal(buf, "FAIL, 2027-01-15T08:00:00Z, RTO achieved 3m12s (no target); object 'data/ab/cd' is "
				 "damaged");
	/* a short buffer is cut, not overrun */
	cairn_drill_last_describe(&d, buf, 10);
	assert_string_equal(buf, "FAIL, 202");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_last_line_counts),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
