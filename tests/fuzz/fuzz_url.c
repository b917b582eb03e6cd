/* Fuzz target: URLs and names - repository URLs (s3://BUCKET/PREFIX as the
 * store reads them and as the configuration file checks them), S3 endpoint
 * URLs, and object names/prefixes. Invariants: what the store accepts the
 * configuration accepts too, and the parts put back together parse to the
 * same parts. */
#include "harness.h"

#include "cairn/err.h"
#include "cairn/store.h"
#include "config/config_internal.h"
#include "store/store_int.h"
#include "store/store_s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s3_url_case(const char *url)
{
	enum cairn_config_url_kind kind;
	char *bucket = NULL, *prefix = NULL, *b2 = NULL, *p2 = NULL, canon[512];
	size_t blen;

	if (cairn_s3_parse_url(url, &bucket, &prefix) != 0)
		return;
	blen = strlen(bucket);
	if (blen < 3 || blen > 63 || strlen(prefix) > 200 || (prefix[0] != '\0' && prefix[strlen(prefix) - 1] == '/'))
		__builtin_trap();
	snprintf(canon, sizeof(canon), "s3://%s%s%s", bucket, prefix[0] ? "/" : "", prefix);
	if (cairn_s3_parse_url(canon, &b2, &p2) != 0 || strcmp(bucket, b2) != 0 || strcmp(prefix, p2) != 0)
		__builtin_trap();
	if (cfg_url_kind(canon, &kind) != 0 || kind != CAIRN_CONFIG_URL_S3)
		__builtin_trap(); /* the configuration must not refuse what the store opens */
	free(bucket);
	free(prefix);
	free(b2);
	free(p2);
}

static void endpoint_case(const char *endpoint)
{
	char *origin = NULL, *authority = NULL, *base = NULL, *o2 = NULL, *a2 = NULL, *b2 = NULL, canon[8192];

	if (cairn_s3_endpoint_parse(endpoint, &origin, &authority, &base) != 0)
		return;
	if (authority[0] == '\0' || strchr(authority, '/') != NULL || (base[0] != '\0' && base[0] != '/') ||
	    (base[0] != '\0' && base[strlen(base) - 1] == '/') ||
	    (strncmp(origin, "http://", 7) != 0 && strncmp(origin, "https://", 8) != 0) ||
	    strcmp(origin + strlen(origin) - strlen(authority), authority) != 0)
		__builtin_trap();
	snprintf(canon, sizeof(canon), "%s%s", origin, base);
	if (cairn_s3_endpoint_parse(canon, &o2, &a2, &b2) != 0 || strcmp(origin, o2) != 0 ||
	    strcmp(authority, a2) != 0 || strcmp(base, b2) != 0)
		__builtin_trap();
	free(origin);
	free(authority);
	free(base);
	free(o2);
	free(a2);
	free(b2);
}

static void name_case(const char *name)
{
	const char *why = NULL;

	if (cairn_store_name_valid(name, &why)) {
		if (why != NULL || cairn_store_name_check("fuzz", name) != 0)
			__builtin_trap();
	} else if (why == NULL || cairn_store_name_check("fuzz", name) != CAIRN_EINVAL) {
		__builtin_trap();
	}
	(void)cairn_store_prefix_check("fuzz", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cairn_config_url_kind kind;
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s3_url_case(text);
	endpoint_case(text);
	name_case(text);
	if (cfg_url_kind(text, &kind) == 0 && kind != CAIRN_CONFIG_URL_S3 && kind != CAIRN_CONFIG_URL_LOCAL)
		__builtin_trap();
	free(text);
	cairn_err_clear();
	return 0;
}
