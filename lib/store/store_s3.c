/* S3 storage driver: the store contract's operations mapped onto S3 requests, and opening the driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"
#include "store/store_s3_int.h"

static const struct cairn_store_ops s3_ops;

static char *s3_key(const struct s3_store *s, const char *name)
{
	char *key = cairn_asprintf("%s%s", s->key_prefix, name);

	if (key == NULL)
		cairn_err(CAIRN_ENOMEM, "cannot build the S3 key of '%s': out of memory", name);
	return key;
}

/* HEAD: the size of `key`. */
static int s3_head(struct s3_store *s, const char *name, const char *key, uint64_t *ret_size)
{
	struct s3_req r = { .method = "HEAD", .name = name, .key = key };
	int rc;

	rc = cairn_s3_request(s, &r);
	if (rc == 0 && r.resp.content_length < 0)
		rc = cairn_err(CAIRN_ETRANSIENT, "S3 HEAD '%s/%s': answer without a Content-Length", s->bucket, key);
	if (rc == 0)
		*ret_size = (uint64_t)r.resp.content_length;
	cairn_http_response_free(&r.resp);
	return rc;
}

size_t cairn_s3_lock_headers(const struct s3_store *s, struct cairn_sigv4_kv *hdr, char *until)
{
	if (s->object_lock_ns <= 0)
		return 0;
	cairn_time_format(cairn_time_now_ns() + s->object_lock_ns, 0, until);
	hdr[0] = (struct cairn_sigv4_kv){ "x-amz-object-lock-mode", s->object_lock_mode };
	hdr[1] = (struct cairn_sigv4_kv){ "x-amz-object-lock-retain-until-date", until };
	return 2;
}

/* One PUT with Content-MD5 and x-amz-checksum-sha256 (the server checks
 * both against the bytes it received); `conditional` adds If-None-Match: *. */
static int s3_put_once(struct s3_store *s, const char *name, const char *key, const void *data, size_t len,
		       int conditional, char *ret_code, size_t code_len)
{
	char md5[CAIRN_SIGV4_MD5_B64_LEN], until[CAIRN_TIME_STR];
	struct cairn_sigv4_kv hdr[4] = { { "content-md5", md5 } };
	struct s3_req r = { .method = "PUT", .name = name, .key = key, .headers = hdr, .n_headers = 1,
			    .body = data, .body_len = len, .max_body = 1 << 20, .checksum = 1 };
	int rc;

	if (conditional)
		hdr[r.n_headers++] = (struct cairn_sigv4_kv){ "if-none-match", "*" };
	r.n_headers += cairn_s3_lock_headers(s, hdr + r.n_headers, until);

	rc = cairn_sigv4_md5_base64(data, len, md5);
	if (rc != 0)
		return rc;
	rc = cairn_s3_request(s, &r);
	snprintf(ret_code, code_len, "%s", r.s3_code);
	cairn_http_response_free(&r.resp);
	return rc;
}

/* Whether `key` exists: 0 yes, CAIRN_ENOTFOUND no, else the error. A GET of
 * one byte rather than a HEAD, so that an error comes with its S3 code
 * (a HEAD answer has no body to say "SignatureDoesNotMatch"). */
static int s3_exists(struct s3_store *s, const char *name, const char *key)
{
	struct cairn_buf body = { 0 };
	struct cairn_sigv4_kv hdr[1] = { { "range", "bytes=0-0" } };
	struct s3_req r = { .method = "GET", .name = name, .key = key, .headers = hdr, .n_headers = 1,
			    .sink = &body, .max_body = 1 };
	int rc;

	rc = cairn_s3_request(s, &r);
	/* 416: an empty object; a 2xx cut short: a server that ignored the range */
	if (r.resp.status == 416 || (r.resp.status >= 200 && r.resp.status < 300))
		rc = 0;
	cairn_http_response_free(&r.resp);
	cairn_buf_free(&body);
	return rc;
}

/* put, or put_content when `content` is set: the name comes from the bytes,
 * so an object already there has them, and it is simply written again
 * (no existence check, no condition: one request). */
