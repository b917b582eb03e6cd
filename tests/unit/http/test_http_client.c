/* Unit tests for the libcurl HTTP client against a scripted local HTTP server (and openssl s_server for TLS). */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/http.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *fake_url(const struct fake_http *f, const char *path)
{
	char *u = cairn_asprintf("http://127.0.0.1:%d%s", f->port, path);

	assert_non_null(u);
	return u;
}

/* ---- tests ---- */

struct env {
	struct fake_http *f;
	struct cairn_http_client *c;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct cairn_http_options o = cairn_http_options_default();

	assert_non_null(e);
	e->f = fake_http_start();
	o.connect_timeout_ms = 2000;
	o.low_speed_time_s = 1;
	o.request_timeout_ms = 10000;
	assert_int_equal(cairn_http_client_new(&o, &e->c), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	cairn_http_client_free(e->c);
	fake_http_stop(e->f);
	free(e);
	return 0;
}

static void test_perform_get_headers(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/b/key%20x?list-type=2");
	const char *hdr[] = { "x-amz-date: 20130524T000000Z", "Range: bytes=0-9" };
	struct cairn_buf sink = { 0 };
	struct cairn_http_request req = { .method = "GET", .url = url, .headers = hdr, .n_headers = 2,
					  .sink = &sink };
	struct cairn_http_response resp;
	struct cairn_http_stats st;

	assert_int_equal(cairn_buf_append(&sink, "AB", 2), 0);
	fake_http_reply(e->f, R_SEND, 206,
		   "ETag: \"abc123\"\r\nContent-Range: bytes 0-9/100\r\nx-amz-request-id:  REQ42 \r\n", "0123456789",
		   -1);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_int_equal(resp.status, 206);
	assert_string_equal(resp.etag, "\"abc123\"");
	assert_string_equal(resp.content_range, "bytes 0-9/100");
	assert_string_equal(resp.request_id, "REQ42");
	assert_int_equal(resp.content_length, 10);
	assert_int_equal(resp.body_received, 10);
	assert_int_equal(resp.body.len, 0);
	assert_int_equal(sink.len, 12);
	assert_memory_equal(sink.data, "AB0123456789", 12);
	/* what went out: the URL as given, our headers, our user agent, no Expect */
	assert_non_null(strstr(e->f->heads[0], "GET /b/key%20x?list-type=2 HTTP/1.1\r\n"));
	assert_non_null(strstr(e->f->heads[0], "\r\nx-amz-date: 20130524T000000Z\r\n"));
	assert_non_null(strstr(e->f->heads[0], "\r\nRange: bytes=0-9\r\n"));
	assert_non_null(strstr(e->f->heads[0], "\r\nUser-Agent: cairn/"));
	assert_null(strcasestr(e->f->heads[0], "expect:"));
	cairn_http_client_stats(e->c, &st);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.bytes_received, 10);
	assert_int_equal(st.failures, 0);
	cairn_http_response_free(&resp);
	cairn_buf_free(&sink);
	free(url);
}

static void test_perform_reuses_connection(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/x");
	struct cairn_http_request req = { .method = "GET", .url = url };
	struct cairn_http_response resp;

	for (int i = 0; i < 3; i++)
		fake_http_reply(e->f, R_SEND, 200, NULL, "hello", -1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.body.len, 5);
		assert_memory_equal(resp.body.data, "hello", 5);
		cairn_http_response_free(&resp);
	}
	assert_int_equal(e->f->accepts, 1);
	assert_int_equal(e->f->requests, 3);
	free(url);
}

