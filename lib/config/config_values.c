/* Strict parsers for configuration values: booleans, whole numbers,
 * rates, names, tags, host names and repository URLs. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cairn/err.h"
#include "config/config_internal.h"

int cfg_parse_bool(const char *text, int *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -1;
}

/* Decimal digits only (no sign, blanks or trailing text), within [min, max]. */
int cfg_parse_int(const char *text, int64_t min, int64_t max, int64_t *ret)
{
	int64_t v = 0;

	if (*text == '\0')
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}


int cfg_valid_name(const char *name)
{
	size_t n = 0;

	for (; name[n] != '\0'; n++) {
		char c = name[n];

		if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && c != '_' && c != '-')
			return 0;
	}
	return n >= 1 && n <= CAIRN_CONFIG_NAME_MAX;
}

int cfg_valid_tag(const char *tag)
{
	size_t n = 0;

	for (; tag[n] != '\0'; n++) {
		char c = tag[n];

		if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && strchr("._:@+=-", c) == NULL)
			return 0;
	}
	return n >= 1 && n <= CAIRN_CONFIG_TAG_MAX;
}

/* A host name as written into snapshots: 1..253 of [A-Za-z0-9._-]. */
int cfg_valid_host(const char *host)
{
	size_t n = 0;

	for (; host[n] != '\0'; n++) {
		char c = host[n];

		if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return n >= 1 && n <= 253;
}

/* s3://BUCKET[/PREFIX]: a bucket of 3..63 of [A-Za-z0-9._-], a prefix of
 * '/'-separated components without "." and ".." (the store checks the
 * rest when it opens). */
static int valid_s3(const char *rest)
{
	size_t blen = strcspn(rest, "/");
	const char *p;

	if (blen < 3 || blen > 63)
		return 0;
	for (size_t i = 0; i < blen; i++) {
		char c = rest[i];

		if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && c != '.' && c != '-' && c != '_')
			return 0;
	}
	p = rest + blen;
	while (*p == '/') {
		size_t clen;

		p++;
		clen = strcspn(p, "/");
		if (clen == 0 && p[0] == '\0')
			break; /* trailing '/' */
		if (clen == 0 || (clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (size_t i = 0; i < clen; i++) {
			if (!isgraph((unsigned char)p[i]))
				return 0;
		}
		p += clen;
	}
	return *p == '\0';
}

int cfg_url_kind(const char *url, enum cairn_config_url_kind *ret)
{
	if (strncmp(url, "s3://", 5) == 0) {
		if (!valid_s3(url + 5))
			return -1;
		*ret = CAIRN_CONFIG_URL_S3;
		return 0;
	}
	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	if (url[0] != '/')
		return -1;
	*ret = CAIRN_CONFIG_URL_LOCAL;
	return 0;
}
