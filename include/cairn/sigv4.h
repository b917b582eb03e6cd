/* AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256) as pure functions
 * on buffers: the canonical request, the string to sign, the Authorization
 * header value, S3 key encoding and the digests an S3 request needs.
 *
 * No network, no global state, no curl. HMAC-SHA256, SHA-256 and MD5 come from
 * OpenSSL libcrypto (non-deprecated one-shot APIs).
 *
 * A request is signed in one call:
 *
 *	char date[CAIRN_SIGV4_AMZ_DATE_LEN];
 *	cairn_sigv4_amz_date(now_ns, date);
 *	struct cairn_sigv4_kv hdr[] = {
 *		{ "host", "bucket.s3.example.com" },
 *		{ "x-amz-date", date },
 *		{ "x-amz-content-sha256", payload_hex },
 *	};
 *	struct cairn_sigv4_request req = { .method = "PUT", .path = "/dir/key",
 *		.headers = hdr, .n_headers = 3, .payload_hash = payload_hex,
 *		.region = "us-east-1", .service = "s3" };
 *	rc = cairn_sigv4_sign(&req, &creds, &sig);
 *	... send every header in hdr (and x-amz-security-token when the
 *	credentials carry a session token), plus "Authorization: " sig.authorization,
 *	to the URL built from cairn_sigv4_encode_key(path) and
 *	cairn_sigv4_canonical_query(query) ...
 *	cairn_sigv4_result_free(&sig);
 *
 * Errors: CAIRN_EINVAL (with a detail naming the offending argument) for input
 * that cannot be signed, CAIRN_ENOMEM, CAIRN_EBUG when libcrypto fails.
 */
#ifndef CAIRN_SIGV4_H
#define CAIRN_SIGV4_H

#include <stddef.h>
#include <stdint.h>

struct cairn_buf;

#define CAIRN_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* Payload hash for a body that is not hashed (allowed over TLS). */
#define CAIRN_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE. */
#define CAIRN_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define CAIRN_SIGV4_AMZ_DATE_LEN 17 /* "20130524T000000Z" and NUL */
#define CAIRN_SIGV4_SHA256_HEX_LEN 65 /* 64 lowercase hex digits and NUL */
#define CAIRN_SIGV4_SHA256_B64_LEN 45 /* 44 base64 characters and NUL */
#define CAIRN_SIGV4_MD5_B64_LEN 25 /* 24 base64 characters and NUL */
#define CAIRN_SIGV4_KEY_LEN 32 /* derived signing key, HMAC-SHA256 output */

/* A name/value pair: a query parameter or a header. Both borrowed. */
struct cairn_sigv4_kv {
	const char *name;
	const char *value; /* NULL means "" (e.g. the sub-resource ?lifecycle) */
};

/* Credentials. All borrowed; the signer copies nothing it keeps. */
struct cairn_sigv4_creds {
	const char *access_key_id; /* non-empty; no whitespace, control, '/', ',' or '=' */
	const char *secret_key;    /* non-empty */
	const char *session_token; /* NULL or "" for none; else signed as x-amz-security-token */
};

/* One request to sign. Everything is borrowed for the duration of the call.
 *
 * method       HTTP method, a non-empty token ("GET", "PUT", ...), used as given.
 * path         the RAW path, not percent-encoded ("/bucket/a b+c"), starting
 *              with '/' ("" means "/"). The signer encodes it with
 *              cairn_sigv4_encode_key() (S3 rules: every byte but A-Z a-z 0-9
 *              - _ . ~ and '/' becomes %XX); send the request to the same
 *              encoding. Dot segments and "//" are kept as they are (S3 does
 *              not normalise paths).
 * query        raw parameters, any order, duplicates allowed; each name and
 *              value is encoded (here '/' is encoded too), then the pairs are
 *              sorted by encoded name, then encoded value. A parameter with an
 *              empty or NULL value is written "name=". Names must be non-empty.
 * headers      the headers to sign, any order and case. Names are lowercased
 *              and must be HTTP tokens; values are trimmed of spaces and tabs
 *              and inner runs of them collapse to one space; values may not
 *              hold other control characters (CR, LF, NUL ...). Headers with
 *              the same name are joined with ',' in the order given. Every
 *              header listed is signed and must be sent. Required: "host" and
 *              "x-amz-date" (a "YYYYMMDDTHHMMSSZ" UTC stamp, which also gives
 *              the credential scope's date); for service "s3" also
 *              "x-amz-content-sha256", which must equal payload_hash. An
 *              "authorization" header is refused. If the credentials carry a
 *              session token, an "x-amz-security-token" header is signed with
 *              it: listed here it must equal the token; not listed, the signer
 *              adds it to the signed set and the caller must send it.
 * payload_hash 64 lowercase hex digits (cairn_sigv4_sha256_hex() of the body)
 *              or CAIRN_SIGV4_UNSIGNED_PAYLOAD.
 * region       e.g. "us-east-1"; service e.g. "s3". Non-empty, no whitespace,
 *              control characters or '/'.
 */
