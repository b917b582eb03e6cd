/* SigV4 signing: canonical headers, canonical request, string to sign and the Authorization value. */
#include "cairn/sigv4.h"
#include "cairn/buf.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* One header after normalisation. */
struct hdr {
	char *name;   /* lowercased copy, owned */
	char *value;  /* trimmed and collapsed copy, owned */
	size_t order; /* position in the caller's list: keeps duplicates in order */
};

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A token for the credential scope or the Authorization value: non-empty, no
 * whitespace or control characters, none of `forbidden`. */
static int check_word(const char *what, const char *s, const char *forbidden)
{
	const unsigned char *p;

	if (s == NULL || s[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "sigv4 %s is empty", what);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || strchr(forbidden, *p) != NULL)
			return cairn_err(CAIRN_EINVAL, "sigv4 %s '%s' has a forbidden character", what, s);
	}
	return 0;
}

static int check_payload_hash(const char *h)
{
	size_t i;

	if (h == NULL)
		return cairn_err(CAIRN_EINVAL, "sigv4 payload hash is missing");
	if (strcmp(h, CAIRN_SIGV4_UNSIGNED_PAYLOAD) == 0)
		return 0;
	for (i = 0; h[i] != '\0'; i++) {
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			break;
	}
	if (i != 64 || h[i] != '\0')
		return cairn_err(CAIRN_EINVAL,
				 "sigv4 payload hash '%.80s' is neither 64 lowercase hex digits nor '%s'", h,
				 CAIRN_SIGV4_UNSIGNED_PAYLOAD);
	return 0;
}

/* "YYYYMMDDTHHMMSSZ" with plausible fields. */
static int check_amz_date(const char *d)
{
	static const char shape[] = "ddddddddTddddddZ";
	int mon, day, hour, min, sec;
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !(d[i] >= '0' && d[i] <= '9') : d[i] != shape[i])
			goto bad;
	}
	if (d[i] != '\0')
		goto bad;
	mon = (d[4] - '0') * 10 + (d[5] - '0');
	day = (d[6] - '0') * 10 + (d[7] - '0');
	hour = (d[9] - '0') * 10 + (d[10] - '0');
	min = (d[11] - '0') * 10 + (d[12] - '0');
	sec = (d[13] - '0') * 10 + (d[14] - '0');
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		goto bad;
	return 0;
bad:
	return cairn_err(CAIRN_EINVAL, "x-amz-date '%.40s' is not a YYYYMMDDTHHMMSSZ time", d);
}

/* Lowercase the name and normalise the value of one header into h. */
static int normalise(const char *name, const char *value, size_t order, struct hdr *h)
{
	const unsigned char *p;
	size_t n, len;
	char *v;

	if (name == NULL || name[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "header %zu has no name", order + 1);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (!is_tchar(*p))
			return cairn_err(CAIRN_EINVAL, "header name '%.80s' is not an http token", name);
	}
	if (value == NULL)
		value = "";
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return cairn_err(CAIRN_EINVAL, "header '%.80s' has a control character in its value",
					 name);
	}

	h->name = cairn_strdup(name);
	v = malloc(strlen(value) + 1);
	if (h->name == NULL || v == NULL) {
		free(h->name);
		free(v);
		h->name = NULL;
		return cairn_err(CAIRN_ENOMEM, "cannot copy header '%.80s'", name);
	}
	for (n = 0; h->name[n] != '\0'; n++) {
		if (h->name[n] >= 'A' && h->name[n] <= 'Z')
			h->name[n] = (char)(h->name[n] - 'A' + 'a');
	}
	/* trim both ends, collapse inner runs of blanks into one space */
	len = 0;
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (is_blank(*p)) {
			if (len > 0 && v[len - 1] != ' ')
				v[len++] = ' ';
		} else {
			v[len++] = (char)*p;
		}
	}
	if (len > 0 && v[len - 1] == ' ')
		len--;
	v[len] = '\0';
	h->value = v;
	h->order = order;
	return 0;
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The single header called `name` in the sorted list, NULL if absent;
 * CAIRN_EINVAL if it appears more than once. */
static int find_one(const struct hdr *h, size_t n, const char *name, const struct hdr **ret)
{
	size_t i;

	*ret = NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(h[i].name, name) != 0)
			continue;
		if (*ret != NULL)
			return cairn_err(CAIRN_EINVAL, "header '%s' is given more than once", name);
		*ret = &h[i];
	}
	return 0;
}

