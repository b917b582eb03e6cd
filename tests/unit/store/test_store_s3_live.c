/* The S3 driver against a real S3 server (CAIRN_TEST_S3_ENDPOINT) and the s3-faults proxy in front of it:
 * multipart, pagination, wrong secret, missing bucket, 503 SlowDown, truncated and reset bodies, stalls.
 * Prints "SKIP: ..." and succeeds when CAIRN_TEST_S3_ENDPOINT is unset. */
#include "cairn_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/http.h"
#include "cairn/s3.h"
#include "cairn/store.h"

/* What the whole run shares: a random root prefix and the fault proxy. */
struct live {
	char root[96];
	unsigned next_case;
	pid_t faults_pid;
	char faults_url[256]; /* "" when the proxy could not start */
	struct cairn_http_client *http;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/* Options for the test server (or `endpoint`), a fresh prefix under the run's root. */
static void live_options(struct live *lv, struct cairn_s3_options *o, const char *endpoint)
{
	cairn_s3_options_init(o);
	o->endpoint = cairn_strdup(endpoint != NULL ? endpoint : getenv("CAIRN_TEST_S3_ENDPOINT"));
	o->bucket = cairn_strdup(env_or("CAIRN_TEST_S3_BUCKET", "primary"));
	o->region = cairn_strdup(env_or("CAIRN_TEST_S3_REGION", "us-east-1"));
	o->prefix = cairn_asprintf("%s/c%u", lv->root, lv->next_case++);
	o->access_key = cairn_strdup(env_or("AWS_ACCESS_KEY_ID", ""));
	o->secret_key = cairn_strdup(env_or("AWS_SECRET_ACCESS_KEY", ""));
	o->addressing = CAIRN_S3_ADDRESSING_PATH;
	/* quick retries for tests */
	o->retry.backoff_base_ns = 20 * 1000000LL;
	o->retry.backoff_cap_ns = 200 * 1000000LL;
	o->retry.deadline_ns = 30 * 1000000000LL;
	o->retry.max_attempts = 10;
	assert_non_null(o->prefix);
}

static struct cairn_store *live_open(struct cairn_s3_options *o)
{
	struct cairn_store *s = NULL;

	if (cairn_s3_open(o, &s) != 0)
		fail_msg("cannot open S3 store: %s", cairn_err_msg());
	cairn_s3_options_free(o);
	return s;
}

struct names {
	char **v;
	size_t n, cap;
};

static int collect(void *ctx, const char *name, uint64_t size)
{
	struct names *l = ctx;

	(void)size;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strdup(name);
	assert_non_null(l->v[l->n]);
	l->n++;
	return 0;
}

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){ 0 };
}

/* Delete everything under the store's prefix, then free it. */
static void live_close(struct cairn_store *s)
{
	struct names l = { 0 };

	assert_int_equal(cairn_store_list(s, "", collect, &l), 0);
	if (l.n > 0 && cairn_store_del_many(s, (const char *const *)l.v, l.n) != 0)
		fail_msg("cleanup failed: %s", cairn_err_msg());
	names_free(&l);
	assert_int_equal(cairn_store_list(s, "", collect, &l), 0);
	assert_int_equal(l.n, 0);
	cairn_store_free(s);
}

/* ---- the fault proxy ---- */

