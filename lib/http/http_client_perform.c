/* One HTTP request on a pooled libcurl handle: options, body callbacks, headers of interest, error mapping. */
#include "cairn/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cairn/err.h"
#include "http/http_client_int.h"

/* State of one transfer, shared by the callbacks. */
struct xfer {
	struct cairn_http_client *c;
	const struct cairn_http_request *req;
	struct cairn_http_response *resp;
	size_t sent;  /* read position in the request body */
	int too_long; /* a 2xx body went over req->max_body */
	int nomem;    /* a buffer could not grow */
};

/* Copy `len` bytes of a header value into `out`, trimmed, cut to fit. */
static void header_value(char *out, size_t outlen, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static int header_is(const char *line, size_t len, const char *name, size_t *ret_colon)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*ret_colon = n;
	return 1;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	struct cairn_http_response *r = x->resp;
	size_t len = size * nitems, colon;
	char num[32];

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* a new response head (after a 100 Continue, say): forget the last one */
		const char *sp = memchr(buf, ' ', len);

		r->status = 0;
		if (sp != NULL && (size_t)(sp - buf) + 4 <= len && isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
			r->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		r->content_length = -1;
		r->etag[0] = r->content_range[0] = r->request_id[0] = '\0';
		return len;
	}
	if (header_is(buf, len, "etag", &colon)) {
		header_value(r->etag, sizeof(r->etag), buf + colon + 1, len - colon - 1);
	} else if (header_is(buf, len, "content-range", &colon)) {
		header_value(r->content_range, sizeof(r->content_range), buf + colon + 1, len - colon - 1);
	} else if (header_is(buf, len, "x-amz-request-id", &colon)) {
		header_value(r->request_id, sizeof(r->request_id), buf + colon + 1, len - colon - 1);
	} else if (header_is(buf, len, "content-length", &colon)) {
		char *end;
		unsigned long long v;

		header_value(num, sizeof(num), buf + colon + 1, len - colon - 1);
		v = strtoull(num, &end, 10);
		r->content_length = (num[0] >= '0' && num[0] <= '9' && *end == '\0' && v <= INT64_MAX)
					    ? (int64_t)v : -1;
	}
	return len;
}

static size_t on_write(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct cairn_http_response *r = x->resp;
	size_t len = size * nmemb;
	struct cairn_buf *to;

	atomic_fetch_add(&x->c->bytes_received, len);
	if (r->status >= 300 || r->status < 200) {
		/* an error body: keep its start for the caller's message */
		size_t room = CAIRN_HTTP_ERROR_BODY_MAX > r->body.len ? CAIRN_HTTP_ERROR_BODY_MAX - r->body.len : 0;
		size_t take = len < room ? len : room;

		if (take > 0 && cairn_buf_append(&r->body, buf, take) != 0) {
			x->nomem = 1;
			return 0;
		}
		return len;
	}
	if (x->req->max_body != 0 && (len > x->req->max_body || r->body_received > x->req->max_body - len)) {
		x->too_long = 1;
		return 0;
	}
	to = x->req->sink != NULL ? x->req->sink : &r->body;
	if (cairn_buf_append(to, buf, len) != 0) {
		x->nomem = 1;
		return 0;
	}
	r->body_received += len;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * nitems, left = x->req->body_len - x->sent;
	size_t n = want < left ? want : left;

	if (n > 0) {
		memcpy(buf, (const uint8_t *)x->req->body + x->sent, n);
		x->sent += n;
		atomic_fetch_add(&x->c->bytes_sent, n);
	}
	return n;
}

/* libcurl rewinds the body when it must send it again on a new connection. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	struct xfer *x = ud;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int set_method(CURL *h, const struct cairn_http_request *req)
{
	const char *m = req->method;
	CURLcode cc = CURLE_OK;

	if (strcmp(m, "GET") == 0 && req->body_len == 0) {
		cc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		cc = curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(m, "POST") == 0) {
		cc = curl_easy_setopt(h, CURLOPT_POST, 1L);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(m, "PUT") == 0 || req->body_len > 0) {
		cc = curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		if (cc == CURLE_OK && strcmp(m, "PUT") != 0)
			cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	} else {
		cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	}
	return cc == CURLE_OK ? 0 : -1;
}

static int set_options(struct cairn_http_client *c, CURL *h, struct xfer *x, struct curl_slist *hdrs,
		       char *errbuf)
{
	const struct cairn_http_options *o = &c->opts;
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                         \
	do {                                                  \
		if (cc == CURLE_OK)                           \
			cc = curl_easy_setopt(h, opt, val);   \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, x->req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)o->request_timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
	SET(CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_bundle != NULL)
		SET(CURLOPT_CAINFO, c->ca_bundle);
	if (o->max_send_speed > 0)
		SET(CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)o->max_send_speed);
	if (o->max_recv_speed > 0)
		SET(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)o->max_recv_speed);
	/* Big reads for throughput. Under a download limit libcurl still reads up
	 * to 100 buffers in a burst before it checks the rate: size the buffer
	 * so that a burst is about one second's budget. */
	if (o->max_recv_speed > 0 && o->max_recv_speed / 100 < 128 * 1024)
		SET(CURLOPT_BUFFERSIZE, o->max_recv_speed / 100 > 1024 ? (long)(o->max_recv_speed / 100) : 1024L);
	else
		SET(CURLOPT_BUFFERSIZE, 128L * 1024);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, x);
	SET(CURLOPT_SEEKFUNCTION, on_seek);
	SET(CURLOPT_SEEKDATA, x);
