/* Fault decorator for tests: fails, truncates or corrupts chosen calls of a wrapped store. */
#include "cairn/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"

#define FAULT_NOPS 5

struct fault {
	struct cairn_store base;
	struct cairn_store *inner;
	pthread_mutex_t lock;
	unsigned calls[FAULT_NOPS]; /* per op since wrap */
	/* The configured fault (cairn_store_fault_set). */
	enum cairn_fault_kind kind;
	unsigned ops;
	int any_name;   /* substr was NULL */
	int never;      /* substr cannot match a valid name */
	char substr[CAIRN_STORE_NAME_MAX + 1];
	unsigned nth, times;
	int fail_code;
	unsigned matched; /* matching calls since the fault was set */
};

static const struct cairn_store_ops fault_ops;

static int op_index(enum cairn_fault_op op)
{
	switch (op) {
	case CAIRN_OP_PUT:
		return 0;
	case CAIRN_OP_GET:
		return 1;
	case CAIRN_OP_STAT:
		return 2;
	case CAIRN_OP_LIST:
		return 3;
	case CAIRN_OP_DEL:
		return 4;
	}
	return -1;
}

static const char *op_name(enum cairn_fault_op op)
{
	static const char *const names[FAULT_NOPS] = { "put", "get", "stat", "list", "del" };
	int i = op_index(op);

	return i < 0 ? "?" : names[i];
}

/* Count the call and decide which fault, if any, it gets. */
static enum cairn_fault_kind fault_decide(struct fault *f, enum cairn_fault_op op, const char *name,
					  int *ret_code)
{
	enum cairn_fault_kind kind = CAIRN_FAULT_NONE;

	pthread_mutex_lock(&f->lock);
	f->calls[op_index(op)]++;
	if (f->kind != CAIRN_FAULT_NONE && (f->ops & (unsigned)op) != 0 && !f->never &&
	    (f->any_name || (name != NULL && strstr(name, f->substr) != NULL))) {
		f->matched++;
		if (f->matched >= f->nth && (f->times == 0 || f->matched - f->nth < f->times)) {
			kind = f->kind;
			*ret_code = f->fail_code;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return kind;
}

static int injected(int code, enum cairn_fault_op op, const char *name)
{
	return cairn_err(code, "injected fault on %s '%s'", op_name(op), name != NULL ? name : "(null)");
}

static int fault_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct fault *f = s->impl;
	int code = 0;

	if (fault_decide(f, CAIRN_OP_PUT, name, &code) == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_PUT, name);
	return cairn_store_put(f->inner, name, data, len);
}

/* counted and faulted as a put */
static int fault_put_content(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct fault *f = s->impl;
	int code = 0;

	if (fault_decide(f, CAIRN_OP_PUT, name, &code) == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_PUT, name);
	return cairn_store_put_content(f->inner, name, data, len);
}

static int fault_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		     struct cairn_buf *out)
{
	struct fault *f = s->impl;
	enum cairn_fault_kind kind;
	size_t before = out->len, n;
	int code = 0, rc;

	kind = fault_decide(f, CAIRN_OP_GET, name, &code);
	if (kind == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_GET, name);
	rc = cairn_store_get(f->inner, name, offset, length, out);
	if (rc != 0)
		return rc;
	n = out->len - before;
	if (kind == CAIRN_FAULT_FLIP_BIT && n > 0) {
		/* The bit in the middle of the returned range. */
		size_t bit = n * 4;

		out->data[before + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	} else if (kind == CAIRN_FAULT_TRUNCATE) {
		out->len = before + n / 2;
	}
	return 0;
}

static int fault_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct fault *f = s->impl;
	int code = 0;

	if (fault_decide(f, CAIRN_OP_STAT, name, &code) == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_STAT, name);
	return cairn_store_stat(f->inner, name, ret_size);
}

static int fault_list(struct cairn_store *s, const char *prefix,
		      int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct fault *f = s->impl;
	int code = 0;

	if (fault_decide(f, CAIRN_OP_LIST, prefix, &code) == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_LIST, prefix);
	return cairn_store_list(f->inner, prefix, cb, ctx);
}

static int fault_del(struct cairn_store *s, const char *name)
{
	struct fault *f = s->impl;
	int code = 0;

	if (fault_decide(f, CAIRN_OP_DEL, name, &code) == CAIRN_FAULT_FAIL)
		return injected(code, CAIRN_OP_DEL, name);
	return cairn_store_del(f->inner, name);
}

/* each name counted and faulted as a del; the batch runs whole only when none is faulted */
static int fault_del_many(struct cairn_store *s, const char *const *names, size_t n)
{
	struct fault *f = s->impl;
	int code = 0;

	/* a batch that fails part-way: the names before the faulted one are
	 * deleted, the rest are not (the worst the contract allows) */
	for (size_t i = 0; i < n; i++)
		if (fault_decide(f, CAIRN_OP_DEL, names[i], &code) == CAIRN_FAULT_FAIL) {
			int rc = cairn_store_del_many(f->inner, names, i);

			return rc < 0 ? rc : injected(code, CAIRN_OP_DEL, names[i]);
		}
	return cairn_store_del_many(f->inner, names, n);
}

static void fault_stats(struct cairn_store *s, struct cairn_store_stats *acc)
{
	struct fault *f = s->impl;

	cairn_store_stats_add(f->inner, acc);
}

static void fault_free(struct cairn_store *s)
{
	struct fault *f = s->impl;

	cairn_store_free(f->inner);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct cairn_store_ops fault_ops = {
	.put = fault_put,
	.put_content = fault_put_content,
	.get = fault_get,
	.stat = fault_stat,
	.list = fault_list,
	.del = fault_del,
	.del_many = fault_del_many,
	.stats = fault_stats,
	.free = fault_free,
};

int cairn_store_fault_wrap(struct cairn_store *inner, struct cairn_store **ret)
{
	struct fault *f;

	if (inner == NULL)
		return cairn_err(CAIRN_EINVAL, "cannot wrap a null store with faults");
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot wrap '%s' with faults: out of memory", inner->description);
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return cairn_err(CAIRN_ENOMEM, "cannot wrap '%s' with faults: cannot create a mutex",
				 inner->description);
	}
	f->inner = inner;
	f->base.ops = &fault_ops;
	f->base.description = inner->description;
	f->base.impl = f;
	f->base.caps = inner->caps;
	*ret = &f->base;
	return 0;
}

void cairn_store_fault_set(struct cairn_store *s, enum cairn_fault_kind kind, unsigned ops, const char *substr,
			   unsigned nth, unsigned times, int code)
{
	struct fault *f;
	size_t len;

	if (s == NULL || s->ops != &fault_ops)
		return;
	f = s->impl;
	pthread_mutex_lock(&f->lock);
	f->kind = kind;
	f->ops = ops;
	f->any_name = substr == NULL;
	len = substr == NULL ? 0 : strnlen(substr, sizeof(f->substr));
	f->never = len == sizeof(f->substr);
	if (!f->never && substr != NULL)
		memcpy(f->substr, substr, len + 1);
	f->nth = nth == 0 ? 1 : nth;
	f->times = times;
	f->fail_code = code;
	f->matched = 0;
	pthread_mutex_unlock(&f->lock);
}

unsigned cairn_store_fault_calls(struct cairn_store *s, enum cairn_fault_op op)
{
	struct fault *f;
	unsigned n;
	int i = op_index(op);

	if (s == NULL || s->ops != &fault_ops || i < 0)
		return 0;
	f = s->impl;
	pthread_mutex_lock(&f->lock);
	n = f->calls[i];
	pthread_mutex_unlock(&f->lock);
	return n;
}
