/* Internal to the S3 driver: the store object, one signed request, XML parsing, error classification. */
#ifndef CAIRN_STORE_S3_INT_H
#define CAIRN_STORE_S3_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/http.h"
#include "cairn/s3.h"
#include "cairn/sigv4.h"
#include "cairn/store.h"
#include "cairn/timeutil.h"

struct s3_store {
	struct cairn_store base;
	struct cairn_http_client *http;
	char *desc;        /* "s3://bucket/prefix" */
	char *origin;      /* "http://127.0.0.1:9000" or "https://bucket.s3.amazonaws.com" */
	char *host;        /* the Host header: the origin's authority */
	char *base_path;   /* raw path before "/<key>": "/base/bucket" (path style) or "/base" ("" if none) */
	char *bucket;
	char *key_prefix;  /* "prefix/" or "" */
	char *region;
	char *access_key, *secret_key, *session_token; /* secret and token wiped at free */
	uint64_t multipart_threshold, part_size;
	char max_keys[8];  /* keys per list page, decimal */
	atomic_int cond_put; /* If-None-Match on PUT: 0 untried, 1 works, -1 refused by the server */
	int64_t object_lock_ns; /* retention of new objects, 0 = none */
	const char *object_lock_mode; /* "COMPLIANCE" or "GOVERNANCE" */
};

/* The Object Lock headers for an object written now (none when the store
 * has no retention): fills up to 2 entries of hdr, using `until` (at least
 * CAIRN_TIME_STR bytes) for the date; returns how many. */
size_t cairn_s3_lock_headers(const struct s3_store *s, struct cairn_sigv4_kv *hdr, char *until);

/* One S3 request. The caller fills the inputs; cairn_s3_request fills resp. */
struct s3_req {
	const char *method;
	const char *name;                     /* store name for messages, NULL for bucket requests */
	const char *key;                      /* full raw key, NULL for the bucket itself */
	const struct cairn_sigv4_kv *query;   /* raw query parameters (encoded and sorted here) */
	size_t n_query;
	const struct cairn_sigv4_kv *headers; /* extra headers, signed and sent (lowercase names) */
	size_t n_headers;
	const void *body;
	size_t body_len;
	struct cairn_buf *sink;               /* 2xx body goes here (NULL: resp.body) */
	uint64_t max_body;                    /* 0 = no limit */
	int checksum;                         /* also send x-amz-checksum-sha256 of the body */
	struct cairn_http_response resp;      /* freed by the caller with cairn_http_response_free */
	char s3_code[64];                     /* the S3 error code of a non-2xx answer, "" if none */
};

/* Sign and send `r`. 0 for a 2xx answer. A non-2xx answer is classified
 * (cairn_s3_classify) with a detail "S3 METHOD 'bucket/key': STATUS CODE:
 * MESSAGE (request id ID)"; transport errors are the HTTP client's. */
int cairn_s3_request(struct s3_store *s, struct s3_req *r);

/* The CAIRN_E* code for an S3 answer: 0 for 2xx; by the S3 error `code`
 * when it is a known one ("" or NULL for none), else by `status`. */
int cairn_s3_classify(long status, const char *code);

/* An S3 <Error> document, each field cut to fit. */
struct cairn_s3_error {
	char code[64];
	char message[256];
	char resource[256];
	char request_id[96];
	char bucket[72];
};

/* Parse an <Error> body into *ret (zeroed first). 0 when the root element
 * is <Error>; CAIRN_ENOTFOUND (no detail) for a well-formed document with
 * another root; CAIRN_EFORMAT (no detail) when the bytes are not
 * acceptable XML (malformed, truncated, a DTD, too deep or too long). */
int cairn_s3_xml_error(const void *xml, size_t len, struct cairn_s3_error *ret);

/* Parse a ListObjectsV2 page (<ListBucketResult>): cb(ctx, key, size) for
 * each <Contents> (a non-zero return stops and is returned),
 * *ret_truncated from <IsTruncated>, and *ret_token (malloc'd, NULL when
 * absent) from <NextContinuationToken>. CAIRN_ETRANSIENT with a detail for
 * malformed XML or a <Contents> without Key or Size, CAIRN_EINVAL for a
 * DTD or another root element, CAIRN_ENOMEM. */
int cairn_s3_xml_list(const void *xml, size_t len, int (*cb)(void *ctx, const char *key, uint64_t size),
		      void *ctx, int *ret_truncated, char **ret_token);

/* The <UploadId> of an <InitiateMultipartUploadResult> (malloc'd). Errors
 * as cairn_s3_xml_list. */
int cairn_s3_xml_upload_id(const void *xml, size_t len, char **ret_upload_id);

/* The <Error> entries of a <DeleteResult>: cb(ctx, key, code, message) for
 * each. Errors as cairn_s3_xml_list. */
int cairn_s3_xml_delete_errors(const void *xml, size_t len,
			       int (*cb)(void *ctx, const char *key, const char *code, const char *message),
			       void *ctx);

/* Append `s` to `out` with &, <, >, ", ' escaped. 0 or CAIRN_ENOMEM. */
int cairn_s3_xml_escape(struct cairn_buf *out, const char *s);

/* The store's list operation (ListObjectsV2 with pagination). */
int cairn_s3_list(struct cairn_store *st, const char *prefix, int (*cb)(void *ctx, const char *name, uint64_t size),
		  void *ctx);

/* The store's del_many operation: one multi-object delete request (see
 * include/cairn/s3.h) for 1..CAIRN_STORE_DEL_MANY_MAX checked names. */
int cairn_s3_del_many(struct cairn_store *st, const char *const *names, size_t n);

/* Multipart upload of `len` bytes under `key` (see include/cairn/s3.h). */
int cairn_s3_put_multipart(struct s3_store *s, const char *name, const char *key, const void *data, size_t len);

/* The HTTP client of an S3 store (no decorators), or NULL for other stores. */
struct cairn_http_client *cairn_s3_store_http(struct cairn_store *s);

/* The driver state of an S3 store (no decorators), or NULL for other stores. */
struct s3_store *cairn_s3_store_of(struct cairn_store *s);

/* Read `profile` from the shared credentials file at `path`. The three
 * results are malloc'd (*ret_token NULL when absent), written only on
 * success. 0; CAIRN_ENOTFOUND (with a detail) when the file does not exist;
 * CAIRN_EAUTH when the profile or its keys are missing; CAIRN_EINVAL for an
 * unreadable or oversized file; CAIRN_ENOMEM. */
int cairn_s3_credentials_file(const char *path, const char *profile, char **ret_access, char **ret_secret,
			      char **ret_token);

/* Split an endpoint URL "http[s]://authority[/base]" into malloc'd parts:
 * origin "http[s]://authority", the authority and the base path ("" or
 * "/base" without a trailing '/'). 0, CAIRN_EINVAL (with a detail) or
 * CAIRN_ENOMEM. */
int cairn_s3_endpoint_parse(const char *endpoint, char **ret_origin, char **ret_authority, char **ret_base);

#endif