static void faults_start(struct live *lv)
{
	const char *tool = env_or("CAIRN_TEST_S3_FAULTS", "/work/shared/tools/s3-faults");
	int fds[2];
	FILE *f;
	char line[256];

	if (access(tool, R_OK) != 0 || pipe(fds) != 0)
		return;
	lv->faults_pid = fork();
	assert_true(lv->faults_pid >= 0);
	if (lv->faults_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", tool, "--upstream", getenv("CAIRN_TEST_S3_ENDPOINT"), "--listen",
		       "127.0.0.1:0", "--seed", "7", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_non_null(f);
	if (fgets(line, sizeof(line), f) != NULL && strncmp(line, "S3_FAULTS_ENDPOINT=", 19) == 0) {
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(lv->faults_url, sizeof(lv->faults_url), "%s", line + 19);
	}
	fclose(f);
}

static void faults_stop(struct live *lv)
{
	if (lv->faults_pid > 0) {
		kill(lv->faults_pid, SIGTERM);
		waitpid(lv->faults_pid, NULL, 0);
		lv->faults_pid = 0;
	}
}

/* One control request to the proxy; the answer body is returned (caller frees). */
static char *faults_ctl(struct live *lv, const char *method, const char *path, const char *body)
{
	struct cairn_http_request req = { 0 };
	struct cairn_http_response resp;
	char *url = cairn_asprintf("%s%s", lv->faults_url, path), *text;

	assert_non_null(url);
	req.method = method;
	req.url = url;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	if (cairn_http_perform(lv->http, &req, &resp) != 0)
		fail_msg("fault proxy control failed: %s", cairn_err_msg());
	assert_int_equal(resp.status, 200);
	assert_int_equal(cairn_buf_put_u8(&resp.body, 0), 0);
	text = (char *)resp.body.data;
	resp.body.data = NULL;
	cairn_http_response_free(&resp);
	free(url);
	return text;
}

static void faults_rules(struct live *lv, const char *rules)
{
	free(faults_ctl(lv, "PUT", "/__faults/rules", rules));
	free(faults_ctl(lv, "DELETE", "/__faults/log", NULL));
}

static unsigned count_str(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

#define NEED_FAULTS()                                                                      \
	do {                                                                               \
		if (lv->faults_url[0] == '\0') {                                       \
			printf("SKIP: s3-faults proxy not available\n");                   \
			return;                                                            \
		}                                                                          \
	} while (0)

static void fill_put(struct cairn_store *s, const char *name, size_t len, uint64_t seed)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	cairn_test_fill_random(p, len, seed);
	if (cairn_store_put(s, name, p, len) != 0)
		fail_msg("put '%s' failed: %s", name, cairn_err_msg());
	free(p);
}

static void check_get(struct cairn_store *s, const char *name, uint64_t off, uint64_t len, size_t total,
		      uint64_t seed)
{
	uint8_t *want = malloc(total ? total : 1);
	struct cairn_buf b = { 0 };
	size_t n = len == UINT64_MAX ? total - off : len;

	assert_non_null(want);
	cairn_test_fill_random(want, total, seed);
	if (cairn_store_get(s, name, off, len, &b) != 0)
		fail_msg("get '%s' failed: %s", name, cairn_err_msg());
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, want + off, n);
	cairn_buf_free(&b);
	free(want);
}

static uint64_t http_requests(struct cairn_store *s)
{
	struct cairn_store_stats st;

	cairn_store_stats_get(s, &st);
	return st.requests;
}

static void test_multipart_put_get(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store *s;
	const size_t big = 13u << 20;
	uint64_t size = 0, before;

	live_options(lv, &o, NULL);
	o.multipart_threshold = 6u << 20;
	o.part_size = 5u << 20;
	s = live_open(&o);
	before = http_requests(s);
	fill_put(s, "data/mp/big", big, 42);
	/* GET bytes=0-0 (exists?), POST ?uploads=, 3 x PUT part, POST ?uploadId= */
	assert_int_equal(http_requests(s) - before, 6);
	check_get(s, "data/mp/big", 0, UINT64_MAX, big, 42);
	check_get(s, "data/mp/big", (5u << 20) - 100, 200, big, 42); /* across a part boundary */
	check_get(s, "data/mp/big", big - 10, UINT64_MAX, big, 42);
	assert_int_equal(cairn_store_stat(s, "data/mp/big", &size), 0);
	assert_int_equal(size, big);
	/* no overwrite, big or small */
	assert_int_equal(cairn_store_put(s, "data/mp/big", "x", 1), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "data/mp/big"));
	fill_put(s, "data/mp/small", 1000, 43);
	check_get(s, "data/mp/small", 0, UINT64_MAX, 1000, 43);
	live_close(s);
}

