/* Site stores: a configured site with its own S3 settings, or a bare URL with the environment (see site.h). */
#include "site_internal.h"

#include "cairn/site.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Replace a malloc'd string field of the options. */
static int set_field(char **field, const char *value)
{
	char *copy = cairn_strdup(value);

	if (copy == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	wipe_free(*field);
	*field = copy;
	return 0;
}

static int site_credentials(const struct cairn_site_config *site, struct cairn_s3_options *o)
{
	char *secret = NULL, *token = NULL, *path = NULL;
	const char *file, *profile, *home;
	int rc;

	if (site->access_key_id != NULL) {
		rc = cairn_config_read_secret(site->secret_access_key_file, &secret);
		if (rc == 0 && site->session_token_file != NULL)
			rc = cairn_config_read_secret(site->session_token_file, &token);
		if (rc == 0)
			rc = set_field(&o->access_key, site->access_key_id);
		if (rc == 0) {
			wipe_free(o->secret_key);
			wipe_free(o->session_token);
			o->secret_key = secret;
			o->session_token = token;
			return 0;
		}
		wipe_free(secret);
		wipe_free(token);
		return rc;
	}
	file = site->credentials_file != NULL ? site->credentials_file : env("AWS_SHARED_CREDENTIALS_FILE");
	profile = site->profile != NULL ? site->profile : env("AWS_PROFILE");
	if (profile == NULL)
		profile = "default";
	home = env("HOME");
	if (file == NULL && home == NULL)
		return cairn_err(CAIRN_EAUTH, "no credentials file: set credentials-file (HOME is not set)");
	path = file != NULL ? cairn_strdup(file) : cairn_asprintf("%s/.aws/credentials", home);
	if (path == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	rc = cairn_s3_options_credentials_file(o, path, profile);
	free(path);
	return rc;
}

static int site_timeouts(const struct cairn_site_config *site, struct cairn_s3_options *o)
{
	if (site->connect_timeout_ns > 0)
		o->http.connect_timeout_ms = site->connect_timeout_ns / 1000000;
	if (site->request_timeout_ns > 0)
		o->http.request_timeout_ms = site->request_timeout_ns / 1000000;
	if (site->stall_timeout_ns > 0)
		o->http.low_speed_time_s = (long)((site->stall_timeout_ns + CAIRN_NS_PER_SEC - 1) / CAIRN_NS_PER_SEC);
	if (site->deadline_ns > 0)
		o->retry.deadline_ns = site->deadline_ns;
	if (site->limit_upload >= 0)
		o->http.max_send_speed = (uint64_t)site->limit_upload;
	if (site->limit_download >= 0)
		o->http.max_recv_speed = (uint64_t)site->limit_download;
	/* replicas: new objects kept from deletion this long (S3 Object Lock) */
	if (site->is_replica && site->object_lock_ns > 0)
		o->object_lock_ns = site->object_lock_ns;
	return 0;
}

static int site_endpoint(const struct cairn_site_config *site, struct cairn_s3_options *o)
{
	int env_endpoint = env("AWS_ENDPOINT_URL_S3") != NULL || env("AWS_ENDPOINT_URL") != NULL;
	char *def;
	int rc;

	if (site->region != NULL && (rc = set_field(&o->region, site->region)) != 0)
		return rc;
	if (site->endpoint != NULL) {
		if ((rc = set_field(&o->endpoint, site->endpoint)) != 0)
			return rc;
		/* the site's endpoint, not the environment's: unless told, path style
		 * for others and virtual for AWS */
		if (env("CAIRN_S3_ADDRESSING") == NULL)
			o->addressing = CAIRN_S3_ADDRESSING_AUTO;
	} else if (site->region != NULL && !env_endpoint) {
		/* AWS in the site's region */
		def = cairn_asprintf("https://s3.%s.amazonaws.com", site->region);
		if (def == NULL)
			return cairn_err(CAIRN_ENOMEM, "out of memory");
		rc = set_field(&o->endpoint, def);
		free(def);
		if (rc != 0)
			return rc;
	}
	switch (site->addressing) {
	case CAIRN_CONFIG_ADDRESSING_AUTO:
		o->addressing = CAIRN_S3_ADDRESSING_AUTO;
		break;
	case CAIRN_CONFIG_ADDRESSING_PATH:
		o->addressing = CAIRN_S3_ADDRESSING_PATH;
		break;
	case CAIRN_CONFIG_ADDRESSING_VIRTUAL:
		o->addressing = CAIRN_S3_ADDRESSING_VIRTUAL;
		break;
	default:
		break;
	}
	if (site->ca_bundle != NULL)
		return set_field(&o->ca_bundle, site->ca_bundle);
	return 0;
}

static int apply_flags(const struct cairn_site_flags *f, struct cairn_s3_options *o)
{
	uint64_t rate;
	int rc;

	if (f->endpoint != NULL) {
		if ((rc = set_field(&o->endpoint, f->endpoint)) != 0)
			return rc;
		if (f->addressing == NULL)
			o->addressing = CAIRN_S3_ADDRESSING_AUTO;
	}
	if (f->region != NULL && (rc = set_field(&o->region, f->region)) != 0)
		return rc;
	if (f->addressing != NULL)
		o->addressing = strcmp(f->addressing, "virtual") == 0 ? CAIRN_S3_ADDRESSING_VIRTUAL
								       : CAIRN_S3_ADDRESSING_PATH;
	if (f->ca_bundle != NULL && (rc = set_field(&o->ca_bundle, f->ca_bundle)) != 0)
		return rc;
	if (f->limit_upload != NULL) {
		if (cairn_rate_parse(f->limit_upload, &rate) != 0)
			return cairn_err_ctx(CAIRN_EINVAL, "invalid --limit-upload '%s'", f->limit_upload);
		o->http.max_send_speed = rate;
	}
	if (f->limit_download != NULL) {
		if (cairn_rate_parse(f->limit_download, &rate) != 0)
			return cairn_err_ctx(CAIRN_EINVAL, "invalid --limit-download '%s'", f->limit_download);
		o->http.max_recv_speed = rate;
	}
	return 0;
}

const char *site_local_root(const struct cairn_site_config *site)
{
	return strncmp(site->url, "file://", 7) == 0 ? site->url + 7 : site->url;
}

static int has_own_credentials(const struct cairn_site_config *site)
{
	return site->access_key_id != NULL || site->profile != NULL || site->credentials_file != NULL;
}

int cairn_site_s3_options(const struct cairn_site_config *site, const struct cairn_site_flags *flags,
			  struct cairn_s3_options *o)
{
	int rc;

	cairn_s3_options_init(o);
	rc = cairn_s3_parse_url(site->url, &o->bucket, &o->prefix);
	if (rc == 0) {
		rc = cairn_s3_options_from_env(o);
		/* credentials are looked up last: with its own, a site needs none from the environment */
		if (rc == CAIRN_EAUTH && has_own_credentials(site))
			rc = 0;
	}
	if (rc == 0)
		rc = site_endpoint(site, o);
	if (rc == 0 && has_own_credentials(site))
		rc = site_credentials(site, o);
	if (rc == 0)
		rc = site_timeouts(site, o);
	if (rc == 0 && flags != NULL)
		rc = apply_flags(flags, o);
	if (rc != 0) {
		cairn_s3_options_free(o);
		return cairn_err_ctx(rc, "%s '%s' (%s)", site->is_replica ? "replica" : "repository", site->name,
				     site->url);
	}
	return 0;
}

int cairn_site_store_open(const struct cairn_site_config *site, const char *url,
			  const struct cairn_site_flags *flags, int create, struct cairn_store **ret)
{
	struct cairn_s3_options o;
	int rc;

	if (site == NULL)
		return cairn_store_open_url(url, create, ret);
	if (site->url_kind == CAIRN_CONFIG_URL_LOCAL)
		return cairn_store_local_open(site_local_root(site), create, ret);
	rc = cairn_site_s3_options(site, flags, &o);
	if (rc != 0)
		return rc;
	rc = cairn_s3_open(&o, ret);
	cairn_s3_options_free(&o);
	if (rc != 0)
		return cairn_err_ctx(rc, "%s '%s' (%s)", site->is_replica ? "replica" : "repository", site->name,
				     site->url);
	return 0;
}
