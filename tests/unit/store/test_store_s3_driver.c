/* Unit tests for the S3 driver against a scripted local HTTP server: request format, classification of
 * answers, range and length checks, pagination, multipart abort, deletes. No S3 server needed. */
#include "cairn_test.h"
#include "fake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/s3.h"
#include "cairn/timeutil.h"
#include "cairn/sigv4.h"
#include "cairn/store.h"
#include "store/store_s3_int.h"

/* ---- the driver against the scripted server ---- */

#define NOT_FOUND_XML "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"

struct env {
	struct fake_http *f;
	struct cairn_store *s; /* bare driver */
};

static struct cairn_store *open_store(struct fake_http *f, int with_retry)
{
	struct cairn_s3_options o;
	struct cairn_store *s;

	cairn_s3_options_init(&o);
	o.endpoint = cairn_asprintf("http://127.0.0.1:%d", f->port);
	o.region = cairn_strdup("us-east-1");
	o.bucket = cairn_strdup("bkt");
	o.prefix = cairn_strdup("pfx");
	o.access_key = cairn_strdup("AKID");
	o.secret_key = cairn_strdup("SECRET");
	o.multipart_threshold = 5u << 20;
	o.part_size = 5u << 20;
	o.no_retry = !with_retry;
	o.retry.backoff_base_ns = 1000000;
	o.retry.backoff_cap_ns = 5000000;
	o.http.low_speed_time_s = 2;
	assert_int_equal(cairn_s3_open(&o, &s), 0);
	cairn_s3_options_free(&o);
	return s;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->f = fake_http_start();
	e->s = open_store(e->f, 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	cairn_store_free(e->s);
	fake_http_stop(e->f);
	free(e);
	return 0;
}

static const char *head_of(struct env *e, unsigned i)
{
	assert_true(e->f->requests > i);
	return e->f->heads[i];
}

static void test_classify_table(void **state)
{
	static const struct {
		long status;
		const char *code;
		int rc;
	} t[] = {
		{ 200, "", 0 },
		{ 204, NULL, 0 },
		{ 206, "", 0 },
		{ 404, "NoSuchKey", CAIRN_ENOTFOUND },
		{ 404, "NoSuchBucket", CAIRN_ENOTFOUND },
		{ 404, "", CAIRN_ENOTFOUND },
		{ 403, "AccessDenied", CAIRN_EAUTH },
		{ 403, "SignatureDoesNotMatch", CAIRN_EAUTH },
		{ 403, "InvalidAccessKeyId", CAIRN_EAUTH },
		{ 403, "", CAIRN_EAUTH },
		{ 400, "AuthorizationHeaderMalformed", CAIRN_EINVAL },
		{ 400, "InvalidArgument", CAIRN_EINVAL },
		{ 400, "RequestTimeout", CAIRN_ETRANSIENT },
		{ 400, "ExpiredToken", CAIRN_EAUTH },
		{ 500, "InternalError", CAIRN_ETRANSIENT },
		{ 500, "", CAIRN_ETRANSIENT },
		{ 502, "", CAIRN_ETRANSIENT },
		{ 503, "SlowDown", CAIRN_ETRANSIENT },
		{ 503, "ServiceUnavailable", CAIRN_ETRANSIENT },
		{ 504, "", CAIRN_ETRANSIENT },
		{ 599, "Whatever", CAIRN_ETRANSIENT },
		{ 408, "", CAIRN_ETRANSIENT },
		{ 429, "", CAIRN_ETRANSIENT },
		{ 412, "PreconditionFailed", CAIRN_EEXIST },
		{ 416, "InvalidRange", CAIRN_EINVAL },
		{ 501, "NotImplemented", CAIRN_EUNSUPPORTED },
		{ 301, "PermanentRedirect", CAIRN_EINVAL },
		{ 409, "BucketNotEmpty", CAIRN_EINVAL },
		{ 405, "", CAIRN_EINVAL },
		{ 100, "", CAIRN_EINVAL },
		{ 0, "", CAIRN_EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = cairn_s3_classify(t[i].status, t[i].code);

		if (rc != t[i].rc)
			fail_msg("%ld %s: got %s, want %s", t[i].status, t[i].code ? t[i].code : "(null)",
				 cairn_err_name(rc), cairn_err_name(t[i].rc));
	}
}

static void test_put_request_format(void **state)
{
	struct env *e = *state;
	char md5[CAIRN_SIGV4_MD5_B64_LEN], sha[CAIRN_SIGV4_SHA256_HEX_LEN], want[256];
	struct cairn_store_stats st;
	const char *h;

	assert_int_equal(cairn_sigv4_md5_base64("hello", 5, md5), 0);
	assert_int_equal(cairn_sigv4_sha256_hex("hello", 5, sha), 0);
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"x\"\r\n", NULL, -1);
	assert_int_equal(cairn_store_put(e->s, "data/ab/cd", "hello", 5), 0);
	h = head_of(e, 0);
	assert_non_null(strstr(h, "GET /bkt/pfx/data/ab/cd HTTP/1.1\r\n"));
	assert_non_null(strstr(h, "\r\nrange: bytes=0-0\r\n"));
	h = head_of(e, 1);
	assert_non_null(strstr(h, "PUT /bkt/pfx/data/ab/cd HTTP/1.1\r\n"));
	snprintf(want, sizeof(want), "\r\nhost: 127.0.0.1:%d\r\n", e->f->port);
	assert_non_null(strcasestr(h, want));
	snprintf(want, sizeof(want), "\r\ncontent-md5: %s\r\n", md5);
	assert_non_null(strstr(h, want));
	snprintf(want, sizeof(want), "\r\nx-amz-content-sha256: %s\r\n", sha);
	assert_non_null(strstr(h, want));
	assert_non_null(strstr(h, "\r\nif-none-match: *\r\n"));
	assert_non_null(strstr(h, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/"));
	assert_non_null(strstr(h, "/us-east-1/s3/aws4_request, SignedHeaders=content-md5;host;if-none-match;"
				  "x-amz-checksum-sha256;x-amz-content-sha256;x-amz-date, Signature="));
	/* SHA-256("hello") in base64, which S3 checks against what it stored */
	assert_non_null(strstr(h, "\r\nx-amz-checksum-sha256: LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\r\n"));
	assert_int_equal(e->f->body.len, 5);
	assert_memory_equal(e->f->body.data, "hello", 5);
	/* the server honoured If-None-Match: from now on one request, 412 is "exists" */
	fake_http_reply(e->f, R_SEND, 412, NULL, "<Error><Code>PreconditionFailed</Code></Error>", -1);
	assert_int_equal(cairn_store_put(e->s, "data/ab/cd", "other", 5), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "object 'data/ab/cd' already exists in 's3://bkt/pfx'"));
	assert_int_equal(e->f->requests, 3);
	assert_non_null(strstr(head_of(e, 2), "PUT /bkt/pfx/data/ab/cd HTTP/1.1\r\n"));
	cairn_store_stats_get(e->s, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.http_bytes_sent, 10);
}

static void test_put_conditional_refused(void **state)
{
	struct env *e = *state;

	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 501, NULL,
		   "<Error><Code>NotImplemented</Code><Message>Conditional object PUTs are not supported."
		   "</Message></Error>",
		   -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	assert_int_equal(cairn_store_put(e->s, "config", "abc", 3), 0);
	assert_int_equal(e->f->requests, 3);
	assert_non_null(strstr(head_of(e, 1), "if-none-match: *"));
	assert_null(strstr(head_of(e, 2), "if-none-match"));
	assert_non_null(strstr(head_of(e, 2), "PUT /bkt/pfx/config "));
	/* remembered: check, then a plain PUT */
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	assert_int_equal(cairn_store_put(e->s, "keys/k", "abc", 3), 0);
	assert_int_equal(e->f->requests, 5);
	assert_null(strstr(head_of(e, 4), "if-none-match"));
	/* the check finds it (an empty object answers 416) */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-0/3\r\n", "a", -1);
	assert_int_equal(cairn_store_put(e->s, "keys/k", "abc", 3), CAIRN_EEXIST);
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	assert_int_equal(cairn_store_put(e->s, "keys/empty", "", 0), CAIRN_EEXIST);
	assert_int_equal(e->f->requests, 7);
}

/* a content-addressed object: one unconditional PUT, no existence check, also when it is there */
static void test_put_content_one_request(void **state)
{
	struct env *e = *state;

	fake_http_reply(e->f, R_SEND, 200, "ETag: \"x\"\r\n", NULL, -1);
	assert_int_equal(cairn_store_put_content(e->s, "data/ab/cd", "hello", 5), 0);
	assert_int_equal(e->f->requests, 1);
	assert_non_null(strstr(head_of(e, 0), "PUT /bkt/pfx/data/ab/cd HTTP/1.1\r\n"));
	assert_null(strstr(head_of(e, 0), "if-none-match"));
	assert_non_null(strstr(head_of(e, 0), "\r\ncontent-md5: "));
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	assert_int_equal(cairn_store_put_content(e->s, "data/ab/cd", "hello", 5), 0);
	assert_int_equal(e->f->requests, 2);
	/* errors still come through with their S3 code */
	fake_http_reply(e->f, R_SEND, 403, NULL, "<Error><Code>SignatureDoesNotMatch</Code></Error>", -1);
	assert_int_equal(cairn_store_put_content(e->s, "data/ab/ef", "x", 1), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "SignatureDoesNotMatch"));
	assert_int_equal(cairn_store_put_content(e->s, "../escape", "x", 1), CAIRN_EINVAL);
	assert_int_equal(e->f->requests, 3);
}

/* Object Lock: each PUT carries the mode and a retain-until date that far ahead */
static void test_put_object_lock_headers(void **state)
{
	struct env *e = *state;
	struct cairn_s3_options o;
	struct cairn_store *s;
	char want[CAIRN_TIME_STR], want2[CAIRN_TIME_STR];
	const char *h, *until;
	int64_t now = cairn_time_now_ns();

	cairn_s3_options_init(&o);
	o.endpoint = cairn_asprintf("http://127.0.0.1:%d", e->f->port);
	o.region = cairn_strdup("us-east-1");
	o.bucket = cairn_strdup("bkt");
	o.prefix = cairn_strdup("");
	o.access_key = cairn_strdup("AKID");
	o.secret_key = cairn_strdup("SECRET");
	o.no_retry = 1;
	o.object_lock_ns = 30LL * 86400 * 1000000000;
	assert_int_equal(cairn_s3_open(&o, &s), 0);
	cairn_s3_options_free(&o);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	assert_int_equal(cairn_store_put_content(s, "data/ab/cd", "hello", 5), 0);
	h = head_of(e, 0);
	assert_non_null(strstr(h, "\r\nx-amz-object-lock-mode: COMPLIANCE\r\n"));
	until = strstr(h, "\r\nx-amz-object-lock-retain-until-date: ");
	assert_non_null(until);
	until += strlen("\r\nx-amz-object-lock-retain-until-date: ");
	/* 30 days from now, to the second (allowing the second to tick) */
	cairn_time_format(now + 30LL * 86400 * 1000000000, 0, want);
	cairn_time_format(now + 30LL * 86400 * 1000000000 + 1000000000, 0, want2);
	assert_true(strncmp(until, want, strlen(want)) == 0 || strncmp(until, want2, strlen(want2)) == 0);
	assert_non_null(strstr(h, "x-amz-object-lock-mode;x-amz-object-lock-retain-until-date"));
	cairn_store_free(s);
	/* the default store sends none */
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	assert_int_equal(cairn_store_put_content(e->s, "data/ab/ef", "x", 1), 0);
	assert_null(strstr(head_of(e, 1), "object-lock"));
}

static void get_ok(struct env *e, uint64_t off, uint64_t len, const char *want)
{
	struct cairn_buf b = { 0 };

	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	if (cairn_store_get(e->s, "data/x", off, len, &b) != 0) {
		for (unsigned i = 0; i < e->f->requests; i++)
			printf("%u: %.60s\n", i, e->f->heads[i]);
		fail_msg("get: %s", cairn_err_msg());
	}
	assert_int_equal(b.len, 2 + strlen(want));
	assert_memory_equal(b.data + 2, want, strlen(want));
	cairn_buf_free(&b);
}

static void get_fails(struct env *e, uint64_t off, uint64_t len, int rc, const char *msg)
{
	struct cairn_buf b = { 0 };
	int got;

	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	got = cairn_store_get(e->s, "data/x", off, len, &b);
	if (got != rc)
		fail_msg("get: %d instead of %d: %s", got, rc, cairn_err_msg());
	if (msg != NULL && strstr(cairn_err_msg(), msg) == NULL)
		fail_msg("'%s' not in '%s'", msg, cairn_err_msg());
	assert_int_equal(b.len, 2); /* untouched */
	assert_memory_equal(b.data, "XY", 2);
	cairn_buf_free(&b);
}

static void test_get_ranges_checked(void **state)
{
	struct env *e = *state;
	const char *obj = "0123456789abcdefghijklmnopqrstuvwxyz";

	/* a whole object: no Range header */
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	get_ok(e, 0, UINT64_MAX, obj);
	assert_null(strcasestr(head_of(e, 0), "range:"));
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 10-19/36\r\n", "abcdefghij", -1);
	get_ok(e, 10, 10, "abcdefghij");
	assert_non_null(strstr(head_of(e, 1), "\r\nrange: bytes=10-19\r\n"));
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 30-35/36\r\n", "uvwxyz", -1);
	get_ok(e, 30, UINT64_MAX, "uvwxyz");
	assert_non_null(strstr(head_of(e, 2), "\r\nrange: bytes=30-\r\n"));
	/* a server that ignores Range: the whole object, then the slice is cut out */
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	get_ok(e, 10, 3, "abc");
	assert_null(strcasestr(head_of(e, 4), "range:"));
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	get_ok(e, 33, UINT64_MAX, "xyz");
	/* a short body (the server says so) and a long one */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 10-14/36\r\n", "abcde", -1);
	get_fails(e, 10, 10, CAIRN_ETRANSIENT, "received 5 bytes, expected 10 (short body)");
	fake_http_reply(e->f, R_SEND_CLOSE, 206, "Content-Range: bytes 10-29/36\r\n", "abcdefghijklmnopqrst", -1);
	get_fails(e, 10, 10, CAIRN_ETRANSIENT, "longer than the 10 bytes");
	/* a body cut off before its Content-Length */
	fake_http_reply(e->f, R_SEND_CLOSE, 206, "Content-Range: bytes 10-19/36\r\n", "abc", 10);
	get_fails(e, 10, 10, CAIRN_ETRANSIENT, "GET 'http://127.0.0.1");
	/* a Content-Range that answers another question */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-9/36\r\n", "0123456789", -1);
	get_fails(e, 10, 10, CAIRN_ETRANSIENT, "Content-Range 'bytes 0-9/36'");
	fake_http_reply(e->f, R_SEND, 206, NULL, "abcdefghij", -1);
	get_fails(e, 10, 10, CAIRN_ETRANSIENT, "Content-Range");
	/* the object is shorter than the range: not a retry matter */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 30-35/36\r\n", "uvwxyz", -1);
	get_fails(e, 30, 10, CAIRN_EINVAL, "extends past the end (size 36)");
	/* 416: a HEAD tells an empty read at the end from a range past it */
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_ok(e, 36, UINT64_MAX, "");
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_fails(e, 37, UINT64_MAX, CAIRN_EINVAL, "past the end");
	/* zero bytes: HEAD only */
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_ok(e, 20, 0, "");
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_fails(e, 40, 0, CAIRN_EINVAL, "past the end");
	/* ranges that overflow never reach the server */
	get_fails(e, UINT64_MAX, 1, CAIRN_EINVAL, "overflows");
	get_fails(e, 2, UINT64_MAX - 1, CAIRN_EINVAL, "overflows");
}

/* get(.., CAIRN_STORE_AT_MOST(n)): one GET of bytes=offset-(offset+n), whatever the server does with it. */
static void test_get_at_most(void **state)
{
	struct env *e = *state;
	const char *obj = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct cairn_http_stats st0, st1;
	size_t big_len = 4u << 20;
	char *big = malloc(big_len + 1);

	assert_non_null(big);
	memset(big, 'b', big_len);
	big[big_len] = '\0';
	/* 206, small: the object whole, one request asking for n+1 bytes */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-35/36\r\n", obj, -1);
	get_ok(e, 0, CAIRN_STORE_AT_MOST(100), obj);
	assert_int_equal(e->f->requests, 1);
	assert_non_null(strstr(head_of(e, 0), "GET /bkt/pfx/data/x HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 0), "\r\nrange: bytes=0-100\r\n"));
	/* exactly n bytes still fit */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-35/36\r\n", obj, -1);
	get_ok(e, 0, CAIRN_STORE_AT_MOST(36), obj);
	assert_non_null(strstr(head_of(e, 1), "\r\nrange: bytes=0-36\r\n"));
	/* from an offset */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 30-35/36\r\n", "uvwxyz", -1);
	get_ok(e, 30, CAIRN_STORE_AT_MOST(6), "uvwxyz");
	assert_non_null(strstr(head_of(e, 2), "\r\nrange: bytes=30-36\r\n"));
	/* 206, big: refused from the total, the size named, no second request */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-10/8000000\r\n", "0123456789a", -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(10), CAIRN_ECORRUPT,
		  "object 'data/x' in 's3://bkt/pfx' has 8000000 bytes, more than the 10 asked for: not read");
	assert_int_equal(e->f->requests, 4);
	/* 206 without a total: n+1 bytes say "too big" */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-10/*\r\n", "0123456789a", -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(10), CAIRN_ECORRUPT, "has more than 10 bytes, more than the 10 asked");
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-4/*\r\n", "01234", -1);
	get_ok(e, 0, CAIRN_STORE_AT_MOST(10), "01234");
	/* a 206 answering more than was asked, or something else */
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-20/36\r\n", "0123456789a", -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(10), CAIRN_ETRANSIENT, "does not answer bytes=0-10");
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-4/36\r\n", "01234", -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(100), CAIRN_ETRANSIENT, "stops before the end");
	fake_http_reply(e->f, R_SEND_CLOSE, 206, "Content-Range: bytes 0-9/10\r\n", "01234", 10);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(100), CAIRN_ETRANSIENT, NULL);
	/* 200 from a server that ignores Range, small: the object whole, one request */
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	get_ok(e, 0, CAIRN_STORE_AT_MOST(36), obj);
	assert_int_equal(e->f->requests, 10);
	/* ... from an offset, the object longer than n+1: fetched again up to its (known) end */
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, obj, -1);
	get_ok(e, 30, CAIRN_STORE_AT_MOST(6), "uvwxyz");
	assert_null(strcasestr(head_of(e, e->f->requests - 1), "range:"));
	/* 200, big: refused from its Content-Length, the body not downloaded */
	cairn_http_client_stats(cairn_s3_store_http(e->s), &st0);
	fake_http_reply(e->f, R_SEND_CLOSE, 200, NULL, big, -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(65536), CAIRN_ECORRUPT,
		  "has 4194304 bytes, more than the 65536 asked for: not read");
	cairn_http_client_stats(cairn_s3_store_http(e->s), &st1);
	assert_true(st1.bytes_received - st0.bytes_received < 1u << 20);
	fake_http_reply(e->f, R_SEND_CLOSE, 200, NULL, obj, -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(35), CAIRN_ECORRUPT, "has 36 bytes, more than the 35 asked for");
	/* 416: an empty object at offset 0, one request; at an offset, a HEAD decides */
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	get_ok(e, 0, CAIRN_STORE_AT_MOST(10), "");
	assert_null(strstr(head_of(e, e->f->requests - 1), "HEAD"));
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_ok(e, 36, CAIRN_STORE_AT_MOST(10), "");
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_fails(e, 40, CAIRN_STORE_AT_MOST(10), CAIRN_EINVAL, "past the end");
	fake_http_reply(e->f, R_SEND, 416, NULL, "<Error><Code>InvalidRange</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 36);
	get_fails(e, 20, CAIRN_STORE_AT_MOST(100), CAIRN_ETRANSIENT, "but HEAD says 36 bytes");
	/* an error keeps its S3 code (a GET has a body, unlike a HEAD) */
	fake_http_reply(e->f, R_SEND, 403, NULL, "<Error><Code>SignatureDoesNotMatch</Code></Error>", -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(10), CAIRN_EAUTH, "403 SignatureDoesNotMatch");
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	get_fails(e, 0, CAIRN_STORE_AT_MOST(10), CAIRN_ENOTFOUND, "NoSuchKey");
	free(big);
}

static void test_error_details(void **state)
{
	struct env *e = *state;
	struct cairn_buf b = { 0 };
	uint64_t size;

	fake_http_reply(e->f, R_SEND, 403, "x-amz-request-id: HDR1\r\n",
		   "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
		   "not match the signature you provided.</Message><RequestId>R1</RequestId></Error>",
		   -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_EAUTH);
	assert_string_equal(cairn_err_msg(), "S3 GET 'bkt/pfx/config': 403 SignatureDoesNotMatch: The request "
					     "signature we calculated does not match the signature you provided. "
					     "(request id R1)");
	fake_http_reply(e->f, R_SEND, 404, NULL,
		   "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
		   "<BucketName>bkt</BucketName></Error>",
		   -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "404 NoSuchBucket: bucket 'bkt' does not exist"));
	fake_http_reply(e->f, R_SEND, 404, "x-amz-request-id: HDR2\r\n", NOT_FOUND_XML, -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "404 NoSuchKey: The specified key does not exist. (request id HDR2)"));
	fake_http_reply(e->f, R_SEND, 503, NULL, "<Error><Code>SlowDown</Code><Message>Reduce your request rate."
					    "</Message></Error>", -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "503 SlowDown: Reduce your request rate."));
	fake_http_reply(e->f, R_SEND, 502, NULL, "<html><body>\n<h1>Bad\tGateway</h1>\x01</body></html>", -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "502 Bad Gateway: <html><body> <h1>Bad Gateway</h1>?</body></html>"));
	fake_http_reply(e->f, R_SEND, 400, NULL, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region "
					    "'us-east-1' is wrong; expecting 'eu-west-1'</Message></Error>", -1);
	assert_int_equal(cairn_store_get(e->s, "config", 0, UINT64_MAX, &b), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "AuthorizationHeaderMalformed"));
	/* HEAD answers have no body: say what a 403 or 404 may mean */
	fake_http_reply(e->f, R_SEND, 403, NULL, NULL, 0);
	assert_int_equal(cairn_store_stat(e->s, "config", &size), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "S3 HEAD 'bkt/pfx/config': 403 Forbidden: no details"));
	fake_http_reply(e->f, R_SEND, 404, NULL, NULL, 0);
	assert_int_equal(cairn_store_stat(e->s, "config", &size), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "no object 'config', or no bucket 'bkt'"));
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 77);
	assert_int_equal(cairn_store_stat(e->s, "config", &size), 0);
	assert_int_equal(size, 77);
	assert_int_equal(b.len, 0);
	cairn_buf_free(&b);
}

