/* Unit tests for S3 options: s3:// URLs, endpoints, the AWS environment, the shared credentials file, open checks. */
#include "cairn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cairn/err.h"
#include "cairn/s3.h"
#include "cairn/store.h"
#include "store/store_s3_int.h"

static const char *const vars[] = {
	"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "CAIRN_S3_ADDRESSING",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_PROFILE", "AWS_CA_BUNDLE", "CAIRN_S3_CONNECT_TIMEOUT", "CAIRN_S3_STALL_TIMEOUT",
	"CAIRN_S3_REQUEST_TIMEOUT", "CAIRN_S3_DEADLINE", "HOME", "CAIRN_S3_LIMIT_UPLOAD", "CAIRN_S3_LIMIT_DOWNLOAD",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_parse_url_valid(void **state)
{
	static const char *const cases[][3] = {
		{ "s3://primary", "primary", "" },
		{ "s3://primary/", "primary", "" },
		{ "s3://primary/a", "primary", "a" },
		{ "s3://my.bucket-1/hosts/web-01/", "my.bucket-1", "hosts/web-01" },
		{ "s3://abc/a.b/c_d/E-F", "abc", "a.b/c_d/E-F" },
	};
	char *b, *p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cairn_s3_parse_url(cases[i][0], &b, &p), 0);
		assert_string_equal(b, cases[i][1]);
		assert_string_equal(p, cases[i][2]);
		free(b);
		free(p);
	}
}

static void test_parse_url_invalid(void **state)
{
	static const char *const cases[] = {
		"s3:/primary", "http://primary/x", "s3://", "s3://ab", "s3://a b/x", "s3://primary/../x",
		"s3://primary/a//b", "s3://primary/a/./b", "s3://primary/a%20b", "s3://primary/a b",
		"s3://0123456789012345678901234567890123456789012345678901234567890123", "s3://pri\nmary",
		"s3://primary/x\n", "S3://primary",
	};
	char *b = (char *)"keep", *p = (char *)"keep";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cairn_s3_parse_url(cases[i], &b, &p), CAIRN_EINVAL);
		assert_non_null(strstr(cairn_err_msg(), "invalid S3 URL"));
	}
	assert_int_equal(cairn_s3_parse_url(NULL, &b, &p), CAIRN_EINVAL);
	assert_string_equal(b, "keep");
	assert_string_equal(p, "keep");
}

static void test_endpoint_parse(void **state)
{
	static const char *const good[][4] = {
		{ "http://127.0.0.1:9000", "http://127.0.0.1:9000", "127.0.0.1:9000", "" },
		{ "HTTPS://s3.eu-west-1.amazonaws.com/", "https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com",
		  "" },
		{ "http://gw.local:8080/s3/api//", "http://gw.local:8080", "gw.local:8080", "/s3/api" },
		{ "http://[::1]:9000", "http://[::1]:9000", "[::1]:9000", "" },
	};
	static const char *const bad[] = { "", "ftp://x", "http://", "http:///x", "http://u:p@h", "http://h?x=1",
					   "http://h/p?x", "http://h/#f", "s3.amazonaws.com", "http://h/a b" };
	char *o, *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(cairn_s3_endpoint_parse(good[i][0], &o, &a, &b), 0);
		assert_string_equal(o, good[i][1]);
		assert_string_equal(a, good[i][2]);
		assert_string_equal(b, good[i][3]);
		free(o);
		free(a);
		free(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cairn_s3_endpoint_parse(bad[i], &o, &a, &b), CAIRN_EINVAL);
		assert_non_null(strstr(cairn_err_msg(), "endpoint"));
	}
}