#undef SET
	if (cc != CURLE_OK)
		return -1;
	return set_method(h, x->req);
}

/* Which timer fired: libcurl reports all three as CURLE_OPERATION_TIMEDOUT. */
static int timeout_error(struct cairn_http_client *c, CURL *h, const struct cairn_http_request *req,
			 const char *why)
{
	const struct cairn_http_options *o = &c->opts;
	curl_off_t connect_us = 0, total_us = 0;

	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
	if (strncmp(why, "Operation too slow", 18) == 0)
		return cairn_err(CAIRN_ETIMEOUT,
				 "%s '%s': timed out (stalled): less than %ld bytes/s for %ld s: %s", req->method,
				 req->url, o->low_speed_limit, o->low_speed_time_s, why);
	if (connect_us == 0 && total_us < (curl_off_t)o->request_timeout_ms * 1000)
		return cairn_err(CAIRN_ETIMEOUT, "%s '%s': timed out (connect): no connection within %lld ms: %s",
				 req->method, req->url, (long long)o->connect_timeout_ms, why);
	return cairn_err(CAIRN_ETIMEOUT, "%s '%s': timed out (deadline): request not done within %lld ms: %s",
			 req->method, req->url, (long long)o->request_timeout_ms, why);
}

static int curl_error(struct cairn_http_client *c, CURL *h, const struct xfer *x, CURLcode cc,
		      const char *errbuf)
{
	const struct cairn_http_request *req = x->req;
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc);
	const char *m = req->method, *u = req->url;

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return timeout_error(c, h, req, why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
		return cairn_err(CAIRN_EINVAL, "%s '%s': bad URL: %s", m, u, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return cairn_err(CAIRN_ETRANSIENT, "%s '%s': cannot connect: %s", m, u, why);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SEND_FAIL_REWIND:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return cairn_err(CAIRN_ETRANSIENT, "%s '%s': connection failed: %s", m, u, why);
	case CURLE_PEER_FAILED_VERIFICATION:
		return cairn_err(CAIRN_EAUTH,
				 "%s '%s': TLS certificate verification failed: %s (for a private CA, give its "
				 "bundle with AWS_CA_BUNDLE)",
				 m, u, why);
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return cairn_err(CAIRN_EINVAL, "%s '%s': TLS setup failed: %s", m, u, why);
	case CURLE_OUT_OF_MEMORY:
		return cairn_err(CAIRN_ENOMEM, "%s '%s': out of memory", m, u);
	case CURLE_WRITE_ERROR:
		if (x->too_long)
			return cairn_err(CAIRN_ETRANSIENT, "%s '%s': response body longer than the %llu bytes expected",
					 m, u, (unsigned long long)req->max_body);
		if (x->nomem)
			return cairn_err(CAIRN_ENOMEM, "%s '%s': out of memory for the response body", m, u);
		return cairn_err(CAIRN_EIO, "%s '%s': %s", m, u, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return cairn_err(CAIRN_ECANCELED, "%s '%s': canceled", m, u);
	default:
		return cairn_err(CAIRN_EIO, "%s '%s': %s (curl error %d)", m, u, why, (int)cc);
	}
}

static int check_request(const struct cairn_http_request *req)
{
	if (req->method == NULL || req->method[0] == '\0' || req->url == NULL)
		return cairn_err(CAIRN_EINVAL, "http request without a method or URL");
	if (req->body == NULL && req->body_len > 0)
		return cairn_err(CAIRN_EINVAL, "%s '%s': request body of %zu bytes has no data", req->method,
				 req->url, req->body_len);
	for (const char *p = req->method; *p != '\0'; p++)
		if (!isupper((unsigned char)*p))
			return cairn_err(CAIRN_EINVAL, "%s '%s': invalid method", req->method, req->url);
	return 0;
}

int cairn_http_perform(struct cairn_http_client *c, const struct cairn_http_request *req,
		       struct cairn_http_response *resp)
{
	struct xfer x = { c, req, resp, 0, 0, 0 };
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *t;
	CURLcode cc;
	CURL *h;
	long status = 0;
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	rc = check_request(req);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < req->n_headers; i++) {
		t = curl_slist_append(hdrs, req->headers[i]);
		if (t == NULL)
			goto nomem;
		hdrs = t;
	}
	/* no "Expect: 100-continue" round trip before a body */
	t = curl_slist_append(hdrs, "Expect:");
	if (t == NULL)
		goto nomem;
	hdrs = t;
	h = cairn_http_take(c);
	if (h == NULL)
		goto nomem;
	errbuf[0] = '\0';
	if (set_options(c, h, &x, hdrs, errbuf) != 0) {
		rc = cairn_err(CAIRN_EINVAL, "%s '%s': libcurl refused an option: %s", req->method, req->url,
			       errbuf[0] != '\0' ? errbuf : "unknown option");
		cairn_http_give_back(c, h, 0);
		curl_slist_free_all(hdrs);
		return rc;
	}
	atomic_fetch_add(&c->requests, 1);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		resp->status = status;
		rc = 0;
	} else {
		atomic_fetch_add(&c->failures, 1);
		rc = curl_error(c, h, &x, cc, errbuf);
	}
	/* after a failure the connection may be in any state: start afresh */
	cairn_http_give_back(c, h, rc == 0);
	curl_slist_free_all(hdrs);
	return rc;
nomem:
	curl_slist_free_all(hdrs);
	return cairn_err(CAIRN_ENOMEM, "%s '%s': out of memory", req->method, req->url);
}