static void test_retry_decorator_over_driver(void **state)
{
	struct env *e = *state;
	struct cairn_store *s = open_store(e->f, 1);
	struct cairn_store_stats st;
	struct cairn_buf b = { 0 };

	fake_http_reply(e->f, R_SEND, 503, NULL, "<Error><Code>SlowDown</Code></Error>", -1);
	fake_http_reply(e->f, R_SEND_CLOSE, 200, NULL, "abc", 10); /* cut short */
	fake_http_reply(e->f, R_SEND, 200, NULL, "abcdefghij", -1);
	assert_int_equal(cairn_store_get(s, "data/x", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 10);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.bytes_down, 10);
	/* permanent: one request */
	fake_http_reply(e->f, R_SEND, 403, NULL, "<Error><Code>InvalidAccessKeyId</Code></Error>", -1);
	assert_int_equal(cairn_store_get(s, "data/x", 0, UINT64_MAX, &b), CAIRN_EAUTH);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.requests, 4);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.wire, 1);
	assert_int_equal(st.operations, 2);
	assert_int_equal(st.failures, 1);
	cairn_buf_free(&b);
	cairn_store_free(s);
}

struct listed {
	char names[8][32];
	uint64_t sizes[8];
	unsigned n;
};

static int list_cb(void *ctx, const char *name, uint64_t size)
{
	struct listed *l = ctx;

	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[l->n]), "%s", name);
	l->sizes[l->n++] = size;
	return 0;
}

