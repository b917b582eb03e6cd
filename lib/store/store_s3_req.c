/* One signed S3 request: URL and headers in canonical form, SigV4, the HTTP call, S3 error classification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"
#include "store/store_s3_int.h"

#define S3_MAX_HEADERS 12

struct code_class {
	const char *code;
	int rc;
};

/* S3 error codes whose class does not follow from the status alone. */
static const struct code_class code_table[] = {
	{ "NoSuchKey", CAIRN_ENOTFOUND },
	{ "NoSuchBucket", CAIRN_ENOTFOUND },
	{ "NoSuchUpload", CAIRN_ENOTFOUND },
	{ "AccessDenied", CAIRN_EAUTH },
	{ "SignatureDoesNotMatch", CAIRN_EAUTH },
	{ "InvalidAccessKeyId", CAIRN_EAUTH },
	{ "ExpiredToken", CAIRN_EAUTH },
	{ "InvalidToken", CAIRN_EAUTH },
	{ "TokenRefreshRequired", CAIRN_EAUTH },
	{ "AccountProblem", CAIRN_EAUTH },
	{ "RequestTimeTooSkewed", CAIRN_EAUTH },
	{ "AuthorizationHeaderMalformed", CAIRN_EINVAL },
	{ "PreconditionFailed", CAIRN_EEXIST },
	{ "InvalidRange", CAIRN_EINVAL },
	{ "NotImplemented", CAIRN_EUNSUPPORTED },
	{ "SlowDown", CAIRN_ETRANSIENT },
	{ "ServiceUnavailable", CAIRN_ETRANSIENT },
	{ "InternalError", CAIRN_ETRANSIENT },
	{ "RequestTimeout", CAIRN_ETRANSIENT },
	{ "Throttling", CAIRN_ETRANSIENT },
	{ "ThrottlingException", CAIRN_ETRANSIENT },
	{ "RequestThrottled", CAIRN_ETRANSIENT },
	{ "OperationAborted", CAIRN_ETRANSIENT },
	{ "BadDigest", CAIRN_ETRANSIENT }, /* the body changed on the way */
	{ "IncompleteBody", CAIRN_ETRANSIENT },
	{ "XAmzContentSHA256Mismatch", CAIRN_ETRANSIENT },
};

int cairn_s3_classify(long status, const char *code)
{
	if (status >= 200 && status < 300)
		return 0;
	if (code != NULL && code[0] != '\0')
		for (size_t i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++)
			if (strcmp(code, code_table[i].code) == 0)
				return code_table[i].rc;
	switch (status) {
	case 401:
	case 403:
		return CAIRN_EAUTH;
	case 404:
		return CAIRN_ENOTFOUND;
	case 408:
	case 429:
		return CAIRN_ETRANSIENT;
	case 412:
		return CAIRN_EEXIST;
	case 416:
		return CAIRN_EINVAL;
	default:
		break;
	}
	if (status >= 500 && status < 600)
		return CAIRN_ETRANSIENT;
	return CAIRN_EINVAL; /* 1xx, 3xx (wrong region or endpoint), other 4xx, nonsense */
}

static const char *status_text(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 416: return "Range Not Satisfiable";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "HTTP error";
	}
}

