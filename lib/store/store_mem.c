/* In-memory driver for tests: a mutex-protected array of objects sorted by name. */
#include "cairn/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"

#define MEM_DESC "mem://"

struct mem_obj {
	uint8_t *data; /* NULL when len is 0 */
	size_t len;
	char name[]; /* NUL-terminated */
};

struct mem {
	struct cairn_store base;
	pthread_mutex_t lock;
	struct mem_obj **objs; /* sorted by name */
	size_t n, cap;
};

struct mem_listed {
	char *name;
	uint64_t size;
};

/* Index of the first object whose name is >= `name`; sets *found on equality. Lock held. */
static size_t mem_lower_bound(const struct mem *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->objs[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (found != NULL)
		*found = lo < m->n && strcmp(m->objs[lo]->name, name) == 0;
	return lo;
}

static int mem_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct mem *m = s->impl;
	struct mem_obj *obj;
	size_t nlen, at;
	int rc, found;

	rc = cairn_store_name_check(MEM_DESC, name);
	if (rc != 0)
		return rc;
	if (data == NULL && len > 0)
		return cairn_err(CAIRN_EINVAL, "cannot store '%s' in '" MEM_DESC "': no data", name);
	nlen = strlen(name);
	obj = malloc(sizeof(*obj) + nlen + 1);
	if (obj == NULL)
		return cairn_err(CAIRN_ENOMEM, "no space left to store '%s' in '" MEM_DESC "'", name);
	memcpy(obj->name, name, nlen + 1);
	obj->len = len;
	obj->data = NULL;
	if (len > 0) {
		obj->data = malloc(len);
		if (obj->data == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "no space left to store '%s' in '" MEM_DESC "'", name);
			goto err1;
		}
		memcpy(obj->data, data, len);
	}
	pthread_mutex_lock(&m->lock);
	at = mem_lower_bound(m, name, &found);
	if (found) {
		rc = cairn_err(CAIRN_EEXIST, "object '%s' already exists in '" MEM_DESC "'", name);
		goto err2;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct mem_obj **objs = cairn_reallocarray(m->objs, cap, sizeof(*objs));

		if (objs == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "no space left to store '%s' in '" MEM_DESC "'", name);
			goto err2;
		}
		m->objs = objs;
		m->cap = cap;
	}
	memmove(m->objs + at + 1, m->objs + at, (m->n - at) * sizeof(*m->objs));
	m->objs[at] = obj;
	m->n++;
	pthread_mutex_unlock(&m->lock);
	return 0;

err2:
	pthread_mutex_unlock(&m->lock);
	free(obj->data);
err1:
	free(obj);
	return rc;
}

static int mem_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		   struct cairn_buf *out)
{
	struct mem *m = s->impl;
	struct mem_obj *obj;
	size_t at, len;
	int rc, found;

	rc = cairn_store_name_check(MEM_DESC, name);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&m->lock);
	at = mem_lower_bound(m, name, &found);
	if (!found) {
		rc = cairn_err(CAIRN_ENOTFOUND, "object '%s' not found in '" MEM_DESC "'", name);
		goto out;
	}
	obj = m->objs[at];
	rc = cairn_store_range(MEM_DESC, name, obj->len, offset, length, &len);
	if (rc != 0)
		goto out;
	rc = cairn_buf_append(out, len > 0 ? obj->data + offset : NULL, len);
	if (rc != 0)
		rc = cairn_err(rc, "cannot read '%s' in '" MEM_DESC "': out of memory for %zu bytes", name, len);
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int mem_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct mem *m = s->impl;
	size_t at;
	int rc, found;

	rc = cairn_store_name_check(MEM_DESC, name);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&m->lock);
	at = mem_lower_bound(m, name, &found);
	if (found)
		*ret_size = m->objs[at]->len;
	pthread_mutex_unlock(&m->lock);
	if (!found)
		return cairn_err(CAIRN_ENOTFOUND, "object '%s' not found in '" MEM_DESC "'", name);
	return 0;
}

static int mem_del(struct cairn_store *s, const char *name)
{
	struct mem *m = s->impl;
	struct mem_obj *obj = NULL;
	size_t at;
	int rc, found;

	rc = cairn_store_name_check(MEM_DESC, name);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&m->lock);
	at = mem_lower_bound(m, name, &found);
	if (found) {
		obj = m->objs[at];
		memmove(m->objs + at, m->objs + at + 1, (m->n - at - 1) * sizeof(*m->objs));
		m->n--;
	}
	pthread_mutex_unlock(&m->lock);
	if (obj == NULL)
		return cairn_err(CAIRN_ENOTFOUND, "object '%s' not found in '" MEM_DESC "'", name);
	free(obj->data);
	free(obj);
	return 0;
}

static void free_listed(struct mem_listed *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].name);
	free(items);
}

/* The callback runs without the lock held (it may use the store), on a
 * snapshot of the matching names taken under the lock. */
static int mem_list(struct cairn_store *s, const char *prefix,
		    int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct mem *m = s->impl;
	struct mem_listed *items = NULL;
	size_t plen, first, n = 0;
	int rc;

	rc = cairn_store_prefix_check(MEM_DESC, prefix);
	if (rc != 0)
		return rc;
	plen = strlen(prefix);
	pthread_mutex_lock(&m->lock);
	first = mem_lower_bound(m, prefix, NULL);
	while (first + n < m->n && strncmp(m->objs[first + n]->name, prefix, plen) == 0)
		n++;
	if (n > 0) {
		items = cairn_calloc(n, sizeof(*items));
		if (items == NULL) {
			pthread_mutex_unlock(&m->lock);
			return cairn_err(CAIRN_ENOMEM, "cannot list '%s' in '" MEM_DESC "': out of memory", prefix);
		}
	}
	for (size_t i = 0; i < n; i++) {
		items[i].name = cairn_strdup(m->objs[first + i]->name);
		items[i].size = m->objs[first + i]->len;
		if (items[i].name == NULL) {
			pthread_mutex_unlock(&m->lock);
			free_listed(items, n);
			return cairn_err(CAIRN_ENOMEM, "cannot list '%s' in '" MEM_DESC "': out of memory", prefix);
		}
	}
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cb(ctx, items[i].name, items[i].size);
	free_listed(items, n);
	return rc;
}

static void mem_free(struct cairn_store *s)
{
	struct mem *m = s->impl;

	for (size_t i = 0; i < m->n; i++) {
		free(m->objs[i]->data);
		free(m->objs[i]);
	}
	free(m->objs);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static const struct cairn_store_ops mem_ops = {
	.put = mem_put,
	.get = mem_get,
	.stat = mem_stat,
	.list = mem_list,
	.del = mem_del,
	.free = mem_free,
};

int cairn_store_mem_open(struct cairn_store **ret)
{
	struct mem *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot open '" MEM_DESC "': out of memory");
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return cairn_err(CAIRN_ENOMEM, "cannot open '" MEM_DESC "': cannot create a mutex");
	}
	m->base.ops = &mem_ops;
	m->base.description = MEM_DESC;
	m->base.impl = m;
	m->base.caps = CAIRN_STORE_CAP_ATOMIC_CREATE | CAIRN_STORE_CAP_RANGED_READ;
	*ret = &m->base;
	return 0;
}