static int s3_put_common(struct cairn_store *st, const char *name, const void *data, size_t len, int content)
{
	struct s3_store *s = st->impl;
	char code[64] = "";
	char *key;
	int rc, cond;

	rc = cairn_store_name_check(s->desc, name);
	if (rc != 0)
		return rc;
	if (data == NULL && len > 0)
		return cairn_err(CAIRN_EINVAL, "cannot store '%s' in '%s': no data", name, s->desc);
	key = s3_key(s, name);
	if (key == NULL)
		return CAIRN_ENOMEM;
	/* Check first unless the server is known to honour If-None-Match (see
	 * include/cairn/s3.h); the check also keeps a failing first request
	 * (a wrong secret, say) down to one request with a clear answer. */
	cond = content ? -1 : atomic_load(&s->cond_put);
	if (!content && (cond != 1 || len > s->multipart_threshold)) {
		rc = s3_exists(s, name, key);
		if (rc == 0)
			rc = cairn_err(CAIRN_EEXIST, "object '%s' already exists in '%s'", name, s->desc);
		if (rc != CAIRN_ENOTFOUND)
			goto out;
	}
	if (len > s->multipart_threshold) {
		rc = cairn_s3_put_multipart(s, name, key, data, len);
		goto out;
	}
	rc = s3_put_once(s, name, key, data, len, cond >= 0, code, sizeof(code));
	if (rc == CAIRN_EUNSUPPORTED && cond >= 0 && strcmp(code, "NotImplemented") == 0) {
		/* the server refuses conditional PUTs: remember, and only check first from now on */
		atomic_store(&s->cond_put, -1);
		rc = s3_put_once(s, name, key, data, len, 0, code, sizeof(code));
	} else if (rc == 0 && cond == 0) {
		atomic_store(&s->cond_put, 1);
	}
	if (rc == CAIRN_EEXIST)
		rc = cairn_err(CAIRN_EEXIST, "object '%s' already exists in '%s' (412 Precondition Failed)", name,
			       s->desc);
out:
	free(key);
	return rc;
}

static int s3_put(struct cairn_store *st, const char *name, const void *data, size_t len)
{
	return s3_put_common(st, name, data, len, 0);
}

static int s3_put_content(struct cairn_store *st, const char *name, const void *data, size_t len)
{
	return s3_put_common(st, name, data, len, 1);
}

/* Start, end and total of "bytes A-B/TOTAL" (TOTAL may be '*': UINT64_MAX). */
static int parse_content_range(const char *v, uint64_t *a, uint64_t *b, uint64_t *total)
{
	unsigned long long x, y, t;
	char star[2];
	int n = 0;

	if (sscanf(v, "bytes %llu-%llu/%llu%n", &x, &y, &t, &n) == 3 && v[n] == '\0' && x <= y) {
		*a = x, *b = y, *total = t;
		return 0;
	}
	if (sscanf(v, "bytes %llu-%llu/%1[*]%n", &x, &y, star, &n) == 3 && v[n] == '\0' && x <= y) {
		*a = x, *b = y, *total = UINT64_MAX;
		return 0;
	}
	return -1;
}

/* A range that is not there: EINVAL, or an empty read at the very end. */
static int s3_get_past_end(struct s3_store *s, const char *name, const char *key, uint64_t offset,
			   uint64_t length)
{
	uint64_t size;
	size_t n;
	int rc;

	rc = s3_head(s, name, key, &size);
	if (rc == 0)
		rc = cairn_store_range(s->desc, name, size, offset, length, &n);
	if (rc == 0 && n != 0)
		rc = cairn_err(CAIRN_ETRANSIENT,
			       "S3 GET '%s/%s': 416 Range Not Satisfiable at offset %llu, but HEAD says %llu bytes",
			       s->bucket, key, (unsigned long long)offset, (unsigned long long)size);
	return rc;
}

/* Check what a successful GET appended after `before`; trim a 200 that ignored the range. */
static int s3_get_check(struct s3_store *s, const char *name, struct s3_req *r, uint64_t offset,
			uint64_t length, struct cairn_buf *out, size_t before)
{
	uint64_t got = out->len - before, want, a, b, total;
	size_t n;

	if (r->resp.status == 206) {
		if (parse_content_range(r->resp.content_range, &a, &b, &total) != 0 || a != offset)
			return cairn_err(CAIRN_ETRANSIENT,
					 "S3 GET '%s/%s': Content-Range '%s' does not answer bytes=%llu-", s->bucket,
					 r->key, r->resp.content_range, (unsigned long long)offset);
		if (total != UINT64_MAX && length != UINT64_MAX && (offset > total || length > total - offset))
			return cairn_store_range(s->desc, name, total, offset, length, &n);
		want = length != UINT64_MAX ? length : (total != UINT64_MAX ? total - offset : b - a + 1);
	} else {
		/* 200: the whole object */
		want = r->resp.content_length >= 0 ? (uint64_t)r->resp.content_length : got;
		if (got == want && (offset != 0 || length != UINT64_MAX)) {
			/* the server ignored the Range header */
			int rc = cairn_store_range(s->desc, name, got, offset, length, &n);

			if (rc != 0)
				return rc;
			memmove(out->data + before, out->data + before + offset, n);
			out->len = before + n;
			return 0;
		}
	}
	if (got == want)
		return 0;
	return cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': received %llu bytes, expected %llu (%s body)", s->bucket,
			 r->key, (unsigned long long)got, (unsigned long long)want, got < want ? "short" : "long");
}

