/* Keyed blob IDs (BLAKE2b-256), storage IDs and streaming SHA-256. */
#include "cairn/crypto.h"

#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct cairn_sha256 *)0)->state),
	       "struct cairn_sha256 must hold crypto_hash_sha256_state");
_Static_assert(_Alignof(crypto_hash_sha256_state) <= 16, "struct cairn_sha256 alignment is too small");
_Static_assert(crypto_hash_sha256_BYTES == CAIRN_ID_BYTES, "storage IDs are SHA-256");
_Static_assert(crypto_generichash_KEYBYTES == CAIRN_KEY_BYTES, "blob-id key is a BLAKE2b key");

/* libsodium may read from its input pointer even for zero lengths. */
static const uint8_t empty_input[1];

void cairn_blob_id(const struct cairn_keys *keys, const void *data, size_t len, uint8_t out[CAIRN_ID_BYTES])
{
	if (len == 0)
		data = empty_input;
	crypto_generichash(out, CAIRN_ID_BYTES, data, len, keys->id, sizeof(keys->id));
}

void cairn_storage_id(const void *data, size_t len, uint8_t out[CAIRN_ID_BYTES])
{
	if (len == 0)
		data = empty_input;
	crypto_hash_sha256(out, data, len);
}

/* The state is copied in and out with memcpy so the byte array in the public
 * struct is never accessed through an incompatible type. */
void cairn_sha256_init(struct cairn_sha256 *h)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	memset(h->state, 0, sizeof(h->state));
	memcpy(h->state, &st, sizeof(st));
}

void cairn_sha256_update(struct cairn_sha256 *h, const void *data, size_t len)
{
	crypto_hash_sha256_state st;

	if (len == 0)
		return;
	memcpy(&st, h->state, sizeof(st));
	crypto_hash_sha256_update(&st, data, len);
	memcpy(h->state, &st, sizeof(st));
}

void cairn_sha256_final(struct cairn_sha256 *h, uint8_t out[CAIRN_ID_BYTES])
{
	crypto_hash_sha256_state st;

	memcpy(&st, h->state, sizeof(st));
	crypto_hash_sha256_final(&st, out);
	memset(h->state, 0, sizeof(h->state));
}