/* Printable excerpt of a non-XML error body (a proxy's HTML page, say). */
static void excerpt(const struct cairn_buf *b, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len && n + 1 < outlen && n < 120; i++) {
		uint8_t c = b->data[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (n > 0 && c == ' ' && out[n - 1] == ' ')
			continue;
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
}

/* Record the detail of a non-2xx answer and return its class. */
static int answer_error(struct s3_store *s, struct s3_req *r)
{
	struct cairn_s3_error e;
	const char *rid, *code, *msg;
	char what[512], body[128] = "";
	int rc, have_xml;

	have_xml = r->resp.body.len > 0 && cairn_s3_xml_error(r->resp.body.data, r->resp.body.len, &e) == 0;
	if (!have_xml) {
		memset(&e, 0, sizeof(e));
		excerpt(&r->resp.body, body, sizeof(body));
	}
	code = e.code;
	snprintf(r->s3_code, sizeof(r->s3_code), "%s", code);
	rc = cairn_s3_classify(r->resp.status, code);
	rid = e.request_id[0] != '\0' ? e.request_id : r->resp.request_id;
	msg = e.message[0] != '\0' ? e.message : body;
	if (r->key != NULL)
		snprintf(what, sizeof(what), "S3 %s '%s/%s'", r->method, s->bucket, r->key);
	else
		snprintf(what, sizeof(what), "S3 %s '%s'", r->method, s->bucket);
	if (strcmp(code, "NoSuchBucket") == 0)
		return cairn_err(rc, "%s: %ld NoSuchBucket: bucket '%s' does not exist (%s%srequest id %s)", what,
				 r->resp.status, e.bucket[0] != '\0' ? e.bucket : s->bucket, msg,
				 msg[0] != '\0' ? "; " : "", rid[0] != '\0' ? rid : "none");
	if (!have_xml && strcmp(r->method, "HEAD") == 0 && (r->resp.status == 403 || r->resp.status == 400))
		msg = "no details in an answer to HEAD: wrong credentials or region, clock skew, or no permission";
	if (code[0] == '\0' && r->resp.status == 404 && r->key != NULL)
		return cairn_err(rc, "%s: 404 Not Found (no object '%s', or no bucket '%s')", what,
				 r->name != NULL ? r->name : r->key, s->bucket);
	return cairn_err(rc, "%s: %ld %s%s%s (request id %s)", what, r->resp.status,
			 code[0] != '\0' ? code : status_text(r->resp.status), msg[0] != '\0' ? ": " : "", msg,
			 rid[0] != '\0' ? rid : "none");
}

/* The request URL: origin + encoded raw path + "?" + canonical query. */
static int build_url(struct s3_store *s, const struct s3_req *r, const char *raw_path, char **ret_url)
{
	char *path = NULL, *query = NULL;
	int rc;

	rc = cairn_sigv4_encode_key(raw_path, &path);
	if (rc != 0)
		return rc;
	if (r->n_query > 0) {
		rc = cairn_sigv4_canonical_query(r->query, r->n_query, &query);
		if (rc != 0) {
			free(path);
			return rc;
		}
	}
	*ret_url = cairn_asprintf("%s%s%s%s", s->origin, path, query != NULL ? "?" : "", query != NULL ? query : "");
	free(path);
	free(query);
	if (*ret_url == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build an S3 URL: out of memory");
	return 0;
}

int cairn_s3_request(struct s3_store *s, struct s3_req *r)
{
	struct cairn_sigv4_kv hdr[S3_MAX_HEADERS];
	const char *lines[S3_MAX_HEADERS + 1];
	char *owned[S3_MAX_HEADERS + 1] = { 0 };
	char date[CAIRN_SIGV4_AMZ_DATE_LEN], sha[CAIRN_SIGV4_SHA256_HEX_LEN], sha64[CAIRN_SIGV4_SHA256_B64_LEN];
	struct cairn_sigv4_creds creds = { s->access_key, s->secret_key, s->session_token };
	struct cairn_sigv4_result sig = { 0 };
	struct cairn_sigv4_request sreq;
	struct cairn_http_request hreq;
	char *raw_path = NULL, *url = NULL;
	size_t nh = 0, nl = 0;
	int rc;

	memset(&r->resp, 0, sizeof(r->resp));
	r->s3_code[0] = '\0';
	if (r->n_headers + 5 > S3_MAX_HEADERS)
		return cairn_err(CAIRN_EBUG, "S3 %s: too many headers", r->method);
	raw_path = r->key != NULL ? cairn_asprintf("%s/%s", s->base_path, r->key)
				  : cairn_strdup(s->base_path[0] != '\0' ? s->base_path : "/");
	if (raw_path == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build an S3 request: out of memory");
	rc = build_url(s, r, raw_path, &url);
	if (rc != 0)
		goto out;
	rc = cairn_sigv4_amz_date(cairn_time_now_ns(), date);
	if (rc == 0)
		rc = cairn_sigv4_sha256_hex_base64(r->body, r->body_len, sha, sha64);
	if (rc != 0)
		goto out;
	hdr[nh++] = (struct cairn_sigv4_kv){ "host", s->host };
	hdr[nh++] = (struct cairn_sigv4_kv){ "x-amz-date", date };
	hdr[nh++] = (struct cairn_sigv4_kv){ "x-amz-content-sha256", sha };
	if (r->checksum)
		hdr[nh++] = (struct cairn_sigv4_kv){ "x-amz-checksum-sha256", sha64 };
	if (s->session_token != NULL)
		hdr[nh++] = (struct cairn_sigv4_kv){ "x-amz-security-token", s->session_token };
	for (size_t i = 0; i < r->n_headers; i++)
		hdr[nh++] = r->headers[i];
	sreq = (struct cairn_sigv4_request){ .method = r->method, .path = raw_path, .query = r->query,
					     .n_query = r->n_query, .headers = hdr, .n_headers = nh,
					     .payload_hash = sha, .region = s->region, .service = "s3" };
	rc = cairn_sigv4_sign(&sreq, &creds, &sig);
	if (rc != 0) {
		rc = cairn_err_ctx(rc, "cannot sign S3 %s '%s'", r->method, r->key != NULL ? r->key : s->bucket);
		goto out;
	}
	/* send exactly the headers that were signed, as they were signed */
	for (size_t i = 0; i < nh; i++) {
		owned[nl] = cairn_asprintf("%s: %s", hdr[i].name, hdr[i].value != NULL ? hdr[i].value : "");
		if (owned[nl] == NULL)
			goto nomem;
		lines[nl] = owned[nl];
		nl++;
	}
	owned[nl] = cairn_asprintf("Authorization: %s", sig.authorization);
	if (owned[nl] == NULL)
		goto nomem;
	lines[nl] = owned[nl];
	nl++;
	hreq = (struct cairn_http_request){ .method = r->method, .url = url, .headers = lines, .n_headers = nl,
					    .body = r->body, .body_len = r->body_len, .sink = r->sink,
					    .max_body = r->max_body };
	rc = cairn_http_perform(s->http, &hreq, &r->resp);
	if (rc == 0 && (r->resp.status < 200 || r->resp.status >= 300))
		rc = answer_error(s, r);
	goto out;
nomem:
	rc = cairn_err(CAIRN_ENOMEM, "cannot build an S3 request: out of memory");
out:
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		free(owned[i]);
	cairn_sigv4_result_free(&sig);
	free(url);
	free(raw_path);
	return rc;
}
