/* Opening a site's store: a configured site with its own endpoint, region,
 * credentials, timeouts and limits, or a bare URL with the environment. */
#ifndef CAIRN_PROGRAMS_SITE_STORE_H
#define CAIRN_PROGRAMS_SITE_STORE_H

#include "cairn/config.h"
#include "cairn/s3.h"
#include "cairn/store.h"

/* S3 settings given as command-line flags (NULL = not given). They beat a
 * site's own settings; the programs pass them for the primary only. */
struct site_flags {
	const char *endpoint;       /* --s3-endpoint */
	const char *region;         /* --s3-region */
	const char *addressing;     /* --s3-addressing: "path" or "virtual" */
	const char *ca_bundle;      /* --ca-bundle */
	const char *limit_upload;   /* --limit-upload RATE */
	const char *limit_download; /* --limit-download RATE */
};

/* Fill *o for the s3:// `site`, lowest precedence first: the environment
 * (cairn_s3_options_from_url), then the site's own keys (endpoint, region,
 * addressing, ca-bundle, credentials, timeouts, limits), then `flags` (may
 * be NULL). Credentials: the site's access-key-id with the secret (and
 * session token) read from its files; else its profile / credentials-file
 * (unset halves from AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE, then
 * "default" and ~/.aws/credentials); else the environment's. Sends
 * nothing. 0, or a CAIRN_E* code with a detail naming the site (*o then
 * holds no strings). */
int site_store_s3_options(const struct cairn_site_config *site, const struct site_flags *flags,
			  struct cairn_s3_options *o);

/* Open the store of `site`, or, when `site` is NULL, of `url` with the
 * environment alone (as cairn_store_open_url). Local sites: the local
 * driver; `create` makes a missing directory (replicas). S3 sites: through
 * site_store_s3_options, then cairn_s3_open (no request is sent). *ret is
 * the caller's (cairn_store_free). 0 or a CAIRN_E* code with a detail. */
int site_store_open(const struct cairn_site_config *site, const char *url, const struct site_flags *flags,
		    int create, struct cairn_store **ret);

#endif
