/* Sealed boxes: nonce || XChaCha20-Poly1305-IETF ciphertext || tag. */
#include "cairn/crypto.h"
#include "cairn/err.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == CAIRN_NONCE_BYTES, "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == CAIRN_TAG_BYTES, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == CAIRN_KEY_BYTES, "key size");

/* Stand-in for NULL pointers with zero lengths, which libsodium may touch. */
static const uint8_t empty_input[1];

int cairn_seal(const uint8_t key[CAIRN_KEY_BYTES], const void *ad, size_t adlen, const void *plain,
	       size_t len, const uint8_t *nonce, struct cairn_buf *out)
{
	unsigned long long clen = 0;
	uint8_t *box;
	int rc;

	if (len > SIZE_MAX - CAIRN_SEAL_OVERHEAD ||
	    len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return cairn_err(CAIRN_ENOMEM, "cannot seal %zu bytes: too large", len);
	rc = cairn_buf_reserve(out, len + CAIRN_SEAL_OVERHEAD);
	if (rc < 0)
		return rc;
	box = out->data + out->len;
	if (nonce != NULL)
		memcpy(box, nonce, CAIRN_NONCE_BYTES);
	else
		randombytes_buf(box, CAIRN_NONCE_BYTES);
	if (plain == NULL)
		plain = empty_input;
	if (ad == NULL)
		ad = empty_input;
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + CAIRN_NONCE_BYTES, &clen, plain, len, ad, adlen,
						   NULL, box, key);
	out->len += CAIRN_NONCE_BYTES + (size_t)clen;
	return 0;
}

int cairn_open(const uint8_t key[CAIRN_KEY_BYTES], const void *ad, size_t adlen, const void *sealed,
	       size_t len, struct cairn_buf *out)
{
	const uint8_t *box = sealed;
	unsigned long long mlen = 0;
	size_t plain_len;
	uint8_t *dst;
	int rc;

	if (box == NULL || len < CAIRN_SEAL_OVERHEAD)
		return CAIRN_ECORRUPT;
	plain_len = len - CAIRN_SEAL_OVERHEAD;
	/* At least one byte so that the destination is never NULL. */
	rc = cairn_buf_reserve(out, plain_len ? plain_len : 1);
	if (rc < 0)
		return rc;
	dst = out->data + out->len;
	if (ad == NULL)
		ad = empty_input;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst, &mlen, NULL, box + CAIRN_NONCE_BYTES,
						       len - CAIRN_NONCE_BYTES, ad, adlen, box, key) != 0) {
		sodium_memzero(dst, plain_len);
		return CAIRN_ECORRUPT;
	}
	out->len += (size_t)mlen;
	return 0;
}