static void test_perform_methods_and_bodies(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/obj");
	size_t big = 300000;
	uint8_t *data = malloc(big);
	struct cairn_http_request req = { .method = "PUT", .url = url, .body = data, .body_len = big };
	struct cairn_http_response resp;
	struct cairn_http_stats st;

	assert_non_null(data);
	cairn_test_fill_random(data, big, 3);
	fake_http_reply(e->f, R_SEND, 200, "ETag: \"e1\"\r\n", NULL, -1);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_non_null(strstr(e->f->heads[0], "PUT /obj HTTP/1.1\r\n"));
	assert_int_equal(e->f->body.len, big);
	assert_memory_equal(e->f->body.data, data, big);
	assert_string_equal(resp.etag, "\"e1\"");
	cairn_http_response_free(&resp);
	cairn_http_client_stats(e->c, &st);
	assert_int_equal(st.bytes_sent, big);

	req = (struct cairn_http_request){ .method = "POST", .url = url, .body = "<x/>", .body_len = 4 };
	fake_http_reply(e->f, R_SEND, 200, NULL, "<ok/>", -1);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_non_null(strstr(e->f->heads[1], "POST /obj HTTP/1.1\r\n"));
	assert_int_equal(e->f->body.len, 4);
	assert_memory_equal(e->f->body.data, "<x/>", 4);
	cairn_http_response_free(&resp);

	/* HEAD: a Content-Length but no body */
	req = (struct cairn_http_request){ .method = "HEAD", .url = url };
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 12345);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_non_null(strstr(e->f->heads[2], "HEAD /obj HTTP/1.1\r\n"));
	assert_int_equal(resp.content_length, 12345);
	assert_int_equal(resp.body.len, 0);
	cairn_http_response_free(&resp);

	req = (struct cairn_http_request){ .method = "DELETE", .url = url };
	fake_http_reply(e->f, R_SEND, 204, NULL, NULL, 0);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_non_null(strstr(e->f->heads[3], "DELETE /obj HTTP/1.1\r\n"));
	assert_int_equal(resp.status, 204);
	cairn_http_response_free(&resp);
	/* an empty PUT */
	req = (struct cairn_http_request){ .method = "PUT", .url = url };
	fake_http_reply(e->f, R_SEND, 200, NULL, NULL, 0);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_non_null(strstr(e->f->heads[4], "Content-Length: 0\r\n"));
	cairn_http_response_free(&resp);
	free(data);
	free(url);
}

static void test_perform_error_body_not_in_sink(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/missing");
	struct cairn_buf sink = { 0 };
	struct cairn_http_request req = { .method = "GET", .url = url, .sink = &sink, .max_body = 3 };
	struct cairn_http_response resp;
	const char *xml = "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";

	fake_http_reply(e->f, R_SEND, 404, NULL, xml, -1);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_int_equal(sink.len, 0);
	assert_int_equal(resp.body.len, strlen(xml));
	assert_memory_equal(resp.body.data, xml, strlen(xml));
	cairn_http_response_free(&resp);
	free(url);
}

static void test_perform_body_limits(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/long");
	struct cairn_buf sink = { 0 };
	struct cairn_http_request req = { .method = "GET", .url = url, .sink = &sink, .max_body = 10 };
	struct cairn_http_response resp;

	fake_http_reply(e->f, R_SEND, 200, NULL, "0123456789abcdef", -1);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "longer than the 10 bytes"));
	assert_non_null(strstr(cairn_err_msg(), url));
	cairn_http_response_free(&resp);
	/* a body cut short of its Content-Length */
	fake_http_reply(e->f, R_SEND_CLOSE, 200, NULL, "01234", 100);
	req.max_body = 0;
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "GET '"));
	cairn_http_response_free(&resp);
	/* a connection closed without an answer */
	fake_http_reply(e->f, R_CLOSE, 0, NULL, NULL, 0);
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_ETRANSIENT);
	cairn_http_response_free(&resp);
	cairn_buf_free(&sink);
	free(url);
}

static void test_perform_refused(void **state)
{
	struct env *e = *state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct cairn_http_request req = { .method = "GET" };
	struct cairn_http_response resp;
	char url[64];

	/* a port that was free a moment ago */
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(a.sin_port));
	close(fd);
	req.url = url;
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "GET 'http://127.0.0.1:"));
	assert_non_null(strstr(cairn_err_msg(), "cannot connect"));
	cairn_http_response_free(&resp);
}

static void test_perform_bad_requests(void **state)
{
	struct env *e = *state;
	struct cairn_http_request req = { .method = "GET", .url = "ftp://127.0.0.1/x" };
	struct cairn_http_response resp;
	struct cairn_http_options o = cairn_http_options_default();
	struct cairn_http_client *c = NULL;

	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "ftp://127.0.0.1/x"));
	cairn_http_response_free(&resp);
	req.url = "http://[::1/x";
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_EINVAL);
	cairn_http_response_free(&resp);
	req.url = "http://127.0.0.1/x";
	req.method = "get";
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_EINVAL);
	req.method = "PUT";
	req.body_len = 3;
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_EINVAL);
	req.method = NULL;
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_EINVAL);
	cairn_http_response_free(&resp);
	cairn_http_response_free(NULL);
	/* bad options */
	o.connect_timeout_ms = 0;
	assert_int_equal(cairn_http_client_new(&o, &c), CAIRN_EINVAL);
	o = cairn_http_options_default();
	o.low_speed_time_s = 0;
	assert_int_equal(cairn_http_client_new(&o, &c), CAIRN_EINVAL);
	assert_null(c);
	cairn_http_client_free(NULL);
}