/* Check a 206 answer to a CAIRN_STORE_AT_MOST(n) GET of bytes=offset-(offset+n). */
static int s3_at_most_206(struct s3_store *s, const char *name, struct s3_req *r, uint64_t offset, uint64_t n,
			  uint64_t got)
{
	uint64_t a, b, total;

	if (parse_content_range(r->resp.content_range, &a, &b, &total) != 0 || a != offset || b - a > n ||
	    (total != UINT64_MAX && total <= b))
		return cairn_err(CAIRN_ETRANSIENT,
				 "S3 GET '%s/%s': Content-Range '%s' does not answer bytes=%llu-%llu", s->bucket,
				 r->key, r->resp.content_range, (unsigned long long)offset,
				 (unsigned long long)(offset + n));
	if (total != UINT64_MAX && total - offset > n)
		return cairn_store_too_big(s->desc, name, total, offset, n);
	if (total == UINT64_MAX && b - a == n)
		return cairn_store_too_big(s->desc, name, UINT64_MAX, offset, n); /* n+1 bytes are there */
	if (total != UINT64_MAX && b + 1 != total)
		return cairn_err(CAIRN_ETRANSIENT,
				 "S3 GET '%s/%s': Content-Range '%s' stops before the end of bytes=%llu-%llu",
				 s->bucket, r->key, r->resp.content_range, (unsigned long long)offset,
				 (unsigned long long)(offset + n));
	if (got != b - a + 1)
		return cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': received %llu bytes, expected %llu (%s body)",
				 s->bucket, r->key, (unsigned long long)got, (unsigned long long)(b - a + 1),
				 got < b - a + 1 ? "short" : "long");
	return 0;
}

/* get(name, offset, CAIRN_STORE_AT_MOST(n)): one GET of bytes=offset-(offset+n),
 * at most n+1 bytes downloaded. A 206 says the object's size (Content-Range),
 * n+1 bytes say "too big" when it does not; a server that ignores Range
 * answers 200 with the whole object, refused from its Content-Length before
 * more than n+1 bytes come; 416 is an offset at or past the end (at 0: an
 * empty object, which some servers answer so). */
static int s3_get_at_most(struct s3_store *s, const char *name, struct s3_req *r, uint64_t offset, uint64_t n,
			  struct cairn_buf *out, size_t before)
{
	char range[64];
	struct cairn_sigv4_kv hdr[1] = { { "range", range } };
	int64_t cl;
	size_t k;
	int rc;

