/* Fuzz target: cairn-restore drill's text helpers (lib/drill/drill_text.c and restore/drill_text.c) -
 * the duration options ("<N>ms" or cairn_duration_parse's forms) and the
 * cleaning of untrusted text (names and messages from a repository) before it
 * goes into a report: valid UTF-8 without control characters, HTML- and
 * Markdown-escaped. The file is compiled here (restore/ is no library).
 * Invariant: cleaning is idempotent. */
#include "harness.h"

#include "../../restore/drill_text.c"

#include "cairn/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull; /* opened once */
	char *text, *clean, *again, span[64];
	int64_t ns;

	if (size > 8192)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (drill_duration_parse(text, &ns) == 0) {
		if (ns < 0)
			__builtin_trap();
		cairn_drill_format_span(ns, span, sizeof(span));
	}
	clean = cairn_drill_clean_text(text);
	again = clean != NULL ? cairn_drill_clean_text(clean) : NULL;
	if (clean != NULL && again != NULL) {
		if (strcmp(clean, again) != 0)
			__builtin_trap();
		for (const unsigned char *p = (const unsigned char *)clean; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f)
				__builtin_trap();
		drill_put_html(devnull, clean);
		drill_put_code(devnull, clean);
	}
	free(again);
	free(clean);
	free(text);
	cairn_err_clear();
	return 0;
}