static void test_from_env_aws_defaults(void **state)
{
	struct cairn_s3_options o;

	(void)state;
	setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
	setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
	setenv("AWS_CA_BUNDLE", "/etc/ca.pem", 1);
	setenv("AWS_ENDPOINT_URL", "", 1); /* empty counts as unset */
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.endpoint, "https://s3.eu-west-1.amazonaws.com");
	assert_string_equal(o.region, "eu-west-1");
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_VIRTUAL);
	assert_string_equal(o.access_key, "AKID");
	assert_string_equal(o.secret_key, "SECRET");
	assert_string_equal(o.session_token, "TOKEN");
	assert_string_equal(o.ca_bundle, "/etc/ca.pem");
	assert_int_equal(o.multipart_threshold, 64u << 20);
	assert_int_equal(o.part_size, 16u << 20);
	assert_int_equal(o.http.connect_timeout_ms, 10000);
	assert_int_equal(o.http.low_speed_time_s, 30);
	assert_int_equal(o.http.low_speed_limit, 1024);
	assert_int_equal(o.http.request_timeout_ms, 300000);
	cairn_s3_options_free(&o);
	assert_null(o.secret_key);
	/* no region at all: us-east-1 */
	unsetenv("AWS_DEFAULT_REGION");
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.endpoint, "https://s3.us-east-1.amazonaws.com");
	assert_string_equal(o.region, "us-east-1");
	cairn_s3_options_free(&o);
}

static void test_from_env_custom_endpoint(void **state)
{
	struct cairn_s3_options o;

	(void)state;
	setenv("AWS_ENDPOINT_URL", "http://generic:1", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", 1);
	setenv("AWS_REGION", "us-west-2", 1);
	setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
	setenv("AWS_ACCESS_KEY_ID", "s3test:agent", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	setenv("CAIRN_S3_STALL_TIMEOUT", "2s", 1);
	setenv("CAIRN_S3_DEADLINE", "1m", 1);
	setenv("CAIRN_S3_CONNECT_TIMEOUT", "3s", 1);
	setenv("CAIRN_S3_REQUEST_TIMEOUT", "2m", 1);
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.endpoint, "http://127.0.0.1:9000");
	assert_string_equal(o.region, "us-west-2");
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_PATH);
	assert_string_equal(o.access_key, "s3test:agent");
	assert_null(o.session_token);
	assert_null(o.ca_bundle);
	assert_int_equal(o.http.low_speed_time_s, 2);
	assert_int_equal(o.http.connect_timeout_ms, 3000);
	assert_int_equal(o.http.request_timeout_ms, 120000);
	assert_true(o.retry.deadline_ns == 60LL * 1000000000LL);
	cairn_s3_options_free(&o);
	unsetenv("AWS_ENDPOINT_URL_S3");
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.endpoint, "http://generic:1");
	cairn_s3_options_free(&o);
	setenv("CAIRN_S3_ADDRESSING", "virtual", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_VIRTUAL);
	cairn_s3_options_free(&o);
	setenv("CAIRN_S3_ADDRESSING", "both", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_S3_ADDRESSING"));
	cairn_s3_options_free(&o);
	unsetenv("CAIRN_S3_ADDRESSING");
	setenv("CAIRN_S3_DEADLINE", "soon", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_S3_DEADLINE"));
	cairn_s3_options_free(&o);
}

static void test_from_env_credentials_file(void **state)
{
	char *dir = cairn_test_mkdtemp("s3_creds"), *path, *home_aws, *home_file;
	struct cairn_s3_options o;

	(void)state;
	path = cairn_asprintf("%s/credentials", dir);
	assert_non_null(path);
	write_file(path, "# comment\n"
			 "[default]\n"
			 "aws_access_key_id = DEFAULTKEY\n"
			 "aws_secret_access_key=DEFAULTSECRET\n"
			 "\n"
			 "[profile backup]\r\n"
			 "  AWS_ACCESS_KEY_ID =  BACKUPKEY  \r\n"
			 "; another comment\r\n"
			 "aws_secret_access_key = abc/def+ghi==\r\n"
			 "aws_session_token = TOK\r\n"
			 "[empty]\n"
			 "aws_access_key_id = ONLYKEY\n"
			 "[last]\n"
			 "aws_secret_access_key = lastsecret\n"
			 "aws_access_key_id = lastkey");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.access_key, "DEFAULTKEY");
	assert_string_equal(o.secret_key, "DEFAULTSECRET");
	assert_null(o.session_token);
	cairn_s3_options_free(&o);
	setenv("AWS_PROFILE", "backup", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.access_key, "BACKUPKEY");
	assert_string_equal(o.secret_key, "abc/def+ghi==");
	assert_string_equal(o.session_token, "TOK");
	cairn_s3_options_free(&o);
	setenv("AWS_PROFILE", "last", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.access_key, "lastkey");
	cairn_s3_options_free(&o);
	setenv("AWS_PROFILE", "empty", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "'empty'"));
	setenv("AWS_PROFILE", "nosuch", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "no profile 'nosuch'"));
	/* variables beat the file */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.access_key, "ENVKEY");
	cairn_s3_options_free(&o);
	/* only half of the pair */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "AWS_SECRET_ACCESS_KEY"));
	unsetenv("AWS_ACCESS_KEY_ID");
	/* $HOME/.aws/credentials when no file is named; a missing file says where it looked */
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_PROFILE");
	setenv("HOME", dir, 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "/.aws/credentials"));
	assert_non_null(strstr(cairn_err_msg(), "AWS_ACCESS_KEY_ID"));
	home_aws = cairn_asprintf("%s/.aws", dir);
	home_file = cairn_asprintf("%s/.aws/credentials", dir);
	assert_int_equal(mkdir(home_aws, 0700), 0);
	write_file(home_file, "[default]\naws_access_key_id=H\naws_secret_access_key=HS\n");
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_string_equal(o.access_key, "H");
	cairn_s3_options_free(&o);
	unsetenv("HOME");
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	cairn_s3_options_free(&o);
	cairn_test_rmtree(dir);
	free(home_aws);
	free(home_file);
	free(path);
	free(dir);
}

