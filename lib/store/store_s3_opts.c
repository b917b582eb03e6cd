/* S3 options: defaults, s3:// URLs, endpoints, the AWS environment variables and the shared credentials file. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"
#include "store/store_s3_int.h"

#define CREDENTIALS_MAX (1024 * 1024)

void cairn_s3_options_init(struct cairn_s3_options *o)
{
	memset(o, 0, sizeof(*o));
	o->addressing = CAIRN_S3_ADDRESSING_AUTO;
	o->multipart_threshold = CAIRN_S3_DEFAULT_MULTIPART_THRESHOLD;
	o->part_size = CAIRN_S3_DEFAULT_PART_SIZE;
	o->list_page_keys = 1000;
	o->http = cairn_http_options_default();
	o->retry = cairn_retry_policy_default();
}

static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void cairn_s3_options_free(struct cairn_s3_options *o)
{
	if (o == NULL)
		return;
	free(o->endpoint);
	free(o->region);
	free(o->bucket);
	free(o->prefix);
	free(o->access_key);
	free_secret(o->secret_key);
	free_secret(o->session_token);
	free(o->ca_bundle);
	cairn_s3_options_init(o);
}

static int bucket_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       c == '_';
}

static int prefix_valid(const char *p, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/') {
			unsigned char c = (unsigned char)p[i];

			if (!isalnum(c) && c != '.' && c != '_' && c != '-')
				return 0;
			continue;
		}
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

int cairn_s3_parse_url(const char *url, char **ret_bucket, char **ret_prefix)
{
	const char *b, *slash;
	size_t blen, plen;
	char *bucket, *prefix;

	if (url == NULL || strncmp(url, "s3://", 5) != 0)
		return cairn_err(CAIRN_EINVAL, "invalid S3 URL '%s': it must start with s3://", url ? url : "(null)");
	b = url + 5;
	slash = strchr(b, '/');
	blen = slash != NULL ? (size_t)(slash - b) : strlen(b);
	if (blen < 3 || blen > 63)
		return cairn_err(CAIRN_EINVAL, "invalid S3 URL '%s': the bucket name must have 3 to 63 characters",
				 url);
	for (size_t i = 0; i < blen; i++)
		if (!bucket_char((unsigned char)b[i]))
			return cairn_err(CAIRN_EINVAL, "invalid S3 URL '%s': bad character in the bucket name", url);
	plen = slash != NULL ? strlen(slash + 1) : 0;
	while (plen > 0 && slash[plen] == '/')
		plen--;
	if (plen > 0 && (plen > 200 || !prefix_valid(slash + 1, plen)))
		return cairn_err(CAIRN_EINVAL,
				 "invalid S3 URL '%s': the prefix must be '/'-separated names of [A-Za-z0-9._-] "
				 "(at most 200 bytes, no '.' or '..')",
				 url);
	bucket = strndup(b, blen);
	prefix = strndup(plen > 0 ? slash + 1 : "", plen);
	if (bucket == NULL || prefix == NULL) {
		free(bucket);
		free(prefix);
		return cairn_err(CAIRN_ENOMEM, "cannot parse S3 URL '%s': out of memory", url);
	}
	*ret_bucket = bucket;
	*ret_prefix = prefix;
	return 0;
}

int cairn_s3_endpoint_parse(const char *endpoint, char **ret_origin, char **ret_authority, char **ret_base)
{
	const char *auth, *end;
	size_t alen, blen, slen;
	char *origin, *authority, *base;

	if (endpoint == NULL || endpoint[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "no S3 endpoint");
	if (strncasecmp(endpoint, "https://", 8) == 0)
		slen = 8;
	else if (strncasecmp(endpoint, "http://", 7) == 0)
		slen = 7;
	else
		return cairn_err(CAIRN_EINVAL, "invalid S3 endpoint '%s': it must start with https:// or http://",
				 endpoint);
	auth = endpoint + slen;
	end = strchr(auth, '/');
	alen = end != NULL ? (size_t)(end - auth) : strlen(auth);
	if (alen == 0)
		return cairn_err(CAIRN_EINVAL, "invalid S3 endpoint '%s': no host", endpoint);
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = (unsigned char)auth[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']' && c != '_')
			return cairn_err(CAIRN_EINVAL, "invalid S3 endpoint '%s': bad character in the host", endpoint);
	}
	blen = end != NULL ? strlen(end) : 0;
	while (blen > 0 && end[blen - 1] == '/')
		blen--;
	for (size_t i = 0; i < blen; i++) {
		unsigned char c = (unsigned char)end[i];

		if (!isalnum(c) && c != '/' && c != '.' && c != '-' && c != '_' && c != '~')
			return cairn_err(CAIRN_EINVAL,
					 "invalid S3 endpoint '%s': the path may hold only [A-Za-z0-9/._~-] (no query)",
					 endpoint);
	}
	origin = strndup(endpoint, slen + alen);
	authority = strndup(auth, alen);
	base = strndup(blen > 0 ? end : "", blen);
	if (origin == NULL || authority == NULL || base == NULL) {
		free(origin);
		free(authority);
		free(base);
		return cairn_err(CAIRN_ENOMEM, "cannot parse S3 endpoint '%s': out of memory", endpoint);
	}
	for (size_t i = 0; i < slen; i++)
		origin[i] = (char)tolower((unsigned char)origin[i]);
	*ret_origin = origin;
	*ret_authority = authority;
	*ret_base = base;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int read_small_file(const char *path, struct cairn_buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return errno == ENOENT ? cairn_err(CAIRN_ENOTFOUND, "no credentials file '%s'", path)
				       : cairn_err(CAIRN_EINVAL, "cannot read credentials file '%s': %s", path,
						   strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > CREDENTIALS_MAX || cairn_buf_append(b, chunk, n) != 0) {
			fclose(f);
			return cairn_err(CAIRN_EINVAL, "credentials file '%s' is larger than 1 MiB", path);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return cairn_err(CAIRN_EINVAL, "cannot read credentials file '%s': read error", path);
	}
	fclose(f);
	if (cairn_buf_put_u8(b, 0) != 0)
		return cairn_err(CAIRN_ENOMEM, "cannot read credentials file '%s': out of memory", path);
	return 0;
}

int cairn_s3_credentials_file(const char *path, const char *profile, char **ret_access, char **ret_secret,
			      char **ret_token)
{
	struct cairn_buf b = { 0 };
	char *vals[3] = { NULL, NULL, NULL };
	static const char *const keys[3] = { "aws_access_key_id", "aws_secret_access_key", "aws_session_token" };
	char *line, *next;
	int rc, in_profile = 0, seen_profile = 0;

	rc = read_small_file(path, &b);
	if (rc != 0)
		goto out;
	for (line = (char *)b.data; line != NULL; line = next) {
		char *eq, *k;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *close = strchr(line, ']'), *name;

			if (close == NULL)
				continue;
			*close = '\0';
			name = trim(line + 1);
			if (strncmp(name, "profile ", 8) == 0)
				name = trim(name + 8);
			in_profile = strcmp(name, profile) == 0;
			seen_profile |= in_profile;
			continue;
		}
		eq = strchr(line, '=');
		if (!in_profile || eq == NULL)
			continue;
		*eq = '\0';
		k = trim(line);
		for (int i = 0; i < 3; i++) {
			if (strcasecmp(k, keys[i]) != 0)
				continue;
			free_secret(vals[i]);
			vals[i] = cairn_strdup(trim(eq + 1));
			if (vals[i] == NULL) {
				rc = cairn_err(CAIRN_ENOMEM, "cannot read credentials file '%s': out of memory", path);
				goto out;
			}
		}
	}
	if (!seen_profile) {
		rc = cairn_err(CAIRN_EAUTH, "credentials file '%s' has no profile '%s'", path, profile);
	} else if (vals[0] == NULL || vals[0][0] == '\0' || vals[1] == NULL || vals[1][0] == '\0') {
		rc = cairn_err(CAIRN_EAUTH,
			       "profile '%s' in credentials file '%s' lacks aws_access_key_id or aws_secret_access_key",
			       profile, path);
	} else {
		if (vals[2] != NULL && vals[2][0] == '\0') {
			free(vals[2]);
			vals[2] = NULL;
		}
		*ret_access = vals[0];
		*ret_secret = vals[1];
		*ret_token = vals[2];
		vals[0] = vals[1] = vals[2] = NULL;
	}
out:
	for (int i = 0; i < 3; i++)
		free_secret(vals[i]);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	cairn_buf_free(&b);
	return rc;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int set_str(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = cairn_strdup(value)) == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot read the S3 settings: out of memory");
	free_secret(*field);
	*field = copy;
	return 0;
}

static int env_duration(const char *name, int64_t *ret_ns)
{
	const char *v = env(name);
	int rc;

	if (v == NULL)
		return 0;
	rc = cairn_duration_parse(v, ret_ns);
	if (rc == 0 && *ret_ns < 1000000)
		rc = cairn_err(CAIRN_EINVAL, "duration below 1 ms");
	if (rc != 0)
		return cairn_err_ctx(CAIRN_EINVAL, "invalid %s '%s'", name, v);
	return 0;
}

static int env_timeouts(struct cairn_s3_options *o)
{
	int64_t connect = o->http.connect_timeout_ms * 1000000, request = o->http.request_timeout_ms * 1000000;
	int64_t stall = (int64_t)o->http.low_speed_time_s * CAIRN_NS_PER_SEC, deadline = o->retry.deadline_ns;
	int rc;

	if ((rc = env_duration("CAIRN_S3_CONNECT_TIMEOUT", &connect)) != 0 ||
	    (rc = env_duration("CAIRN_S3_STALL_TIMEOUT", &stall)) != 0 ||
	    (rc = env_duration("CAIRN_S3_REQUEST_TIMEOUT", &request)) != 0 ||
	    (rc = env_duration("CAIRN_S3_DEADLINE", &deadline)) != 0)
		return rc;
	o->http.connect_timeout_ms = connect / 1000000;
	o->http.request_timeout_ms = request / 1000000;
	o->http.low_speed_time_s = (long)((stall + CAIRN_NS_PER_SEC - 1) / CAIRN_NS_PER_SEC);
	o->retry.deadline_ns = deadline;
	return 0;
}


static int env_rate(const char *name, uint64_t *ret)
{
	const char *v = env(name);

	if (v == NULL)
		return 0;
	if (cairn_rate_parse(v, ret) != 0)
		return cairn_err_ctx(CAIRN_EINVAL, "invalid %s '%s'", name, v);
	return 0;
}

/* With a limit, one pack-sized object must fit in one request and in the
 * operation deadline, or every attempt would time out and be retried in
 * vain: say so at once instead. */
