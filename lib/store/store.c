/* The storage contract's shared entry points: free, put_content and del_many with their fallbacks, the
 * statistics query, range checks. */
#include "cairn/store.h"

#include <stdio.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"

void cairn_store_free(struct cairn_store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

int cairn_store_put_content(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	int rc;

	if (s->ops->put_content != NULL)
		return s->ops->put_content(s, name, data, len);
	rc = s->ops->put(s, name, data, len);
	return rc == CAIRN_EEXIST ? 0 : rc;
}

int cairn_store_writer_open(struct cairn_store *s, struct cairn_store_writer **ret)
{
	if (s->ops->writer_open == NULL)
		return CAIRN_EUNSUPPORTED;
	return s->ops->writer_open(s, ret);
}

int cairn_store_writer_write(struct cairn_store_writer *w, const void *data, size_t len)
{
	return len == 0 ? 0 : w->ops->write(w, data, len);
}

int cairn_store_writer_commit(struct cairn_store_writer *w, const char *name)
{
	return w->ops->commit(w, name);
}

void cairn_store_writer_abort(struct cairn_store_writer *w)
{
	if (w != NULL)
		w->ops->abort(w);
}

/* The fallback of del_many: one del per object, a missing one counted as deleted. */
static int del_each(struct cairn_store *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = s->ops->del(s, names[i]);

		if (rc != 0 && rc != CAIRN_ENOTFOUND)
			return rc;
	}
	return 0;
}

int cairn_store_del_many(struct cairn_store *s, const char *const *names, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = cairn_store_name_check(s->description, names[i]);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < n; i += CAIRN_STORE_DEL_MANY_MAX) {
		size_t k = n - i < CAIRN_STORE_DEL_MANY_MAX ? n - i : CAIRN_STORE_DEL_MANY_MAX;

		rc = s->ops->del_many != NULL ? s->ops->del_many(s, names + i, k) : del_each(s, names + i, k);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void cairn_store_stats_get(struct cairn_store *s, struct cairn_store_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (s == NULL)
		return;
	cairn_store_stats_add(s, ret);
	if (!ret->wire)
		ret->requests = ret->attempts;
}

int cairn_store_too_big(const char *where, const char *name, uint64_t size, uint64_t offset, uint64_t n)
{
	char has[64], from[48] = "";

	if (size == UINT64_MAX)
		snprintf(has, sizeof(has), "more than %llu bytes", (unsigned long long)n);
	else
		snprintf(has, sizeof(has), "%llu bytes", (unsigned long long)size);
	if (offset != 0)
		snprintf(from, sizeof(from), " (reading from offset %llu)", (unsigned long long)offset);
	return cairn_err(CAIRN_ECORRUPT, "object '%s' in '%s' has %s, more than the %llu asked for%s: not read",
			 name, where, has, (unsigned long long)n, from);
}

int cairn_store_range(const char *where, const char *name, uint64_t size, uint64_t offset, uint64_t length,
		      size_t *ret_len)
{
	uint64_t len, n;

	if (offset > size)
		return cairn_err(CAIRN_EINVAL,
				 "cannot read '%s' in '%s': offset %llu is past the end (size %llu)", name, where,
				 (unsigned long long)offset, (unsigned long long)size);
	if (cairn_store_at_most(length, &n)) {
		len = size - offset;
		if (len > n)
			return cairn_store_too_big(where, name, size, offset, n);
	} else if (length == UINT64_MAX) {
		len = size - offset;
	} else if (length > size - offset) {
		return cairn_err(CAIRN_EINVAL,
				 "cannot read '%s' in '%s': range %llu+%llu extends past the end (size %llu)", name,
				 where, (unsigned long long)offset, (unsigned long long)length,
				 (unsigned long long)size);
	} else {
		len = length;
	}
	if (len > SIZE_MAX)
		return cairn_err(CAIRN_EINVAL, "cannot read '%s' in '%s': %llu bytes do not fit in memory", name,
				 where, (unsigned long long)len);
	*ret_len = (size_t)len;
	return 0;
}
