/* Fuzz target: index object parsing. The input is sealed with the test key
 * first, so the fuzzer reaches the structural checks behind authentication. */
#include "harness.h"

#include "cairn/pack.h"

#include <string.h>

static int count_blob(void *ctx, const struct cairn_blob_loc *loc)
{
	(void)loc;
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cairn_keys *keys = fuzz_keys();
	struct cairn_buf sealed = { 0 };
	size_t n = 0;

	if (cairn_seal(keys->enc, "cairn-index-v1", strlen("cairn-index-v1"), data, size, NULL, &sealed) == 0)
		cairn_index_parse(keys, sealed.data, sealed.len, count_blob, NULL, &n);
	/* and the raw bytes, as a forged object that must fail authentication */
	if (cairn_index_parse(keys, data, size, count_blob, NULL, &n) == 0)
		__builtin_trap();
	cairn_buf_free(&sealed);
	return 0;
}
