/* The storage contract's shared entry points: cairn_store_free, range checks and cairn_store_open_url. */
#include "cairn/store.h"

#include <stdio.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/s3.h"
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

int cairn_store_open_url(const char *url, int create, struct cairn_store **ret)
{
	static const char file_scheme[] = "file://";
	const char *path;

	if (url == NULL || url[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "empty repository URL");
	if (strncmp(url, file_scheme, sizeof(file_scheme) - 1) == 0) {
		path = url + sizeof(file_scheme) - 1;
		if (path[0] != '/')
			return cairn_err(CAIRN_EINVAL,
					 "invalid repository URL '%s': a file URL needs an absolute path "
					 "(file:///path) or use a plain path",
					 url);
		return cairn_store_local_open(path, create, ret);
	}
	/* s3://BUCKET/PREFIX: endpoint, region and credentials from the environment;
	 * nothing to create (the bucket must exist, a prefix needs no creation) */
	if (strncmp(url, "s3://", 5) == 0)
		return cairn_s3_open_url(url, ret);
	if (strstr(url, "://") != NULL)
		return cairn_err(CAIRN_EUNSUPPORTED, "unsupported repository URL '%s'", url);
	return cairn_store_local_open(url, create, ret);
}
