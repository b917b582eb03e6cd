/* Repository URLs from the command line and the environment: which schemes
 * pass, and how a URL of another scheme is refused (a usage error). */
#include "cairn_test.h"

#include "cli.h"

#include <string.h>

/* Where the messages of the code under test go (no job report). */
static const struct cli_ctx test_ctx = { .program = "test_cli_config" };

static void test_cli_url_supported(void **state)
{
	(void)state;
	assert_true(cli_url_supported("/srv/backup"));
	assert_true(cli_url_supported("relative/dir"));
	assert_true(cli_url_supported("file:///srv/backup"));
	assert_true(cli_url_supported("s3://bucket/prefix"));
	assert_true(cli_url_supported("dr")); /* a site name */
	assert_false(cli_url_supported("ftp://host/x"));
	assert_false(cli_url_supported("gs://bucket/p"));
	assert_false(cli_url_supported("http://host/x"));
	assert_false(cli_url_supported("S3://bucket/p")); /* schemes are lowercase, as the store reads them */
	assert_false(cli_url_supported("://x"));
}

static void test_cli_url_check_is_a_usage_error(void **state)
{
	(void)state;
	assert_int_equal(cli_url_check(&test_ctx, "s3://bucket/p", "--to"), 0);
	assert_int_equal(cli_url_check(&test_ctx, "/srv/backup", "--repo"), 0);
	assert_int_equal(cli_url_check(&test_ctx, "ftp://host/x", "--repo"), CAIRN_EXIT_USAGE);
	assert_int_equal(cli_url_check(&test_ctx, "gs://b", "CAIRN_REPO"), CAIRN_EXIT_USAGE);
}

static void test_cli_site_lookup_unsupported_is_no_url(void **state)
{
	struct cli_repo_opts o;
	const struct cairn_site_config *site = (const void *)&o;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(cli_site_lookup(&o, "/srv/backup", &site), 0);
	assert_null(site);
	site = (const void *)&o;
	assert_int_equal(cli_site_lookup(&o, "s3://bucket/p", &site), 0);
	assert_null(site);
	site = (const void *)&o;
	assert_int_equal(cli_site_lookup(&o, "ftp://host/x", &site), 1);
	assert_null(site); /* neither a URL nor a site: every caller refuses it */
	site = (const void *)&o;
	assert_int_equal(cli_site_lookup(&o, "dr", &site), 1);
	assert_null(site); /* no configuration: no such site */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_url_supported),
		cmocka_unit_test(test_cli_url_check_is_a_usage_error),
		cmocka_unit_test(test_cli_site_lookup_unsupported_is_no_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
