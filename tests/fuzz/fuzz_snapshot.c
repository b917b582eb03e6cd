/* Fuzz target: snapshot documents (JSON after opening). */
#include "harness.h"

#include "cairn/snapshot.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_snapshot s = { 0 };
	char *json = NULL;

	if (cairn_snapshot_from_json((const char *)data, size, "fuzz", &s) == 0) {
		if (cairn_snapshot_to_json(&s, &json) != 0)
			__builtin_trap();
		free(json);
		cairn_snapshot_clear(&s);
	}
	return 0;
}
