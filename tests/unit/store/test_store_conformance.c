/* One storage conformance suite run against every driver: local, mem, S3 (only when CAIRN_TEST_S3_ENDPOINT
 * names a test server; each case uses a fresh random prefix that it deletes at the end, through the stack
 * cairn_s3_open builds), and decorated stacks without faults: fault(mem), stats(retry(fault(mem))) and
 * fault(stats(retry(local))). What a store may do differently is read from its capabilities. */
#include "cairn_test.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/s3.h"
#include "cairn/store.h"

struct fixture;

struct driver {
	const char *name;
	void (*open)(struct fixture *fx);
	unsigned caps; /* the capabilities the stack must declare */
};

struct fixture {
	const struct driver *drv;
	struct cairn_store *s;
	char *outer; /* local driver: a directory holding only the root */
	char *root;
};

static void open_local(struct fixture *fx)
{
	fx->outer = cairn_test_mkdtemp("store_conf");
	fx->root = cairn_asprintf("%s/repo", fx->outer);
	assert_non_null(fx->root);
	assert_int_equal(cairn_store_local_open(fx->root, 1, &fx->s), 0);
}

static void open_mem(struct fixture *fx)
{
	assert_int_equal(cairn_store_mem_open(&fx->s), 0);
}

static void open_fault_mem(struct fixture *fx)
{
	struct cairn_store *inner;

	assert_int_equal(cairn_store_mem_open(&inner), 0);
	assert_int_equal(cairn_store_fault_wrap(inner, &fx->s), 0);
}

static void open_stack_mem(struct fixture *fx)
{
	struct cairn_store *s;

	assert_int_equal(cairn_store_mem_open(&s), 0);
	assert_int_equal(cairn_store_fault_wrap(s, &s), 0);
	assert_int_equal(cairn_store_retry_wrap(s, NULL, NULL, &s), 0);
	assert_int_equal(cairn_store_stats_wrap(s, &fx->s), 0);
}

static void open_stack_local(struct fixture *fx)
{
	struct cairn_store *s;

	open_local(fx);
	assert_int_equal(cairn_store_retry_wrap(fx->s, NULL, NULL, &s), 0);
	assert_int_equal(cairn_store_stats_wrap(s, &s), 0);
	assert_int_equal(cairn_store_fault_wrap(s, &fx->s), 0);
}

/* S3 test server from CAIRN_TEST_S3_ENDPOINT, _BUCKET, _REGION and the AWS_* credentials. */
static void open_s3(struct fixture *fx)
{
	struct cairn_s3_options o;
	uint64_t rnd;
	FILE *f;

	cairn_s3_options_init(&o);
	f = fopen("/dev/urandom", "rb");
	assert_non_null(f);
	assert_int_equal(fread(&rnd, sizeof(rnd), 1, f), 1);
	fclose(f);
	o.endpoint = cairn_strdup(getenv("CAIRN_TEST_S3_ENDPOINT"));
	o.bucket = cairn_strdup(getenv("CAIRN_TEST_S3_BUCKET") ? getenv("CAIRN_TEST_S3_BUCKET") : "primary");
	o.region = cairn_strdup(getenv("CAIRN_TEST_S3_REGION") ? getenv("CAIRN_TEST_S3_REGION") : "us-east-1");
	o.prefix = cairn_asprintf("cairn-conformance-%d-%016llx", (int)getpid(), (unsigned long long)rnd);
	o.access_key = cairn_strdup(getenv("AWS_ACCESS_KEY_ID") ? getenv("AWS_ACCESS_KEY_ID") : "");
	o.secret_key = cairn_strdup(getenv("AWS_SECRET_ACCESS_KEY") ? getenv("AWS_SECRET_ACCESS_KEY") : "");
	o.addressing = CAIRN_S3_ADDRESSING_PATH;
	assert_int_equal(cairn_s3_open(&o, &fx->s), 0);
	cairn_s3_options_free(&o);
}

struct name_list {
	char **names;
	size_t n, cap;
};

static int collect_cb(void *vctx, const char *name, uint64_t size)
{
	struct name_list *l = vctx;

	(void)size;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->names = realloc(l->names, l->cap * sizeof(*l->names));
		assert_non_null(l->names);
	}
	l->names[l->n] = strdup(name);
	assert_non_null(l->names[l->n]);
	l->n++;
	return 0;
}

