/* S3 requests over many parts or keys: multipart upload (with abort on failure) and multi-object delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "store/store_int.h"
#include "store/store_s3_int.h"

#define ETAG_MAX 128
#define DELETE_BATCH CAIRN_STORE_DEL_MANY_MAX
#define SMALL_ANSWER (1u << 20)

/* Abort an upload without losing the detail of the error that caused it. */
static int abort_upload(struct s3_store *s, const char *name, const char *key, const char *upload_id, int rc)
{
	struct cairn_sigv4_kv q[1] = { { "uploadId", upload_id } };
	struct s3_req r = { .method = "DELETE", .name = name, .key = key, .query = q, .n_query = 1,
			    .max_body = SMALL_ANSWER };
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", cairn_err_msg());
	(void)cairn_s3_request(s, &r);
	cairn_http_response_free(&r.resp);
	return cairn_err(rc, "%s", saved);
}

static int create_upload(struct s3_store *s, const char *name, const char *key, char **ret_id)
{
	struct cairn_sigv4_kv q[1] = { { "uploads", "" } };
	struct cairn_sigv4_kv hdr[2];
	char until[CAIRN_TIME_STR];
	struct cairn_buf body = { 0 };
	struct s3_req r = { .method = "POST", .name = name, .key = key, .query = q, .n_query = 1, .sink = &body,
			    .max_body = SMALL_ANSWER, .headers = hdr };
	int rc;

	r.n_headers = cairn_s3_lock_headers(s, hdr, until);

	rc = cairn_s3_request(s, &r);
	if (rc == 0)
		rc = cairn_s3_xml_upload_id(body.data, body.len, ret_id);
	if (rc != 0)
		rc = cairn_err_ctx(rc, "cannot start a multipart upload of '%s' in '%s'", name, s->desc);
	cairn_http_response_free(&r.resp);
	cairn_buf_free(&body);
	return rc;
}

static int upload_part(struct s3_store *s, const char *name, const char *key, const char *upload_id,
		       unsigned part, const void *data, size_t len, char *ret_etag)
{
	char num[16], md5[CAIRN_SIGV4_MD5_B64_LEN];
	struct cairn_sigv4_kv q[2] = { { "partNumber", num }, { "uploadId", upload_id } };
	struct cairn_sigv4_kv hdr[1] = { { "content-md5", md5 } };
	struct s3_req r = { .method = "PUT", .name = name, .key = key, .query = q, .n_query = 2, .headers = hdr,
			    .n_headers = 1, .body = data, .body_len = len, .max_body = SMALL_ANSWER };
	int rc;

	snprintf(num, sizeof(num), "%u", part);
	rc = cairn_sigv4_md5_base64(data, len, md5);
	if (rc == 0)
		rc = cairn_s3_request(s, &r);
	if (rc == 0 && (r.resp.etag[0] == '\0' || strlen(r.resp.etag) >= ETAG_MAX - 1))
		rc = cairn_err(CAIRN_ETRANSIENT, "S3 PUT '%s/%s' part %u: answer without a usable ETag", s->bucket, key,
			       part);
	if (rc == 0)
		memcpy(ret_etag, r.resp.etag, strlen(r.resp.etag) + 1);
	cairn_http_response_free(&r.resp);
	return rc;
}

static int complete_upload(struct s3_store *s, const char *name, const char *key, const char *upload_id,
			   const char (*etags)[ETAG_MAX], unsigned nparts)
{
	struct cairn_sigv4_kv q[1] = { { "uploadId", upload_id } };
	struct cairn_buf doc = { 0 }, body = { 0 };
	struct s3_req r = { .method = "POST", .name = name, .key = key, .query = q, .n_query = 1, .sink = &body,
			    .max_body = SMALL_ANSWER };
	struct cairn_s3_error e;
	char part[64];
	int rc = 0;

	rc |= cairn_buf_append(&doc, "<CompleteMultipartUpload>", 25);
	for (unsigned i = 0; i < nparts && rc == 0; i++) {
		int n = snprintf(part, sizeof(part), "<Part><PartNumber>%u</PartNumber><ETag>", i + 1);

		rc |= cairn_buf_append(&doc, part, (size_t)n);
		rc |= cairn_s3_xml_escape(&doc, etags[i]);
		rc |= cairn_buf_append(&doc, "</ETag></Part>", 14);
	}
	rc |= cairn_buf_append(&doc, "</CompleteMultipartUpload>", 26);
	if (rc != 0) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot complete the upload of '%s': out of memory", name);
		goto out;
	}
	r.body = doc.data;
	r.body_len = doc.len;
	rc = cairn_s3_request(s, &r);
	/* a 200 answer may still carry an <Error> (the failure came after the headers) */
	if (rc == 0 && cairn_s3_xml_error(body.data, body.len, &e) == 0) {
		rc = cairn_s3_classify(500, e.code);
		rc = cairn_err(rc != 0 ? rc : CAIRN_ETRANSIENT, "S3 POST '%s/%s' (complete upload): 200 %s: %s (request id %s)",
			       s->bucket, key, e.code, e.message, e.request_id[0] != '\0' ? e.request_id : "none");
	}