struct put_range {
	struct cairn_store *s;
	unsigned first, step, n;
};

static void *put_range_main(void *arg)
{
	struct put_range *r = arg;
	char name[64], data[40];

	for (unsigned i = r->first; i < r->n; i += r->step) {
		snprintf(name, sizeof(name), "data/%02x/%08u", i % 7, i);
		memset(data, 'a' + (int)(i % 26), sizeof(data));
		if (cairn_store_put(r->s, name, data, i % sizeof(data)) != 0)
			return (void *)1;
	}
	return NULL;
}

static int stop_at_150(void *ctx, const char *name, uint64_t size)
{
	unsigned *n = ctx;

	(void)name;
	(void)size;
	return ++*n == 150 ? 42 : 0;
}

static int check_sizes(void *ctx, const char *name, uint64_t size)
{
	unsigned *n = ctx, x, i;

	assert_int_equal(sscanf(name, "data/%2x/%8u", &x, &i), 2);
	assert_int_equal(size, i % 40);
	assert_int_equal(x, i % 7);
	++*n;
	return 0;
}

#define LIST_KEYS 150
#define LIST_THREADS 8

static void test_list_pagination(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct put_range r[LIST_THREADS];
	pthread_t tid[LIST_THREADS];
	struct cairn_store *s;
	unsigned n = 0;
	uint64_t before;

	live_options(lv, &o, NULL);
	o.list_page_keys = 60; /* 3 pages for 150 keys (the conformance suite lists 2,500 at 1000 a page) */
	s = live_open(&o);
	for (unsigned t = 0; t < LIST_THREADS; t++) {
		r[t] = (struct put_range){ s, t, LIST_THREADS, LIST_KEYS };
		assert_int_equal(pthread_create(&tid[t], NULL, put_range_main, &r[t]), 0);
	}
	for (unsigned t = 0; t < LIST_THREADS; t++) {
		void *ret;

		assert_int_equal(pthread_join(tid[t], &ret), 0);
		assert_null(ret);
	}
	before = http_requests(s);
	assert_int_equal(cairn_store_list(s, "", check_sizes, &n), 0);
	assert_int_equal(n, LIST_KEYS);
	assert_int_equal(http_requests(s) - before, 3);
	n = 0;
	assert_int_equal(cairn_store_list(s, "data/03/", check_sizes, &n), 0);
	assert_int_equal(n, (LIST_KEYS - 3 + 6) / 7); /* i % 7 == 3 */
	n = 0;
	assert_int_equal(cairn_store_list(s, "data/", stop_at_150, &n), 42);
	assert_int_equal(n, 150);
	n = 0;
	assert_int_equal(cairn_store_list(s, "index/", check_sizes, &n), 0);
	assert_int_equal(n, 0);
	live_close(s);
}

static void test_delete_many(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store *s, *mem;
	const char *names[] = { "locks/a", "locks/b", "locks/c", "index/x", "index/y", "index/missing" };
	const char *bad[] = { "locks/a", "../escape" };
	struct names l = { 0 };

	live_options(lv, &o, NULL);
	s = live_open(&o);
	for (unsigned i = 0; i < 5; i++)
		fill_put(s, names[i], 10 + i, i);
	assert_true(cairn_store_caps(s) & CAIRN_STORE_CAP_BATCH_DELETE);
	assert_int_equal(cairn_store_del_many(s, bad, 2), CAIRN_EINVAL);
	assert_int_equal(cairn_store_list(s, "", collect, &l), 0);
	assert_int_equal(l.n, 5);
	names_free(&l);
	/* a missing key counts as deleted */
	assert_int_equal(cairn_store_del_many(s, names, 6), 0);
	assert_int_equal(cairn_store_list(s, "", collect, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(cairn_store_del_many(s, names, 0), 0);
	/* the same call for a store without batch delete: one del each */
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	assert_false(cairn_store_caps(mem) & CAIRN_STORE_CAP_BATCH_DELETE);
	assert_int_equal(cairn_store_put(mem, names[0], "x", 1), 0);
	assert_int_equal(cairn_store_del_many(mem, names, 6), 0);
	assert_int_equal(cairn_store_list(mem, "", collect, &l), 0);
	assert_int_equal(l.n, 0);
	cairn_store_free(mem);
	live_close(s);
}

static void test_wrong_secret_one_request(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store_stats st;
	struct cairn_buf b = { 0 };
	struct cairn_store *s;

	live_options(lv, &o, NULL);
	free(o.secret_key);
	o.secret_key = cairn_strdup("not-the-secret");
	s = live_open(&o);
	assert_int_equal(cairn_store_put(s, "config", "abc", 3), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "SignatureDoesNotMatch"));
	assert_non_null(strstr(cairn_err_msg(), "config"));
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.operations, 1);
	assert_int_equal(st.attempts, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.failures, 1);
	assert_int_equal(cairn_store_get(s, "config", 0, UINT64_MAX, &b), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "SignatureDoesNotMatch"));
	assert_int_equal(b.len, 0);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.retries, 0);
	cairn_store_free(s);
}