/* Delete everything the case wrote under its prefix. */
static void clean_s3(struct fixture *fx)
{
	struct name_list l = { 0 };

	assert_int_equal(cairn_store_list(fx->s, "", collect_cb, &l), 0);
	if (l.n > 0)
		assert_int_equal(cairn_store_del_many(fx->s, (const char *const *)l.names, l.n), 0);
	for (size_t i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	l = (struct name_list){ 0 };
	assert_int_equal(cairn_store_list(fx->s, "", collect_cb, &l), 0);
	assert_int_equal(l.n, 0);
}

#define CAPS_FILE (CAIRN_STORE_CAP_ATOMIC_CREATE | CAIRN_STORE_CAP_RANGED_READ)
static const struct driver drv_local = { "local", open_local, CAPS_FILE | CAIRN_STORE_CAP_STREAMED_PUT };
static const struct driver drv_mem = { "mem", open_mem, CAPS_FILE };
static const struct driver drv_fault_mem = { "fault+mem", open_fault_mem, CAPS_FILE };
static const struct driver drv_stack_mem = { "stats+retry+fault+mem", open_stack_mem, CAPS_FILE };
static const struct driver drv_stack_local = { "fault+stats+retry+local", open_stack_local, CAPS_FILE };
static const struct driver drv_s3 = { "s3", open_s3,
				      CAIRN_STORE_CAP_BATCH_DELETE | CAIRN_STORE_CAP_RANGED_READ |
					      CAIRN_STORE_CAP_REMOTE };

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->drv = *state;
	fx->drv->open(fx);
	assert_int_equal(cairn_store_caps(fx->s), fx->drv->caps);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->drv == &drv_s3)
		clean_s3(fx);
	cairn_store_free(fx->s);
	if (fx->outer != NULL)
		cairn_test_rmtree(fx->outer);
	free(fx->outer);
	free(fx->root);
	free(fx);
	return 0;
}

static void put_random(struct cairn_store *s, const char *name, size_t len, uint64_t seed)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	cairn_test_fill_random(p, len, seed);
	assert_int_equal(cairn_store_put(s, name, p, len), 0);
	free(p);
}

static void assert_object(struct cairn_store *s, const char *name, size_t len, uint64_t seed)
{
	struct cairn_buf b = { 0 };
	uint8_t *want = malloc(len ? len : 1);
	uint64_t size = 1234;

	assert_non_null(want);
	cairn_test_fill_random(want, len, seed);
	assert_int_equal(cairn_store_get(s, name, 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, len);
	if (len > 0)
		assert_memory_equal(b.data, want, len);
	assert_int_equal(cairn_store_stat(s, name, &size), 0);
	assert_int_equal(size, len);
	cairn_buf_free(&b);
	free(want);
}

static void test_put_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint64_t size = 99;

	put_random(fx->s, "config", 100, 1);
	assert_object(fx->s, "config", 100, 1);
	/* Empty objects, with and without a data pointer. */
	assert_int_equal(cairn_store_put(fx->s, "keys/empty", "", 0), 0);
	assert_int_equal(cairn_store_put(fx->s, "keys/empty2", NULL, 0), 0);
	assert_int_equal(cairn_store_get(fx->s, "keys/empty", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_get(fx->s, "keys/empty2", 0, 0, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_stat(fx->s, "keys/empty", &size), 0);
	assert_int_equal(size, 0);
	/* A 3 MiB object in a nested directory. */
	put_random(fx->s, "data/ab/ab0123456789", 3 << 20, 2);
	assert_object(fx->s, "data/ab/ab0123456789", 3 << 20, 2);
	/* A data pointer without bytes is refused. */
	assert_int_equal(cairn_store_put(fx->s, "keys/bad", NULL, 5), CAIRN_EINVAL);
	assert_int_equal(cairn_store_stat(fx->s, "keys/bad", &size), CAIRN_ENOTFOUND);
	cairn_buf_free(&b);
}

static void test_get_ranges(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint8_t want[1000];

	cairn_test_fill_random(want, sizeof(want), 7);
	assert_int_equal(cairn_store_put(fx->s, "index/ff", want, sizeof(want)), 0);
	/* get appends after what the buffer already holds */
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 0, 100, &b), 0);
	assert_int_equal(b.len, 102);
	assert_memory_equal(b.data, "XY", 2);
	assert_memory_equal(b.data + 2, want, 100);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 400, 200, &b), 0);
	assert_int_equal(b.len, 200);
	assert_memory_equal(b.data, want + 400, 200);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 900, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 100);
	assert_memory_equal(b.data, want + 900, 100);
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 1000, 0, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 1000, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(cairn_store_get(fx->s, "index/ff", 999, 1, &b), 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.data[0], want[999]);
	cairn_buf_free(&b);
}

static void test_get_range_past_end(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint8_t want[1000];

	cairn_test_fill_random(want, sizeof(want), 8);
	assert_int_equal(cairn_store_put(fx->s, "index/ee", want, sizeof(want)), 0);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", 1001, 0, &b), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "index/ee"));
	assert_int_equal(cairn_store_get(fx->s, "index/ee", 1001, UINT64_MAX, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", 900, 101, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", 0, 1001, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", 1, UINT64_MAX - 1, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", UINT64_MAX, 1, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "index/ee", UINT64_MAX, UINT64_MAX, &b), CAIRN_EINVAL);
	/* failed gets leave the buffer alone */
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "XY", 2);
	cairn_buf_free(&b);
}