static void test_perform_stall_timeout(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/stall");
	struct cairn_http_request req = { .method = "GET", .url = url };
	struct cairn_http_response resp;
	double t0;

	fake_http_reply(e->f, R_STALL, 0, NULL, NULL, 0);
	t0 = now_s();
	assert_int_equal(cairn_http_perform(e->c, &req, &resp), CAIRN_ETIMEOUT);
	assert_true(now_s() - t0 < 4.0);
	assert_non_null(strstr(cairn_err_msg(), "timed out (stalled)"));
	assert_non_null(strstr(cairn_err_msg(), url));
	cairn_http_response_free(&resp);
	free(url);
}

static void test_perform_deadline(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/slow");
	struct cairn_http_options o = cairn_http_options_default();
	struct cairn_http_request req = { .method = "GET", .url = url };
	struct cairn_http_response resp;
	struct cairn_http_client *c;
	double t0;

	/* 20 bytes a second beats the stall limit of 1 byte/s but not the 1 s deadline */
	o.low_speed_limit = 1;
	o.low_speed_time_s = 5;
	o.request_timeout_ms = 1000;
	assert_int_equal(cairn_http_client_new(&o, &c), 0);
	fake_http_reply(e->f, R_TRICKLE, 200, NULL, "a body that takes a few seconds to arrive at this rate", -1);
	t0 = now_s();
	assert_int_equal(cairn_http_perform(c, &req, &resp), CAIRN_ETIMEOUT);
	assert_true(now_s() - t0 < 3.0);
	assert_non_null(strstr(cairn_err_msg(), "timed out (deadline)"));
	cairn_http_response_free(&resp);
	cairn_http_client_free(c);
	free(url);
}

static void test_perform_connect_timeout(void **state)
{
	struct cairn_http_options o = cairn_http_options_default();
	struct cairn_http_request req = { .method = "GET" };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct cairn_http_response resp;
	struct cairn_http_client *c;
	int lfd, fill[4];
	char url[64];
	double t0;

	(void)state;
	/* a listener that never accepts, its queue full: new SYNs are dropped */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(100 * 1000);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(a.sin_port));
	req.url = url;
	o.connect_timeout_ms = 300;
	assert_int_equal(cairn_http_client_new(&o, &c), 0);
	t0 = now_s();
	assert_int_equal(cairn_http_perform(c, &req, &resp), CAIRN_ETIMEOUT);
	assert_non_null(strstr(cairn_err_msg(), "timed out (connect)"));
	assert_true(now_s() - t0 < 2.0);
	cairn_http_response_free(&resp);
	cairn_http_client_free(c);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void test_perform_bandwidth_limit(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/big");
	struct cairn_http_options o = cairn_http_options_default();
	struct cairn_http_request req = { .method = "GET", .url = url };
	struct cairn_http_response resp;
	struct cairn_http_client *c;
	char *body = malloc(400001);
	double t0, took;

	assert_non_null(body);
	memset(body, 'z', 400000);
	body[400000] = '\0';
	o.max_recv_speed = 200000;
	assert_int_equal(cairn_http_client_new(&o, &c), 0);
	fake_http_reply(e->f, R_SEND, 200, NULL, body, -1);
	t0 = now_s();
	assert_int_equal(cairn_http_perform(c, &req, &resp), 0);
	took = now_s() - t0;
	assert_int_equal(resp.body.len, 400000);
	assert_true(took > 0.7); /* 400 kB at 200 kB/s, the first second's budget in one burst */
	cairn_http_response_free(&resp);
	cairn_http_client_free(c);
	free(body);
	free(url);
}

struct par {
	struct cairn_http_client *c;
	const char *url;
	int ok;
};