#define PACK_BYTES (16ULL << 20)

static int check_rate(const struct cairn_s3_options *o, const char *name, uint64_t rate)
{
	int64_t need_ms, limit_ms = o->http.request_timeout_ms;

	if (rate == 0)
		return 0;
	need_ms = (int64_t)(PACK_BYTES * 1000 / rate);
	if (o->retry.deadline_ns / 1000000 < limit_ms)
		limit_ms = o->retry.deadline_ns / 1000000;
	if (need_ms <= limit_ms)
		return 0;
	return cairn_err(CAIRN_EINVAL,
			 "%s is too low for the timeouts: a 16 MiB pack takes %lld s at that rate, longer than the "
			 "request timeout (CAIRN_S3_REQUEST_TIMEOUT, %lld s) or the deadline (CAIRN_S3_DEADLINE, "
			 "%lld s); raise them or the limit",
			 name, (long long)(need_ms / 1000), (long long)(o->http.request_timeout_ms / 1000),
			 (long long)(o->retry.deadline_ns / 1000000000));
}

static int env_limits(struct cairn_s3_options *o)
{
	uint64_t up = o->http.max_send_speed, down = o->http.max_recv_speed;
	int rc;

	if ((rc = env_rate("CAIRN_S3_LIMIT_UPLOAD", &up)) != 0 ||
	    (rc = env_rate("CAIRN_S3_LIMIT_DOWNLOAD", &down)) != 0)
		return rc;
	if ((rc = check_rate(o, "CAIRN_S3_LIMIT_UPLOAD", up)) != 0 ||
	    (rc = check_rate(o, "CAIRN_S3_LIMIT_DOWNLOAD", down)) != 0)
		return rc;
	o->http.max_send_speed = up;
	o->http.max_recv_speed = down;
	return 0;
}