/* get(.., CAIRN_STORE_AT_MOST(n)): to the end when that is at most n bytes, else refused, naming the size. */
static void test_get_at_most(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint8_t want[1000];
	char msg[160];

	cairn_test_fill_random(want, sizeof(want), 9);
	assert_int_equal(cairn_store_put(fx->s, "locks/big", want, sizeof(want)), 0);
	assert_int_equal(cairn_store_put(fx->s, "locks/empty", "", 0), 0);
	assert_int_equal(cairn_buf_append(&b, "XY", 2), 0);
	/* fits: the whole object, after what the buffer held */
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, CAIRN_STORE_AT_MOST(1000), &b), 0);
	assert_int_equal(b.len, 1002);
	assert_memory_equal(b.data + 2, want, 1000);
	b.len = 2;
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, CAIRN_STORE_AT_MOST(CAIRN_STORE_AT_MOST_MAX), &b), 0);
	assert_int_equal(b.len, 1002);
	b.len = 2;
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 900, CAIRN_STORE_AT_MOST(100), &b), 0);
	assert_int_equal(b.len, 102);
	assert_memory_equal(b.data + 2, want + 900, 100);
	b.len = 2;
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 1000, CAIRN_STORE_AT_MOST(0), &b), 0);
	assert_int_equal(cairn_store_get(fx->s, "locks/empty", 0, CAIRN_STORE_AT_MOST(0), &b), 0);
	assert_int_equal(cairn_store_get(fx->s, "locks/empty", 0, CAIRN_STORE_AT_MOST(10), &b), 0);
	assert_int_equal(b.len, 2);
	/* too big: refused, the object, its size and the bound named, the buffer untouched */
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, CAIRN_STORE_AT_MOST(999), &b), CAIRN_ECORRUPT);
	snprintf(msg, sizeof(msg), "object 'locks/big' in '%s' has 1000 bytes, more than the 999 asked for: not read",
		 fx->s->description);
	if (strstr(cairn_err_msg(), msg) == NULL)
		fail_msg("'%s' not in '%s'", msg, cairn_err_msg());
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, CAIRN_STORE_AT_MOST(0), &b), CAIRN_ECORRUPT);
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 899, CAIRN_STORE_AT_MOST(100), &b), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "from offset 899"));
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "XY", 2);
	/* past the end, missing: as for any get */
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 1001, CAIRN_STORE_AT_MOST(100), &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "locks/none", 0, CAIRN_STORE_AT_MOST(100), &b), CAIRN_ENOTFOUND);
	assert_int_equal(b.len, 2);
	/* the top bits 11 are no bound: UINT64_MAX is "to the end", UINT64_MAX - 1 an absurd length */
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, UINT64_MAX - 1, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(fx->s, "locks/big", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 1002);
	cairn_buf_free(&b);
}

static void test_stat_size(void **state)
{
	struct fixture *fx = *state;
	uint64_t size = 0;

	put_random(fx->s, "snapshots/s1", 12345, 3);
	assert_int_equal(cairn_store_stat(fx->s, "snapshots/s1", &size), 0);
	assert_int_equal(size, 12345);
}

