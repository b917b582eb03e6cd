/* Fuzz target: tree blob decoding (plaintext after a blob is opened). */
#include "harness.h"

#include "cairn/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_entry *entries = NULL;
	struct cairn_buf again = { 0 };
	size_t count = 0;

	if (cairn_tree_decode(data, size, &entries, &count) == 0) {
		/* whatever decodes must encode back to the same bytes */
		if (cairn_tree_encode(entries, count, &again) != 0 || again.len != size)
			__builtin_trap();
		for (size_t i = 0; i < size; i++)
			if (again.data[i] != data[i])
				__builtin_trap();
		cairn_entries_free(entries, count);
		cairn_buf_free(&again);
	}
	return 0;
}