static int env_credentials(struct cairn_s3_options *o)
{
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY"), *file, *home, *profile;
	char *a = NULL, *s = NULL, *t = NULL, *path;
	int rc;

	if (ak != NULL && sk != NULL) {
		if ((rc = set_str(&o->access_key, ak)) != 0 || (rc = set_str(&o->secret_key, sk)) != 0)
			return rc;
		return set_str(&o->session_token, env("AWS_SESSION_TOKEN"));
	}
	if ((ak == NULL) != (sk == NULL))
		return cairn_err(CAIRN_EAUTH, "%s is set but %s is not", ak != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				 ak != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	file = env("AWS_SHARED_CREDENTIALS_FILE");
	home = env("HOME");
	profile = env("AWS_PROFILE");
	if (profile == NULL)
		profile = "default";
	if (file == NULL && home == NULL)
		return cairn_err(CAIRN_EAUTH, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
					      "(or AWS_SHARED_CREDENTIALS_FILE)");
	path = file != NULL ? cairn_strdup(file) : cairn_asprintf("%s/.aws/credentials", home);
	if (path == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot read the S3 settings: out of memory");
	rc = cairn_s3_credentials_file(path, profile, &a, &s, &t);
	if (rc == CAIRN_ENOTFOUND)
		rc = cairn_err(CAIRN_EAUTH,
			       "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or create '%s' "
			       "with a [%s] profile",
			       path, profile);
	free(path);
	if (rc != 0)
		return rc;
	free(o->access_key);
	free_secret(o->secret_key);
	free_secret(o->session_token);
	o->access_key = a;
	o->secret_key = s;
	o->session_token = t;
	return 0;
}

int cairn_s3_options_credentials_file(struct cairn_s3_options *o, const char *path, const char *profile)
{
	char *a = NULL, *s = NULL, *t = NULL;
	int rc;

	if (o == NULL || path == NULL || path[0] == '\0' || profile == NULL || profile[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "S3 credentials file: a file and a profile are required");
	rc = cairn_s3_credentials_file(path, profile, &a, &s, &t);
	if (rc == CAIRN_ENOTFOUND)
		return cairn_err(CAIRN_EAUTH, "no S3 credentials: the credentials file '%s' does not exist (profile "
				 "'%s')", path, profile);
	if (rc != 0)
		return rc;
	free(o->access_key);
	free_secret(o->secret_key);
	free_secret(o->session_token);
	o->access_key = a;
	o->secret_key = s;
	o->session_token = t;
	return 0;
}

int cairn_s3_options_from_env(struct cairn_s3_options *o)
{
	const char *endpoint = env("AWS_ENDPOINT_URL_S3"), *region, *addr;
	char *def = NULL;
	int rc;

	if (endpoint == NULL)
		endpoint = env("AWS_ENDPOINT_URL");
	region = env("AWS_REGION");
	if (region == NULL)
		region = env("AWS_DEFAULT_REGION");
	if (region == NULL)
		region = "us-east-1";
	addr = env("CAIRN_S3_ADDRESSING");
	if (addr != NULL && strcmp(addr, "path") != 0 && strcmp(addr, "virtual") != 0)
		return cairn_err(CAIRN_EINVAL, "invalid CAIRN_S3_ADDRESSING '%s': use 'path' or 'virtual'", addr);
	if (endpoint == NULL) {
		def = cairn_asprintf("https://s3.%s.amazonaws.com", region);
		if (def == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot read the S3 settings: out of memory");
	}
	rc = set_str(&o->endpoint, endpoint != NULL ? endpoint : def);
	free(def);
	if (rc != 0)
		return rc;
	if ((rc = set_str(&o->region, region)) != 0 || (rc = set_str(&o->ca_bundle, env("AWS_CA_BUNDLE"))) != 0)
		return rc;
	if (addr != NULL)
		o->addressing = strcmp(addr, "path") == 0 ? CAIRN_S3_ADDRESSING_PATH : CAIRN_S3_ADDRESSING_VIRTUAL;
	else
		o->addressing = endpoint != NULL ? CAIRN_S3_ADDRESSING_PATH : CAIRN_S3_ADDRESSING_VIRTUAL;
	rc = env_timeouts(o);
	if (rc == 0)
		rc = env_limits(o);
	if (rc != 0)
		return rc;
	return env_credentials(o);
}

int cairn_s3_options_from_url(const char *url, struct cairn_s3_options *o)
{
	int rc;

	cairn_s3_options_init(o);
	rc = cairn_s3_parse_url(url, &o->bucket, &o->prefix);
	if (rc == 0)
		rc = cairn_s3_options_from_env(o);
	if (rc != 0)
		cairn_s3_options_free(o);
	return rc;
}