	if (offset > UINT64_MAX - 1 - n)
		return cairn_err(CAIRN_EINVAL, "cannot read '%s' in '%s': range %llu+%llu overflows", name, s->desc,
				 (unsigned long long)offset, (unsigned long long)n);
	if (n >= SIZE_MAX - before)
		return cairn_err(CAIRN_EINVAL, "cannot read '%s' in '%s': %llu bytes do not fit in memory", name,
				 s->desc, (unsigned long long)n);
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)offset, (unsigned long long)(offset + n));
	r->headers = hdr;
	r->n_headers = 1;
	r->max_body = n + 1;
	rc = cairn_s3_request(s, r);
	if (rc == 0 && r->resp.status == 206)
		return s3_at_most_206(s, name, r, offset, n, out->len - before);
	if (r->resp.status == 416) {
		if (offset == 0)
			return 0;
		return s3_get_past_end(s, name, r->key, offset, CAIRN_STORE_AT_MOST(n));
	}
	if (r->resp.status != 200)
		return rc != 0 ? rc
			       : cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': unexpected status %ld", s->bucket,
					   r->key, r->resp.status);
	/* 200: the server ignored the range and sends the whole object */
	cl = r->resp.content_length;
	if (cl >= 0) {
		rc = cairn_store_range(s->desc, name, (uint64_t)cl, offset, CAIRN_STORE_AT_MOST(n), &k);
		if (rc != 0)
			return rc;
		if ((uint64_t)cl > n + 1 && out->len - before < (uint64_t)cl) {
			/* offset > 0, cut at n+1 bytes: what is wanted ends within cl, fetch that far */
			out->len = before;
			cairn_http_response_free(&r->resp);
			r->n_headers = 0;
			r->max_body = (uint64_t)cl;
			rc = cairn_s3_request(s, r);
			if (rc == 0 && r->resp.status != 200)
				rc = cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': status %ld to a GET of the whole object",
					       s->bucket, r->key, r->resp.status);
			if (rc == 0 && r->resp.content_length != cl)
				rc = cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': the object changed size while read",
					       s->bucket, r->key);
		}
	}
	if (rc != 0)
		return rc; /* no Content-Length and cut off, or the transfer failed */
	rc = cairn_store_range(s->desc, name, out->len - before, offset, CAIRN_STORE_AT_MOST(n), &k);
	if (rc == 0 && cl >= 0 && out->len - before != (uint64_t)cl)
		rc = cairn_err(CAIRN_ETRANSIENT, "S3 GET '%s/%s': received %llu bytes, expected %llu (%s body)",
			       s->bucket, r->key, (unsigned long long)(out->len - before), (unsigned long long)cl,
			       out->len - before < (uint64_t)cl ? "short" : "long");
	if (rc != 0)
		return rc;
	memmove(out->data + before, out->data + before + offset, k);
	out->len = before + k;
	return 0;
}

static int s3_get(struct cairn_store *st, const char *name, uint64_t offset, uint64_t length,
		  struct cairn_buf *out)
{
	struct s3_store *s = st->impl;
	char range[64];
	struct cairn_sigv4_kv hdr[1] = { { "range", range } };
	struct s3_req r = { .method = "GET", .name = name, .headers = hdr, .sink = out };
	size_t before = out->len;
	char *key;
	uint64_t bound;
	int rc;

	rc = cairn_store_name_check(s->desc, name);
	if (rc != 0)
		return rc;
	if (cairn_store_at_most(length, &bound)) {
		r.key = key = s3_key(s, name);
		if (key == NULL)
			return CAIRN_ENOMEM;
		rc = s3_get_at_most(s, name, &r, offset, bound, out, before);
		goto out;
	}
	if (length != UINT64_MAX && length > UINT64_MAX - offset)
		return cairn_err(CAIRN_EINVAL, "cannot read '%s' in '%s': range %llu+%llu overflows", name, s->desc,
				 (unsigned long long)offset, (unsigned long long)length);
	if (length != UINT64_MAX && length > SIZE_MAX - before)
		return cairn_err(CAIRN_EINVAL, "cannot read '%s' in '%s': %llu bytes do not fit in memory", name,
				 s->desc, (unsigned long long)length);
	key = s3_key(s, name);
	if (key == NULL)
		return CAIRN_ENOMEM;
	r.key = key;
	if (length == 0) {
		/* HTTP cannot ask for zero bytes: check the range with HEAD */
		rc = s3_get_past_end(s, name, key, offset, length);
		goto out;
	}
	if (offset != 0 || length != UINT64_MAX) {
		r.n_headers = 1;
		if (length == UINT64_MAX)
			snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)offset);
		else
			snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)offset,
				 (unsigned long long)(offset + length - 1));
		/* a longer body is cut off early: no unbounded download */
		r.max_body = length == UINT64_MAX ? 0 : length;
	}
	rc = cairn_s3_request(s, &r);
	if (rc == CAIRN_ETRANSIENT && r.resp.status == 200 && r.n_headers == 1 && r.max_body != 0) {
		/* the server ignored the Range header and sent more: fetch the object whole, then cut */
		out->len = before;
		cairn_http_response_free(&r.resp);
		r.n_headers = 0;
		r.max_body = 0;
		rc = cairn_s3_request(s, &r);
	}
	if (rc == 0)
		rc = s3_get_check(s, name, &r, offset, length, out, before);
	else if (r.resp.status == 416)
		rc = s3_get_past_end(s, name, key, offset, length);
out:
	if (rc != 0)
		out->len = before;
	cairn_http_response_free(&r.resp);
	free(key);
	return rc;
}

