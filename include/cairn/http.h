/* HTTP client on libcurl: one client object holds the options (timeouts,
 * TLS, bandwidth limits) and a pool of easy handles so that connections are
 * reused and several threads can run requests at the same time.
 *
 *	struct cairn_http_options o = cairn_http_options_default();
 *	struct cairn_http_client *c;
 *	rc = cairn_http_client_new(&o, &c);
 *	const char *hdr[] = { "x-amz-date: 20130524T000000Z", ... };
 *	struct cairn_http_request req = { .method = "GET", .url = url,
 *		.headers = hdr, .n_headers = 1, .sink = &out };
 *	struct cairn_http_response resp;
 *	rc = cairn_http_perform(c, &req, &resp);   // 0: a response arrived
 *	... resp.status, resp.etag ...
 *	cairn_http_response_free(&resp);
 *	cairn_http_client_free(c);
 *
 * Thread safety: a client may be used from any number of threads at once
 * (each request takes an easy handle from the pool under a mutex and returns
 * it afterwards). libcurl's process-wide curl_global_init() is run exactly
 * once, through pthread_once, by the first cairn_http_client_new(); the
 * global state is never cleaned up (curl_global_cleanup() is not thread
 * safe), so a program that calls curl_global_init()/cleanup() itself must do
 * so before creating the first client or after freeing the last. Signals
 * are not used (CURLOPT_NOSIGNAL).
 *
 * Errors of cairn_http_perform (detail always names the method and URL):
 *	CAIRN_ETIMEOUT      a curl timer fired; the detail says which: "connect"
 *	                    (connect timeout), "stalled" (below the low-speed
 *	                    limit for the low-speed time), "deadline" (overall
 *	                    request timeout)
 *	CAIRN_ETRANSIENT    connection refused or reset, DNS failure, send or
 *	                    receive error, a body shorter than its Content-Length,
 *	                    an empty reply, a TLS handshake that broke, a body
 *	                    longer than the request allows (max_body)
 *	CAIRN_EAUTH         the server's TLS certificate failed verification
 *	CAIRN_EINVAL        bad URL, unsupported scheme, unusable CA bundle,
 *	                    bad request arguments
 *	CAIRN_ENOMEM        out of memory
 *	CAIRN_EIO           any other libcurl failure
 * An HTTP status of any value (404, 503, ...) is not an error here: the
 * caller reads resp.status and the body.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"

/* Error bodies (status >= 300) are kept up to this size; the rest is dropped. */
#define CAIRN_HTTP_ERROR_BODY_MAX (64 * 1024)

struct cairn_http_options {
	int64_t connect_timeout_ms;  /* TCP + TLS connect; default 10 s; > 0 */
	int64_t request_timeout_ms;  /* whole request, deadline; default 300 s; > 0 */
	long low_speed_limit;        /* bytes/s below which a transfer counts as stalled; default 1024; >= 1 */
	long low_speed_time_s;       /* seconds below that limit before giving up; default 30; >= 1 */
	const char *ca_bundle;       /* CA bundle file (CURLOPT_CAINFO), NULL = system default; copied */
	uint64_t max_send_speed;     /* upload bandwidth limit in bytes/s per request, 0 = none */
	uint64_t max_recv_speed;     /* download bandwidth limit in bytes/s per request, 0 = none */
	const char *user_agent;      /* NULL = "cairn/<version>"; copied */
	unsigned max_idle_handles;   /* easy handles (with their connections) kept for reuse; default 32 */
};

/* The defaults listed above. TLS peer and host verification are always on. */
struct cairn_http_options cairn_http_options_default(void);

struct cairn_http_client;

/* Create a client with a copy of `opts` (NULL = defaults). Runs
 * curl_global_init once per process (see above). 0, CAIRN_EINVAL (an
 * option out of range, libcurl older than 7.74 or without TLS),
 * CAIRN_ENOMEM or CAIRN_EIO (curl_global_init failed). */
int cairn_http_client_new(const struct cairn_http_options *opts, struct cairn_http_client **ret);

/* Close every pooled connection and free the client. No request may be
 * running. NULL does nothing. */
void cairn_http_client_free(struct cairn_http_client *c);

/* One request. Everything is borrowed for the duration of the call. */
struct cairn_http_request {
	const char *method;          /* "GET", "HEAD", "PUT", "POST", "DELETE" (any other token is sent as is) */
	const char *url;             /* absolute http:// or https:// URL, already percent-encoded */
	const char *const *headers;  /* "Name: value" lines, sent as given (a "Name:" line removes a
				      * header libcurl would add) */
	size_t n_headers;
	const void *body;            /* request body (PUT, POST), sent without a copy; NULL when body_len is 0 */
	size_t body_len;
	struct cairn_buf *sink;      /* a 2xx body is appended here; NULL = into resp->body */
	uint64_t max_body;           /* a 2xx body longer than this fails with CAIRN_ETRANSIENT; 0 = no limit */
};

/* What came back. Free with cairn_http_response_free() after any call to
 * cairn_http_perform (it is zeroed on entry). */
struct cairn_http_response {
	long status;                 /* HTTP status, e.g. 200; 0 when no response arrived */
	int64_t content_length;      /* the Content-Length header, -1 when absent */
	char etag[128];              /* ETag header value as sent (quotes included), "" when absent */
	char content_range[96];      /* Content-Range header value, "" when absent */
	char request_id[96];         /* x-amz-request-id header value, "" when absent */
	struct cairn_buf body;       /* the body when status >= 300 (cut at CAIRN_HTTP_ERROR_BODY_MAX)
				      * or when the request had no sink */
	uint64_t body_received;      /* bytes of 2xx body delivered (to the sink or body) */
};

/* Run `req` on a pooled handle and fill *resp. Returns 0 when an HTTP
 * response (any status) was received in full, else a code listed at the top
 * of this file; header fields and status may be partly filled even then.
 * On failure the bytes appended to req->sink are left there: the caller
 * trims them. */
int cairn_http_perform(struct cairn_http_client *c, const struct cairn_http_request *req,
		       struct cairn_http_response *resp);

/* Free the response body and zero *resp. NULL does nothing. */
void cairn_http_response_free(struct cairn_http_response *resp);

/* Counters since the client was created (atomics: exact, readable from any
 * thread at any time). */
struct cairn_http_stats {
	uint64_t requests;       /* requests started */
	uint64_t failures;       /* requests that ended without a full response */
	uint64_t bytes_sent;     /* request body bytes handed to libcurl */
	uint64_t bytes_received; /* response body bytes received (error bodies included) */
};

void cairn_http_client_stats(const struct cairn_http_client *c, struct cairn_http_stats *ret);

#endif