/* Check the headers a signed request must have and agree with. */
static int check_required(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
			  const struct hdr *h, size_t n, const char **ret_amz_date)
{
	const struct hdr *host, *date, *sha, *tok, *auth;
	int rc;

	if ((rc = find_one(h, n, "host", &host)) != 0 || (rc = find_one(h, n, "x-amz-date", &date)) != 0 ||
	    (rc = find_one(h, n, "x-amz-content-sha256", &sha)) != 0 ||
	    (rc = find_one(h, n, "x-amz-security-token", &tok)) != 0 ||
	    (rc = find_one(h, n, "authorization", &auth)) != 0)
		return rc;
	if (auth != NULL)
		return cairn_err(CAIRN_EINVAL, "an 'authorization' header cannot be signed");
	if (host == NULL || host->value[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "the 'host' header is missing or empty");
	if (date == NULL)
		return cairn_err(CAIRN_EINVAL, "the 'x-amz-date' header is missing");
	if ((rc = check_amz_date(date->value)) != 0)
		return rc;
	if (sha == NULL && strcmp(req->service, "s3") == 0)
		return cairn_err(CAIRN_EINVAL,
				 "the 'x-amz-content-sha256' header is missing (required by s3)");
	if (sha != NULL && strcmp(sha->value, req->payload_hash) != 0)
		return cairn_err(CAIRN_EINVAL,
				 "the 'x-amz-content-sha256' header '%.80s' differs from the payload hash", sha->value);
	if (tok != NULL && (creds->session_token == NULL || strcmp(tok->value, creds->session_token) != 0))
		return cairn_err(CAIRN_EINVAL,
				 "the 'x-amz-security-token' header differs from the session token");
	*ret_amz_date = date->value;
	return 0;
}

static int put_str(struct cairn_buf *b, const char *s)
{
	return cairn_buf_append(b, s, strlen(s));
}

/* Canonical headers ("name:v1,v2\n" per distinct name) into `canon` and the
 * signed header list ("a;b;c") into `names`. */
static int put_headers(struct cairn_buf *canon, struct cairn_buf *names, const struct hdr *h, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			rc = cairn_buf_put_u8(canon, ',');
		} else {
			if (i > 0 && (rc = cairn_buf_put_u8(canon, '\n')) == 0)
				rc = cairn_buf_put_u8(names, ';');
			if (rc == 0 && (rc = put_str(canon, h[i].name)) == 0 && (rc = put_str(names, h[i].name)) == 0)
				rc = cairn_buf_put_u8(canon, ':');
		}
		if (rc == 0)
			rc = put_str(canon, h[i].value);
	}
	if (rc == 0)
		rc = cairn_buf_append(canon, "\n\n", 2);
	if (rc == 0)
		rc = cairn_buf_put_u8(names, 0);
	return rc;
}