static void test_missing_bucket(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_buf b = { 0 };
	struct cairn_store *s;
	unsigned n = 0;
	char want[128];

	live_options(lv, &o, NULL);
	free(o.bucket);
	o.bucket = cairn_asprintf("cairn-missing-%s", lv->root + 14);
	snprintf(want, sizeof(want), "bucket '%s' does not exist", o.bucket);
	s = live_open(&o);
	assert_int_equal(cairn_store_get(s, "config", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), want));
	assert_int_equal(http_requests(s), 1);
	assert_int_equal(cairn_store_list(s, "snapshots/", check_sizes, &n), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), want));
	assert_int_equal(http_requests(s), 2);
	cairn_store_free(s);
}

static void test_wrong_region(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_buf b = { 0 };
	struct cairn_store *s;

	live_options(lv, &o, NULL);
	free(o.region);
	o.region = cairn_strdup("ap-south-2");
	s = live_open(&o);
	assert_int_equal(cairn_store_get(s, "config", 0, UINT64_MAX, &b), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "AuthorizationHeaderMalformed"));
	assert_int_equal(http_requests(s), 1);
	cairn_store_free(s);
}

static void test_env_open_url(void **state)
{
	struct live *lv = *state;
	struct cairn_store *s;
	char *url = cairn_asprintf("s3://%s/%s/env", env_or("CAIRN_TEST_S3_BUCKET", "primary"), lv->root);

	assert_non_null(url);
	setenv("AWS_ENDPOINT_URL_S3", getenv("CAIRN_TEST_S3_ENDPOINT"), 1);
	setenv("AWS_REGION", env_or("CAIRN_TEST_S3_REGION", "us-east-1"), 1);
	if (cairn_store_open_url(url, 1, &s) != 0)
		fail_msg("open '%s': %s", url, cairn_err_msg());
	assert_string_equal(s->description, url);
	fill_put(s, "config", 123, 9);
	check_get(s, "config", 0, UINT64_MAX, 123, 9);
	live_close(s);
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_REGION");
	free(url);
}

static void test_faults_slowdown(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store_stats st;
	struct cairn_store *s;
	struct names l = { 0 };
	char name[32], *log;
	uint64_t size;

	NEED_FAULTS();
	live_options(lv, &o, lv->faults_url);
	s = live_open(&o);
	faults_rules(lv, "error:503,prob=0.2");
	for (unsigned i = 0; i < 15; i++) {
		snprintf(name, sizeof(name), "data/sd/%02u", i);
		fill_put(s, name, 2000 + i, i);
	}
	for (unsigned i = 0; i < 15; i++) {
		snprintf(name, sizeof(name), "data/sd/%02u", i);
		check_get(s, name, 0, UINT64_MAX, 2000 + i, i);
		check_get(s, name, 100, 50, 2000 + i, i);
		assert_int_equal(cairn_store_stat(s, name, &size), 0);
		assert_int_equal(size, 2000 + i);
	}
	assert_int_equal(cairn_store_list(s, "data/", collect, &l), 0);
	assert_int_equal(l.n, 15);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(cairn_store_del(s, l.v[i]), 0);
	names_free(&l);
	cairn_store_stats_get(s, &st);
	log = faults_ctl(lv, "GET", "/__faults/log", NULL);
	faults_rules(lv, "");
	assert_int_equal(st.failures, 0);
	assert_true(st.retries > 0);
	/* every 503 cost exactly one retry, and nothing else did */
	assert_int_equal(st.retries, count_str(log, "\"status\": 503"));
	assert_int_equal(st.requests, count_str(log, "\"n\":"));
	free(log);
	live_close(s);
}

