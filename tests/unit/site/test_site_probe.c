/* Probing the configured sites: the order of the healthy ones (the primary's tie margin), probes of local
 * directories and of S3 endpoints that refuse or never answer (bounded by the deadline), and whether a
 * site holds a snapshot; through the opener hook, memory stores: empty, an empty config, refused, hung. */
#include "cairn_test.h"

#include "cairn/site.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Snapshot ids: 64 lowercase hex digits. */
#define SNAP_A "abcd1234" "00000000000000000000000000000000000000000000000000000000"
#define SNAP_B "abcd1235" "00000000000000000000000000000000000000000000000000000000"

#define MS 1000000LL

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CAIRN_NS_PER_SEC + ts.tv_nsec;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void check_order(const int64_t *latency_ms, const int *healthy, size_t n, const size_t *want, size_t nwant)
{
	struct cairn_site_probe p[8];
	size_t order[8];

	memset(p, 0, sizeof(p));
	for (size_t i = 0; i < n; i++) {
		p[i].healthy = healthy[i];
		p[i].latency_ns = latency_ms[i] * MS;
	}
	assert_int_equal(cairn_site_probe_order(p, n, CAIRN_SITE_PROBE_TIE_NS, order), nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_int_equal(order[i], want[i]);
}

static void test_order(void **state)
{
	(void)state;
	/* nearest first */
	check_order((int64_t[]){ 100, 30, 5 }, (int[]){ 1, 1, 1 }, 3, (size_t[]){ 2, 1, 0 }, 3);
	/* the primary within 20 ms of the nearest wins the tie, the rest stays in order */
	check_order((int64_t[]){ 25, 30, 5 }, (int[]){ 1, 1, 1 }, 3, (size_t[]){ 0, 2, 1 }, 3);
	check_order((int64_t[]){ 26, 30, 5 }, (int[]){ 1, 1, 1 }, 3, (size_t[]){ 2, 0, 1 }, 3);
	check_order((int64_t[]){ 5, 5, 5 }, (int[]){ 1, 1, 1 }, 3, (size_t[]){ 0, 1, 2 }, 3);
	/* replicas that tie keep the configuration's order */
	check_order((int64_t[]){ 90, 7, 7, 3 }, (int[]){ 1, 1, 1, 1 }, 4, (size_t[]){ 3, 1, 2, 0 }, 4);
	/* sites that are down are left out */
	check_order((int64_t[]){ 1, 30, 5 }, (int[]){ 0, 1, 0 }, 3, (size_t[]){ 1 }, 1);
	check_order((int64_t[]){ 1, 30 }, (int[]){ 0, 0 }, 2, NULL, 0);
	check_order((int64_t[]){ 50 }, (int[]){ 1 }, 1, (size_t[]){ 0 }, 1);
}

/* A TCP port that accepts connections (the kernel's backlog) but never answers. */
static int silent_server(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_probe_sites(void **state)
{
	char *dir = cairn_test_mkdtemp("site_probe"), *text, path[4200], secret[4200];
	struct cairn_config *cfg = NULL;
	struct cairn_site_probe *p = NULL;
	size_t n = 0;
	int64_t t0, took;
	int port, fd = silent_server(&port);

	(void)state;
	snprintf(path, sizeof(path), "%s/primary", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/primary/config", dir);
	write_file(path, "{\"version\": 2}");
	snprintf(path, sizeof(path), "%s/primary/snapshots", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/primary/snapshots/%s", dir, SNAP_A);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	write_file(secret, "wJalrXUtnFEMI\n");
	assert_int_equal(chmod(secret, 0600), 0);
	text = cairn_asprintf("[repository]\nurl = %s/primary\n"
			      "[replica gone]\nurl = file://%s/nosuch\n"
			      "[replica empty]\nurl = %s/empty\n"
			      "[replica refused]\nurl = s3://bucket/refused\nendpoint = http://127.0.0.1:1\nregion = r\n"
			      "access-key-id = AK\nsecret-access-key-file = %s\n"
			      "[replica silent]\nurl = s3://bucket/silent\nendpoint = http://127.0.0.1:%d\nregion = r\n"
			      "access-key-id = AK\nsecret-access-key-file = %s\n",
			      dir, dir, dir, secret, port, secret);
	assert_non_null(text);
	if (cairn_config_parse(text, "test.conf", &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	t0 = mono_ns();
	assert_int_equal(cairn_site_probe_all(cfg, &(struct cairn_site_probe_opts){ .deadline_ns = 400 * MS }, &p, &n), 0);
	took = mono_ns() - t0;
	assert_int_equal(n, 5);
	/* all at once: the silent site costs the deadline once, not once per site */
	assert_true(took < 2000 * MS);
	assert_ptr_equal(p[0].site, &cfg->primary);
	assert_true(p[0].healthy);
	assert_true(p[0].latency_ns > 0 && p[0].latency_ns < 400 * MS);
	assert_non_null(p[0].store);
	assert_int_equal(p[0].rc, 0);
	assert_string_equal(p[1].site->name, "gone");
	assert_false(p[1].healthy);
	assert_int_equal(p[1].rc, CAIRN_ENOTFOUND);
	assert_non_null(strstr(p[1].why, "nosuch"));
	assert_null(p[1].store);
	assert_false(p[2].healthy); /* a directory without a repository */
	assert_int_equal(p[2].rc, CAIRN_ENOTFOUND);
	assert_false(p[3].healthy);
	assert_non_null(strstr(p[3].why, "127.0.0.1:1"));
	assert_false(p[4].healthy);
	assert_true(p[4].why[0] != '\0');
	/* the snapshot object, looked up through the probe's store */
	assert_int_equal(cairn_site_probe_holds(&p[0], SNAP_A), 1);
	assert_int_equal(cairn_site_probe_holds(&p[0], SNAP_B), 0);
	assert_int_equal(cairn_site_probe_holds(&p[1], SNAP_A), CAIRN_EINVAL);
	/* an id that is not one names no object (repo_layout.h) */
	assert_int_equal(cairn_site_probe_holds(&p[0], "abcd1234"), CAIRN_EINVAL);
	assert_int_equal(cairn_site_probe_holds(&p[0], "../snapshots/" SNAP_A), CAIRN_EINVAL);
	cairn_site_probe_free(p, n);
	cairn_site_probe_free(NULL, 0);
	cairn_config_free(cfg);
	free(text);
	close(fd);
	cairn_test_rmtree(dir);
	free(dir);
}

/* A probe reads one byte of the config, whatever its size: a sparse config
 * of 1 TiB (planted where anyone could write) is neither fetched nor held;
 * an empty one is a failed probe. */
static void test_probe_reads_one_byte(void **state)
{
	char *dir = cairn_test_mkdtemp("site_probe"), *text, path[4200];
	struct cairn_config *cfg = NULL;
	struct cairn_site_probe *p = NULL;
	size_t n = 0;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/empty/config", dir);
	write_file(path, "");
	snprintf(path, sizeof(path), "%s/big/config", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	if (ftruncate(fd, (off_t)1 << 40) != 0) {
		close(fd);
		cairn_test_rmtree(dir);
		free(dir);
		skip(); /* no sparse file that large here */
	}
	assert_int_equal(pwrite(fd, "{", 1, 0), 1);
	close(fd);
	text = cairn_asprintf("[repository]\nurl = %s/big\n[replica empty]\nurl = %s/empty\n", dir, dir);
	assert_non_null(text);
	if (cairn_config_parse(text, "test.conf", &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	assert_int_equal(cairn_site_probe_all(cfg, &(struct cairn_site_probe_opts){ .deadline_ns = 5000 * MS }, &p, &n), 0);
	assert_int_equal(n, 2);
	if (!p[0].healthy)
		fail_msg("probe of a 1 TiB config: %s", p[0].why);
	assert_int_equal(p[0].rc, 0);
	assert_false(p[1].healthy);
	assert_int_equal(p[1].rc, CAIRN_EFORMAT);
	assert_non_null(strstr(p[1].why, "is empty"));
	cairn_site_probe_free(p, n);
	cairn_config_free(cfg);
	free(text);
	cairn_test_rmtree(dir);
	free(dir);
}

/* The opener hook: each site a memory store, or a failure, or a hang; by the site's name. */
struct hook {
	int64_t hang_ns;            /* how long "hung" takes to answer */
	atomic_int finished;        /* opens that returned */
};

static int hook_open(void *ctx, const struct cairn_site_config *site, struct cairn_store **ret)
{
	struct hook *h = ctx;
	struct cairn_store *st = NULL;
	int rc = 0;

	if (strcmp(site->name, "unreachable") == 0) {
		rc = cairn_err(CAIRN_ETRANSIENT, "connection refused by '%s'", site->name);
	} else if (strcmp(site->name, "hung") == 0) {
		struct timespec ts = { (time_t)(h->hang_ns / CAIRN_NS_PER_SEC), (long)(h->hang_ns % CAIRN_NS_PER_SEC) };

		nanosleep(&ts, NULL);
		rc = cairn_err(CAIRN_ETIMEOUT, "too late");
	} else {
		rc = cairn_store_mem_open(&st);
		if (rc == 0 && strcmp(site->name, "primary") == 0)
			rc = cairn_store_put(st, "config", "{\"version\": 2}", 14);
		if (rc == 0 && strcmp(site->name, "blank") == 0)
			rc = cairn_store_put(st, "config", "", 0);
		if (rc == 0)
			*ret = st;
		else
			cairn_store_free(st);
	}
	atomic_fetch_add(&h->finished, 1);
	return rc;
}

/* Probes through the opener hook with memory stores: a readable config, an empty store, an empty config, a
 * site that refuses, and one that hangs past the deadline (down, and the answer does not wait for it). */
static void test_probe_hook_memory_stores(void **state)
{
	struct cairn_config *cfg = NULL;
	struct cairn_site_probe *p = NULL;
	struct hook h = { .hang_ns = 3000 * MS };
	struct cairn_site_probe_opts o = { .deadline_ns = 200 * MS, .open = hook_open, .ctx = &h };
	const char *text = "[repository]\nurl = /nonexistent/primary\n"
			   "[replica empty]\nurl = /nonexistent/empty\n"
			   "[replica blank]\nurl = /nonexistent/blank\n"
			   "[replica unreachable]\nurl = /nonexistent/unreachable\n"
			   "[replica hung]\nurl = /nonexistent/hung\n";
	size_t n = 0, order[5];
	int64_t t0, took;

	(void)state;
	if (cairn_config_parse(text, "test.conf", &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	t0 = mono_ns();
	assert_int_equal(cairn_site_probe_all(cfg, &o, &p, &n), 0);
	took = mono_ns() - t0;
	assert_int_equal(n, 5);
	/* the hung site costs the deadline and the second of grace, not its 3 s */
	assert_true(took >= 200 * MS);
	assert_true(took < 2500 * MS);
	assert_true(p[0].healthy);
	assert_int_equal(p[0].rc, 0);
	assert_non_null(p[0].store);
	assert_string_equal(p[0].why, "");
	assert_false(p[1].healthy); /* no config object */
	assert_int_equal(p[1].rc, CAIRN_ENOTFOUND);
	assert_null(p[1].store);
	assert_false(p[2].healthy);
	assert_int_equal(p[2].rc, CAIRN_EFORMAT);
	assert_non_null(strstr(p[2].why, "is empty"));
	assert_false(p[3].healthy);
	assert_int_equal(p[3].rc, CAIRN_ETRANSIENT);
	assert_non_null(strstr(p[3].why, "connection refused by 'unreachable'"));
	assert_false(p[4].healthy);
	assert_int_equal(p[4].rc, CAIRN_ETIMEOUT);
	assert_non_null(strstr(p[4].why, "no answer within"));
	assert_int_equal(cairn_site_probe_order(p, n, CAIRN_SITE_PROBE_TIE_NS, order), 1);
	assert_int_equal(order[0], 0);
	assert_int_equal(cairn_site_probe_holds(&p[0], SNAP_B), 0);
	cairn_site_probe_free(p, n);
	/* the hung probe finishes on its own; the configuration must outlive it */
	while (atomic_load(&h.finished) < 5) {
		struct timespec ts = { 0, 10 * MS };

		nanosleep(&ts, NULL);
	}
	cairn_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_probe_sites),
		cmocka_unit_test(test_probe_reads_one_byte),
		cmocka_unit_test(test_probe_hook_memory_stores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