#define PAGE(truncated, token, contents)                                                                    \
	"<ListBucketResult><IsTruncated>" truncated "</IsTruncated>" token contents "</ListBucketResult>"
#define ITEM(k, sz) "<Contents><Key>" k "</Key><Size>" #sz "</Size></Contents>"

static void test_list_pages(void **state)
{
	struct env *e = *state;
	struct listed l = { 0 };

	fake_http_reply(e->f, R_SEND, 200, NULL,
		   PAGE("true", "<NextContinuationToken>t/1+=</NextContinuationToken>",
			ITEM("pfx/data/a", 1) ITEM("pfx/data/.hidden", 2) ITEM("pfx/tmp/x", 3)
				ITEM("pfx/data/../../etc", 4) ITEM("elsewhere/data/z", 5)),
		   -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, PAGE("false", "", ITEM("pfx/data/b", 6)), -1);
	assert_int_equal(cairn_store_list(e->s, "data/", list_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.names[0], "data/a");
	assert_int_equal(l.sizes[0], 1);
	assert_string_equal(l.names[1], "data/b");
	assert_int_equal(l.sizes[1], 6);
	assert_non_null(strstr(head_of(e, 0), "GET /bkt?list-type=2&max-keys=1000&prefix=pfx%2Fdata%2F HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 1), "GET /bkt?continuation-token=t%2F1%2B%3D&list-type=2&max-keys=1000"
					       "&prefix=pfx%2Fdata%2F HTTP/1.1"));
	/* truncated without a way on, or the same token again */
	fake_http_reply(e->f, R_SEND, 200, NULL, PAGE("true", "", ""), -1);
	assert_int_equal(cairn_store_list(e->s, "", list_cb, &l), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "continuation token"));
	fake_http_reply(e->f, R_SEND, 200, NULL, PAGE("true", "<NextContinuationToken>same</NextContinuationToken>", ""), -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, PAGE("true", "<NextContinuationToken>same</NextContinuationToken>", ""), -1);
	assert_int_equal(cairn_store_list(e->s, "", list_cb, &l), CAIRN_ETRANSIENT);
	/* hostile pages */
	fake_http_reply(e->f, R_SEND, 200, NULL, "<!DOCTYPE x [<!ENTITY a \"b\">]>" PAGE("false", "", ""), -1);
	assert_int_equal(cairn_store_list(e->s, "", list_cb, &l), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "cannot list '' in 's3://bkt/pfx'"));
	fake_http_reply(e->f, R_SEND, 200, NULL, "<ListBucketResult><Contents><Key>pfx/a", -1);
	assert_int_equal(cairn_store_list(e->s, "", list_cb, &l), CAIRN_ETRANSIENT);
	assert_int_equal(l.n, 2);
	assert_int_equal(cairn_store_list(e->s, "../", list_cb, &l), CAIRN_EINVAL);
}