static void test_credentials_file_hostile(void **state)
{
	char *dir = cairn_test_mkdtemp("s3_creds_bad"), *path, *a = NULL, *s = NULL, *t = NULL;
	FILE *f;

	(void)state;
	path = cairn_asprintf("%s/c", dir);
	assert_non_null(path);
	assert_int_equal(cairn_s3_credentials_file(path, "default", &a, &s, &t), CAIRN_ENOTFOUND);
	/* larger than 1 MiB */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[default]\naws_access_key_id=x\naws_secret_access_key=y\n", f);
	for (int i = 0; i < 70000; i++)
		fputs("# padding padding\n", f);
	fclose(f);
	assert_int_equal(cairn_s3_credentials_file(path, "default", &a, &s, &t), CAIRN_EINVAL);
	/* a section header without ']' is ignored, values before any section too; NUL bytes end the text */
	write_file(path, "aws_access_key_id=nosection\n[default\naws_access_key_id=x\n");
	assert_int_equal(cairn_s3_credentials_file(path, "default", &a, &s, &t), CAIRN_EAUTH);
	write_file(path, "[default]\naws_access_key_id=\naws_secret_access_key=y\n");
	assert_int_equal(cairn_s3_credentials_file(path, "default", &a, &s, &t), CAIRN_EAUTH);
	/* a directory is not a file */
	assert_int_equal(cairn_s3_credentials_file(dir, "default", &a, &s, &t), CAIRN_EINVAL);
	assert_null(a);
	assert_null(s);
	assert_null(t);
	cairn_test_rmtree(dir);
	free(path);
	free(dir);
}

static void base_options(struct cairn_s3_options *o)
{
	cairn_s3_options_init(o);
	o->endpoint = cairn_strdup("http://127.0.0.1:9000");
	o->region = cairn_strdup("us-east-1");
	o->bucket = cairn_strdup("bkt");
	o->prefix = cairn_strdup("p/q");
	o->access_key = cairn_strdup("AK");
	o->secret_key = cairn_strdup("SK");
}

