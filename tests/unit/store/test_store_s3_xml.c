/* Unit tests for the S3 XML parsers: error bodies, list pages, multipart and delete answers, hostile XML. */
#include "cairn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "store/store_s3_int.h"

#define S(x) x, strlen(x)

static void test_xml_error_fields(void **state)
{
	struct cairn_s3_error e;
	const char *doc =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
		"match the signature you provided.</Message><Resource>/primary/a/b</Resource>"
		"<RequestId>tx123</RequestId><Unknown><Code>inner</Code></Unknown></Error>";

	(void)state;
	assert_int_equal(cairn_s3_xml_error(S(doc), &e), 0);
	assert_string_equal(e.code, "SignatureDoesNotMatch");
	assert_string_equal(e.message, "The request signature we calculated does not match the signature you "
				       "provided.");
	assert_string_equal(e.resource, "/primary/a/b");
	assert_string_equal(e.request_id, "tx123");
	assert_string_equal(e.bucket, "");
	/* NoSuchBucket names the bucket; leading whitespace (AWS keep-alive padding) is fine */
	assert_int_equal(cairn_s3_xml_error(S("  \n <Error><Code>NoSuchBucket</Code><BucketName>b1</BucketName>"
					      "<Message>x &amp; y &#x41;</Message></Error>"),
					    &e),
			 0);
	assert_string_equal(e.code, "NoSuchBucket");
	assert_string_equal(e.bucket, "b1");
	assert_string_equal(e.message, "x & y A");
}

static void test_xml_error_long_fields_cut(void **state)
{
	struct cairn_buf b = { 0 };
	struct cairn_s3_error e;

	(void)state;
	assert_int_equal(cairn_buf_append(&b, S("<Error><Code>")), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(cairn_buf_put_u8(&b, 'C'), 0);
	assert_int_equal(cairn_buf_append(&b, S("</Code><Message>")), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(cairn_buf_put_u8(&b, 'm'), 0);
	assert_int_equal(cairn_buf_append(&b, S("</Message></Error>")), 0);
	assert_int_equal(cairn_s3_xml_error(b.data, b.len, &e), 0);
	assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	cairn_buf_free(&b);
}

static void test_xml_error_hostile(void **state)
{
	static const char *const docs[] = {
		"",
		"<Error><Code>SlowDown</Code><Mess",                 /* truncated */
		"<Error><Code>SlowDown</Code></Error><Error/>",      /* two roots */
		"<Error><Code>A</Cod></Error>",                      /* mismatched tag */
		"not xml at all",
		"<Error><Code>&undefined;</Code></Error>",           /* no DTD: no entities */
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
		"\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><Error><Code>&lol2;</Code></Error>",
		"<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		"<Error><Code>&xxe;</Code></Error>",
		"<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x\">%p;]>"
		"<Error><Code>x</Code></Error>",
		"<!DOCTYPE Error SYSTEM \"http://127.0.0.1:1/e.dtd\"><Error><Code>x</Code></Error>",
		"<Error><Code>a\x01</Code></Error>",                 /* control character */
		"<Error><Code>\xff\xfe</Code></Error>",              /* not UTF-8 */
		"<Error><Code>&#0;</Code></Error>",                  /* NUL character reference */
	};
	struct cairn_s3_error e;
	struct cairn_buf b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		memset(&e, 0x55, sizeof(e));
		assert_int_equal(cairn_s3_xml_error(S(docs[i]), &e), CAIRN_EFORMAT);
		assert_string_equal(e.code, "");
		assert_string_equal(e.message, "");
	}
	/* NUL bytes inside */
	assert_int_equal(cairn_s3_xml_error("<Error>\0<Code>x</Code></Error>", 29, &e), CAIRN_EFORMAT);
	assert_int_equal(cairn_s3_xml_error(NULL, 0, &e), CAIRN_EFORMAT);
	/* nested too deep for the path buffer */
	for (int i = 0; i < 200; i++)
		assert_int_equal(cairn_buf_append(&b, S("<Error>")), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(cairn_buf_append(&b, S("</Error>")), 0);
	assert_int_equal(cairn_s3_xml_error(b.data, b.len, &e), CAIRN_EFORMAT);
	/* one element's text beyond 64 KiB */
	cairn_buf_reset(&b);
	assert_int_equal(cairn_buf_append(&b, S("<Error><Message>")), 0);
	for (int i = 0; i < 70000; i++)
		assert_int_equal(cairn_buf_put_u8(&b, 'x'), 0);
	assert_int_equal(cairn_buf_append(&b, S("</Message></Error>")), 0);
	assert_int_equal(cairn_s3_xml_error(b.data, b.len, &e), CAIRN_EFORMAT);
	/* well-formed, another root */
	assert_int_equal(cairn_s3_xml_error(S("<ListBucketResult/>"), &e), CAIRN_ENOTFOUND);
	cairn_buf_free(&b);
}

struct seen {
	char keys[8][64];
	uint64_t sizes[8];
	unsigned n;
	unsigned stop_at;
};

static int seen_cb(void *ctx, const char *key, uint64_t size)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[s->n]), "%s", key);
		s->sizes[s->n] = size;
	}
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at ? 77 : 0;
}

