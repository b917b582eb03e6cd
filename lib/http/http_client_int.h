/* Internal to the HTTP client: the client object shared by its pool and perform code. */
#ifndef CAIRN_HTTP_CLIENT_INT_H
#define CAIRN_HTTP_CLIENT_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cairn/http.h"

struct cairn_http_client {
	struct cairn_http_options opts; /* ca_bundle and user_agent are NULL here: see below */
	char *ca_bundle;                /* owned copy, NULL = system default */
	char *user_agent;               /* owned copy */
	pthread_mutex_t lock;           /* guards the idle pool */
	CURL **idle;
	size_t n_idle, cap_idle;
	atomic_uint_fast64_t requests, failures, bytes_sent, bytes_received;
};

/* An easy handle from the pool (reset to default options) or a new one;
 * NULL when out of memory. */
CURL *cairn_http_take(struct cairn_http_client *c);

/* Return `h` to the pool (keep non-zero) or clean it up. NULL does nothing. */
void cairn_http_give_back(struct cairn_http_client *c, CURL *h, int keep);

#endif