static void test_open_addressing(void **state)
{
	struct cairn_s3_options o;
	struct cairn_store *st;
	struct s3_store *s;

	(void)state;
	base_options(&o);
	assert_int_equal(cairn_s3_open(&o, &st), 0);
	assert_string_equal(st->description, "s3://bkt/p/q");
	assert_null(cairn_s3_store_of(st)); /* the decorators are on */
	assert_int_equal(cairn_store_caps(st), CAIRN_STORE_CAP_BATCH_DELETE | CAIRN_STORE_CAP_RANGED_READ |
						       CAIRN_STORE_CAP_REMOTE);
	cairn_store_free(st);
	assert_int_equal(cairn_s3_driver_open(&o, &st), 0);
	s = cairn_s3_store_of(st);
	assert_non_null(s);
	assert_string_equal(s->origin, "http://127.0.0.1:9000");
	assert_string_equal(s->host, "127.0.0.1:9000");
	assert_string_equal(s->base_path, "/bkt");
	assert_string_equal(s->key_prefix, "p/q/");
	cairn_store_free(st);
	/* virtual-hosted, chosen automatically for AWS; a bare driver on request */
	free(o.endpoint);
	o.endpoint = cairn_strdup("https://s3.eu-west-1.amazonaws.com");
	free(o.prefix);
	o.prefix = cairn_strdup("");
	o.no_retry = 1;
	assert_int_equal(cairn_s3_open(&o, &st), 0);
	s = cairn_s3_store_of(st); /* the bare driver */
	assert_non_null(s);
	assert_string_equal(st->description, "s3://bkt");
	assert_string_equal(s->origin, "https://bkt.s3.eu-west-1.amazonaws.com");
	assert_string_equal(s->host, "bkt.s3.eu-west-1.amazonaws.com");
	assert_string_equal(s->base_path, "");
	assert_string_equal(s->key_prefix, "");
	cairn_store_free(st);
	/* forced path style with a base path */
	free(o.endpoint);
	o.endpoint = cairn_strdup("http://gw:8080/s3");
	o.addressing = CAIRN_S3_ADDRESSING_PATH;
	assert_int_equal(cairn_s3_open(&o, &st), 0);
	s = cairn_s3_store_of(st);
	assert_string_equal(s->base_path, "/s3/bkt");
	cairn_store_free(st);
	cairn_s3_options_free(&o);
	assert_null(cairn_s3_store_of(NULL));
}

static void test_open_invalid(void **state)
{
	struct cairn_s3_options o;
	struct cairn_store *st = NULL;

	(void)state;
	base_options(&o);
	o.part_size = 1u << 20;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "part size"));
	o.part_size = CAIRN_S3_MIN_PART_SIZE;
	o.list_page_keys = 0;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	o.list_page_keys = 1001;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	o.list_page_keys = 1000;
	free(o.prefix);
	o.prefix = cairn_strdup("p/");
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	free(o.prefix);
	o.prefix = NULL;
	free(o.endpoint);
	o.endpoint = cairn_strdup("ftp://x");
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	free(o.endpoint);
	o.endpoint = cairn_strdup("http://x");
	free(o.secret_key);
	o.secret_key = NULL;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EAUTH);
	o.secret_key = cairn_strdup("s");
	o.retry.max_attempts = 0;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	o.retry = cairn_retry_policy_default();
	o.http.request_timeout_ms = 0;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	o.http = cairn_http_options_default();
	free(o.bucket);
	o.bucket = NULL;
	assert_int_equal(cairn_s3_open(&o, &st), CAIRN_EINVAL);
	assert_null(st);
	cairn_s3_options_free(&o);
	cairn_s3_options_free(NULL);
}

static void test_open_url(void **state)
{
	struct cairn_store *st = NULL;
	struct cairn_s3_options o;

	(void)state;
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1", 1);
	setenv("AWS_ACCESS_KEY_ID", "a", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "b", 1);
	assert_int_equal(cairn_store_open_url("s3://bucket/repo/one", 0, &st), 0);
	assert_string_equal(st->description, "s3://bucket/repo/one");
	cairn_store_free(st);
	st = NULL;
	assert_int_equal(cairn_store_open_url("s3://b", 0, &st), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "s3://b"));
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(cairn_store_open_url("s3://bucket/x", 0, &st), CAIRN_EAUTH);
	assert_null(st);
	assert_int_equal(cairn_s3_options_from_url("s3://bucket/x", &o), CAIRN_EAUTH);
	assert_null(o.bucket);
	assert_null(o.endpoint);
}

static void set_test_credentials(void)
{
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", 1);
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
}

