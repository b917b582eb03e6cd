/* Fuzz target: the S3 XML answers (lib/store/store_s3_xml.c) - <Error>
 * bodies, ListObjectsV2 pages, InitiateMultipartUpload results and
 * DeleteResult documents. Every parser reads every input: the documents share
 * the walk, and each parser must refuse the others' documents cleanly. */
#include "harness.h"

#include "cairn/err.h"
#include "store/store_s3_int.h"

#include <stdlib.h>
#include <string.h>

static void check_field(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap) /* must be cut and terminated */
		__builtin_trap();
}

static int on_key(void *ctx, const char *key, uint64_t size)
{
	(void)size;
	if (key == NULL)
		__builtin_trap();
	(*(size_t *)ctx)++;
	return 0;
}

static int on_delete_error(void *ctx, const char *key, const char *code, const char *message)
{
	if (key == NULL || code == NULL || message == NULL)
		__builtin_trap();
	(*(size_t *)ctx)++;
	return 0;
}

static int stop_at_first(void *ctx, const char *key, uint64_t size)
{
	(void)ctx;
	(void)key;
	(void)size;
	return CAIRN_ECANCELED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_s3_error e;
	char *token = NULL, *upload_id = NULL;
	int truncated = -1, rc;
	size_t n = 0;

	rc = cairn_s3_xml_error(data, size, &e);
	if (rc == 0) {
		check_field(e.code, sizeof(e.code));
		check_field(e.message, sizeof(e.message));
		check_field(e.resource, sizeof(e.resource));
		check_field(e.request_id, sizeof(e.request_id));
		check_field(e.bucket, sizeof(e.bucket));
	} else if (rc != CAIRN_ENOTFOUND && rc != CAIRN_EFORMAT && rc != CAIRN_ENOMEM) {
		__builtin_trap();
	}

	rc = cairn_s3_xml_list(data, size, on_key, &n, &truncated, &token);
	if (rc == 0) {
		if (truncated != 0 && truncated != 1)
			__builtin_trap();
		free(token);
	} else if (token != NULL) {
		__builtin_trap(); /* out-params only on success */
	}
	/* a callback's error stops the walk and is returned as is */
	if (n > 0 && cairn_s3_xml_list(data, size, stop_at_first, NULL, &truncated, &token) != CAIRN_ECANCELED)
		__builtin_trap();

	if (cairn_s3_xml_upload_id(data, size, &upload_id) == 0) {
		if (upload_id == NULL)
			__builtin_trap();
		free(upload_id);
	}

	n = 0;
	cairn_s3_xml_delete_errors(data, size, on_delete_error, &n);
	cairn_err_clear();
	return 0;
}