static int s3_stat(struct cairn_store *st, const char *name, uint64_t *ret_size)
{
	struct s3_store *s = st->impl;
	char *key;
	int rc;

	rc = cairn_store_name_check(s->desc, name);
	if (rc != 0)
		return rc;
	key = s3_key(s, name);
	if (key == NULL)
		return CAIRN_ENOMEM;
	rc = s3_head(s, name, key, ret_size);
	free(key);
	return rc;
}

static int s3_del(struct cairn_store *st, const char *name)
{
	struct s3_store *s = st->impl;
	struct s3_req r = { .method = "DELETE", .name = name, .max_body = 1 << 20 };
	int rc;

	rc = cairn_store_name_check(s->desc, name);
	if (rc != 0)
		return rc;
	r.key = s3_key(s, name);
	if (r.key == NULL)
		return CAIRN_ENOMEM;
	/* S3 answers 204 for a missing key; the contract wants not-found */
	rc = s3_exists(s, name, r.key);
	if (rc == 0)
		rc = cairn_s3_request(s, &r);
	cairn_http_response_free(&r.resp);
	free((char *)r.key);
	return rc;
}

static void s3_free(struct cairn_store *st)
{
	struct s3_store *s = st->impl;

	cairn_http_client_free(s->http);
	free(s->desc);
	free(s->origin);
	free(s->host);
	free(s->base_path);
	free(s->bucket);
	free(s->key_prefix);
	free(s->region);
	free(s->access_key);
	if (s->secret_key != NULL)
		explicit_bzero(s->secret_key, strlen(s->secret_key));
	free(s->secret_key);
	if (s->session_token != NULL)
		explicit_bzero(s->session_token, strlen(s->session_token));
	free(s->session_token);
	free(s);
}

/* The driver's part of the statistics query: what its HTTP client counted. */
static void s3_stats(struct cairn_store *st, struct cairn_store_stats *acc)
{
	struct s3_store *s = st->impl;
	struct cairn_http_stats hs;

	cairn_http_client_stats(s->http, &hs);
	acc->requests += hs.requests;
	acc->http_bytes_sent += hs.bytes_sent;
	acc->http_bytes_received += hs.bytes_received;
	acc->wire = 1;
}

static const struct cairn_store_ops s3_ops = {
	.put = s3_put,
	.put_content = s3_put_content,
	.get = s3_get,
	.stat = s3_stat,
	.list = cairn_s3_list,
	.del = s3_del,
	.del_many = cairn_s3_del_many,
	.stats = s3_stats,
	.free = s3_free,
};

struct cairn_http_client *cairn_s3_store_http(struct cairn_store *s)
{
	return s != NULL && s->ops == &s3_ops ? ((struct s3_store *)s->impl)->http : NULL;
}

struct s3_store *cairn_s3_store_of(struct cairn_store *s)
{
	return s != NULL && s->ops == &s3_ops ? s->impl : NULL;
}

static int s3_dup_all(struct s3_store *s, const struct cairn_s3_options *o)
{
	const char *prefix = o->prefix != NULL ? o->prefix : "";

	s->bucket = cairn_strdup(o->bucket);
	s->region = cairn_strdup(o->region);
	s->access_key = cairn_strdup(o->access_key);
	s->secret_key = cairn_strdup(o->secret_key);
	s->session_token = o->session_token != NULL && o->session_token[0] != '\0' ? cairn_strdup(o->session_token)
										   : NULL;
	s->key_prefix = prefix[0] != '\0' ? cairn_asprintf("%s/", prefix) : cairn_strdup("");
	s->desc = prefix[0] != '\0' ? cairn_asprintf("s3://%s/%s", o->bucket, prefix)
				    : cairn_asprintf("s3://%s", o->bucket);
	if (s->bucket == NULL || s->region == NULL || s->access_key == NULL || s->secret_key == NULL ||
	    s->key_prefix == NULL || s->desc == NULL ||
	    (o->session_token != NULL && o->session_token[0] != '\0' && s->session_token == NULL))
		return cairn_err(CAIRN_ENOMEM, "cannot open S3 bucket '%s': out of memory", o->bucket);
	return 0;
}

