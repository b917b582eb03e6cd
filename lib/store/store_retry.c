/* Retry decorator: every operation of the wrapped store (any store) runs under the retry policy; it counts
 * attempts and retries. */
#include "cairn/store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/retry.h"

struct rstore {
	struct cairn_store base;
	struct cairn_store *inner;
	struct cairn_retry_policy policy;
	struct cairn_retry_env env;
	int has_env;
	atomic_uint_fast64_t attempts, retries;
};

static const struct cairn_store_ops retry_ops;

/* One attempt; `failed_before` is set when an earlier attempt failed (transiently). */
typedef int (*attempt_fn)(struct rstore *r, void *ctx, int failed_before);

static int run(struct rstore *r, attempt_fn fn, void *ctx)
{
	struct cairn_retry st;
	int rc, failed = 0;

	rc = cairn_retry_begin(&st, &r->policy, r->has_env ? &r->env : NULL);
	if (rc != 0)
		return rc;
	for (;;) {
		rc = fn(r, ctx, failed);
		if (rc == 0 || !cairn_retry_should_retry(&st, rc))
			break;
		failed = 1;
	}
	rc = cairn_retry_end(&st, rc);
	atomic_fetch_add(&r->attempts, st.stats.attempts);
	atomic_fetch_add(&r->retries, st.stats.retries);
	return rc;
}

struct put_ctx {
	const char *name;
	const void *data;
	size_t len;
	int content; /* put_content: the name comes from the bytes */
};

static int put_attempt(struct rstore *r, void *vctx, int failed_before)
{
	struct put_ctx *c = vctx;
	struct cairn_buf b = { 0 };
	int rc, g;

	if (c->content)
		return cairn_store_put_content(r->inner, c->name, c->data, c->len);
	rc = cairn_store_put(r->inner, c->name, c->data, c->len);
	if (rc != CAIRN_EEXIST || !failed_before)
		return rc;
	/* an earlier attempt may have stored it before its answer was lost */
	g = cairn_store_get(r->inner, c->name, 0, UINT64_MAX, &b);
	if (g == 0 && b.len == c->len && (c->len == 0 || memcmp(b.data, c->data, c->len) == 0))
		rc = 0;
	else if (g != 0 && cairn_err_class(g) == CAIRN_CLASS_TRANSIENT)
		rc = g; /* cannot tell yet: try again */
	else
		rc = cairn_err(CAIRN_EEXIST, "object '%s' already exists in '%s' with other content", c->name,
			       r->base.description);
	cairn_buf_free(&b);
	return rc;
}

static int retry_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct put_ctx c = { name, data, len, 0 };

	return run(s->impl, put_attempt, &c);
}

static int retry_put_content(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct put_ctx c = { name, data, len, 1 };

	return run(s->impl, put_attempt, &c);
}

struct get_ctx {
	const char *name;
	uint64_t offset, length;
	struct cairn_buf *out;
	size_t before;
};

static int get_attempt(struct rstore *r, void *vctx, int failed_before)
{
	struct get_ctx *c = vctx;
	uint64_t bound;
	size_t got;
	int rc;

	(void)failed_before;
	c->out->len = c->before;
	rc = cairn_store_get(r->inner, c->name, c->offset, c->length, c->out);
	got = c->out->len - c->before;
	if (cairn_store_at_most(c->length, &bound)) {
		/* a driver that read past its bound is broken; no retry helps */
		if (rc == 0 && got > bound)
			rc = cairn_err(CAIRN_EBUG, "read of '%s' in '%s' bounded to %llu bytes returned %zu",
				       c->name, r->base.description, (unsigned long long)bound, got);
	} else if (rc == 0 && c->length != UINT64_MAX && got != c->length)
		rc = cairn_err(CAIRN_ETRANSIENT, "%s read of '%s' in '%s': %zu of %llu bytes",
			       got < c->length ? "short" : "long", c->name, r->base.description, got,
			       (unsigned long long)c->length);
	if (rc != 0)
		c->out->len = c->before;
	return rc;
}

static int retry_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		     struct cairn_buf *out)
{
	struct get_ctx c = { name, offset, length, out, out->len };

	return run(s->impl, get_attempt, &c);
}

struct stat_ctx {
	const char *name;
	uint64_t size;
};

static int stat_attempt(struct rstore *r, void *vctx, int failed_before)
{
	struct stat_ctx *c = vctx;

	(void)failed_before;
	return cairn_store_stat(r->inner, c->name, &c->size);
}

