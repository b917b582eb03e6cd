/* Sealed boxes: nonce || XChaCha20-Poly1305-IETF ciphertext || tag.
 *
 * XChaCha20-Poly1305-IETF is ChaCha20-Poly1305-IETF (RFC 8439) keyed with
 * HChaCha20(key, nonce[0..16)) and the nonce 0x00000000 || nonce[16..24).
 * libsodium computes the subkey; libcrypto's ChaCha20-Poly1305, about twice
 * as fast here (bench/results/issue13-stage), does the bulk. The boxes are
 * byte for byte libsodium's (tests/unit/crypto/test_seal.c checks both
 * ways); libsodium's own functions remain the reference. */
#include "cairn/crypto.h"
#include "cairn/err.h"

#include <limits.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* EVP updates take an int length: bulk data goes in pieces of this many. */
#define EVP_PIECE (1 << 30)

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == CAIRN_NONCE_BYTES, "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == CAIRN_TAG_BYTES, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == CAIRN_KEY_BYTES, "key size");

/* Stand-in for NULL pointers with zero lengths, which libsodium may touch. */
static const uint8_t empty_input[1];

/* ChaCha20-Poly1305-IETF under the HChaCha20 subkey of (key, nonce):
 * encrypt (writing the tag) or decrypt (checking `tag`) len bytes of `in`
 * into `out`. 0, CAIRN_ECORRUPT (decrypt: authentication failed) or
 * CAIRN_ENOMEM / CAIRN_EBUG when libcrypto fails. */
static int ietf_crypt(int enc, const uint8_t key[CAIRN_KEY_BYTES], const uint8_t nonce[CAIRN_NONCE_BYTES],
		      const void *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	uint8_t subkey[CAIRN_KEY_BYTES], iv[12] = { 0 };
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok, rc = 0;

	if (ctx == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a cipher context");
	crypto_core_hchacha20(subkey, nonce, key, NULL);
	memcpy(iv + 4, nonce + 16, 8);
	ok = EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, subkey, iv, enc) == 1;
	sodium_memzero(subkey, sizeof(subkey));
	for (size_t done = 0; ok && done < adlen; done += (size_t)n) {
		size_t piece = adlen - done < EVP_PIECE ? adlen - done : EVP_PIECE;

		ok = EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)ad + done, (int)piece) == 1;
	}
	for (size_t done = 0; ok && done < len; done += (size_t)n) {
		size_t piece = len - done < EVP_PIECE ? len - done : EVP_PIECE;

		ok = EVP_CipherUpdate(ctx, out + done, &n, in + done, (int)piece) == 1 && (size_t)n == piece;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CAIRN_TAG_BYTES, tag) == 1;
	if (!ok) {
		rc = cairn_err(CAIRN_EBUG, "libcrypto cannot %s %zu bytes with ChaCha20-Poly1305", enc ? "seal" : "open",
			       len);
	} else if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
		rc = enc ? cairn_err(CAIRN_EBUG, "libcrypto cannot seal %zu bytes with ChaCha20-Poly1305", len)
			 : CAIRN_ECORRUPT;
	} else if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CAIRN_TAG_BYTES, tag) != 1) {
		rc = cairn_err(CAIRN_EBUG, "libcrypto cannot give the tag of %zu sealed bytes", len);
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

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
	rc = ietf_crypt(1, key, box, ad, adlen, plain, len, box + CAIRN_NONCE_BYTES, box + CAIRN_NONCE_BYTES + len);
	if (rc < 0)
		return rc;
	clen = len + CAIRN_TAG_BYTES;
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
	rc = ietf_crypt(0, key, box, ad, adlen, box + CAIRN_NONCE_BYTES, plain_len, dst,
			(uint8_t *)(uintptr_t)(box + len - CAIRN_TAG_BYTES));
	if (rc < 0) {
		sodium_memzero(dst, plain_len);
		return rc;
	}
	mlen = plain_len;
	out->len += (size_t)mlen;
	return 0;
}