static void test_from_env_limits_valid(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "512k", 512u << 10 },
		{ "512K", 512u << 10 },
		{ "10M", 10u << 20 },
		{ "10m", 10u << 20 },
		{ "1.5M", 3u << 19 },
		{ "0.5G", 1u << 29 },
		{ "2G", 2ULL << 30 },
		{ "1048576", 1u << 20 },
		{ "1024G", 1ULL << 40 },
		{ "007k", 7u << 10 },
	};
	struct cairn_s3_options o;

	(void)state;
	set_test_credentials();
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_int_equal(o.http.max_send_speed, 0); /* no limit by default */
	/* timeouts long enough for a 16 MiB pack at 4 KiB/s */
	setenv("CAIRN_S3_DEADLINE", "2h", 1);
	setenv("CAIRN_S3_REQUEST_TIMEOUT", "2h", 1);
	assert_int_equal(o.http.max_recv_speed, 0);
	cairn_s3_options_free(&o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("CAIRN_S3_LIMIT_UPLOAD", cases[i].text, 1);
		setenv("CAIRN_S3_LIMIT_DOWNLOAD", "", 1); /* empty counts as unset */
		assert_int_equal(cairn_s3_options_from_env(&o), 0);
		assert_true(o.http.max_send_speed == cases[i].bytes);
		assert_int_equal(o.http.max_recv_speed, 0);
		cairn_s3_options_free(&o);
		unsetenv("CAIRN_S3_LIMIT_UPLOAD");
		setenv("CAIRN_S3_LIMIT_DOWNLOAD", cases[i].text, 1);
		assert_int_equal(cairn_s3_options_from_env(&o), 0);
		assert_int_equal(o.http.max_send_speed, 0);
		assert_true(o.http.max_recv_speed == cases[i].bytes);
		cairn_s3_options_free(&o);
	}
	/* both at once, with the default timeouts */
	unsetenv("CAIRN_S3_DEADLINE");
	unsetenv("CAIRN_S3_REQUEST_TIMEOUT");
	setenv("CAIRN_S3_LIMIT_UPLOAD", "512k", 1);
	setenv("CAIRN_S3_LIMIT_DOWNLOAD", "10M", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_int_equal(o.http.max_send_speed, 512u << 10);
	assert_int_equal(o.http.max_recv_speed, 10u << 20);
	cairn_s3_options_free(&o);
}

static void test_from_env_limits_invalid(void **state)
{
	static const char *const bad[] = {
		"fast", "10MB", "10 M", " 10M", "10M ", "-1", "+5M", "1e6", "10Mi", "10M/s", "k", ".5M", "5.M",
		"1..5M", "0x10", "1025G", "99999999999999999999999", "4095", "1k", "3.9k", "10kk", "1,5M",
	};
	static const char *const vars_limit[] = { "CAIRN_S3_LIMIT_UPLOAD", "CAIRN_S3_LIMIT_DOWNLOAD" };
	struct cairn_s3_options o;

	(void)state;
	set_test_credentials();
	cairn_s3_options_init(&o);
	for (size_t v = 0; v < 2; v++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			setenv(vars_limit[v], bad[i], 1);
			assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EINVAL);
			/* the message names the variable and quotes the value */
			assert_non_null(strstr(cairn_err_msg(), vars_limit[v]));
			assert_non_null(strstr(cairn_err_msg(), bad[i]));
			assert_int_equal(o.http.max_send_speed, 0);
			assert_int_equal(o.http.max_recv_speed, 0);
		}
		unsetenv(vars_limit[v]);
	}
	/* too slow for the default deadline (2 minutes): a 16 MiB pack would never get through */
	setenv("CAIRN_S3_LIMIT_DOWNLOAD", "32k", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_S3_LIMIT_DOWNLOAD"));
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_S3_DEADLINE"));
	setenv("CAIRN_S3_DEADLINE", "1h", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EINVAL); /* now the 5-minute request timeout */
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_S3_REQUEST_TIMEOUT"));
	setenv("CAIRN_S3_REQUEST_TIMEOUT", "10m", 1);
	assert_int_equal(cairn_s3_options_from_env(&o), 0);
	assert_int_equal(o.http.max_recv_speed, 32u << 10);
	cairn_s3_options_free(&o);
}

