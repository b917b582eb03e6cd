/* A drill's text: spans of time for its reasons, and untrusted text (names
 * and messages from a repository) made safe to keep and print. */
#include "cairn/drill.h"

#include "cairn/buf.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cairn_drill_format_span(int64_t ns, char *out, size_t len)
{
	if (ns < 0)
		snprintf(out, len, "-");
	else if (ns < 60 * CAIRN_NS_PER_SEC)
		snprintf(out, len, "%.3f s", (double)ns / 1e9);
	else
		cairn_duration_format(ns, out, len);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF refused). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

char *cairn_drill_clean_text(const char *in)
{
	const unsigned char *p = (const unsigned char *)(in != NULL ? in : "");
	size_t len = strlen((const char *)p), o = 0;
	char *out = cairn_calloc(len * 4 + 1, 1); /* every byte may become \xNN */

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			snprintf(out + o, 5, "\\x%02x", *p);
			o += 4;
			p++;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}
