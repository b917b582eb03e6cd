/* The scripted HTTP/1.1 server of fake_http.h: request bodies up to 8 MiB. */
#include "cairn_test.h"
#include "fake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cairn/buf.h"
#include "cairn/err.h"


/* Read into buf until `want` bytes or "\r\n\r\n" (head); 0 on EOF or stop. */
static size_t fake_read(struct fake_http *f, int fd, char *buf, size_t cap, size_t want, int head)
{
	size_t got = 0;

	while (got < cap && (head || got < want) && !f->stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf + got, head ? 1 : (want - got < cap - got ? want - got : cap - got));
		if (n <= 0)
			return 0;
		got += (size_t)n;
		if (head && got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0)
			return got;
	}
	return f->stop ? 0 : got;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *fake_conn(void *arg)
{
	struct fake_http *f = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	char head[2048], *body = malloc(8u << 20);

	free(arg);
	assert_non_null(body);
	for (;;) {
		size_t hl = fake_read(f, fd, head, sizeof(head) - 1, 0, 1), blen = 0;
		const char *cl;
		enum reply_mode mode = R_SEND_CLOSE;
		char *raw = "HTTP/1.1 500 Script Ended\r\nContent-Length: 0\r\n\r\n";

		if (hl == 0)
			break;
		head[hl] = '\0';
		cl = strcasestr(head, "\r\ncontent-length:");
		if (cl != NULL)
			blen = strtoul(cl + 17, NULL, 10);
		if (blen > 0 && fake_read(f, fd, body, 8u << 20, blen, 0) != blen)
			break;
		pthread_mutex_lock(&f->lock);
		if (f->requests < FAKE_MAX)
			memcpy(f->heads[f->requests], head, hl + 1);
		f->requests++;
		cairn_buf_reset(&f->body);
		assert_int_equal(cairn_buf_append(&f->body, body, blen), 0);
		if (f->next < f->n) {
			mode = f->script[f->next].mode;
			raw = f->script[f->next].raw;
			f->next++;
		}
		pthread_mutex_unlock(&f->lock);
		if (mode == R_CLOSE)
			break;
		if (mode == R_STALL) {
			while (!f->stop && fake_read(f, fd, head, sizeof(head), sizeof(head), 0) > 0)
				;
			break;
		}
		if (mode == R_TRICKLE) {
			for (size_t i = 0; raw[i] != '\0' && !f->stop; i++) {
				write_all(fd, raw + i, 1);
				usleep(50 * 1000);
			}
		} else {
			write_all(fd, raw, strlen(raw));
		}
		if (mode == R_SEND_CLOSE)
			break;
	}
	free(body);
	close(fd);
	return NULL;
}

static void *fake_accept(void *arg)
{
	struct fake_http *f = arg;

	while (!f->stop) {
		struct pollfd p = { f->lfd, POLLIN, 0 };
		void **ca;
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		ca = malloc(2 * sizeof(*ca));
		assert_non_null(ca);
		ca[0] = f;
		ca[1] = (void *)(intptr_t)fd;
		pthread_mutex_lock(&f->lock);
		f->accepts++;
		assert_true(f->nconns < FAKE_MAX);
		assert_int_equal(pthread_create(&f->conns[f->nconns++], NULL, fake_conn, ca), 0);
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

struct fake_http *fake_http_start(void)
{
	struct fake_http *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	assert_non_null(f);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pthread_create(&f->acceptor, NULL, fake_accept, f), 0);
	return f;
}

void fake_http_reply(struct fake_http *f, enum reply_mode mode, int status, const char *extra, const char *body,
		       long clen)
{
	size_t blen = body != NULL ? strlen(body) : 0;
	char *raw = cairn_asprintf("HTTP/1.1 %d X\r\nContent-Length: %ld\r\n%s\r\n%s", status,
				   clen >= 0 ? clen : (long)blen, extra != NULL ? extra : "", body != NULL ? body : "");

	assert_non_null(raw);
	pthread_mutex_lock(&f->lock);
	assert_true(f->n < FAKE_MAX);
	f->script[f->n].mode = mode;
	f->script[f->n].raw = raw;
	f->n++;
	pthread_mutex_unlock(&f->lock);
}

void fake_http_stop(struct fake_http *f)
{
	f->stop = 1;
	pthread_join(f->acceptor, NULL);
	for (size_t i = 0; i < f->nconns; i++)
		pthread_join(f->conns[i], NULL);
	close(f->lfd);
	for (size_t i = 0; i < f->n; i++)
		free(f->script[i].raw);
	cairn_buf_free(&f->body);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
