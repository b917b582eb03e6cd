/* Tests of lib/config/config_parse.c: the line reader in front of inih,
 * syntax errors and hostile input. */
#include "config_test.h"

#include <stdlib.h>

static void test_cairn_config_parse_minimal(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok(MINIMAL);
	assert_string_equal(cfg->file, "cairn.conf");
	assert_string_equal(cfg->primary.name, "primary");
	assert_string_equal(cfg->primary.url, "/srv/cairn");
	assert_int_equal(cfg->primary.line, 1);
	assert_int_equal(cfg->primary.url_kind, CAIRN_CONFIG_URL_LOCAL);
	assert_int_equal(cfg->nreplicas, 0);
	assert_int_equal(cfg->nsets, 0);
	/* everything else unset */
	assert_null(cfg->state_dir);
	assert_null(cfg->host);
	assert_int_equal(cfg->threads, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->rpo_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->lock_wait_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->log, CAIRN_CONFIG_LOG_UNSET);
	assert_int_equal(cfg->primary.transfers, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->primary.limit_upload, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->primary.retention.keep_daily, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->primary.delete_grace_ns, CAIRN_CONFIG_UNSET);
	assert_null(cfg->jobs.prune.text);
	assert_int_equal(cfg->jobs.check_read_data, CAIRN_CONFIG_UNSET);
	cairn_config_free(cfg);
	cairn_config_free(NULL);
}

static void test_cairn_config_parse_layout(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	/* BOM, CRLF, indentation, comments of both kinds, blank lines, ':' separator,
	 * an inline comment, blanks around names, no newline at the end */
	cfg = parse_ok("\xEF\xBB\xBF# comment\r\n; another\r\n\r\n  [ repository ]  ; the primary\r\n"
		       "    url = /srv/cairn   ; inline comment\r\n\ttransfers: 4\r\n"
		       "[backup  home]\n  path = /home\n\tpath=/root\n  exclude = *.tmp#not a comment");
	assert_string_equal(cfg->primary.url, "/srv/cairn");
	assert_int_equal(cfg->primary.line, 4);
	assert_int_equal(cfg->primary.transfers, 4);
	assert_int_equal(cfg->nsets, 1);
	assert_string_equal(cfg->sets[0].name, "home");
	assert_int_equal(cfg->sets[0].line, 7);
	assert_int_equal(cfg->sets[0].npaths, 2);
	assert_string_equal(cfg->sets[0].paths[1], "/root");
	assert_string_equal(cfg->sets[0].excludes[0], "*.tmp#not a comment");
	cairn_config_free(cfg);
}

