/* Unit tests for SigV4 signing against AWS's published examples, and for the S3 encodings and digests.
 *
 * Sources of the expected values:
 *  [S3]    Amazon S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
 *          Payload in a Single Chunk" (sig-v4-header-based-auth): GET Object, PUT Object, GET Bucket
 *          Lifecycle, Get Bucket (List Objects); examplebucket, AKIAIOSFODNN7EXAMPLE, 20130524T000000Z.
 *  [SUITE] AWS Signature Version 4 Test Suite (aws-sig-v4-test-suite, as vendored in
 *          bazelbuild/bazel third_party/aws-sig-v4-test-suite): .sreq/.creq/.sts files; AKIDEXAMPLE,
 *          service "service", us-east-1, 20150830T123600Z.
 *  [IAM]   AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
 *  [PY]    not published: derived here with an independent Python hmac/hashlib implementation that
 *          reproduces every [S3] and [SUITE] signature above.
 *  [FIPS]  FIPS 180-2 SHA-256 "abc"; [RFC1321] MD5 test suite.
 */
#include "cairn_test.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_DATE "20130524T000000Z"
#define SUITE_DATE "20150830T123600Z"
#define EMPTY CAIRN_SIGV4_EMPTY_SHA256
#define SUITE_PREFIX "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define STS_TOKEN                                                                                          \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYR" \
	"qTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDv" \
	"p75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOL" \
	"n9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

static const struct cairn_sigv4_creds s3_creds = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
						   NULL };
static const struct cairn_sigv4_creds suite_creds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
						      NULL };

static struct cairn_sigv4_request s3_request(const char *method, const char *path, const struct cairn_sigv4_kv *q,
					     size_t nq, const struct cairn_sigv4_kv *h, size_t nh, const char *hash)
{
	struct cairn_sigv4_request r = { method, path, q, nq, h, nh, hash, "us-east-1", "s3" };
	return r;
}

static struct cairn_sigv4_request suite_request(const char *method, const char *path,
						const struct cairn_sigv4_kv *q, size_t nq,
						const struct cairn_sigv4_kv *h, size_t nh, const char *hash)
{
	struct cairn_sigv4_request r = { method, path, q, nq, h, nh, hash, "us-east-1", "service" };
	return r;
}

static void sign_ok(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
		    struct cairn_sigv4_result *res)
{
	int rc = cairn_sigv4_sign(req, creds, res);

	if (rc != 0)
		fail_msg("sign failed (%d): %s", rc, cairn_err_msg());
}

static void sign_einval(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
			const char *detail_part)
{
	struct cairn_sigv4_result res, before;

	memset(&res, 0x5a, sizeof(res));
	before = res;
	cairn_err_clear();
	assert_int_equal(cairn_sigv4_sign(req, creds, &res), CAIRN_EINVAL);
	if (strstr(cairn_err_msg(), detail_part) == NULL)
		fail_msg("detail '%s' lacks '%s'", cairn_err_msg(), detail_part);
	assert_memory_equal(&res, &before, sizeof(res)); /* untouched on failure */
}