static void test_missing_not_found(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint64_t size = 77;
	const char *names[] = { "config", "data/zz/0000", "snapshots/none" };

	put_random(fx->s, "data/zy/0001", 10, 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(cairn_store_get(fx->s, names[i], 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
		assert_non_null(strstr(cairn_err_msg(), names[i]));
		assert_int_equal(cairn_store_stat(fx->s, names[i], &size), CAIRN_ENOTFOUND);
		assert_non_null(strstr(cairn_err_msg(), names[i]));
		assert_int_equal(cairn_store_del(fx->s, names[i]), CAIRN_ENOTFOUND);
		assert_non_null(strstr(cairn_err_msg(), names[i]));
	}
	/* a directory part of a name is not an object */
	assert_int_equal(cairn_store_stat(fx->s, "data/zy", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_get(fx->s, "data", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_del(fx->s, "data/zy"), CAIRN_ENOTFOUND);
	assert_int_equal(size, 77);
	assert_int_equal(b.len, 0);
	cairn_buf_free(&b);
}

static void test_put_exists(void **state)
{
	struct fixture *fx = *state;
	uint8_t other[50];

	put_random(fx->s, "keys/k1", 40, 11);
	memset(other, 0xee, sizeof(other));
	assert_int_equal(cairn_store_put(fx->s, "keys/k1", other, sizeof(other)), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "keys/k1"));
	assert_int_equal(cairn_store_put(fx->s, "keys/k1", NULL, 0), CAIRN_EEXIST);
	assert_object(fx->s, "keys/k1", 40, 11);
}

/* content-addressed puts: "already there" is success, the object keeps its bytes, plain put still refuses */
static void test_put_content(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[300];

	cairn_test_fill_random(data, sizeof(data), 21);
	assert_int_equal(cairn_store_put_content(fx->s, "data/pc", data, sizeof(data)), 0);
	assert_object(fx->s, "data/pc", sizeof(data), 21);
	assert_int_equal(cairn_store_put_content(fx->s, "data/pc", data, sizeof(data)), 0);
	assert_object(fx->s, "data/pc", sizeof(data), 21);
	assert_int_equal(cairn_store_put(fx->s, "data/pc", data, sizeof(data)), CAIRN_EEXIST);
	assert_int_equal(cairn_store_put_content(fx->s, "data/../x", data, 1), CAIRN_EINVAL);
	assert_int_equal(cairn_store_put_content(fx->s, "data/empty", NULL, 0), 0);
	assert_object(fx->s, "data/empty", 0, 0);
}

/* A streamed object (stores with CAIRN_STORE_CAP_STREAMED_PUT; others say
 * CAIRN_EUNSUPPORTED): pieces of any size, aligned or not, make one object
 * that no listing shows before commit; commit onto an existing name is a
 * success that leaves the object as it was; an abort or an invalid name
 * leaves nothing. */
static void test_streamed_put(void **state)
{
	struct fixture *fx = *state;
	struct cairn_store_writer *w = NULL;
	const size_t len = 3 * 1024 * 1024 + 777;
	uint8_t *data = NULL;
	struct name_list l = { 0 };

	if (!(cairn_store_caps(fx->s) & CAIRN_STORE_CAP_STREAMED_PUT)) {
		assert_int_equal(cairn_store_writer_open(fx->s, &w), CAIRN_EUNSUPPORTED);
		return;
	}
	assert_int_equal(posix_memalign((void **)&data, 4096, len), 0);
	cairn_test_fill_random(data, len, 31);
	assert_int_equal(cairn_store_writer_open(fx->s, &w), 0);
	assert_int_equal(cairn_store_writer_write(w, data, 2 * 1024 * 1024), 0);   /* aligned, direct */
	assert_int_equal(cairn_store_writer_write(w, data + 2 * 1024 * 1024, 5), 0); /* a small piece */
	assert_int_equal(cairn_store_writer_write(w, data + 2 * 1024 * 1024 + 5, len - 2 * 1024 * 1024 - 5), 0);
	assert_int_equal(cairn_store_list(fx->s, "", collect_cb, &l), 0);
	assert_int_equal(l.n, 0); /* nothing visible before commit */
	free(l.names);
	assert_int_equal(cairn_store_writer_commit(w, "data/streamed"), 0);
	assert_object(fx->s, "data/streamed", len, 31);

	/* the same name again: success, the first object kept */
	assert_int_equal(cairn_store_writer_open(fx->s, &w), 0);
	assert_int_equal(cairn_store_writer_write(w, "other", 5), 0);
	assert_int_equal(cairn_store_writer_commit(w, "data/streamed"), 0);
	assert_object(fx->s, "data/streamed", len, 31);

	/* abort and an invalid name leave nothing */
	assert_int_equal(cairn_store_writer_open(fx->s, &w), 0);
	assert_int_equal(cairn_store_writer_write(w, data, 4096), 0);
	cairn_store_writer_abort(w);
	assert_int_equal(cairn_store_writer_open(fx->s, &w), 0);
	assert_int_equal(cairn_store_writer_write(w, data, 100), 0);
	assert_int_equal(cairn_store_writer_commit(w, "../escape"), CAIRN_EINVAL);
	cairn_store_writer_abort(NULL);
	l = (struct name_list){ 0 };
	assert_int_equal(cairn_store_list(fx->s, "", collect_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "data/streamed");
	free(l.names[0]);
	free(l.names);
	free(data);
}

#define LIST_N 2500

struct list_ctx {
	unsigned calls;
	unsigned seen[LIST_N];
	unsigned others;
	uint64_t bytes;
	unsigned stop_after;
};

static void list_name(char *out, size_t len, unsigned i)
{
	snprintf(out, len, "data/%02x/%02x%08x", i % 251, i % 251, i);
}

static size_t list_size(unsigned i)
{
	return i % 300;
}

static int list_cb(void *vctx, const char *name, uint64_t size)
{
	struct list_ctx *ctx = vctx;
	unsigned xx, yy, i;
	char expect[64];

	ctx->calls++;
	if (sscanf(name, "data/%2x/%2x%8x", &xx, &yy, &i) == 3 && i < LIST_N) {
		list_name(expect, sizeof(expect), i);
		assert_string_equal(name, expect);
		assert_int_equal(size, list_size(i));
		ctx->seen[i]++;
		ctx->bytes += size;
	} else {
		ctx->others++;
	}
	if (ctx->stop_after != 0 && ctx->calls == ctx->stop_after)
		return 42;
	return 0;
}

struct list_put {
	struct cairn_store *s;
	unsigned first;
	int rc;
};

#define LIST_PUT_THREADS 8

static void *list_put_main(void *arg)
{
	struct list_put *p = arg;
	char name[64];
	uint8_t buf[300];

	for (unsigned i = p->first; i < LIST_N && p->rc == 0; i += LIST_PUT_THREADS) {
		list_name(name, sizeof(name), i);
		cairn_test_fill_random(buf, list_size(i), i + 1);
		p->rc = cairn_store_put(p->s, name, buf, list_size(i));
	}
	return NULL;
}

static void put_list_parallel(struct cairn_store *s)
{
	struct list_put p[LIST_PUT_THREADS];
	pthread_t tid[LIST_PUT_THREADS];

	for (unsigned t = 0; t < LIST_PUT_THREADS; t++) {
		p[t] = (struct list_put){ s, t, 0 };
		assert_int_equal(pthread_create(&tid[t], NULL, list_put_main, &p[t]), 0);
	}
	for (unsigned t = 0; t < LIST_PUT_THREADS; t++) {
		assert_int_equal(pthread_join(tid[t], NULL), 0);
		assert_int_equal(p[t].rc, 0);
	}
}

static void test_list_prefix(void **state)
{
	struct fixture *fx = *state;
	struct list_ctx *ctx = calloc(1, sizeof(*ctx));
	uint64_t total = 0;
	unsigned under_07 = 0;
	char name[64];
	int remote = (cairn_store_caps(fx->s) & CAIRN_STORE_CAP_REMOTE) != 0;

	assert_non_null(ctx);
	if (remote)
		put_list_parallel(fx->s); /* 2,500 round trips in 8 threads */
	for (unsigned i = 0; i < LIST_N; i++) {
		list_name(name, sizeof(name), i);
		if (!remote)
			put_random(fx->s, name, list_size(i), i + 1);
		total += list_size(i);
		under_07 += i % 251 == 7;
	}
	put_random(fx->s, "config", 10, 1);
	put_random(fx->s, "index/0001", 20, 1);
	put_random(fx->s, "data-not-a-dir", 5, 1);
	if (fx->root != NULL) {
		/* leftovers of writers: temp files and hidden files are not objects */
		char *p = cairn_asprintf("%s/tmp/0123456789abcdef.tmp", fx->root);
		FILE *f;

		assert_non_null(p);
		f = fopen(p, "w");
		assert_non_null(f);
		fclose(f);
		free(p);
		p = cairn_asprintf("%s/data/07/.07leftover.tmp", fx->root);
		assert_non_null(p);
		f = fopen(p, "w");
		assert_non_null(f);
		fclose(f);
		free(p);
	}

	assert_int_equal(cairn_store_list(fx->s, "data/", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, LIST_N);
	assert_int_equal(ctx->others, 0);
	assert_int_equal(ctx->bytes, total);
	for (unsigned i = 0; i < LIST_N; i++)
		assert_int_equal(ctx->seen[i], 1);

	/* everything */
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, LIST_N + 3);
	assert_int_equal(ctx->others, 3);

	/* "data" without a slash also matches "data-not-a-dir" */
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "data", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, LIST_N + 1);

	/* one directory, and a prefix ending inside a component */
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "data/07/", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, under_07);
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "data/0", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, 0x10 * (LIST_N / 251) + (LIST_N % 251 < 16 ? LIST_N % 251 : 16));
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "data/07/0700000007", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, 1);
	assert_int_equal(ctx->seen[7], 1);

	/* prefixes that match nothing */
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cairn_store_list(fx->s, "snapshots/", list_cb, ctx), 0);
	assert_int_equal(cairn_store_list(fx->s, "config/", list_cb, ctx), 0);
	assert_int_equal(cairn_store_list(fx->s, "data/zz/", list_cb, ctx), 0);
	assert_int_equal(ctx->calls, 0);
	free(ctx);
}