static int retry_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct stat_ctx c = { name, 0 };
	int rc = run(s->impl, stat_attempt, &c);

	if (rc == 0)
		*ret_size = c.size;
	return rc;
}

static int del_attempt(struct rstore *r, void *vctx, int failed_before)
{
	int rc = cairn_store_del(r->inner, vctx);

	/* an earlier attempt may have deleted it before its answer was lost */
	if (rc == CAIRN_ENOTFOUND && failed_before)
		rc = 0;
	return rc;
}

static int retry_del(struct cairn_store *s, const char *name)
{
	return run(s->impl, del_attempt, (void *)name);
}

struct del_many_ctx {
	const char *const *names;
	size_t n;
};

/* the whole batch again: what an earlier attempt deleted counts as deleted */
static int del_many_attempt(struct rstore *r, void *vctx, int failed_before)
{
	struct del_many_ctx *c = vctx;

	(void)failed_before;
	return cairn_store_del_many(r->inner, c->names, c->n);
}

static int retry_del_many(struct cairn_store *s, const char *const *names, size_t n)
{
	struct del_many_ctx c = { names, n };

	return run(s->impl, del_many_attempt, &c);
}

struct listed {
	char *name;
	uint64_t size;
};

struct list_ctx {
	const char *prefix;
	struct listed *items;
	size_t n, cap;
};

static void list_clear(struct list_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].name);
	c->n = 0;
}

static int list_gather(void *vctx, const char *name, uint64_t size)
{
	struct list_ctx *c = vctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct listed *items = cairn_reallocarray(c->items, cap, sizeof(*items));

		if (items == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot list '%s': out of memory", c->prefix);
		c->items = items;
		c->cap = cap;
	}
	c->items[c->n].name = cairn_strdup(name);
	if (c->items[c->n].name == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot list '%s': out of memory", c->prefix);
	c->items[c->n++].size = size;
	return 0;
}

static int list_attempt(struct rstore *r, void *vctx, int failed_before)
{
	struct list_ctx *c = vctx;

	(void)failed_before;
	list_clear(c);
	return cairn_store_list(r->inner, c->prefix, list_gather, c);
}

static int retry_list(struct cairn_store *s, const char *prefix,
		      int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct list_ctx c = { prefix, NULL, 0, 0 };
	int rc = run(s->impl, list_attempt, &c);

	/* the whole listing is in: no name is delivered twice after a retry */
	for (size_t i = 0; rc == 0 && i < c.n; i++)
		rc = cb(ctx, c.items[i].name, c.items[i].size);
	list_clear(&c);
	free(c.items);
	return rc;
}

static void retry_free(struct cairn_store *s)
{
	struct rstore *r = s->impl;

	cairn_store_free(r->inner);
	free(r);
}

static void retry_stats(struct cairn_store *s, struct cairn_store_stats *acc)
{
	struct rstore *r = s->impl;

	acc->attempts += atomic_load(&r->attempts);
	acc->retries += atomic_load(&r->retries);
	cairn_store_stats_add(r->inner, acc);
}

static const struct cairn_store_ops retry_ops = {
	.put = retry_put,
	.put_content = retry_put_content,
	.get = retry_get,
	.stat = retry_stat,
	.list = retry_list,
	.del = retry_del,
	.del_many = retry_del_many,
	.stats = retry_stats,
	.free = retry_free,
};

int cairn_store_retry_wrap(struct cairn_store *inner, const struct cairn_retry_policy *policy,
			   const struct cairn_retry_env *env, struct cairn_store **ret)
{
	struct cairn_retry_policy def = cairn_retry_policy_default();
	struct cairn_retry probe;
	struct rstore *r;
	int rc;

	if (inner == NULL)
		return cairn_err(CAIRN_EINVAL, "cannot wrap a null store with retries");
	if (policy == NULL)
		policy = &def;
	rc = cairn_retry_begin(&probe, policy, env);
	if (rc != 0) {
		cairn_store_free(inner);
		return rc;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot wrap '%s' with retries: out of memory", inner->description);
		cairn_store_free(inner);
		return rc;
	}
	r->inner = inner;
	r->policy = *policy;
	if (env != NULL) {
		r->env = *env;
		r->has_env = 1;
	}
	atomic_init(&r->attempts, 0);
	atomic_init(&r->retries, 0);
	r->base.ops = &retry_ops;
	r->base.description = inner->description;
	r->base.impl = r;
	r->base.caps = inner->caps;
	*ret = &r->base;
	return 0;
}
