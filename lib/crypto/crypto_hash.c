/* Keyed blob IDs (BLAKE2b-256), storage IDs and streaming SHA-256. */
#include "cairn/crypto.h"

#include "cairn/err.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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
	unsigned int n = 0;

	if (len == 0)
		data = empty_input;
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != CAIRN_ID_BYTES)
		abort(); /* only fails when libcrypto cannot allocate a few bytes */
}

int cairn_sha256_init(struct cairn_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cairn_err(CAIRN_ENOMEM, "cannot start a SHA-256 hash");
	}
	h->ctx = ctx;
	return 0;
}

void cairn_sha256_update(struct cairn_sha256 *h, const void *data, size_t len)
{
	if (len > 0)
		EVP_DigestUpdate(h->ctx, data, len);
}

void cairn_sha256_final(struct cairn_sha256 *h, uint8_t out[CAIRN_ID_BYTES])
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	cairn_sha256_abort(h);
}

void cairn_sha256_abort(struct cairn_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}
