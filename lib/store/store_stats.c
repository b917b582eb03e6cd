/* Statistics decorator: counts the operations that reach it, their failures and the payload bytes, for any
 * store it wraps. */
#include "cairn/store.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "cairn/err.h"

struct sstore {
	struct cairn_store base;
	struct cairn_store *inner;
	atomic_uint_fast64_t ops, failures, bytes_up, bytes_down;
};

/* Count one operation that ended with `rc`; returns rc. */
static int counted(struct sstore *c, int rc)
{
	atomic_fetch_add(&c->ops, 1);
	if (rc != 0)
		atomic_fetch_add(&c->failures, 1);
	return rc;
}

static int stats_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct sstore *c = s->impl;
	int rc = counted(c, cairn_store_put(c->inner, name, data, len));

	if (rc == 0)
		atomic_fetch_add(&c->bytes_up, len);
	return rc;
}

static int stats_put_content(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct sstore *c = s->impl;
	int rc = counted(c, cairn_store_put_content(c->inner, name, data, len));

	if (rc == 0)
		atomic_fetch_add(&c->bytes_up, len);
	return rc;
}

static int stats_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		     struct cairn_buf *out)
{
	struct sstore *c = s->impl;
	size_t before = out->len;
	int rc = counted(c, cairn_store_get(c->inner, name, offset, length, out));

	if (rc == 0)
		atomic_fetch_add(&c->bytes_down, out->len - before);
	return rc;
}

static int stats_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct sstore *c = s->impl;

	return counted(c, cairn_store_stat(c->inner, name, ret_size));
}

static int stats_list(struct cairn_store *s, const char *prefix,
		      int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct sstore *c = s->impl;

	return counted(c, cairn_store_list(c->inner, prefix, cb, ctx));
}

static int stats_del(struct cairn_store *s, const char *name)
{
	struct sstore *c = s->impl;

	return counted(c, cairn_store_del(c->inner, name));
}

static int stats_del_many(struct cairn_store *s, const char *const *names, size_t n)
{
	struct sstore *c = s->impl;

	return counted(c, cairn_store_del_many(c->inner, names, n));
}

static void stats_stats(struct cairn_store *s, struct cairn_store_stats *acc)
{
	struct sstore *c = s->impl;

	acc->operations += atomic_load(&c->ops);
	acc->failures += atomic_load(&c->failures);
	acc->bytes_up += atomic_load(&c->bytes_up);
	acc->bytes_down += atomic_load(&c->bytes_down);
	cairn_store_stats_add(c->inner, acc);
}

static void stats_free(struct cairn_store *s)
{
	struct sstore *c = s->impl;

	cairn_store_free(c->inner);
	free(c);
}

static const struct cairn_store_ops stats_ops = {
	.put = stats_put,
	.put_content = stats_put_content,
	.get = stats_get,
	.stat = stats_stat,
	.list = stats_list,
	.del = stats_del,
	.del_many = stats_del_many,
	.stats = stats_stats,
	.free = stats_free,
};

int cairn_store_stats_wrap(struct cairn_store *inner, struct cairn_store **ret)
{
	struct sstore *c;
	int rc;

	if (inner == NULL)
		return cairn_err(CAIRN_EINVAL, "cannot wrap a null store with statistics");
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot wrap '%s' with statistics: out of memory", inner->description);
		cairn_store_free(inner);
		return rc;
	}
	c->inner = inner;
	atomic_init(&c->ops, 0);
	atomic_init(&c->failures, 0);
	atomic_init(&c->bytes_up, 0);
	atomic_init(&c->bytes_down, 0);
	c->base.ops = &stats_ops;
	c->base.description = inner->description;
	c->base.impl = c;
	c->base.caps = inner->caps;
	*ret = &c->base;
	return 0;
}