static void test_multipart_abort(void **state)
{
	struct env *e = *state;
	size_t len = (5u << 20) + 1000;
	uint8_t *data = malloc(len);

	assert_non_null(data);
	cairn_test_fill_random(data, len, 1);
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL,
		   "<InitiateMultipartUploadResult><UploadId>U+1</UploadId></InitiateMultipartUploadResult>", -1);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"e1\"\r\n", NULL, -1);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"e2\"\r\n", NULL, -1);
	/* a 200 whose body is an error */
	fake_http_reply(e->f, R_SEND, 200, NULL, "\n\n<Error><Code>InternalError</Code><Message>try again</Message></Error>",
		   -1);
	fake_http_reply(e->f, R_SEND, 204, NULL, NULL, 0);
	assert_int_equal(cairn_store_put(e->s, "data/big", data, len), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "200 InternalError: try again"));
	assert_int_equal(e->f->requests, 6);
	assert_non_null(strstr(head_of(e, 1), "POST /bkt/pfx/data/big?uploads= HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 2), "PUT /bkt/pfx/data/big?partNumber=1&uploadId=U%2B1 HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 3), "PUT /bkt/pfx/data/big?partNumber=2&uploadId=U%2B1 HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 4), "POST /bkt/pfx/data/big?uploadId=U%2B1 HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 5), "DELETE /bkt/pfx/data/big?uploadId=U%2B1 HTTP/1.1"));
	/* a part answer without an ETag: aborted too */
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL,
		   "<InitiateMultipartUploadResult><UploadId>U2</UploadId></InitiateMultipartUploadResult>", -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, -1);
	fake_http_reply(e->f, R_SEND, 204, NULL, NULL, 0);
	assert_int_equal(cairn_store_put(e->s, "data/big", data, len), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "part 1: answer without a usable ETag"));
	assert_non_null(strstr(head_of(e, 9), "DELETE /bkt/pfx/data/big?uploadId=U2 HTTP/1.1"));
	/* and the complete document, when all goes well */
	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL,
		   "<InitiateMultipartUploadResult><UploadId>U3</UploadId></InitiateMultipartUploadResult>", -1);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"e1\"\r\n", NULL, -1);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"e2\"\r\n", NULL, -1);
	fake_http_reply(e->f, R_SEND, 200, NULL, "<CompleteMultipartUploadResult/>", -1);
	assert_int_equal(cairn_store_put(e->s, "data/big", data, len), 0);
	assert_int_equal(e->f->body.len, strlen("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1"
						"&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2"
						"&quot;</ETag></Part></CompleteMultipartUpload>"));
	assert_memory_equal(e->f->body.data, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>", 57);
	free(data);
}

