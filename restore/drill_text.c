/* cairn-restore drill: the duration options, and text escaped for Markdown and HTML. */
#include "drill.h"

#include "cairn/buf.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>

int drill_duration_parse(const char *text, int64_t *ret_ns)
{
	size_t len = strlen(text), i;
	int64_t ms = 0;

	if (len > 2 && strcmp(text + len - 2, "ms") == 0) {
		for (i = 0; i < len - 2; i++) {
			if (text[i] < '0' || text[i] > '9' || ms > INT64_MAX / 10000000 - 10)
				return -1;
			ms = ms * 10 + (text[i] - '0');
		}
		*ret_ns = ms * 1000000;
		return 0;
	}
	return cairn_duration_parse(text, ret_ns) == 0 ? 0 : -1;
}

void drill_put_html(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void drill_put_code(FILE *f, const char *s)
{
	size_t run = 0, longest = 0, n = strlen(s);
	int pad;

	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* a fence longer than any run of backticks inside; spaces when the text
	 * starts or ends with one */
	pad = n > 0 && (s[0] == '`' || s[n - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	fputs(pad ? " " : "", f);
	fputs(s, f);
	fputs(pad ? " " : "", f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
}