#define LIST_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

static void test_xml_list_page(void **state)
{
	const char *doc = LIST_HEAD
		"<Name>primary</Name><Prefix>p/data/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
		"<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=&amp;1</NextContinuationToken>"
		"<Contents><Key>p/data/aa</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
		"<ETag>&quot;x&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
		"<Contents><Size>18446744073709551615</Size><Key>p/data/a&amp;b</Key></Contents>"
		"<Contents><Key>p/data/cc</Key><Size>42</Size><Owner><ID>x</ID></Owner></Contents>"
		"</ListBucketResult>";
	struct seen s = { 0 };
	char *token = NULL;
	int truncated = 0;

	(void)state;
	assert_int_equal(cairn_s3_xml_list(S(doc), seen_cb, &s, &truncated, &token), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.keys[0], "p/data/aa");
	assert_int_equal(s.sizes[0], 0);
	assert_string_equal(s.keys[1], "p/data/a&b");
	assert_true(s.sizes[1] == UINT64_MAX);
	assert_string_equal(s.keys[2], "p/data/cc");
	assert_int_equal(s.sizes[2], 42);
	assert_true(truncated);
	assert_string_equal(token, "tok/+=&1");
	free(token);
	/* the last page, empty */
	memset(&s, 0, sizeof(s));
	assert_int_equal(cairn_s3_xml_list(S(LIST_HEAD "<IsTruncated>false</IsTruncated></ListBucketResult>"), seen_cb,
					   &s, &truncated, &token),
			 0);
	assert_int_equal(s.n, 0);
	assert_false(truncated);
	assert_null(token);
	/* a callback's non-zero return stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	token = (char *)"untouched";
	assert_int_equal(cairn_s3_xml_list(S(doc), seen_cb, &s, &truncated, &token), 77);
	assert_int_equal(s.n, 2);
	assert_string_equal(token, "untouched");
}

static void test_xml_list_bad_pages(void **state)
{
	static const struct {
		const char *doc;
		int rc;
	} cases[] = {
		{ LIST_HEAD "<Contents><Key>a</Key></Contents></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Size>3</Size></Contents></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Key>a</Key><Size>12a</Size></Contents></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Key>a</Key><Size></Size></Contents></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Key>a</Key><Size>18446744073709551616</Size></Contents></ListBucketResult>",
		  CAIRN_ETRANSIENT },
		{ LIST_HEAD "<IsTruncated>maybe</IsTruncated></ListBucketResult>", CAIRN_ETRANSIENT },
		{ LIST_HEAD "<Contents><Key>a</Key><Size>1</Size></Contents>", CAIRN_ETRANSIENT }, /* truncated */
		{ "<Error><Code>InternalError</Code></Error>", CAIRN_EINVAL },
		{ "<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult/>", CAIRN_EINVAL },
	};
	struct seen s;
	char *token;
	int truncated;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		token = NULL;
		truncated = -1;
		assert_int_equal(cairn_s3_xml_list(S(cases[i].doc), seen_cb, &s, &truncated, &token), cases[i].rc);
		assert_true(cairn_err_msg()[0] != '\0');
		assert_null(token);
		assert_int_equal(truncated, -1);
	}
}