/* Origin, Host and base path for the addressing style. */
static int s3_addressing(struct s3_store *s, const struct cairn_s3_options *o)
{
	char *origin = NULL, *authority = NULL, *base = NULL;
	enum cairn_s3_addressing how = o->addressing;
	size_t alen;
	int rc;

	rc = cairn_s3_endpoint_parse(o->endpoint, &origin, &authority, &base);
	if (rc != 0)
		return rc;
	alen = strlen(authority);
	if (how == CAIRN_S3_ADDRESSING_AUTO)
		how = alen >= 14 && strcmp(authority + alen - 14, ".amazonaws.com") == 0 ? CAIRN_S3_ADDRESSING_VIRTUAL
											    : CAIRN_S3_ADDRESSING_PATH;
	if (how == CAIRN_S3_ADDRESSING_VIRTUAL) {
		const char *scheme_end = strstr(origin, "://") + 3;

		s->origin = cairn_asprintf("%.*s%s.%s", (int)(scheme_end - origin), origin, o->bucket, authority);
		s->host = cairn_asprintf("%s.%s", o->bucket, authority);
		s->base_path = cairn_strdup(base);
	} else {
		s->origin = cairn_strdup(origin);
		s->host = cairn_strdup(authority);
		s->base_path = cairn_asprintf("%s/%s", base, o->bucket);
	}
	free(origin);
	free(authority);
	free(base);
	if (s->origin == NULL || s->host == NULL || s->base_path == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot open S3 bucket '%s': out of memory", o->bucket);
	return 0;
}

static int s3_check_options(const struct cairn_s3_options *o)
{
	if (o->bucket == NULL || o->bucket[0] == '\0' || strchr(o->bucket, '/') != NULL)
		return cairn_err(CAIRN_EINVAL, "cannot open S3 store: invalid or missing bucket name");
	if (o->endpoint == NULL || o->region == NULL || o->region[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "cannot open S3 bucket '%s': no endpoint or region", o->bucket);
	if (o->access_key == NULL || o->access_key[0] == '\0' || o->secret_key == NULL || o->secret_key[0] == '\0')
		return cairn_err(CAIRN_EAUTH, "cannot open S3 bucket '%s': no credentials", o->bucket);
	if (o->part_size < CAIRN_S3_MIN_PART_SIZE || o->part_size > (5ULL << 30))
		return cairn_err(CAIRN_EINVAL, "cannot open S3 bucket '%s': part size %llu is outside 5 MiB..5 GiB",
				 o->bucket, (unsigned long long)o->part_size);
	if (o->list_page_keys < 1 || o->list_page_keys > 1000)
		return cairn_err(CAIRN_EINVAL, "cannot open S3 bucket '%s': %u keys a list page is outside 1..1000",
				 o->bucket, o->list_page_keys);
	if (o->prefix != NULL && (o->prefix[0] == '/' || (o->prefix[0] != '\0' && o->prefix[strlen(o->prefix) - 1] == '/')))
		return cairn_err(CAIRN_EINVAL, "cannot open S3 bucket '%s': prefix '%s' starts or ends with '/'",
				 o->bucket, o->prefix);
	return 0;
}

int cairn_s3_driver_open(const struct cairn_s3_options *o, struct cairn_store **ret)
{
	struct cairn_http_options ho;
	struct s3_store *s;
	int rc;

	rc = s3_check_options(o);
	if (rc != 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot open S3 bucket '%s': out of memory", o->bucket);
	s->base.ops = &s3_ops;
	s->base.impl = s;
	/* not ATOMIC_CREATE: a server may refuse or ignore If-None-Match (include/cairn/s3.h) */
	s->base.caps = CAIRN_STORE_CAP_BATCH_DELETE | CAIRN_STORE_CAP_RANGED_READ | CAIRN_STORE_CAP_REMOTE;
	atomic_init(&s->cond_put, 0);
	s->multipart_threshold = o->multipart_threshold;
	s->object_lock_ns = o->object_lock_ns > 0 ? o->object_lock_ns : 0;
	s->object_lock_mode = o->object_lock_governance ? "GOVERNANCE" : "COMPLIANCE";
	s->part_size = o->part_size;
	snprintf(s->max_keys, sizeof(s->max_keys), "%u", o->list_page_keys);
	rc = s3_dup_all(s, o);
	if (rc == 0)
		rc = s3_addressing(s, o);
	if (rc != 0)
		goto fail;
	s->base.description = s->desc;
	ho = o->http;
	ho.ca_bundle = o->ca_bundle;
	ho.user_agent = NULL;
	rc = cairn_http_client_new(&ho, &s->http);
	if (rc != 0) {
		rc = cairn_err_ctx(rc, "cannot open '%s'", s->desc);
		goto fail;
	}
	*ret = &s->base;
	return 0;
fail:
	s3_free(&s->base);
	return rc;
}
