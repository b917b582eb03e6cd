/* SigV4 encodings: S3 percent-encoding of keys, the canonical query string, the x-amz-date stamp. */
#include "cairn/sigv4.h"
#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The stamp has a fixed width: int64 ns cover the years 1970-2262 only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '~';
}

int cairn_sigv4_uri_encode(struct cairn_buf *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	/* worst case: every byte becomes three */
	if (len > (SIZE_MAX - 1) / 3 || cairn_buf_reserve(out, 3 * len + 1) != 0)
		return cairn_err(CAIRN_ENOMEM, "cannot grow the buffer to percent-encode %zu bytes", len);
	for (; *p != '\0'; p++) {
		uint8_t *d = out->data + out->len;

		if (is_unreserved(*p) || (keep_slash && *p == '/')) {
			d[0] = *p;
			out->len += 1;
		} else {
			d[0] = '%';
			d[1] = (uint8_t)hex[*p >> 4];
			d[2] = (uint8_t)hex[*p & 0x0f];
			out->len += 3;
		}
	}
	return 0;
}

/* Take the bytes of `b` as a NUL-terminated string (the buffer keeps none). */
static int buf_to_string(struct cairn_buf *b, char **ret)
{
	if (cairn_buf_put_u8(b, 0) != 0) {
		size_t len = b->len;

		cairn_buf_free(b);
		return cairn_err(CAIRN_ENOMEM, "cannot terminate a string of %zu bytes", len);
	}
	*ret = (char *)b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return 0;
}

int cairn_sigv4_encode_key(const char *key, char **ret_encoded)
{
	struct cairn_buf b = { 0 };
	int rc;

	rc = cairn_sigv4_uri_encode(&b, key, 1);
	if (rc != 0) {
		cairn_buf_free(&b);
		return rc;
	}
	return buf_to_string(&b, ret_encoded);
}

struct qparam {
	char *name;  /* encoded, owned */
	char *value; /* encoded, owned */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static int encode_string(const char *s, char **ret)
{
	struct cairn_buf b = { 0 };
	int rc;

	rc = cairn_sigv4_uri_encode(&b, s, 0);
	if (rc != 0) {
		cairn_buf_free(&b);
		return rc;
	}
	return buf_to_string(&b, ret);
}

int cairn_sigv4_canonical_query(const struct cairn_sigv4_kv *params, size_t n, char **ret_query)
{
	struct cairn_buf out = { 0 };
	struct qparam *q = NULL;
	size_t i, done = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (params[i].name == NULL || params[i].name[0] == '\0')
			return cairn_err(CAIRN_EINVAL, "query parameter %zu has no name", i + 1);
	}
	if (n > 0) {
		q = cairn_calloc(n, sizeof(*q));
		if (q == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu query parameters", n);
	}
	for (; done < n; done++) {
		rc = encode_string(params[done].name, &q[done].name);
		if (rc != 0)
			goto out;
		rc = encode_string(params[done].value ? params[done].value : "", &q[done].value);
		if (rc != 0) {
			free(q[done].name);
			goto out;
		}
	}
	if (n > 1)
		qsort(q, n, sizeof(*q), qparam_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = cairn_buf_put_u8(&out, '&');
		if (rc == 0)
			rc = cairn_buf_append(&out, q[i].name, strlen(q[i].name));
		if (rc == 0)
			rc = cairn_buf_put_u8(&out, '=');
		if (rc == 0)
			rc = cairn_buf_append(&out, q[i].value, strlen(q[i].value));
	}
	if (rc != 0) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot build the canonical query string");
		goto out;
	}
	rc = buf_to_string(&out, ret_query);
out:
	for (i = 0; i < done; i++) {
		free(q[i].name);
		free(q[i].value);
	}
	free(q);
	cairn_buf_free(&out);
	return rc;
}

int cairn_sigv4_amz_date(int64_t unix_ns, char out[CAIRN_SIGV4_AMZ_DATE_LEN])
{
	time_t s;
	struct tm tm;

	/* int64 ns end in 2262: the year always has four digits */
	if (unix_ns < 0)
		return cairn_err(CAIRN_EINVAL, "time %lld ns cannot be an x-amz-date", (long long)unix_ns);
	s = (time_t)(unix_ns / CAIRN_NS_PER_SEC);
	if (gmtime_r(&s, &tm) == NULL)
		return cairn_err(CAIRN_EINVAL, "time %lld ns cannot be an x-amz-date", (long long)unix_ns);
	snprintf(out, CAIRN_SIGV4_AMZ_DATE_LEN, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}