static void test_delete_paths(void **state)
{
	struct env *e = *state;
	const char *names[] = { "locks/a", "locks/b" };

	fake_http_reply(e->f, R_SEND, 404, NULL, NOT_FOUND_XML, -1);
	assert_int_equal(cairn_store_del(e->s, "locks/a"), CAIRN_ENOTFOUND);
	assert_int_equal(e->f->requests, 1);
	fake_http_reply(e->f, R_SEND, 206, "Content-Range: bytes 0-0/3\r\n", "a", -1);
	fake_http_reply(e->f, R_SEND, 204, NULL, NULL, 0);
	assert_int_equal(cairn_store_del(e->s, "locks/a"), 0);
	assert_non_null(strstr(head_of(e, 2), "DELETE /bkt/pfx/locks/a HTTP/1.1"));
	/* multi-object delete: quiet, Content-MD5, the failures reported */
	fake_http_reply(e->f, R_SEND, 200, NULL,
		   "<DeleteResult><Error><Key>pfx/locks/b</Key><Code>AccessDenied</Code><Message>no</Message></Error>"
		   "</DeleteResult>",
		   -1);
	assert_int_equal(cairn_store_del_many(e->s, names, 2), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "1 of 2 keys failed; first 'pfx/locks/b': AccessDenied: no"));
	assert_non_null(strstr(head_of(e, 3), "POST /bkt?delete= HTTP/1.1"));
	assert_non_null(strstr(head_of(e, 3), "\r\ncontent-md5: "));
	assert_non_null(memmem(e->f->body.data, e->f->body.len, "<Quiet>true</Quiet><Object><Key>pfx/locks/a</Key>"
								"</Object><Object><Key>pfx/locks/b</Key></Object>",
			       96));
	fake_http_reply(e->f, R_SEND, 200, NULL, "<DeleteResult/>", -1);
	assert_int_equal(cairn_store_del_many(e->s, names, 2), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		T(test_put_request_format),
		T(test_put_conditional_refused),
		T(test_put_content_one_request),
		T(test_put_object_lock_headers),
		T(test_get_ranges_checked),
		T(test_get_at_most),
		T(test_error_details),
		T(test_retry_decorator_over_driver),
		T(test_list_pages),
		T(test_multipart_abort),
		T(test_delete_paths),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("s3 driver (scripted server)", tests, NULL, NULL);
}
