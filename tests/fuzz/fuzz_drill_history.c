/* Fuzz target: one line of a drill history (<state dir>/drills/<site>.jsonl,
 * lib/drill/drill_last.c), as status and the metrics file read it back, and
 * its description. A line that counts has a positive time and is described
 * within the buffer. */
#include "harness.h"

#include "cairn/drill.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_drill_last d;
	json_t *rec = NULL;
	char text[1024], tiny[16];

	memset(&d, 0, sizeof(d));
	if (cairn_drill_last_parse((const char *)data, size, &d, &rec) != 0) {
		if (rec != NULL)
			__builtin_trap();
		return 0;
	}
	if (d.time_ns <= 0 || rec == NULL || !json_is_object(rec) || strnlen(d.point, sizeof(d.point)) >= sizeof(d.point) ||
	    strnlen(d.reasons, sizeof(d.reasons)) >= sizeof(d.reasons))
		__builtin_trap();
	json_decref(rec);
	cairn_drill_last_describe(&d, text, sizeof(text));
	cairn_drill_last_describe(&d, tiny, sizeof(tiny));
	if (strnlen(text, sizeof(text)) >= sizeof(text) || strnlen(tiny, sizeof(tiny)) >= sizeof(tiny))
		__builtin_trap();
	return 0;
}
