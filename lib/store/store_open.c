/* Building store stacks: a driver for the URL, under the decorators today's behaviour needs. */
#include "cairn/store.h"

#include <string.h>

#include "cairn/err.h"
#include "cairn/s3.h"

int cairn_s3_open(const struct cairn_s3_options *o, struct cairn_store **ret)
{
	struct cairn_s3_options d = *o; /* shallow: the driver copies what it keeps */
	struct cairn_store *s;
	int rc;

	if (o->no_retry)
		return cairn_s3_driver_open(o, ret);
	/* no single request outlives the deadline of the operation it belongs to */
	if (o->retry.deadline_ns > 0 && o->retry.deadline_ns / 1000000 < d.http.request_timeout_ms)
		d.http.request_timeout_ms = o->retry.deadline_ns / 1000000 > 0 ? o->retry.deadline_ns / 1000000 : 1;
	rc = cairn_s3_driver_open(&d, &s);
	if (rc == 0)
		rc = cairn_store_retry_wrap(s, &o->retry, NULL, &s);
	if (rc == 0)
		rc = cairn_store_stats_wrap(s, &s);
	if (rc == 0)
		*ret = s;
	return rc;
}

int cairn_s3_open_url(const char *url, struct cairn_store **ret)
{
	struct cairn_s3_options o;
	int rc;

	rc = cairn_s3_options_from_url(url, &o);
	if (rc != 0)
		return cairn_err_ctx(rc, "cannot open '%s'", url);
	rc = cairn_s3_open(&o, ret);
	cairn_s3_options_free(&o);
	return rc;
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