static void test_faults_truncated_and_reset(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store_stats st;
	struct cairn_store *s;
	uint64_t size = 0, before;

	NEED_FAULTS();
	live_options(lv, &o, lv->faults_url);
	s = live_open(&o);
	fill_put(s, "data/tr/one", 200000, 5);
	faults_rules(lv, "truncate,method=GET,nth=1");
	check_get(s, "data/tr/one", 0, UINT64_MAX, 200000, 5);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.retries, 1);
	faults_rules(lv, "truncate:1000,method=GET,nth=1");
	check_get(s, "data/tr/one", 1000, 150000, 200000, 5);
	faults_rules(lv, "reset-download,method=GET,nth=1");
	check_get(s, "data/tr/one", 7, UINT64_MAX, 200000, 5);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.retries, 3);
	/* a reset on a reused connection may be retried by libcurl itself (rewinding the body) */
	faults_rules(lv, "reset-upload,method=PUT,nth=1");
	fill_put(s, "data/tr/two", 300000, 6);
	check_get(s, "data/tr/two", 0, UINT64_MAX, 300000, 6);
	cairn_store_stats_get(s, &st);
	before = st.retries;
	faults_rules(lv, "error:500,method=HEAD,times=2");
	assert_int_equal(cairn_store_stat(s, "data/tr/two", &size), 0);
	assert_int_equal(size, 300000);
	check_get(s, "data/tr/two", 0, UINT64_MAX, 300000, 6);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.retries, before + 2);
	assert_int_equal(st.failures, 0);
	faults_rules(lv, "");
	live_close(s);
}

static void test_faults_reset_after_put(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store_stats st;
	struct cairn_store *s;

	NEED_FAULTS();
	live_options(lv, &o, lv->faults_url);
	s = live_open(&o);
	/* the first PUT is stored, then its answer is lost: a retry (libcurl's on a reused connection, or
	 * the decorator's, which finds the same bytes there) completes the put */
	faults_rules(lv, "reset-after,method=PUT,nth=1");
	fill_put(s, "data/ra/obj", 5000, 8);
	cairn_store_stats_get(s, &st);
	assert_true(st.retries <= 1);
	assert_int_equal(st.failures, 0);
	check_get(s, "data/ra/obj", 0, UINT64_MAX, 5000, 8);
	/* a lost DELETE answer: the retry's not-found means done */
	faults_rules(lv, "reset-after,method=DELETE,nth=1");
	assert_int_equal(cairn_store_del(s, "data/ra/obj"), 0);
	faults_rules(lv, "");
	live_close(s);
}

static void test_faults_multipart_abort(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store *s;
	uint64_t size;
	uint8_t *p = malloc(7u << 20);
	char *log;

	NEED_FAULTS();
	assert_non_null(p);
	cairn_test_fill_random(p, 7u << 20, 11);
	live_options(lv, &o, lv->faults_url);
	o.multipart_threshold = 6u << 20;
	o.part_size = 5u << 20;
	o.no_retry = 1;
	s = live_open(&o);
	faults_rules(lv, "error:500,method=POST,path=uploadId=");
	assert_int_equal(cairn_store_put(s, "data/mp/fail", p, 7u << 20), CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "InternalError"));
	log = faults_ctl(lv, "GET", "/__faults/log", NULL);
	faults_rules(lv, "");
	/* the upload was aborted */
	assert_non_null(strstr(log, "\"method\": \"DELETE\""));
	assert_int_equal(count_str(log, "\"method\": \"DELETE\""), 1);
	assert_int_equal(count_str(log, "partNumber="), 2);
	assert_int_equal(cairn_store_stat(s, "data/mp/fail", &size), CAIRN_ENOTFOUND);
	free(log);
	free(p);
	live_close(s);
}