static int check_request(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds)
{
	const unsigned char *p;
	int rc;

	if (req->method == NULL || req->method[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "sigv4 method is empty");
	for (p = (const unsigned char *)req->method; *p != '\0'; p++) {
		if (!is_tchar(*p))
			return cairn_err(CAIRN_EINVAL, "sigv4 method '%.40s' is not an http token", req->method);
	}
	if (req->path == NULL || (req->path[0] != '\0' && req->path[0] != '/'))
		return cairn_err(CAIRN_EINVAL, "sigv4 path '%.80s' does not start with '/'",
				 req->path ? req->path : "(null)");
	if ((req->n_query > 0 && req->query == NULL) || (req->n_headers > 0 && req->headers == NULL))
		return cairn_err(CAIRN_EINVAL, "sigv4 request has a count but no array");
	if ((rc = check_word("region", req->region, "/")) != 0 ||
	    (rc = check_word("service", req->service, "/")) != 0 ||
	    (rc = check_word("access key id", creds->access_key_id, "/,=")) != 0 ||
	    (rc = check_payload_hash(req->payload_hash)) != 0)
		return rc;
	if (creds->secret_key == NULL || creds->secret_key[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "sigv4 secret key is empty");
	return 0;
}

/* Normalise and sort the caller's headers, plus the session token when the
 * caller did not list it. */
static int collect_headers(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
			   struct hdr **ret, size_t *ret_n)
{
	int has_token = creds->session_token != NULL && creds->session_token[0] != '\0';
	struct hdr *h;
	size_t i, n = 0;
	int rc = 0, listed = 0;

	h = cairn_calloc(req->n_headers + 1, sizeof(*h));
	if (h == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu headers", req->n_headers + 1);
	for (i = 0; i < req->n_headers && rc == 0; i++) {
		rc = normalise(req->headers[i].name, req->headers[i].value, i, &h[n]);
		if (rc == 0 && strcmp(h[n].name, "x-amz-security-token") == 0)
			listed = 1;
		if (rc == 0)
			n++;
	}
	if (rc == 0 && has_token && !listed) {
		rc = normalise("x-amz-security-token", creds->session_token, req->n_headers, &h[n]);
		if (rc == 0)
			n++;
	}
	if (rc != 0) {
		for (i = 0; i < n; i++) {
			free(h[i].name);
			free(h[i].value);
		}
		free(h);
		return rc;
	}
	qsort(h, n, sizeof(*h), hdr_cmp);
	*ret = h;
	*ret_n = n;
	return 0;
}

/* Take the bytes of `b` (already NUL-terminated) as a string. */
static char *take(struct cairn_buf *b)
{
	char *s = (char *)b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

int cairn_sigv4_sign(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
		     struct cairn_sigv4_result *ret)
{
	struct cairn_buf canon = { 0 }, names = { 0 };
	struct cairn_sigv4_result res = { 0 };
	char creq_hash[CAIRN_SIGV4_SHA256_HEX_LEN];
	char date8[9], *query = NULL;
	uint8_t key[CAIRN_SIGV4_KEY_LEN], mac[CAIRN_SIGV4_KEY_LEN];
	const char *amz_date = NULL;
	struct hdr *h = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = check_request(req, creds)) != 0)
		return rc;
	if ((rc = collect_headers(req, creds, &h, &n)) != 0)
		return rc;
	if ((rc = check_required(req, creds, h, n, &amz_date)) != 0)
		goto out;
	if ((rc = cairn_sigv4_canonical_query(req->query, req->n_query, &query)) != 0)
		goto out;

	/* canonical request: method, uri, query, headers, signed headers, payload hash */
	rc = put_str(&canon, req->method);
	if (rc == 0)
		rc = cairn_buf_put_u8(&canon, '\n');
	if (rc == 0)
		rc = cairn_sigv4_uri_encode(&canon, req->path[0] != '\0' ? req->path : "/", 1);
	if (rc == 0 && (rc = cairn_buf_put_u8(&canon, '\n')) == 0 && (rc = put_str(&canon, query)) == 0)
		rc = cairn_buf_put_u8(&canon, '\n');
	if (rc == 0)
		rc = put_headers(&canon, &names, h, n);
	if (rc == 0 && (rc = put_str(&canon, (const char *)names.data)) == 0 &&
	    (rc = cairn_buf_put_u8(&canon, '\n')) == 0 && (rc = put_str(&canon, req->payload_hash)) == 0)
		rc = cairn_buf_put_u8(&canon, 0);
	if (rc != 0) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot build the sigv4 canonical request");
		goto out;
	}
	if ((rc = cairn_sigv4_sha256_hex(canon.data, canon.len - 1, creq_hash)) != 0)
		goto out;

	/* string to sign: algorithm, time, scope, hash of the canonical request */
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	res.string_to_sign = cairn_asprintf("%s\n%s\n%s/%s/%s/aws4_request\n%s", CAIRN_SIGV4_ALGORITHM, amz_date,
					    date8, req->region, req->service, creq_hash);
	if (res.string_to_sign == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot build the sigv4 string to sign");
		goto out;
	}
	rc = cairn_sigv4_signing_key(creds->secret_key, date8, req->region, req->service, key);
	if (rc == 0)
		rc = cairn_sigv4_hmac_sha256(key, sizeof(key), res.string_to_sign, strlen(res.string_to_sign), mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0)
		goto out;
	cairn_hex_encode(mac, sizeof(mac), res.signature);

	res.authorization = cairn_asprintf("%s Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
					   CAIRN_SIGV4_ALGORITHM, creds->access_key_id, date8, req->region,
					   req->service, (const char *)names.data, res.signature);
	if (res.authorization == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot build the sigv4 authorization value");
		goto out;
	}
	res.canonical_request = take(&canon);
	res.signed_headers = take(&names);
	*ret = res;
	memset(&res, 0, sizeof(res));
out:
	cairn_sigv4_result_free(&res);
	cairn_buf_free(&names);
	cairn_buf_free(&canon);
	free(query);
	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return rc;
}

void cairn_sigv4_result_free(struct cairn_sigv4_result *r)
{
	if (r == NULL)
		return;
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->signed_headers);
	free(r->authorization);
	memset(r, 0, sizeof(*r));
}
