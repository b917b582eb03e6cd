/* Site stores: the S3 settings of a configured site, lowest precedence first (the environment, the site's own
 * keys, the command line's flags), its own credentials beating the environment's, its timeouts and limits, and
 * opening local sites (created for replicas, missing otherwise). Nothing is sent. */
#include "cairn_test.h"

#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void clean_env(void)
{
	static const char *const names[] = { "AWS_ENDPOINT_URL",	    "AWS_ENDPOINT_URL_S3", "AWS_REGION",
					     "AWS_DEFAULT_REGION",	    "AWS_PROFILE",	   "AWS_SESSION_TOKEN",
					     "AWS_SHARED_CREDENTIALS_FILE", "CAIRN_S3_ADDRESSING" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
}

static struct cairn_config *parse(const char *text)
{
	struct cairn_config *cfg = NULL;

	if (cairn_config_parse(text, "test.conf", &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	return cfg;
}

static void test_s3_options_site_keys(void **state)
{
	struct cairn_config *cfg;
	struct cairn_s3_options o;

	(void)state;
	clean_env();
	setenv("AWS_ENDPOINT_URL", "http://env.example:9000", 1);
	cfg = parse("[repository]\nurl = s3://bucket/pre/fix\nendpoint = http://site.example:9000\nregion = eu-1\n"
		    "addressing = virtual\nconnect-timeout = 3s\nrequest-timeout = 40s\nstall-timeout = 90s\n"
		    "deadline = 2m\nlimit-upload = 1M\n");
	assert_int_equal(cairn_site_s3_options(&cfg->primary, NULL, &o), 0);
	assert_string_equal(o.bucket, "bucket");
	assert_string_equal(o.prefix, "pre/fix");
	assert_string_equal(o.endpoint, "http://site.example:9000"); /* the site's, not the environment's */
	assert_string_equal(o.region, "eu-1");
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_VIRTUAL);
	assert_string_equal(o.access_key, "ENVKEY"); /* none of its own: the environment's */
	assert_int_equal(o.http.connect_timeout_ms, 3000);
	assert_int_equal(o.http.request_timeout_ms, 40000);
	assert_int_equal(o.http.low_speed_time_s, 90);
	assert_int_equal(o.retry.deadline_ns, 120LL * 1000000000LL);
	assert_int_equal(o.http.max_send_speed, 1024 * 1024);
	cairn_s3_options_free(&o);
	cairn_config_free(cfg);
	unsetenv("AWS_ENDPOINT_URL");
}

/* The command line's flags beat the site's keys; a bad rate is refused naming the flag and the site. */
static void test_s3_options_flags_win(void **state)
{
	struct cairn_config *cfg;
	struct cairn_s3_options o;
	struct cairn_site_flags flags = { .endpoint = "http://flag.example", .region = "flag-1",
					  .addressing = "path", .limit_download = "2M" };

	(void)state;
	clean_env();
	cfg = parse("[repository]\nurl = s3://bucket\nendpoint = http://site.example\nregion = eu-1\n"
		    "addressing = virtual\nlimit-download = 1M\n");
	assert_int_equal(cairn_site_s3_options(&cfg->primary, &flags, &o), 0);
	assert_string_equal(o.endpoint, "http://flag.example");
	assert_string_equal(o.region, "flag-1");
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_PATH);
	assert_int_equal(o.http.max_recv_speed, 2 * 1024 * 1024);
	cairn_s3_options_free(&o);
	flags.limit_upload = "fast";
	assert_int_equal(cairn_site_s3_options(&cfg->primary, &flags, &o), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "--limit-upload 'fast'"));
	assert_non_null(strstr(cairn_err_msg(), "repository 'primary' (s3://bucket)"));
	assert_null(o.endpoint);
	cairn_config_free(cfg);
}

/* A replica's own credentials (key id and secret file) beat the environment's; its region alone means AWS in
 * that region; object lock applies to replicas. */
static void test_s3_options_replica_credentials(void **state)
{
	char *dir = cairn_test_mkdtemp("site_store"), secret[600], *text;
	struct cairn_config *cfg;
	struct cairn_s3_options o;
	FILE *f;

	(void)state;
	clean_env();
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	f = fopen(secret, "w");
	assert_non_null(f);
	fputs("sitesecret\n", f);
	fclose(f);
	assert_int_equal(chmod(secret, 0600), 0);
	text = cairn_asprintf("[repository]\nurl = /tmp/x\n[replica dr]\nurl = s3://drbucket\nregion = us-west-2\n"
			      "access-key-id = SITEKEY\nsecret-access-key-file = %s\n",
			      secret);
	assert_non_null(text);
	cfg = parse(text);
	assert_int_equal(cairn_site_s3_options(&cfg->replicas[0], NULL, &o), 0);
	assert_string_equal(o.access_key, "SITEKEY");
	assert_string_equal(o.secret_key, "sitesecret");
	assert_string_equal(o.endpoint, "https://s3.us-west-2.amazonaws.com");
	cairn_s3_options_free(&o);
	cairn_config_free(cfg);
	free(text);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_store_open_local(void **state)
{
	char *dir = cairn_test_mkdtemp("site_store"), *text;
	struct cairn_config *cfg;
	struct cairn_store *st = NULL;
	struct stat sb;
	char path[600];

	(void)state;
	text = cairn_asprintf("[repository]\nurl = %s/primary\n[replica dr]\nurl = file://%s/dr\n", dir, dir);
	assert_non_null(text);
	cfg = parse(text);
	/* a missing primary is not created; a replica is */
	assert_int_equal(cairn_site_store_open(&cfg->primary, NULL, NULL, 0, &st), CAIRN_ENOTFOUND);
	assert_null(st);
	assert_int_equal(cairn_site_store_open(&cfg->replicas[0], NULL, NULL, 1, &st), 0);
	assert_non_null(st);
	snprintf(path, sizeof(path), "%s/dr", dir); /* file:// stripped */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(cairn_store_put(st, "config", "x", 1), 0);
	cairn_store_free(st);
	st = NULL;
	/* no site: the URL with the environment alone */
	assert_int_equal(cairn_site_store_open(NULL, path, NULL, 0, &st), 0);
	assert_int_equal(cairn_store_stat(st, "config", &(uint64_t){ 0 }), 0);
	cairn_store_free(st);
	cairn_config_free(cfg);
	free(text);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_options_site_keys),
		cmocka_unit_test(test_s3_options_flags_win),
		cmocka_unit_test(test_s3_options_replica_credentials),
		cmocka_unit_test(test_store_open_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