struct cairn_sigv4_request {
	const char *method;
	const char *path;
	const struct cairn_sigv4_kv *query;
	size_t n_query;
	const struct cairn_sigv4_kv *headers;
	size_t n_headers;
	const char *payload_hash;
	const char *region;
	const char *service;
};

/* What signing produced. The strings are malloc'd and owned by the struct;
 * release them with cairn_sigv4_result_free(). */
struct cairn_sigv4_result {
	char *canonical_request; /* the six lines of the canonical request */
	char *string_to_sign;    /* the four lines of the string to sign */
	char *signed_headers;    /* "host;x-amz-content-sha256;x-amz-date" */
	char *authorization;     /* value of the Authorization header, "AWS4-HMAC-SHA256
				  * Credential=AKID/20130524/us-east-1/s3/aws4_request,
				  * SignedHeaders=..., Signature=<64 hex>" (", " between
				  * the three parts, as the AWS SDKs send it) */
	char signature[CAIRN_SIGV4_SHA256_HEX_LEN];
};

/* Sign `req` with `creds`. On success fills *ret (which the caller later
 * frees with cairn_sigv4_result_free()) and returns 0; on failure *ret is
 * untouched and the code is CAIRN_EINVAL (with a detail), CAIRN_ENOMEM or
 * CAIRN_EBUG. No argument may be NULL. */
int cairn_sigv4_sign(const struct cairn_sigv4_request *req, const struct cairn_sigv4_creds *creds,
		     struct cairn_sigv4_result *ret);

/* Free the strings of a result and zero it. NULL does nothing. */
void cairn_sigv4_result_free(struct cairn_sigv4_result *r);

/* Derive the signing key: kDate = HMAC("AWS4" + secret, date8),
 * kRegion = HMAC(kDate, region), kService = HMAC(kRegion, service),
 * kSigning = HMAC(kService, "aws4_request"). date8 is "YYYYMMDD".
 * Intermediate keys and the copy of the secret are wiped. 0, CAIRN_ENOMEM or
 * CAIRN_EBUG. */
int cairn_sigv4_signing_key(const char *secret_key, const char *date8, const char *region,
			    const char *service, uint8_t out[CAIRN_SIGV4_KEY_LEN]);

/* HMAC-SHA256 of data under key into out[32]. 0 or CAIRN_EBUG. */
int cairn_sigv4_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			    uint8_t out[CAIRN_SIGV4_KEY_LEN]);

/* Lowercase hex SHA-256 of a buffer (the x-amz-content-sha256 value).
 * data may be NULL when len is 0. 0 or CAIRN_EBUG. */
int cairn_sigv4_sha256_hex(const void *data, size_t len, char out[CAIRN_SIGV4_SHA256_HEX_LEN]);
/* The SHA-256 of data once, as hex (x-amz-content-sha256) and as base64
 * (x-amz-checksum-sha256, which S3 checks against the stored bytes). */
int cairn_sigv4_sha256_hex_base64(const void *data, size_t len, char hex[CAIRN_SIGV4_SHA256_HEX_LEN],
				  char b64[CAIRN_SIGV4_SHA256_B64_LEN]);

/* Base64 of the MD5 of a buffer (the Content-MD5 value). data may be NULL
 * when len is 0. 0 or CAIRN_EBUG. */
int cairn_sigv4_md5_base64(const void *data, size_t len, char out[CAIRN_SIGV4_MD5_B64_LEN]);

/* Append the percent-encoding of the NUL-terminated `s` to `out`: bytes
 * A-Z a-z 0-9 - _ . ~ are kept, '/' is kept when keep_slash is non-zero, every
 * other byte becomes %XX with uppercase hex. 0 or CAIRN_ENOMEM. */
int cairn_sigv4_uri_encode(struct cairn_buf *out, const char *s, int keep_slash);

/* Percent-encode an S3 object key or path, keeping '/': "a b/c+d" ->
 * "a%20b/c%2Bd". *ret_encoded is malloc'd; the caller frees it.
 * 0 or CAIRN_ENOMEM. */
int cairn_sigv4_encode_key(const char *key, char **ret_encoded);

/* The canonical query string of n params (see struct cairn_sigv4_request):
 * "max-keys=2&prefix=J"; "" when n is 0. Use it as the request URL's query
 * too, so that what is sent is what was signed. *ret_query is malloc'd; the
 * caller frees it. 0, CAIRN_EINVAL (a NULL or empty name) or CAIRN_ENOMEM. */
int cairn_sigv4_canonical_query(const struct cairn_sigv4_kv *params, size_t n, char **ret_query);

/* Format a time (ns since the Unix epoch, UTC) as the x-amz-date value
 * "YYYYMMDDTHHMMSSZ" (fraction dropped). 0, or CAIRN_EINVAL for times before
 * 1970 (out untouched). */
int cairn_sigv4_amz_date(int64_t unix_ns, char out[CAIRN_SIGV4_AMZ_DATE_LEN]);

#endif
