/* Shared set-up for the fuzz targets: a fixed repository key. */
#include "harness.h"

#include <stdlib.h>

const struct cairn_keys *fuzz_keys(void)
{
	static struct cairn_keys *keys; /* fuzzing harness only: made once, read after */
	uint8_t master[CAIRN_KEY_BYTES];

	if (keys == NULL) {
		for (int i = 0; i < CAIRN_KEY_BYTES; i++)
			master[i] = (uint8_t)i;
		if (cairn_crypto_init() < 0 || cairn_keys_derive(master, &keys) < 0)
			abort();
	}
	return keys;
}