static void test_faults_stall_deadline(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_buf b = { 0 };
	struct cairn_store *s;
	double t0, took;

	NEED_FAULTS();
	live_options(lv, &o, lv->faults_url);
	o.http.low_speed_time_s = 2;
	o.http.connect_timeout_ms = 2000;
	o.retry.deadline_ns = 6 * 1000000000LL;
	o.retry.backoff_base_ns = 100 * 1000000LL;
	o.retry.backoff_cap_ns = 500 * 1000000LL;
	s = live_open(&o);
	fill_put(s, "data/st/obj", 1000, 12);
	faults_rules(lv, "stall,method=GET");
	t0 = now_s();
	assert_int_equal(cairn_store_get(s, "data/st/obj", 0, UINT64_MAX, &b), CAIRN_ETIMEOUT);
	took = now_s() - t0;
	assert_non_null(strstr(cairn_err_msg(), "stalled"));
	assert_non_null(strstr(cairn_err_msg(), "deadline 6.0s"));
	assert_int_equal(b.len, 0);
	/* the deadline, plus at most the one attempt that was running when it passed */
	assert_true(took >= 5.0);
	assert_true(took < 6.0 + 2.0 + 1.5);
	faults_rules(lv, "");
	live_close(s);
}


static int group_setup(void **state)
{
	uint64_t rnd = 0;
	FILE *f = fopen("/dev/urandom", "rb");
	struct live *lv = calloc(1, sizeof(*lv));

	assert_non_null(lv);
	assert_non_null(f);
	assert_int_equal(fread(&rnd, sizeof(rnd), 1, f), 1);
	fclose(f);
	snprintf(lv->root, sizeof(lv->root), "cairn-unit-s3-%d-%016llx", (int)getpid(),
		 (unsigned long long)rnd);
	assert_int_equal(cairn_http_client_new(NULL, &lv->http), 0);
	faults_start(lv);
	*state = lv;
	return 0;
}

static int group_teardown(void **state)
{
	struct live *lv = *state;
	struct cairn_s3_options o;
	struct cairn_store *s;

	/* whatever a failed case left behind under the run's root */
	live_options(lv, &o, NULL);
	free(o.prefix);
	o.prefix = cairn_strdup(lv->root);
	s = live_open(&o);
	live_close(s);
	faults_stop(lv);
	cairn_http_client_free(lv->http);
	free(lv);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multipart_put_get),
		cmocka_unit_test(test_list_pagination),
		cmocka_unit_test(test_delete_many),
		cmocka_unit_test(test_wrong_secret_one_request),
		cmocka_unit_test(test_missing_bucket),
		cmocka_unit_test(test_wrong_region),
		cmocka_unit_test(test_env_open_url),
		cmocka_unit_test(test_faults_slowdown),
		cmocka_unit_test(test_faults_truncated_and_reset),
		cmocka_unit_test(test_faults_reset_after_put),
		cmocka_unit_test(test_faults_multipart_abort),
		cmocka_unit_test(test_faults_stall_deadline),
	};

	if (getenv("CAIRN_TEST_S3_ENDPOINT") == NULL || getenv("CAIRN_TEST_S3_ENDPOINT")[0] == '\0') {
		printf("SKIP: no S3 test server (CAIRN_TEST_S3_ENDPOINT is unset)\n");
		return 0;
	}
	return cmocka_run_group_tests_name("store s3 live", tests, group_setup, group_teardown);
}