out:
	cairn_http_response_free(&r.resp);
	cairn_buf_free(&doc);
	cairn_buf_free(&body);
	return rc;
}

int cairn_s3_put_multipart(struct s3_store *s, const char *name, const char *key, const void *data, size_t len)
{
	uint64_t part = s->part_size;
	char (*etags)[ETAG_MAX] = NULL;
	char *upload_id = NULL;
	unsigned nparts;
	int rc;

	/* at most 10000 parts: grow the part size (in MiB steps) for huge objects */
	if ((len + part - 1) / part > CAIRN_S3_MAX_PARTS)
		part = (((uint64_t)len + CAIRN_S3_MAX_PARTS - 1) / CAIRN_S3_MAX_PARTS + (1u << 20) - 1) & ~((1ULL << 20) - 1);
	nparts = (unsigned)((len + part - 1) / part);
	if (nparts == 0)
		nparts = 1;
	etags = cairn_calloc(nparts, sizeof(*etags));
	if (etags == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot upload '%s': out of memory", name);
	rc = create_upload(s, name, key, &upload_id);
	if (rc != 0)
		goto out;
	for (unsigned i = 0; i < nparts && rc == 0; i++) {
		size_t off = (size_t)(i * part), n = len - off < part ? len - off : (size_t)part;

		rc = upload_part(s, name, key, upload_id, i + 1, (const uint8_t *)data + off, n, etags[i]);
	}
	if (rc == 0)
		rc = complete_upload(s, name, key, upload_id, (const char(*)[ETAG_MAX])etags, nparts);
	if (rc != 0)
		rc = abort_upload(s, name, key, upload_id, rc);
out:
	free(upload_id);
	free(etags);
	return rc;
}

struct del_batch {
	size_t n;
	size_t failed;
	char first_key[256], first_code[64], first_msg[256];
};

static int del_error(void *ctx, const char *key, const char *code, const char *message)
{
	struct del_batch *b = ctx;

	if (b->failed++ == 0) {
		snprintf(b->first_key, sizeof(b->first_key), "%s", key);
		snprintf(b->first_code, sizeof(b->first_code), "%s", code);
		snprintf(b->first_msg, sizeof(b->first_msg), "%s", message);
	}
	return 0;
}

int cairn_s3_del_many(struct cairn_store *st, const char *const *names, size_t n)
{
	struct s3_store *s = st->impl;
	struct del_batch *b;
	struct cairn_sigv4_kv q[1] = { { "delete", "" } };
	char md5[CAIRN_SIGV4_MD5_B64_LEN];
	struct cairn_sigv4_kv hdr[1] = { { "content-md5", md5 } };
	struct cairn_buf doc = { 0 }, body = { 0 };
	struct s3_req r = { .method = "POST", .query = q, .n_query = 1, .headers = hdr, .n_headers = 1,
			    .sink = &body, .max_body = 16u << 20 };
	int rc = 0;

	if (n > DELETE_BATCH)
		return cairn_err(CAIRN_EBUG, "multi-object delete of %zu keys in '%s': at most %d a request", n,
				 s->desc, DELETE_BATCH);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot delete from '%s': out of memory", s->desc);
	b->n = n;
	rc |= cairn_buf_append(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>", 65);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc |= cairn_buf_append(&doc, "<Object><Key>", 13);
		rc |= cairn_s3_xml_escape(&doc, s->key_prefix);
		rc |= cairn_s3_xml_escape(&doc, names[i]);
		rc |= cairn_buf_append(&doc, "</Key></Object>", 15);
	}
	rc |= cairn_buf_append(&doc, "</Delete>", 9);
	if (rc != 0) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot delete from '%s': out of memory", s->desc);
		goto out;
	}
	rc = cairn_sigv4_md5_base64(doc.data, doc.len, md5);
	if (rc != 0)
		goto out;
	r.body = doc.data;
	r.body_len = doc.len;
	rc = cairn_s3_request(s, &r);
	if (rc == 0)
		rc = cairn_s3_xml_delete_errors(body.data, body.len, del_error, b);
	if (rc == 0 && b->failed > 0) {
		rc = cairn_s3_classify(0, b->first_code);
		rc = cairn_err(rc != 0 ? rc : CAIRN_EIO,
			       "S3 multi-object delete in '%s': %zu of %zu keys failed; first '%s': %s: %s", s->desc,
			       b->failed, b->n, b->first_key, b->first_code, b->first_msg);
	}
out:
	cairn_http_response_free(&r.resp);
	cairn_buf_free(&doc);
	cairn_buf_free(&body);
	free(b);
	return rc;
}