/* [S3] GET Object, bytes 0-9 of test.txt: every intermediate value. */
static void test_sigv4_sign_s3_get_object(void **state)
{
	const struct cairn_sigv4_kv h[] = { { "Host", S3_HOST },
					    { "Range", "bytes=0-9" },
					    { "x-amz-content-sha256", EMPTY },
					    { "x-amz-date", S3_DATE } };
	struct cairn_sigv4_request req = s3_request("GET", "/test.txt", NULL, 0, h, 4, EMPTY);
	struct cairn_sigv4_result res;

	(void)state;
	sign_ok(&req, &s3_creds, &res);
	assert_string_equal(res.canonical_request, "GET\n/test.txt\n\n"
						   "host:examplebucket.s3.amazonaws.com\n"
						   "range:bytes=0-9\n"
						   "x-amz-content-sha256:" EMPTY "\n"
						   "x-amz-date:20130524T000000Z\n\n"
						   "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(res.string_to_sign,
			    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_string_equal(res.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_string_equal(res.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
	assert_string_equal(res.authorization,
			    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
			    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
			    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	cairn_sigv4_result_free(&res);
	assert_null(res.authorization);
}

/* [S3] PUT Object "test$file.text": the raw key is encoded by the signer. */
static void test_sigv4_sign_s3_put_object(void **state)
{
	const char *body = "Welcome to Amazon S3.";
	char hash[CAIRN_SIGV4_SHA256_HEX_LEN];
	struct cairn_sigv4_kv h[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
				      { "Host", S3_HOST },
				      { "x-amz-date", S3_DATE },
				      { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
				      { "x-amz-content-sha256", NULL } };
	struct cairn_sigv4_request req;
	struct cairn_sigv4_result res;

	(void)state;
	assert_int_equal(cairn_sigv4_sha256_hex(body, strlen(body), hash), 0);
	assert_string_equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	h[4].value = hash;
	req = s3_request("PUT", "/test$file.text", NULL, 0, h, 5, hash);
	sign_ok(&req, &s3_creds, &res);
	assert_string_equal(res.canonical_request,
			    "PUT\n/test%24file.text\n\n"
			    "date:Fri, 24 May 2013 00:00:00 GMT\n"
			    "host:examplebucket.s3.amazonaws.com\n"
			    "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
			    "x-amz-date:20130524T000000Z\n"
			    "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
			    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
			    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	assert_string_equal(res.string_to_sign,
			    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	assert_string_equal(res.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	cairn_sigv4_result_free(&res);
}

/* [S3] GET Bucket Lifecycle: a sub-resource without a value ("lifecycle="). */
static void test_sigv4_sign_s3_get_lifecycle(void **state)
{
	const struct cairn_sigv4_kv q[] = { { "lifecycle", NULL } };
	const struct cairn_sigv4_kv h[] = { { "Host", S3_HOST },
					    { "x-amz-date", S3_DATE },
					    { "x-amz-content-sha256", EMPTY } };
	struct cairn_sigv4_request req = s3_request("GET", "/", q, 1, h, 3, EMPTY);
	struct cairn_sigv4_result res;

	(void)state;
	sign_ok(&req, &s3_creds, &res);
	assert_non_null(strstr(res.canonical_request, "GET\n/\nlifecycle=\nhost:"));
	/* [PY] hash of the canonical request */
	assert_non_null(strstr(res.string_to_sign, "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
	assert_string_equal(res.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	assert_string_equal(res.signed_headers, "host;x-amz-content-sha256;x-amz-date");
	cairn_sigv4_result_free(&res);
}

/* [S3] Get Bucket (List Objects): parameters given out of order are sorted. */
static void test_sigv4_sign_s3_list_objects(void **state)
{
	const struct cairn_sigv4_kv q[] = { { "prefix", "J" }, { "max-keys", "2" } };
	const struct cairn_sigv4_kv h[] = { { "x-amz-content-sha256", EMPTY },
					    { "x-amz-date", S3_DATE },
					    { "host", S3_HOST } };
	struct cairn_sigv4_request req = s3_request("GET", "", q, 2, h, 3, EMPTY);
	struct cairn_sigv4_result res;

	(void)state;
	sign_ok(&req, &s3_creds, &res);
	assert_string_equal(res.canonical_request, "GET\n/\nmax-keys=2&prefix=J\n"
						   "host:examplebucket.s3.amazonaws.com\n"
						   "x-amz-content-sha256:" EMPTY "\n"
						   "x-amz-date:20130524T000000Z\n\n"
						   "host;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(res.string_to_sign,
			    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			    "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
	assert_string_equal(res.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	cairn_sigv4_result_free(&res);
}

struct suite_case {
	const char *name;
	const char *method;
	const char *path;
	struct cairn_sigv4_kv query[2];
	size_t nq;
	struct cairn_sigv4_kv extra[3]; /* besides Host and X-Amz-Date */
	size_t nx;
	const char *authz_tail; /* after SUITE_PREFIX */
};

#define UNRESERVED "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* [SUITE] the .sreq Authorization line of each case. */
static const struct suite_case suite_cases[] = {
	{ "get-vanilla", "GET", "/", { { 0 } }, 0, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-query-order-key-case", "GET", "/", { { "Param2", "value2" }, { "Param1", "value1" } }, 2,
	  { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-key", "GET", "/", { { "Param1", "value2" }, { "Param1", "Value1" } }, 2,
	  { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
	{ "get-vanilla-query-order-value", "GET", "/", { { "Param1", "value2" }, { "Param1", "value1" } }, 2,
	  { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-empty-query-key", "GET", "/", { { "Param1", "value1" } }, 1, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
	{ "get-vanilla-query-unreserved", "GET", "/", { { UNRESERVED, UNRESERVED } }, 1, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-vanilla-utf8-query", "GET", "/", { { "\xe1\x88\xb4", "bar" } }, 1, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-utf8", "GET", "/\xe1\x88\xb4", { { 0 } }, 0, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	{ "get-unreserved", "GET", "/" UNRESERVED, { { 0 } }, 0, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ "get-header-value-trim", "GET", "/", { { 0 } }, 0,
	  { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } }, 2,
	  "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
	  "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "get-header-key-duplicate", "GET", "/", { { 0 } }, 0,
	  { { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } }, 3,
	  "SignedHeaders=host;my-header1;x-amz-date, "
	  "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "post-vanilla", "POST", "/", { { 0 } }, 0, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-vanilla-empty-query-value", "POST", "/", { { "Param1", "value1" } }, 1, { { 0 } }, 0,
	  "SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-header-key-sort", "POST", "/", { { 0 } }, 0, { { "My-Header1", "value1" } }, 1,
	  "SignedHeaders=host;my-header1;x-amz-date, "
	  "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-header-value-case", "POST", "/", { { 0 } }, 0, { { "My-Header1", "VALUE1" } }, 1,
	  "SignedHeaders=host;my-header1;x-amz-date, "
	  "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
};

static void test_sigv4_sign_suite_cases(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(suite_cases) / sizeof(suite_cases[0]); i++) {
		const struct suite_case *c = &suite_cases[i];
		struct cairn_sigv4_kv h[5] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } };
		struct cairn_sigv4_request req;
		struct cairn_sigv4_result res;
		char want[512];

		for (j = 0; j < c->nx; j++)
			h[2 + j] = c->extra[j];
		req = suite_request(c->method, c->path, c->query, c->nq, h, 2 + c->nx, EMPTY);
		if (cairn_sigv4_sign(&req, &suite_creds, &res) != 0)
			fail_msg("%s: %s", c->name, cairn_err_msg());
		snprintf(want, sizeof(want), "%s%s", SUITE_PREFIX, c->authz_tail);
		if (strcmp(res.authorization, want) != 0)
			fail_msg("%s:\n got %s\nwant %s\ncanonical:\n%s", c->name, res.authorization, want,
				 res.canonical_request);
		cairn_sigv4_result_free(&res);
	}
}

/* [SUITE] the canonical request and the string to sign, as published. */
static void test_sigv4_sign_suite_canonical_forms(void **state)
{
	const char *body = "Param1=value1";
	char hash[CAIRN_SIGV4_SHA256_HEX_LEN];
	const struct cairn_sigv4_kv h[] = { { "Content-Type", "application/x-www-form-urlencoded" },
					    { "Host", "example.amazonaws.com" },
					    { "X-Amz-Date", SUITE_DATE } };
	const struct cairn_sigv4_kv h2[] = { { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" },
					     { "Host", "example.amazonaws.com" },
					     { "X-Amz-Date", SUITE_DATE } };
	const struct cairn_sigv4_kv q[] = { { "Param1", "value2" }, { "Param1", "Value1" } };
	const struct cairn_sigv4_kv h3[] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } };
	struct cairn_sigv4_request req;
	struct cairn_sigv4_result res;

	(void)state;
	assert_int_equal(cairn_sigv4_sha256_hex(body, strlen(body), hash), 0);
	assert_string_equal(hash, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");

	/* post-x-www-form-urlencoded */
	req = suite_request("POST", "/", NULL, 0, h, 3, hash);
	sign_ok(&req, &suite_creds, &res);
	assert_string_equal(res.canonical_request, "POST\n/\n\n"
						   "content-type:application/x-www-form-urlencoded\n"
						   "host:example.amazonaws.com\n"
						   "x-amz-date:20150830T123600Z\n\n"
						   "content-type;host;x-amz-date\n"
						   "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	assert_string_equal(res.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
						"20150830/us-east-1/service/aws4_request\n"
						"42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
	assert_string_equal(res.authorization,
			    SUITE_PREFIX "SignedHeaders=content-type;host;x-amz-date, "
					 "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
	cairn_sigv4_result_free(&res);

	/* post-x-www-form-urlencoded-parameters */
	req = suite_request("POST", "/", NULL, 0, h2, 3, hash);
	sign_ok(&req, &suite_creds, &res);
	assert_string_equal(res.authorization,
			    SUITE_PREFIX "SignedHeaders=content-type;host;x-amz-date, "
					 "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe");
	cairn_sigv4_result_free(&res);

	/* get-vanilla-query-order-key: values sorted bytewise ('V' < 'v') */
	req = suite_request("GET", "/", q, 2, h3, 2, EMPTY);
	sign_ok(&req, &suite_creds, &res);
	assert_string_equal(res.canonical_request, "GET\n/\nParam1=Value1&Param1=value2\n"
						   "host:example.amazonaws.com\n"
						   "x-amz-date:20150830T123600Z\n\n"
						   "host;x-amz-date\n" EMPTY);
	cairn_sigv4_result_free(&res);
}

/* [SUITE] post-sts-header-before: the session token is signed. */
static void test_sigv4_sign_session_token(void **state)
{
	const char *want = SUITE_PREFIX "SignedHeaders=host;x-amz-date;x-amz-security-token, "
					"Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead";
	struct cairn_sigv4_creds creds = suite_creds;
	const struct cairn_sigv4_kv h[] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } };
	const struct cairn_sigv4_kv ht[] = { { "Host", "example.amazonaws.com" },
					     { "X-Amz-Date", SUITE_DATE },
					     { "X-Amz-Security-Token", STS_TOKEN } };
	const struct cairn_sigv4_kv hbad[] = { { "Host", "example.amazonaws.com" },
					       { "X-Amz-Date", SUITE_DATE },
					       { "X-Amz-Security-Token", "another-token" } };
	struct cairn_sigv4_request req;
	struct cairn_sigv4_result res;

	(void)state;
	creds.session_token = STS_TOKEN;
	/* the token comes from the credentials alone */
	req = suite_request("POST", "/", NULL, 0, h, 2, EMPTY);
	sign_ok(&req, &creds, &res);
	assert_string_equal(res.authorization, want);
	assert_non_null(strstr(res.canonical_request, "\nx-amz-security-token:" STS_TOKEN "\n"));
	cairn_sigv4_result_free(&res);
	/* listed by the caller too: the same signature */
	req = suite_request("POST", "/", NULL, 0, ht, 3, EMPTY);
	sign_ok(&req, &creds, &res);
	assert_string_equal(res.authorization, want);
	cairn_sigv4_result_free(&res);
	/* a listed token that disagrees with the credentials, or without them */
	req = suite_request("POST", "/", NULL, 0, hbad, 3, EMPTY);
	sign_einval(&req, &creds, "x-amz-security-token");
	req = suite_request("POST", "/", NULL, 0, ht, 3, EMPTY);
	sign_einval(&req, &suite_creds, "x-amz-security-token");
	/* an empty token means none */
	creds.session_token = "";
	req = suite_request("POST", "/", NULL, 0, h, 2, EMPTY);
	sign_ok(&req, &creds, &res);
	assert_string_equal(res.authorization,
			    SUITE_PREFIX "SignedHeaders=host;x-amz-date, "
					 "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
	cairn_sigv4_result_free(&res);
}

/* [PY] a hostile key through the whole signer; UNSIGNED-PAYLOAD; a ListObjectsV2 query. */
static void test_sigv4_sign_s3_hostile_key(void **state)
{
	const char *key = "/dir one/a+b=c~d/\xc3\xbc\xe2\x82\xac%41?#&.txt";
	const char *hash = "8f383ccddc6f17eb57a96c711523e4a8072d8e791b4a773ea0153e0d993d03e1";
	char computed[CAIRN_SIGV4_SHA256_HEX_LEN];
	const struct cairn_sigv4_kv h[] = { { "host", S3_HOST },
					    { "x-amz-content-sha256", hash },
					    { "x-amz-date", S3_DATE } };
	const struct cairn_sigv4_kv hu[] = { { "host", S3_HOST },
					     { "x-amz-content-sha256", CAIRN_SIGV4_UNSIGNED_PAYLOAD },
					     { "x-amz-date", S3_DATE } };
	const struct cairn_sigv4_kv he[] = { { "host", S3_HOST },
					     { "x-amz-content-sha256", EMPTY },
					     { "x-amz-date", S3_DATE } };
	const struct cairn_sigv4_kv q[] = { { "list-type", "2" },
					    { "prefix", "snapshots/2026 01/" },
					    { "continuation-token", "1/a+b==" },
					    { "delimiter", "/" } };
	struct cairn_sigv4_request req;
	struct cairn_sigv4_result res;
	char *enc;

	(void)state;
	assert_int_equal(cairn_sigv4_sha256_hex("hostile", 7, computed), 0);
	assert_string_equal(computed, hash);
	req = s3_request("PUT", key, NULL, 0, h, 3, hash);
	sign_ok(&req, &s3_creds, &res);
	assert_int_equal(cairn_sigv4_encode_key(key, &enc), 0);
	assert_string_equal(enc, "/dir%20one/a%2Bb%3Dc~d/%C3%BC%E2%82%AC%2541%3F%23%26.txt");
	assert_non_null(strstr(res.canonical_request, enc));
	assert_string_equal(res.signature, "90c023af0c0f5edb0af5ace92aac82b41af9d1083578505d3fd6effee4c29cd4");
	free(enc);
	cairn_sigv4_result_free(&res);

	req = s3_request("PUT", "/test.txt", NULL, 0, hu, 3, CAIRN_SIGV4_UNSIGNED_PAYLOAD);
	sign_ok(&req, &s3_creds, &res);
	assert_string_equal(res.signature, "e5cba710bd56728f6e6842f3f79fa900e5f47e04debe3dd607877436ccd9b25a");
	cairn_sigv4_result_free(&res);

	req = s3_request("GET", "/", q, 4, he, 3, EMPTY);
	sign_ok(&req, &s3_creds, &res);
	assert_non_null(strstr(res.canonical_request, "\ncontinuation-token=1%2Fa%2Bb%3D%3D&delimiter=%2F&list-type=2&"
						      "prefix=snapshots%2F2026%2001%2F\n"));
	assert_string_equal(res.signature, "7eda30db42199e06c85090ba2cf89f9b96478b5e8d13361e700bef8dc1134f76");
	cairn_sigv4_result_free(&res);
}

/* Changing any one signed input changes the signature. */
static void test_sigv4_sign_every_input_is_signed(void **state)
{
	const struct cairn_sigv4_kv q[] = { { "prefix", "J" } };
	struct cairn_sigv4_kv h[] = { { "host", S3_HOST },
				      { "x-amz-content-sha256", EMPTY },
				      { "x-amz-date", S3_DATE },
				      { "x-amz-meta-a", "1" } };
	struct cairn_sigv4_kv q2[] = { { "prefix", "K" } };
	struct cairn_sigv4_creds creds = s3_creds;
	struct cairn_sigv4_request base = s3_request("GET", "/a", q, 1, h, 4, EMPTY), req;
	struct cairn_sigv4_result r0, r1;
	const char *other_hash = "0000000000000000000000000000000000000000000000000000000000000000";
	int variant;

	(void)state;
	sign_ok(&base, &creds, &r0);
	for (variant = 0; variant < 9; variant++) {
		struct cairn_sigv4_kv hv[4];

		memcpy(hv, h, sizeof(hv));
		req = base;
		req.headers = hv;
		creds = s3_creds;
		switch (variant) {
		case 0: req.method = "HEAD"; break;
		case 1: req.path = "/b"; break;
		case 2: req.query = q2; break;
		case 3: hv[3].value = "2"; break;
		case 4: hv[1].value = other_hash; req.payload_hash = other_hash; break;
		case 5: req.region = "eu-west-1"; break;
		case 6: creds.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ"; break;
		case 7: hv[2].value = "20130524T000001Z"; break;
		case 8: req.n_query = 0; break;
		}
		sign_ok(&req, &creds, &r1);
		if (strcmp(r0.signature, r1.signature) == 0)
			fail_msg("variant %d did not change the signature", variant);
		cairn_sigv4_result_free(&r1);
	}
	/* but header name case, order and blank runs do not */
	{
		struct cairn_sigv4_kv hv[] = { { "X-AMZ-META-A", "  1 " },
					       { "X-Amz-Date", S3_DATE },
					       { "HOST", S3_HOST },
					       { "X-Amz-Content-Sha256", EMPTY } };

		req = base;
		req.headers = hv;
		sign_ok(&req, &s3_creds, &r1);
		assert_string_equal(r0.signature, r1.signature);
		assert_string_equal(r0.canonical_request, r1.canonical_request);
		cairn_sigv4_result_free(&r1);
	}
	cairn_sigv4_result_free(&r0);
}

static void test_sigv4_sign_header_normalisation(void **state)
{
	const struct cairn_sigv4_kv h[] = { { "host", S3_HOST },
					    { "x-amz-content-sha256", EMPTY },
					    { "x-amz-date", S3_DATE },
					    { "X-Amz-Meta-Note", "\t a \t\t b  c \t" },
					    { "x-amz-meta-empty", "   " },
					    { "x-amz-meta-null", NULL },
					    { "X-Amz-Meta-Note", "second" } };
	struct cairn_sigv4_request req = s3_request("GET", "/", NULL, 0, h, 7, EMPTY);
	struct cairn_sigv4_result res;

	(void)state;
	sign_ok(&req, &s3_creds, &res);
	assert_non_null(strstr(res.canonical_request, "\nx-amz-date:20130524T000000Z\n"
						      "x-amz-meta-empty:\n"
						      "x-amz-meta-note:a b c,second\n"
						      "x-amz-meta-null:\n\n"));
	assert_string_equal(res.signed_headers,
			    "host;x-amz-content-sha256;x-amz-date;x-amz-meta-empty;x-amz-meta-note;x-amz-meta-null");
	cairn_sigv4_result_free(&res);
}

/* A valid S3 request in req/creds/h, for test_sigv4_sign_rejects to spoil one thing at a time. */
static void base_case(struct cairn_sigv4_request *req, struct cairn_sigv4_creds *creds, struct cairn_sigv4_kv h[4])
{
	static const struct cairn_sigv4_kv good[4] = { { "host", S3_HOST },
						       { "x-amz-content-sha256", EMPTY },
						       { "x-amz-date", S3_DATE },
						       { "x-amz-meta-a", "1" } };

	memcpy(h, good, sizeof(good));
	*req = s3_request("GET", "/k", NULL, 0, h, 4, EMPTY);
	*creds = s3_creds;
}

static void test_sigv4_sign_rejects(void **state)
{
	struct cairn_sigv4_kv h[4];
	const struct cairn_sigv4_kv empty_name_q[] = { { "", "x" } };
	struct cairn_sigv4_creds creds;
	struct cairn_sigv4_request req;

	(void)state;
	base_case(&req, &creds, h);
	req.n_headers = 3;
	h[0].name = "x-amz-meta-b";
	sign_einval(&req, &creds, "'host'");
	base_case(&req, &creds, h);
	h[0].value = "  ";
	sign_einval(&req, &creds, "'host'");
	base_case(&req, &creds, h);
	h[2].name = "date";
	sign_einval(&req, &creds, "'x-amz-date'");
	base_case(&req, &creds, h);
	h[2].value = "2013-05-24T00:00:00Z";
	sign_einval(&req, &creds, "x-amz-date");
	base_case(&req, &creds, h);
	h[2].value = "20131324T000000Z";
	sign_einval(&req, &creds, "x-amz-date");
	base_case(&req, &creds, h);
	h[2].value = "20130524T000000Zjunk";
	sign_einval(&req, &creds, "x-amz-date");
	base_case(&req, &creds, h);
	h[3].name = "X-Amz-Date";
	sign_einval(&req, &creds, "more than once");
	base_case(&req, &creds, h);
	h[1].name = "x-amz-meta-c";
	sign_einval(&req, &creds, "'x-amz-content-sha256'");
	base_case(&req, &creds, h);
	h[1].value = CAIRN_SIGV4_UNSIGNED_PAYLOAD;
	sign_einval(&req, &creds, "differs from the payload hash");
	base_case(&req, &creds, h);
	req.payload_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
	sign_einval(&req, &creds, "payload hash");
	base_case(&req, &creds, h);
	req.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85";
	sign_einval(&req, &creds, "payload hash");
	base_case(&req, &creds, h);
	req.payload_hash = NULL;
	sign_einval(&req, &creds, "payload hash");
	base_case(&req, &creds, h);
	h[3].value = "1\r\nX-Injected: yes";
	sign_einval(&req, &creds, "control character");
	base_case(&req, &creds, h);
	h[3].value = "a\x7f";
	sign_einval(&req, &creds, "control character");
	base_case(&req, &creds, h);
	h[3].name = "x-amz-meta-a:";
	sign_einval(&req, &creds, "not an http token");
	base_case(&req, &creds, h);
	h[3].name = "x amz";
	sign_einval(&req, &creds, "not an http token");
	base_case(&req, &creds, h);
	h[3].name = "";
	sign_einval(&req, &creds, "no name");
	base_case(&req, &creds, h);
	h[3].name = NULL;
	sign_einval(&req, &creds, "no name");
	base_case(&req, &creds, h);
	h[3].name = "Authorization";
	sign_einval(&req, &creds, "'authorization'");
	base_case(&req, &creds, h);
	req.method = "";
	sign_einval(&req, &creds, "method");
	base_case(&req, &creds, h);
	req.method = "GET /x";
	sign_einval(&req, &creds, "method");
	base_case(&req, &creds, h);
	req.path = "k";
	sign_einval(&req, &creds, "does not start with '/'");
	base_case(&req, &creds, h);
	req.path = NULL;
	sign_einval(&req, &creds, "path");
	base_case(&req, &creds, h);
	req.region = "us/east";
	sign_einval(&req, &creds, "region");
	base_case(&req, &creds, h);
	req.region = "";
	sign_einval(&req, &creds, "region");
	base_case(&req, &creds, h);
	req.service = "s 3";
	sign_einval(&req, &creds, "service");
	base_case(&req, &creds, h);
	creds.access_key_id = "AKID/evil";
	sign_einval(&req, &creds, "access key id");
	base_case(&req, &creds, h);
	creds.access_key_id = "AKID, Signature=0";
	sign_einval(&req, &creds, "access key id");
	base_case(&req, &creds, h);
	creds.secret_key = "";
	sign_einval(&req, &creds, "secret key");
	base_case(&req, &creds, h);
	creds.session_token = "tok\nen";
	sign_einval(&req, &creds, "control character");
	base_case(&req, &creds, h);
	req.query = empty_name_q;
	req.n_query = 1;
	sign_einval(&req, &creds, "no name");
	base_case(&req, &creds, h);
	req.headers = NULL;
	sign_einval(&req, &creds, "no array");
}

/* [IAM] the documented signing key; [PY] the key of the S3 examples. */
static void test_sigv4_signing_key_published(void **state)
{
	uint8_t key[CAIRN_SIGV4_KEY_LEN];
	char hex[2 * CAIRN_SIGV4_KEY_LEN + 1];

	(void)state;
	assert_int_equal(cairn_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
						 "iam", key),
			 0);
	cairn_hex_encode(key, sizeof(key), hex);
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
	assert_int_equal(cairn_sigv4_signing_key(s3_creds.secret_key, "20130524", "us-east-1", "s3", key), 0);
	cairn_hex_encode(key, sizeof(key), hex);
	assert_string_equal(hex, "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378");
}

static void test_sigv4_sha256_hex_known(void **state)
{
	char out[CAIRN_SIGV4_SHA256_HEX_LEN];
	uint8_t mac[CAIRN_SIGV4_KEY_LEN];
	char hex[2 * CAIRN_SIGV4_KEY_LEN + 1];
	uint8_t key[20];

	(void)state;
	assert_int_equal(cairn_sigv4_sha256_hex(NULL, 0, out), 0);
	assert_string_equal(out, CAIRN_SIGV4_EMPTY_SHA256);
	assert_int_equal(cairn_sigv4_sha256_hex("abc", 3, out), 0); /* [FIPS] */
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 1 */
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(cairn_sigv4_hmac_sha256(key, sizeof(key), "Hi There", 8, mac), 0);
	cairn_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_sigv4_md5_base64_known(void **state)
{
	char out[CAIRN_SIGV4_MD5_B64_LEN];

	(void)state;
	assert_int_equal(cairn_sigv4_md5_base64(NULL, 0, out), 0); /* [RFC1321] d41d8cd9... */
	assert_string_equal(out, "1B2M2Y8AsgTpgAmY7PhCfg==");
	assert_int_equal(cairn_sigv4_md5_base64("abc", 3, out), 0); /* [RFC1321] 90015098... */
	assert_string_equal(out, "kAFQmDzST7DWlj99KOF/cg==");
	assert_int_equal(cairn_sigv4_md5_base64("Welcome to Amazon S3.", 21, out), 0); /* [PY] */
	assert_string_equal(out, "1EfQ6PKJ8WoS/2AnznfCWA==");
}

static void expect_key(const char *raw, const char *want)
{
	char *enc = NULL;

	assert_int_equal(cairn_sigv4_encode_key(raw, &enc), 0);
	assert_string_equal(enc, want);
	free(enc);
}

static void test_sigv4_encode_key_hostile(void **state)
{
	struct cairn_buf b = { 0 };
	char all[256], *enc = NULL;
	size_t i;

	(void)state;
	expect_key("", "");
	expect_key("plain/Key-1_2.3~", "plain/Key-1_2.3~");
	expect_key("a b", "a%20b");
	expect_key("a+b", "a%2Bb");
	expect_key("k=v&x", "k%3Dv%26x");
	expect_key("~/.//..", "~/.//..");
	expect_key("100%", "100%25");
	expect_key("%2F", "%252F");
	expect_key("q?#frag", "q%3F%23frag");
	expect_key("\xc3\xbc\xe2\x82\xac", "%C3%BC%E2%82%AC");
	expect_key("\x01\x1f\x7f\xff", "%01%1F%7F%FF");
	expect_key("!*'();:@$,[]", "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D");
	expect_key("\\\"<>^`{|}", "%5C%22%3C%3E%5E%60%7B%7C%7D");

	/* every byte value: only the unreserved set and '/' stay literal */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	assert_int_equal(cairn_sigv4_encode_key(all, &enc), 0);
	for (i = 0; enc[i] != '\0'; i++) {
		char c = enc[i];

		if (c == '%') {
			assert_true(strchr("0123456789ABCDEF", enc[i + 1]) && strchr("0123456789ABCDEF", enc[i + 2]));
			i += 2;
			continue;
		}
		assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    strchr("-_.~/", c));
	}
	/* 66 unreserved + '/' literal, the other 188 bytes as %XX */
	assert_int_equal(strlen(enc), 67 + 188 * 3);
	free(enc);

	/* the buffer form appends, and encodes '/' when told to */
	assert_int_equal(cairn_buf_append(&b, "x=", 2), 0);
	assert_int_equal(cairn_sigv4_uri_encode(&b, "a/b c", 0), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "x=a%2Fb%20c", 11);
	cairn_buf_free(&b);
}

static void test_sigv4_canonical_query_sorting(void **state)
{
	const struct cairn_sigv4_kv q[] = { { "z", "1" },	  { "\xc3\xbc", "2" }, { "a", "b/c" },
					    { "a", "" },	  { "a", "B" },	      { "sub", NULL },
					    { "a b", "x+y=z" }, { "a-b", "~" } };
	const struct cairn_sigv4_kv bad[] = { { "a", "1" }, { NULL, "2" } };
	char *s = NULL;

	(void)state;
	assert_int_equal(cairn_sigv4_canonical_query(NULL, 0, &s), 0);
	assert_string_equal(s, "");
	free(s);
	/* sorted by ENCODED name: "%C3%BC" sorts before "a" although 0xC3 > 'z' raw */
	assert_int_equal(cairn_sigv4_canonical_query(q, 8, &s), 0);
	assert_string_equal(s, "%C3%BC=2&a=&a=B&a=b%2Fc&a%20b=x%2By%3Dz&a-b=~&sub=&z=1");
	free(s);
	s = (char *)"untouched";
	assert_int_equal(cairn_sigv4_canonical_query(bad, 2, &s), CAIRN_EINVAL);
	assert_string_equal(s, "untouched");
	assert_non_null(strstr(cairn_err_msg(), "query parameter 2"));
}

static void test_sigv4_amz_date_format(void **state)
{
	char out[CAIRN_SIGV4_AMZ_DATE_LEN];

	(void)state;
	assert_int_equal(cairn_sigv4_amz_date(0, out), 0);
	assert_string_equal(out, "19700101T000000Z");
	assert_int_equal(cairn_sigv4_amz_date(1369353600LL * 1000000000LL, out), 0);
	assert_string_equal(out, S3_DATE);
	assert_int_equal(cairn_sigv4_amz_date(1440938160LL * 1000000000LL + 999999999, out), 0);
	assert_string_equal(out, SUITE_DATE);
	assert_int_equal(cairn_sigv4_amz_date(951782400LL * 1000000000LL, out), 0); /* leap day */
	assert_string_equal(out, "20000229T000000Z");
	assert_int_equal(cairn_sigv4_amz_date(INT64_MAX, out), 0); /* the last int64 ns */
	assert_string_equal(out, "22620411T234716Z");
	memcpy(out, "keep", 5);
	assert_int_equal(cairn_sigv4_amz_date(-1, out), CAIRN_EINVAL);
	assert_int_equal(cairn_sigv4_amz_date(INT64_MIN, out), CAIRN_EINVAL);
	assert_string_equal(out, "keep");
}

/* The helper's stamp signs like a literal one: the S3 GET example from a time value. */
static void test_sigv4_amz_date_signs(void **state)
{
	char date[CAIRN_SIGV4_AMZ_DATE_LEN];
	struct cairn_sigv4_kv h[] = { { "Host", S3_HOST },
				      { "Range", "bytes=0-9" },
				      { "x-amz-content-sha256", EMPTY },
				      { "x-amz-date", date } };
	struct cairn_sigv4_request req = s3_request("GET", "/test.txt", NULL, 0, h, 4, EMPTY);
	struct cairn_sigv4_result res;

	(void)state;
	assert_int_equal(cairn_sigv4_amz_date(1369353600LL * 1000000000LL + 123, date), 0);
	sign_ok(&req, &s3_creds, &res);
	assert_string_equal(res.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	cairn_sigv4_result_free(&res);
	cairn_sigv4_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_sign_s3_get_object),
		cmocka_unit_test(test_sigv4_sign_s3_put_object),
		cmocka_unit_test(test_sigv4_sign_s3_get_lifecycle),
		cmocka_unit_test(test_sigv4_sign_s3_list_objects),
		cmocka_unit_test(test_sigv4_sign_suite_cases),
		cmocka_unit_test(test_sigv4_sign_suite_canonical_forms),
		cmocka_unit_test(test_sigv4_sign_session_token),
		cmocka_unit_test(test_sigv4_sign_s3_hostile_key),
		cmocka_unit_test(test_sigv4_sign_every_input_is_signed),
		cmocka_unit_test(test_sigv4_sign_header_normalisation),
		cmocka_unit_test(test_sigv4_sign_rejects),
		cmocka_unit_test(test_sigv4_signing_key_published),
		cmocka_unit_test(test_sigv4_sha256_hex_known),
		cmocka_unit_test(test_sigv4_md5_base64_known),
		cmocka_unit_test(test_sigv4_encode_key_hostile),
		cmocka_unit_test(test_sigv4_canonical_query_sorting),
		cmocka_unit_test(test_sigv4_amz_date_format),
		cmocka_unit_test(test_sigv4_amz_date_signs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