static void test_list_stop(void **state)
{
	struct fixture *fx = *state;
	struct list_ctx *ctx = calloc(1, sizeof(*ctx));
	char name[64];

	assert_non_null(ctx);
	for (unsigned i = 0; i < 10; i++) {
		list_name(name, sizeof(name), i);
		put_random(fx->s, name, list_size(i), i + 1);
	}
	ctx->stop_after = 3;
	assert_int_equal(cairn_store_list(fx->s, "data/", list_cb, ctx), 42);
	assert_int_equal(ctx->calls, 3);
	/* a negative code is returned the same way */
	memset(ctx, 0, sizeof(*ctx));
	ctx->stop_after = 1;
	assert_int_equal(cairn_store_list(fx->s, "", list_cb, ctx), 42);
	assert_int_equal(ctx->calls, 1);
	free(ctx);
}

static int del_during_list_cb(void *vctx, const char *name, uint64_t size)
{
	struct cairn_store *s = vctx;

	(void)size;
	return cairn_store_del(s, name);
}

static void test_del_then_get(void **state)
{
	struct fixture *fx = *state;
	struct cairn_buf b = { 0 };
	uint64_t size;

	put_random(fx->s, "locks/l1", 30, 5);
	assert_int_equal(cairn_store_del(fx->s, "locks/l1"), 0);
	assert_int_equal(cairn_store_get(fx->s, "locks/l1", 0, UINT64_MAX, &b), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_stat(fx->s, "locks/l1", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_del(fx->s, "locks/l1"), CAIRN_ENOTFOUND);
	/* the name can be used again */
	put_random(fx->s, "locks/l1", 31, 6);
	assert_object(fx->s, "locks/l1", 31, 6);
	/* deleting from inside a list callback works (no lock held) */
	put_random(fx->s, "locks/l2", 3, 7);
	assert_int_equal(cairn_store_list(fx->s, "locks/", del_during_list_cb, fx->s), 0);
	assert_int_equal(cairn_store_stat(fx->s, "locks/l1", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_stat(fx->s, "locks/l2", &size), CAIRN_ENOTFOUND);
	cairn_buf_free(&b);
}

static int count_cb(void *vctx, const char *name, uint64_t size);

static void test_del_many(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = { "index/m1", "index/m2", "index/missing", "data/m3" };
	const char *bad[] = { "index/m1", "../escape" };
	unsigned n = 0;
	uint64_t size;

	put_random(fx->s, "index/m1", 10, 21);
	put_random(fx->s, "index/m2", 0, 22);
	put_random(fx->s, "data/m3", 30, 23);
	put_random(fx->s, "index/keep", 5, 24);
	/* an invalid name: nothing deleted */
	assert_int_equal(cairn_store_del_many(fx->s, bad, 2), CAIRN_EINVAL);
	assert_int_equal(cairn_store_stat(fx->s, "index/m1", &size), 0);
	/* missing objects count as deleted; others are left alone */
	assert_int_equal(cairn_store_del_many(fx->s, names, 4), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(cairn_store_stat(fx->s, names[i], &size), CAIRN_ENOTFOUND);
	assert_object(fx->s, "index/keep", 5, 24);
	assert_int_equal(cairn_store_del_many(fx->s, names, 0), 0);
	assert_int_equal(cairn_store_del_many(fx->s, names, 4), 0);
	assert_int_equal(cairn_store_list(fx->s, "", count_cb, &n), 0);
	assert_int_equal(n, 1);
}

static void test_del_many_batches(void **state)
{
	struct fixture *fx = *state;
	size_t n = CAIRN_STORE_DEL_MANY_MAX + 5;
	char **names = calloc(n, sizeof(*names));
	unsigned left = 0;

	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		names[i] = cairn_asprintf("locks/b%04zu", i);
		assert_non_null(names[i]);
		if (i % 100 == 0 || i >= CAIRN_STORE_DEL_MANY_MAX - 1)
			assert_int_equal(cairn_store_put(fx->s, names[i], "x", 1), 0);
	}
	assert_int_equal(cairn_store_del_many(fx->s, (const char *const *)names, n), 0);
	assert_int_equal(cairn_store_list(fx->s, "locks/", count_cb, &left), 0);
	assert_int_equal(left, 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Sorted names of the entries of `dir`, joined by '\n' (caller frees). */
static char *dir_listing(const char *dir)
{
	struct dirent **ents;
	struct cairn_buf b = { 0 };
	int n = scandir(dir, &ents, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(cairn_buf_append(&b, ents[i]->d_name, strlen(ents[i]->d_name)), 0);
		assert_int_equal(cairn_buf_append(&b, "\n", 1), 0);
		free(ents[i]);
	}
	free(ents);
	assert_int_equal(cairn_buf_append(&b, "", 1), 0);
	return (char *)b.data;
}

static int count_cb(void *vctx, const char *name, uint64_t size)
{
	unsigned *n = vctx;

	(void)name;
	(void)size;
	(*n)++;
	return 0;
}

static void test_hostile_names_rejected(void **state)
{
	struct fixture *fx = *state;
	char long_name[300];
	const char *hostile[] = {
		"../x", "/abs", "a//b", "a/./b", "a/../../b", "", "x\n", "..", ".", "a/", "a/..", "./a",
		"data/ab/../../../escape", "a b", "a\\b", "data/ab/\x01", "tmp/x", "tmp", ".hidden",
		"data/.ab/x", "data/ab/caf\xc3\xa9", long_name,
	};
	const char *bad_prefixes[] = { "../", "/", "a//", "./", "/etc/", "..", "x\n", "data/../" };
	char *outer_before = NULL, *root_before = NULL;
	struct cairn_buf b = { 0 };
	uint64_t size = 5;
	unsigned n = 0;
	struct stat st;

	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	put_random(fx->s, "config", 8, 1);
	if (fx->root != NULL) {
		outer_before = dir_listing(fx->outer);
		root_before = dir_listing(fx->root);
	}
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_int_equal(cairn_store_put(fx->s, hostile[i], "evil", 4), CAIRN_EINVAL);
		assert_true(cairn_err_msg()[0] != '\0');
		assert_null(strchr(cairn_err_msg(), '\n'));
		assert_int_equal(cairn_store_get(fx->s, hostile[i], 0, UINT64_MAX, &b), CAIRN_EINVAL);
		assert_int_equal(cairn_store_stat(fx->s, hostile[i], &size), CAIRN_EINVAL);
		assert_int_equal(cairn_store_del(fx->s, hostile[i]), CAIRN_EINVAL);
	}
	assert_int_equal(cairn_store_put(fx->s, NULL, "x", 1), CAIRN_EINVAL);
	for (size_t i = 0; i < sizeof(bad_prefixes) / sizeof(bad_prefixes[0]); i++)
		assert_int_equal(cairn_store_list(fx->s, bad_prefixes[i], count_cb, &n), CAIRN_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(size, 5);
	/* the one real object is still the only one */
	assert_int_equal(cairn_store_list(fx->s, "", count_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_object(fx->s, "config", 8, 1);
	assert_true(stat("/abs", &st) != 0);
	if (fx->root != NULL) {
		char *outer_after = dir_listing(fx->outer), *root_after = dir_listing(fx->root);

		assert_string_equal(outer_after, outer_before);
		assert_string_equal(outer_before, ".\n..\nrepo\n");
		assert_string_equal(root_after, root_before);
		free(outer_after);
		free(root_after);
	}
	/* the longest valid name works */
	long_name[255] = '\0';
	put_random(fx->s, long_name, 3, 2);
	assert_object(fx->s, long_name, 3, 2);
	free(outer_before);
	free(root_before);
	cairn_buf_free(&b);
}

#define PUT_THREADS 4
#define PUT_LEN (256 * 1024)

struct put_thread {
	struct cairn_store *s;
	pthread_barrier_t *barrier;
	const char *name;
	unsigned idx;
	int rc;
};

static void *put_thread_main(void *arg)
{
	struct put_thread *t = arg;
	uint8_t *p = malloc(PUT_LEN);

	if (p == NULL) {
		t->rc = CAIRN_ENOMEM;
		return NULL;
	}
	cairn_test_fill_random(p, PUT_LEN, 100 + t->idx);
	pthread_barrier_wait(t->barrier);
	t->rc = cairn_store_put(t->s, t->name, p, PUT_LEN);
	free(p);
	return NULL;
}

static void test_put_concurrent_same_name(void **state)
{
	struct fixture *fx = *state;

	for (unsigned round = 0; round < 5; round++) {
		struct put_thread t[PUT_THREADS];
		pthread_t tid[PUT_THREADS];
		pthread_barrier_t barrier;
		char name[64];
		int winner = -1, eexist = 0;
		int racy = !(cairn_store_caps(fx->s) & CAIRN_STORE_CAP_ATOMIC_CREATE);

		snprintf(name, sizeof(name), "data/c%u/race%u", round, round);
		assert_int_equal(pthread_barrier_init(&barrier, NULL, PUT_THREADS), 0);
		for (unsigned i = 0; i < PUT_THREADS; i++) {
			t[i] = (struct put_thread){ fx->s, &barrier, name, i, 1 };
			assert_int_equal(pthread_create(&tid[i], NULL, put_thread_main, &t[i]), 0);
		}
		for (unsigned i = 0; i < PUT_THREADS; i++)
			assert_int_equal(pthread_join(tid[i], NULL), 0);
		pthread_barrier_destroy(&barrier);
		for (unsigned i = 0; i < PUT_THREADS; i++) {
			if (t[i].rc == 0) {
				if (!racy)
					assert_int_equal(winner, -1);
				winner = (int)i;
			} else {
				assert_int_equal(t[i].rc, CAIRN_EEXIST);
				eexist++;
			}
		}
		assert_true(winner >= 0);
		if (!racy) {
			assert_int_equal(eexist, PUT_THREADS - 1);
			assert_object(fx->s, name, PUT_LEN, 100 + (unsigned)winner);
		} else {
			/* several may win; the object is then one of the winners' complete bytes */
			int match = 0;

			for (unsigned i = 0; i < PUT_THREADS && !match; i++) {
				struct cairn_buf b = { 0 };
				uint8_t *want = malloc(PUT_LEN);

				assert_non_null(want);
				cairn_test_fill_random(want, PUT_LEN, 100 + i);
				assert_int_equal(cairn_store_get(fx->s, name, 0, UINT64_MAX, &b), 0);
				assert_int_equal(b.len, PUT_LEN);
				match = t[i].rc == 0 && memcmp(b.data, want, PUT_LEN) == 0;
				cairn_buf_free(&b);
				free(want);
			}
			assert_true(match);
		}
	}
	if (fx->root != NULL) {
		/* no temp file left behind by the losers */
		char *tmp = cairn_asprintf("%s/tmp", fx->root);
		char *listing;

		assert_non_null(tmp);
		listing = dir_listing(tmp);
		assert_string_equal(listing, ".\n..\n");
		free(listing);
		free(tmp);
	}
}

#define CONFORMANCE_TESTS(drv)                                                                          \
	cmocka_unit_test_prestate_setup_teardown(test_put_round_trip, setup, teardown, (void *)&drv),      \
		cmocka_unit_test_prestate_setup_teardown(test_get_ranges, setup, teardown, (void *)&drv),  \
		cmocka_unit_test_prestate_setup_teardown(test_get_range_past_end, setup, teardown,         \
							 (void *)&drv),                                    \
		cmocka_unit_test_prestate_setup_teardown(test_get_at_most, setup, teardown, (void *)&drv), \
		cmocka_unit_test_prestate_setup_teardown(test_stat_size, setup, teardown, (void *)&drv),   \
		cmocka_unit_test_prestate_setup_teardown(test_missing_not_found, setup, teardown,          \
							 (void *)&drv),                                    \
		cmocka_unit_test_prestate_setup_teardown(test_put_exists, setup, teardown, (void *)&drv),  \
		cmocka_unit_test_prestate_setup_teardown(test_put_content, setup, teardown, (void *)&drv), \
		cmocka_unit_test_prestate_setup_teardown(test_streamed_put, setup, teardown, (void *)&drv), \
		cmocka_unit_test_prestate_setup_teardown(test_list_prefix, setup, teardown, (void *)&drv), \
		cmocka_unit_test_prestate_setup_teardown(test_list_stop, setup, teardown, (void *)&drv),   \
		cmocka_unit_test_prestate_setup_teardown(test_del_then_get, setup, teardown, (void *)&drv), \
		cmocka_unit_test_prestate_setup_teardown(test_del_many, setup, teardown, (void *)&drv),    \
		cmocka_unit_test_prestate_setup_teardown(test_del_many_batches, setup, teardown,           \
							 (void *)&drv),                                    \
		cmocka_unit_test_prestate_setup_teardown(test_hostile_names_rejected, setup, teardown,     \
							 (void *)&drv),                                    \
		cmocka_unit_test_prestate_setup_teardown(test_put_concurrent_same_name, setup, teardown,   \
							 (void *)&drv)

int main(void)
{
	const struct CMUnitTest local_tests[] = { CONFORMANCE_TESTS(drv_local) };
	const struct CMUnitTest mem_tests[] = { CONFORMANCE_TESTS(drv_mem) };
	const struct CMUnitTest fault_mem_tests[] = { CONFORMANCE_TESTS(drv_fault_mem) };
	const struct CMUnitTest stack_mem_tests[] = { CONFORMANCE_TESTS(drv_stack_mem) };
	const struct CMUnitTest stack_local_tests[] = { CONFORMANCE_TESTS(drv_stack_local) };
	const struct CMUnitTest s3_tests[] = { CONFORMANCE_TESTS(drv_s3) };
	int failed = 0;

	failed += cmocka_run_group_tests_name("store conformance: local", local_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("store conformance: mem", mem_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("store conformance: fault+mem", fault_mem_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("store conformance: stats+retry+fault+mem", stack_mem_tests, NULL,
					      NULL);
	failed += cmocka_run_group_tests_name("store conformance: fault+stats+retry+local", stack_local_tests,
					      NULL, NULL);
	if (getenv("CAIRN_TEST_S3_ENDPOINT") != NULL && getenv("CAIRN_TEST_S3_ENDPOINT")[0] != '\0')
		failed += cmocka_run_group_tests_name("store conformance: s3", s3_tests, NULL, NULL);
	else
		printf("SKIP: store conformance: s3 (CAIRN_TEST_S3_ENDPOINT is unset)\n");
	return failed;
}
