/* Object name and list prefix validation: the guard that keeps a hostile name inside the store. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "cairn/err.h"

static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-' || c == '/';
}

bool cairn_store_name_valid(const char *name, const char **why)
{
	const char *reason = NULL;
	size_t len, start = 0;

	if (name == NULL || name[0] == '\0') {
		reason = "empty name";
		goto out;
	}
	len = strnlen(name, CAIRN_STORE_NAME_MAX + 1);
	if (len > CAIRN_STORE_NAME_MAX) {
		reason = "longer than 255 bytes";
		goto out;
	}
	if (name[0] == '/') {
		reason = "absolute name";
		goto out;
	}
	for (size_t i = 0; i <= len; i++) {
		size_t clen;

		if (i < len && !name_char_ok((unsigned char)name[i])) {
			reason = "character outside [A-Za-z0-9._-/]";
			goto out;
		}
		if (i < len && name[i] != '/')
			continue;
		clen = i - start;
		if (clen == 0) {
			reason = "empty path component";
			goto out;
		}
		if (name[start] == '.') {
			reason = clen <= 2 && (clen == 1 || name[start + 1] == '.') ? "'.' or '..' component"
										    : "hidden component";
			goto out;
		}
		if (start == 0 && clen == 3 && memcmp(name, "tmp", 3) == 0) {
			reason = "'tmp' is reserved";
			goto out;
		}
		start = i + 1;
	}
out:
	if (reason != NULL && why != NULL)
		*why = reason;
	return reason == NULL;
}

/* Copy at most 64 bytes of `s` into `out`, replacing unprintable bytes. */
static void escape_name(const char *s, char *out, size_t outlen)
{
	size_t i = 0;

	for (; s[i] != '\0' && i < 64 && i + 4 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && i + 4 < outlen) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int cairn_store_name_check(const char *where, const char *name)
{
	const char *why = "";
	char esc[80];

	if (name == NULL)
		return cairn_err(CAIRN_EINVAL, "invalid object name in '%s': null name", where);
	if (cairn_store_name_valid(name, &why))
		return 0;
	escape_name(name, esc, sizeof(esc));
	return cairn_err(CAIRN_EINVAL, "invalid object name '%s' in '%s': %s", esc, where, why);
}

int cairn_store_prefix_check(const char *where, const char *prefix)
{
	char tmp[CAIRN_STORE_NAME_MAX + 2];
	const char *why = "";
	char esc[80];
	size_t len;

	if (prefix == NULL)
		return cairn_err(CAIRN_EINVAL, "invalid list prefix in '%s': null prefix", where);
	if (prefix[0] == '\0')
		return 0;
	len = strnlen(prefix, sizeof(tmp));
	if (len < sizeof(tmp)) {
		memcpy(tmp, prefix, len + 1);
		if (tmp[len - 1] == '/')
			tmp[len - 1] = '\0';
		if (cairn_store_name_valid(tmp, &why))
			return 0;
	} else {
		why = "longer than 255 bytes";
	}
	escape_name(prefix, esc, sizeof(esc));
	return cairn_err(CAIRN_EINVAL, "invalid list prefix '%s' in '%s': %s", esc, where, why);
}
