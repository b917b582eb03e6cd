/* HTTP client object: options, one-time libcurl initialisation, the pool of easy handles and the counters. */
#include "cairn/http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "http/http_client_int.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0"
#endif

struct cairn_http_options cairn_http_options_default(void)
{
	struct cairn_http_options o = {
		.connect_timeout_ms = 10 * 1000,
		.request_timeout_ms = 300 * 1000,
		.low_speed_limit = 1024,
		.low_speed_time_s = 30,
		.ca_bundle = NULL,
		.max_send_speed = 0,
		.max_recv_speed = 0,
		.user_agent = NULL,
		.max_idle_handles = 32,
	};
	return o;
}

/* libcurl's process-wide state: initialised once, never cleaned up. These
 * two are the only statics of the module, written once under pthread_once. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int check_options(const struct cairn_http_options *o)
{
	if (o->connect_timeout_ms <= 0 || o->request_timeout_ms <= 0)
		return cairn_err(CAIRN_EINVAL, "invalid http timeouts (connect %lld ms, request %lld ms)",
				 (long long)o->connect_timeout_ms, (long long)o->request_timeout_ms);
	if (o->low_speed_limit < 1 || o->low_speed_time_s < 1)
		return cairn_err(CAIRN_EINVAL, "invalid http stall detection (%ld bytes/s over %ld s)",
				 o->low_speed_limit, o->low_speed_time_s);
	if (o->max_send_speed > INT64_MAX || o->max_recv_speed > INT64_MAX)
		return cairn_err(CAIRN_EINVAL, "invalid http bandwidth limit");
	return 0;
}

int cairn_http_client_new(const struct cairn_http_options *opts, struct cairn_http_client **ret)
{
	struct cairn_http_options def = cairn_http_options_default();
	const curl_version_info_data *vi;
	struct cairn_http_client *c;
	int rc;

	if (opts == NULL)
		opts = &def;
	rc = check_options(opts);
	if (rc != 0)
		return rc;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return cairn_err(CAIRN_EIO, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
	vi = curl_version_info(CURLVERSION_NOW);
	if (vi->version_num < 0x074a00)
		return cairn_err(CAIRN_EINVAL, "libcurl %s is too old (7.74 or newer needed)", vi->version);
	if ((vi->features & CURL_VERSION_SSL) == 0)
		return cairn_err(CAIRN_EINVAL, "libcurl %s was built without TLS support", vi->version);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot create an http client: out of memory");
	c->opts = *opts;
	c->opts.ca_bundle = NULL;
	c->opts.user_agent = NULL;
	if (opts->ca_bundle != NULL && opts->ca_bundle[0] != '\0') {
		c->ca_bundle = cairn_strdup(opts->ca_bundle);
		if (c->ca_bundle == NULL)
			goto nomem;
	}
	c->user_agent = opts->user_agent != NULL ? cairn_strdup(opts->user_agent)
						 : cairn_strdup("cairn/" CAIRN_VERSION);
	if (c->user_agent == NULL)
		goto nomem;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto nomem;
	atomic_init(&c->requests, 0);
	atomic_init(&c->failures, 0);
	atomic_init(&c->bytes_sent, 0);
	atomic_init(&c->bytes_received, 0);
	*ret = c;
	return 0;
nomem:
	free(c->user_agent);
	free(c->ca_bundle);
	free(c);
	return cairn_err(CAIRN_ENOMEM, "cannot create an http client: out of memory");
}

void cairn_http_client_free(struct cairn_http_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_idle; i++)
		curl_easy_cleanup(c->idle[i]);
	free(c->idle);
	pthread_mutex_destroy(&c->lock);
	free(c->user_agent);
	free(c->ca_bundle);
	free(c);
}

CURL *cairn_http_take(struct cairn_http_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->n_idle > 0)
		h = c->idle[--c->n_idle];
	pthread_mutex_unlock(&c->lock);
	if (h != NULL)
		curl_easy_reset(h); /* options back to defaults; connections and caches kept */
	else
		h = curl_easy_init();
	return h;
}

void cairn_http_give_back(struct cairn_http_client *c, CURL *h, int keep)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (keep && c->n_idle < c->opts.max_idle_handles) {
		if (c->n_idle == c->cap_idle) {
			size_t cap = c->cap_idle ? 2 * c->cap_idle : 8;
			CURL **idle = cairn_reallocarray(c->idle, cap, sizeof(*idle));

			if (idle != NULL) {
				c->idle = idle;
				c->cap_idle = cap;
			}
		}
		if (c->n_idle < c->cap_idle) {
			c->idle[c->n_idle++] = h;
			h = NULL;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (h != NULL)
		curl_easy_cleanup(h);
}

void cairn_http_client_stats(const struct cairn_http_client *c, struct cairn_http_stats *ret)
{
	struct cairn_http_client *m = (struct cairn_http_client *)c; /* atomic loads take non-const */

	memset(ret, 0, sizeof(*ret));
	if (c == NULL)
		return;
	ret->requests = atomic_load(&m->requests);
	ret->failures = atomic_load(&m->failures);
	ret->bytes_sent = atomic_load(&m->bytes_sent);
	ret->bytes_received = atomic_load(&m->bytes_received);
}

void cairn_http_response_free(struct cairn_http_response *resp)
{
	if (resp == NULL)
		return;
	cairn_buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}
