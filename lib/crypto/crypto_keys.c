/* libsodium initialisation, master-key subkey derivation and the chunker gear table. */
#include "cairn/crypto.h"
#include "cairn/err.h"

#include <sodium.h>
#include <string.h>

/* crypto_kdf context shared by every subkey (exactly 8 bytes, no NUL). */
static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "cairnkey";

enum { SUBKEY_ENC = 1, SUBKEY_ID = 2, SUBKEY_CHUNKER = 3 };

/* 256 gear entries = 32 BLAKE2b-512 outputs of 8 little-endian u64 each. */
#define GEAR_BLOCKS 32
#define GEAR_PER_BLOCK (crypto_generichash_BYTES_MAX / 8)

_Static_assert(crypto_generichash_BYTES_MAX == 64, "gear blocks are BLAKE2b-512");
_Static_assert(GEAR_BLOCKS * GEAR_PER_BLOCK == 256, "gear table has 256 entries");
_Static_assert(crypto_kdf_KEYBYTES == CAIRN_KEY_BYTES, "master key is a crypto_kdf key");

int cairn_crypto_init(void)
{
	if (sodium_init() < 0)
		return cairn_err(CAIRN_EBUG, "cannot initialise libsodium");
	return 0;
}

static int derive_subkey(uint8_t out[CAIRN_KEY_BYTES], uint64_t id, const uint8_t master[CAIRN_KEY_BYTES])
{
	if (crypto_kdf_derive_from_key(out, CAIRN_KEY_BYTES, id, kdf_context, master) != 0)
		return cairn_err(CAIRN_EBUG, "cannot derive subkey %llu", (unsigned long long)id);
	return 0;
}

static void derive_gear(uint64_t gear[256], const uint8_t chunker_key[CAIRN_KEY_BYTES])
{
	uint8_t block[crypto_generichash_BYTES_MAX];
	uint8_t counter[4];

	for (uint32_t i = 0; i < GEAR_BLOCKS; i++) {
		cairn_le32_store(counter, i);
		crypto_generichash(block, sizeof(block), counter, sizeof(counter), chunker_key, CAIRN_KEY_BYTES);
		for (size_t j = 0; j < GEAR_PER_BLOCK; j++)
			gear[i * GEAR_PER_BLOCK + j] = cairn_le64_load(block + 8 * j);
	}
	sodium_memzero(block, sizeof(block));
}

int cairn_keys_derive(const uint8_t master[CAIRN_KEY_BYTES], struct cairn_keys **ret_keys)
{
	struct cairn_keys *k;
	int rc;

	k = sodium_malloc(sizeof(*k));
	if (k == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu bytes of key memory", sizeof(*k));
	memcpy(k->master, master, CAIRN_KEY_BYTES);
	rc = derive_subkey(k->enc, SUBKEY_ENC, master);
	if (rc == 0)
		rc = derive_subkey(k->id, SUBKEY_ID, master);
	if (rc == 0)
		rc = derive_subkey(k->chunker, SUBKEY_CHUNKER, master);
	if (rc < 0) {
		sodium_free(k);
		return rc;
	}
	derive_gear(k->gear, k->chunker);
	*ret_keys = k;
	return 0;
}

void cairn_keys_free(struct cairn_keys *keys)
{
	if (keys != NULL)
		sodium_free(keys); /* wipes before unmapping */
}

void cairn_random_bytes(void *out, size_t len)
{
	randombytes_buf(out, len);
}
