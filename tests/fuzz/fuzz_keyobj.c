/* Fuzz target: key objects (untrusted JSON in keys/). A key-file secret is
 * used so no expensive Argon2 run is ever started by hostile parameters. */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t raw[32] = { 7 };
	struct cairn_keyobj_info info;
	struct cairn_secret *secret = NULL;
	uint8_t master[CAIRN_KEY_BYTES];

	fuzz_keys(); /* initialises libsodium */
	cairn_keyobj_info(data, size, &info);
	if (cairn_secret_new(CAIRN_SECRET_KEYFILE, raw, sizeof(raw), &secret) == 0) {
		cairn_keyobj_unwrap(data, size, secret, master);
		cairn_secret_free(secret);
	}
	return 0;
}