static void test_options_credentials_file_profiles(void **state)
{
	char *dir = cairn_test_mkdtemp("s3_optcreds"), *path, *missing;
	struct cairn_s3_options o;

	(void)state;
	path = cairn_asprintf("%s/credentials", dir);
	missing = cairn_asprintf("%s/none", dir);
	assert_non_null(path);
	assert_non_null(missing);
	write_file(path, "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
			 "[profile dr]\naws_access_key_id = DRKEY\naws_secret_access_key = DRSECRET\n"
			 "aws_session_token = DRTOKEN\n"
			 "[half]\naws_access_key_id = ONLY\n");
	/* the environment plays no part */
	setenv("AWS_PROFILE", "half", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", missing, 1);
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_credentials_file(&o, path, "default"), 0);
	assert_string_equal(o.access_key, "D");
	assert_string_equal(o.secret_key, "DS");
	assert_null(o.session_token);
	/* replaces what was there, token included */
	assert_int_equal(cairn_s3_options_credentials_file(&o, path, "dr"), 0);
	assert_string_equal(o.access_key, "DRKEY");
	assert_string_equal(o.secret_key, "DRSECRET");
	assert_string_equal(o.session_token, "DRTOKEN");
	/* failures leave *o as it was and name the file and profile, never a secret */
	assert_int_equal(cairn_s3_options_credentials_file(&o, path, "nosuch"), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "'nosuch'"));
	assert_int_equal(cairn_s3_options_credentials_file(&o, path, "half"), CAIRN_EAUTH);
	assert_null(strstr(cairn_err_msg(), "ONLY"));
	assert_int_equal(cairn_s3_options_credentials_file(&o, missing, "default"), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), missing));
	assert_non_null(strstr(cairn_err_msg(), "does not exist"));
	assert_int_equal(cairn_s3_options_credentials_file(&o, dir, "default"), CAIRN_EINVAL);
	assert_int_equal(cairn_s3_options_credentials_file(&o, path, ""), CAIRN_EINVAL);
	assert_int_equal(cairn_s3_options_credentials_file(&o, NULL, "dr"), CAIRN_EINVAL);
	assert_string_equal(o.access_key, "DRKEY");
	assert_string_equal(o.secret_key, "DRSECRET");
	assert_string_equal(o.session_token, "DRTOKEN");
	cairn_s3_options_free(&o);
	cairn_test_rmtree(dir);
	free(missing);
	free(path);
	free(dir);
}

static void test_from_env_no_credentials_fills_the_rest(void **state)
{
	struct cairn_s3_options o;

	(void)state;
	unsetenv("HOME");
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9", 1);
	setenv("AWS_REGION", "eu-west-3", 1);
	setenv("CAIRN_S3_CONNECT_TIMEOUT", "7s", 1);
	cairn_s3_options_init(&o);
	assert_int_equal(cairn_s3_options_from_env(&o), CAIRN_EAUTH);
	/* everything but the credentials is there, for a caller with credentials of its own */
	assert_string_equal(o.endpoint, "http://127.0.0.1:9");
	assert_string_equal(o.region, "eu-west-3");
	assert_int_equal(o.addressing, CAIRN_S3_ADDRESSING_PATH);
	assert_int_equal(o.http.connect_timeout_ms, 7000);
	assert_null(o.access_key);
	assert_null(o.secret_key);
	cairn_s3_options_free(&o);
}

#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, clear_env)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_url_valid),      T(test_parse_url_invalid),
		T(test_endpoint_parse),       T(test_from_env_aws_defaults),
		T(test_from_env_custom_endpoint), T(test_from_env_credentials_file),
		T(test_credentials_file_hostile), T(test_open_addressing),
		T(test_open_invalid),         T(test_open_url),
		T(test_from_env_limits_valid), T(test_from_env_limits_invalid),
		T(test_options_credentials_file_profiles), T(test_from_env_no_credentials_fills_the_rest),
	};

	return cmocka_run_group_tests_name("s3 options", tests, NULL, NULL);
}