static void *par_main(void *arg)
{
	struct par *p = arg;
	struct cairn_http_request req = { .method = "GET", .url = p->url };
	struct cairn_http_response resp;

	for (int i = 0; i < 4; i++) {
		if (cairn_http_perform(p->c, &req, &resp) == 0 && resp.status == 200 && resp.body.len == 2)
			p->ok++;
		cairn_http_response_free(&resp);
	}
	return NULL;
}

static void test_perform_parallel(void **state)
{
	struct env *e = *state;
	char *url = fake_url(e->f, "/p");
	struct par p[4];
	pthread_t t[4];
	struct cairn_http_stats st;

	for (int i = 0; i < 16; i++)
		fake_http_reply(e->f, R_SEND, 200, NULL, "ok", -1);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct par){ e->c, url, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, par_main, &p[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(p[i].ok, 4);
	}
	cairn_http_client_stats(e->c, &st);
	assert_int_equal(st.requests, 16);
	assert_int_equal(e->f->requests, 16);
	assert_true(e->f->accepts <= 4); /* connections reused */
	free(url);
}

/* TLS: openssl s_server with a self-signed certificate for 127.0.0.1. */
static void test_perform_tls_verification(void **state)
{
	char *dir = cairn_test_mkdtemp("http_tls"), cmd[2048], cert[400], key[400], url[64];
	struct cairn_http_options o = cairn_http_options_default();
	struct cairn_http_request req = { .method = "GET" };
	struct cairn_http_response resp;
	struct cairn_http_client *c;
	int port = 0, rc = -1;
	pid_t pid;

	(void)state;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		printf("SKIP: no openssl to make a certificate\n");
		goto out;
	}
	for (int attempt = 0; attempt < 5 && rc != 0; attempt++) {
		port = 20000 + (int)(getpid() % 20000) + attempt * 7;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char p[16];

			snprintf(p, sizeof(p), "%d", port);
			freopen("/dev/null", "w", stdout);
			freopen("/dev/null", "w", stderr);
			execlp("openssl", "openssl", "s_server", "-accept", p, "-cert", cert, "-key", key, "-www",
			       "-quiet", (char *)NULL);
			_exit(127);
		}
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
		req.url = url;
		/* default trust: the self-signed certificate is refused */
		assert_int_equal(cairn_http_client_new(NULL, &c), 0);
		for (int i = 0; i < 30; i++) {
			rc = cairn_http_perform(c, &req, &resp);
			cairn_http_response_free(&resp);
			if (rc != CAIRN_ETRANSIENT)
				break;
			usleep(100 * 1000);
		}
		cairn_http_client_free(c);
		if (rc == CAIRN_EAUTH) {
			assert_non_null(strstr(cairn_err_msg(), "TLS certificate verification failed"));
			assert_non_null(strstr(cairn_err_msg(), url));
			/* with the certificate as CA bundle it works */
			o.ca_bundle = cert;
			assert_int_equal(cairn_http_client_new(&o, &c), 0);
			rc = cairn_http_perform(c, &req, &resp);
			if (rc != 0)
				fail_msg("TLS with CA bundle: %s", cairn_err_msg());
			assert_int_equal(resp.status, 200);
			cairn_http_response_free(&resp);
			cairn_http_client_free(c);
			/* a CA bundle that does not exist */
			o.ca_bundle = "/nonexistent/ca.pem";
			assert_int_equal(cairn_http_client_new(&o, &c), 0);
			assert_int_equal(cairn_http_perform(c, &req, &resp), CAIRN_EINVAL);
			cairn_http_response_free(&resp);
			cairn_http_client_free(c);
			rc = 0;
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	assert_int_equal(rc, 0);
out:
	cairn_test_rmtree(dir);
	free(dir);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_perform_get_headers),
		T(test_perform_reuses_connection),
		T(test_perform_methods_and_bodies),
		T(test_perform_error_body_not_in_sink),
		T(test_perform_body_limits),
		T(test_perform_refused),
		T(test_perform_bad_requests),
		T(test_perform_stall_timeout),
		T(test_perform_deadline),
		cmocka_unit_test(test_perform_connect_timeout),
		T(test_perform_bandwidth_limit),
		T(test_perform_parallel),
		cmocka_unit_test(test_perform_tls_verification),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("http client", tests, NULL, NULL);
}