static void test_xml_upload_id(void **state)
{
	char *id = NULL;

	(void)state;
	assert_int_equal(cairn_s3_xml_upload_id(
				 S("<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
				   "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"),
				 &id),
			 0);
	assert_string_equal(id, "VXBsb2FkIElE");
	free(id);
	id = NULL;
	assert_int_equal(cairn_s3_xml_upload_id(S("<InitiateMultipartUploadResult/>"), &id), CAIRN_ETRANSIENT);
	assert_int_equal(cairn_s3_xml_upload_id(S("<InitiateMultipartUploadResult><UploadId></UploadId>"
						  "</InitiateMultipartUploadResult>"),
						&id),
			 CAIRN_ETRANSIENT);
	assert_int_equal(cairn_s3_xml_upload_id(S("<InitiateMultipartUploadResult><UploadId>x"), &id),
			 CAIRN_ETRANSIENT);
	assert_null(id);
}

struct del_seen {
	unsigned n;
	char last[3][64];
};

static int del_cb(void *ctx, const char *key, const char *code, const char *message)
{
	struct del_seen *d = ctx;

	d->n++;
	snprintf(d->last[0], sizeof(d->last[0]), "%s", key);
	snprintf(d->last[1], sizeof(d->last[1]), "%s", code);
	snprintf(d->last[2], sizeof(d->last[2]), "%s", message);
	return 0;
}

static void test_xml_delete_errors(void **state)
{
	struct del_seen d = { 0 };

	(void)state;
	assert_int_equal(cairn_s3_xml_delete_errors(
				 S("<DeleteResult><Deleted><Key>ok</Key></Deleted><Error><Key>p/a</Key><Code>AccessDenied"
				   "</Code><Message>no</Message></Error><Error><Key>p/b</Key><Code>InternalError</Code>"
				   "<Message>later</Message></Error></DeleteResult>"),
				 del_cb, &d),
			 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.last[0], "p/b");
	assert_string_equal(d.last[1], "InternalError");
	assert_string_equal(d.last[2], "later");
	memset(&d, 0, sizeof(d));
	assert_int_equal(cairn_s3_xml_delete_errors(S("<DeleteResult/>"), del_cb, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(cairn_s3_xml_delete_errors(S("<Error><Code>x</Code></Error>"), del_cb, &d), CAIRN_EINVAL);
	assert_int_equal(cairn_s3_xml_delete_errors(S("<DeleteResult><Error>"), del_cb, &d), CAIRN_ETRANSIENT);
	assert_int_equal(d.n, 0);
}

static void test_xml_escape(void **state)
{
	struct cairn_buf b = { 0 };

	(void)state;
	assert_int_equal(cairn_s3_xml_escape(&b, "a&b<c>d\"e'f/g"), 0);
	assert_int_equal(cairn_buf_put_u8(&b, 0), 0);
	assert_string_equal((char *)b.data, "a&amp;b&lt;c&gt;d&quot;e&apos;f/g");
	cairn_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_error_fields),
		cmocka_unit_test(test_xml_error_long_fields_cut),
		cmocka_unit_test(test_xml_error_hostile),
		cmocka_unit_test(test_xml_list_page),
		cmocka_unit_test(test_xml_list_bad_pages),
		cmocka_unit_test(test_xml_upload_id),
		cmocka_unit_test(test_xml_delete_errors),
		cmocka_unit_test(test_xml_escape),
	};

	return cmocka_run_group_tests_name("s3 xml", tests, NULL, NULL);
}
