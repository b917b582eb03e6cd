/* A scripted HTTP/1.1 server on 127.0.0.1 for unit tests of the HTTP
 * client and the S3 driver: each request gets the next queued reply; the
 * request heads and the last body are kept for assertions. */
#ifndef CAIRN_FAKE_HTTP_H
#define CAIRN_FAKE_HTTP_H

#include <pthread.h>
#include <stddef.h>

#include "cairn/buf.h"

enum reply_mode {
	R_SEND,       /* send the reply, keep the connection */
	R_SEND_CLOSE, /* send the reply, then close */
	R_CLOSE,      /* close without answering */
	R_STALL,      /* never answer */
	R_TRICKLE     /* send the reply one byte every 50 ms */
};

#define FAKE_MAX 32

struct fake_http {
	int lfd, port;
	pthread_t acceptor;
	pthread_mutex_t lock;
	struct {
		enum reply_mode mode;
		char *raw;
	} script[FAKE_MAX];
	size_t n, next;
	unsigned accepts, requests;
	char heads[FAKE_MAX][2048]; /* request heads in order */
	struct cairn_buf body;      /* the last request body */
	pthread_t conns[FAKE_MAX];
	size_t nconns;
	volatile int stop;
};

/* Listen on a free loopback port (f->port). Fails the test if it cannot. */
struct fake_http *fake_http_start(void);
/* Queue a reply: status, extra header lines ("X: y\r\n"...), body; clen < 0 = the body's length. */
void fake_http_reply(struct fake_http *f, enum reply_mode mode, int status, const char *extra, const char *body,
		     long clen);
/* Stop, join every connection thread and free. */
void fake_http_stop(struct fake_http *f);

#endif