static void test_cairn_config_parse_syntax_errors(void **state)
{
	(void)state;
	expect_error(MINIMAL "[backup home\npath = /x\n", "cairn.conf:3: missing ']' in section header");
	expect_error(MINIMAL "transfers 4\n", "cairn.conf:3: expected 'key = value' or a [section] header");
	expect_error(MINIMAL "= 4\n", "cairn.conf:3: missing key name before '='");
	expect_error(MINIMAL "[jobs] prune = every 1d\n", "cairn.conf:3: unexpected text after ']' in section header");
	expect_error("url = /srv\n" MINIMAL,
		     "cairn.conf:1: 'url' is outside of any section (put it under [cairn], [repository], "
		     "[replica NAME], [backup NAME], [jobs] or [drill NAME])");
	expect_error(MINIMAL "[]\n", "cairn.conf:3: empty section name");
	expect_error(MINIMAL "[ ]\n", "cairn.conf:3: empty section name");
	/* the first error wins, later lines are not read */
	expect_error(MINIMAL "bad line\n[nonsense]\n", "cairn.conf:3: expected 'key = value' or a [section] header");
	/* a missing '=' with a value that might be a secret: the line is not quoted */
	expect_error(MINIMAL "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		     "cairn.conf:3: expected 'key = value' or a [section] header");
}

static void test_cairn_config_parse_empty(void **state)
{
	(void)state;
	expect_error("", "cairn.conf: no [repository] section (the primary site is required)");
	expect_error("# only a comment\n\n", "cairn.conf: no [repository] section (the primary site is required)");
}

static void test_cairn_config_parse_long_lines(void **state)
{
	struct cairn_config *cfg;
	char text[1024], *big;
	size_t n = 100000;

	(void)state;
	/* up to 198 characters: fine (inih's buffer in Debian's build is 200) */
	snprintf(text, sizeof(text), MINIMAL "[backup b]\npath = /%0190d\n", 0);
	cfg = parse_ok(text);
	assert_int_equal(strlen(cfg->sets[0].paths[0]), 191);
	cairn_config_free(cfg);
	/* longer: an error, never a line split in two */
	snprintf(text, sizeof(text), MINIMAL "[backup b]\npath = /%0191d\n", 0);
	expect_error(text, "cairn.conf:4: line too long (at most 198 characters; put long commands in a script)");
	/* a very long line of junk, a long header, a long key */
	big = malloc(n + 64);
	assert_non_null(big);
	memcpy(big, MINIMAL, strlen(MINIMAL));
	memset(big + strlen(MINIMAL), 'x', n);
	strcpy(big + strlen(MINIMAL) + n, " = 1\n");
	expect_error(big, "cairn.conf:3: line too long (at most 198 characters; put long commands in a script)");
	big[strlen(MINIMAL)] = '[';
	strcpy(big + strlen(MINIMAL) + n, "]\n");
	expect_error(big, "cairn.conf:3: section name too long");
	big[strlen(MINIMAL)] = 'x';
	strcpy(big + strlen(MINIMAL) + n, "\n");
	expect_error(big, "cairn.conf:3: expected 'key = value' or a [section] header");
	free(big);
}

static void test_cairn_config_parse_buf_nul(void **state)
{
	static const char text[] = MINIMAL "transfers = 4\0junk\n";
	struct cairn_config *cfg = NULL;

	(void)state;
	assert_int_equal(cairn_config_parse_buf(text, sizeof(text) - 1, "x.conf", &cfg), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "x.conf:3: NUL byte in the file (a configuration file is text)");
	assert_null(cfg);
	/* without the NUL it parses, and the name defaults to "config" */
	assert_int_equal(cairn_config_parse_buf(text, strlen(text), NULL, &cfg), 0);
	assert_string_equal(cfg->file, "config");
	assert_int_equal(cfg->primary.transfers, 4);
	cairn_config_free(cfg);
	/* too large */
	assert_int_equal(cairn_config_parse_buf(text, CAIRN_CONFIG_MAX_BYTES + 1, "x.conf", &cfg), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "x.conf: file too large (more than 1048576 bytes)");
}

static void test_cairn_config_parse_many_sections(void **state)
{
	size_t cap = 64 + 10000 * 40, len;
	char *text = malloc(cap);
	struct cairn_config *cfg;

	(void)state;
	assert_non_null(text);
	/* 1024 backup sets are fine */
	len = (size_t)snprintf(text, cap, MINIMAL);
	for (int i = 0; i < CAIRN_CONFIG_MAX_SETS; i++)
		len += (size_t)snprintf(text + len, cap - len, "[backup s%d]\npath = /d%d\n", i, i);
	cfg = parse_ok(text);
	assert_int_equal(cfg->nsets, CAIRN_CONFIG_MAX_SETS);
	assert_string_equal(cfg->sets[1023].name, "s1023");
	assert_string_equal(cairn_config_backup_set(cfg, "s500")->paths[0], "/d500");
	cairn_config_free(cfg);
	/* 10,000 are refused at the first one too many */
	len = (size_t)snprintf(text, cap, MINIMAL);
	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(text + len, cap - len, "[backup s%d]\npath = /d%d\n", i, i);
	expect_error(text, "cairn.conf:2051: too many [backup] sections (at most 1024)");
	/* 10,000 empty [jobs] sections: a duplicate */
	len = (size_t)snprintf(text, cap, MINIMAL);
	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(text + len, cap - len, "[jobs]\n");
	expect_error(text, "cairn.conf:4: duplicate section [jobs] (first on line 3)");
	/* 10,000 replicas */
	len = (size_t)snprintf(text, cap, MINIMAL);
	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(text + len, cap - len, "[replica r%d]\nurl = /r/%d\n", i, i);
	expect_error(text, "cairn.conf:131: too many [replica] sections (at most 64)");
	/* 64 drills, then one too many */
	len = (size_t)snprintf(text, cap, MINIMAL);
	for (int i = 0; i < CAIRN_CONFIG_MAX_DRILLS; i++)
		len += (size_t)snprintf(text + len, cap - len, "[drill d%d]\nsite = primary\nschedule = every %dh\n", i,
					i + 1);
	cfg = parse_ok(text);
	assert_int_equal(cfg->ndrills, CAIRN_CONFIG_MAX_DRILLS);
	assert_int_equal(cairn_config_drill(cfg, "d63")->schedule.spec.every_ns, 64 * 3600 * 1000000000LL);
	cairn_config_free(cfg);
	len += (size_t)snprintf(text + len, cap - len, "[drill one-more]\n");
	expect_error(text, "cairn.conf:195: too many [drill] sections (at most 64)");
	free(text);
}

static void test_cairn_config_parse_binary_junk(void **state)
{
	unsigned char junk[4096];
	struct cairn_config *cfg = NULL;

	(void)state;
	/* random bytes never crash the parser and never parse */
	for (uint64_t seed = 1; seed <= 200; seed++) {
		cairn_test_fill_random(junk, sizeof(junk), seed);
		assert_int_equal(cairn_config_parse_buf(junk, sizeof(junk), "junk", &cfg), CAIRN_EINVAL);
		assert_null(cfg);
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = junk[i] ? junk[i] : '\n';
		assert_int_equal(cairn_config_parse_buf(junk, sizeof(junk), "junk", &cfg), CAIRN_EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_config_parse_minimal),
		cmocka_unit_test(test_cairn_config_parse_layout),
		cmocka_unit_test(test_cairn_config_parse_syntax_errors),
		cmocka_unit_test(test_cairn_config_parse_empty),
		cmocka_unit_test(test_cairn_config_parse_long_lines),
		cmocka_unit_test(test_cairn_config_parse_buf_nul),
		cmocka_unit_test(test_cairn_config_parse_many_sections),
		cmocka_unit_test(test_cairn_config_parse_binary_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
