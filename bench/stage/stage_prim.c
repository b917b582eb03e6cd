/* Alternative primitives, measured alone: is a faster one worth a future
 * format version? (issue 13; nothing here changes the format). */
#include "stage.h"

#include "cairn/err.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ID_PIECE (1u << 20) /* the average chunk */
#define SMALL_PIECE 8192u   /* a small file: one blob of its own */

enum prim_kind {
	P_SHA256_CRYPTO, P_SHA256_SODIUM, P_BLAKE2B, P_SHA256_PIECE, P_HMAC_SHA256, P_XCHACHA, P_AESGCM_SODIUM,
	P_AESGCM_CRYPTO, P_CHACHA_CRYPTO, P_ZSTD1, P_ZSTD3, P_ZSTD1_RANDOM, P_ZSTD3_RANDOM, P_COPY_RANDOM, P_ZSTD3_SMALL,
	P_ZSTD3_SMALL_RANDOM, P_XCHACHA_CRYPTO,
};

struct prim_def {
	enum prim_kind kind;
	const char *name, *note;
	int on_random; /* 1: over the incompressible buffer */
	size_t piece;  /* 0: pieces of `piece` bytes (packs); else this size */
};

static const struct prim_def defs[] = {
	{ P_SHA256_CRYPTO, "sha256_libcrypto_pack", "storage id today (cairn_storage_id, SHA-NI when the CPU has it)", 0, 0 },
	{ P_SHA256_SODIUM, "sha256_libsodium_pack", "the same hash, libsodium's portable code", 0, 0 },
	{ P_BLAKE2B, "blake2b_keyed_chunk", "blob id today (cairn_blob_id, libsodium)", 0, ID_PIECE },
	{ P_SHA256_PIECE, "sha256_libcrypto_chunk", "an id by SHA-256 instead (unkeyed)", 0, ID_PIECE },
	{ P_HMAC_SHA256, "hmac_sha256_libcrypto_chunk", "a keyed id by HMAC-SHA-256", 0, ID_PIECE },
	{ P_XCHACHA, "xchacha20poly1305_libsodium_chunk", "sealing today (cairn_seal)", 0, ID_PIECE },
	{ P_XCHACHA_CRYPTO, "xchacha20poly1305_libcrypto_chunk", "the same bytes as today's seal: HChaCha20 (libsodium) + libcrypto's ChaCha20-Poly1305", 0, ID_PIECE },
	{ P_AESGCM_SODIUM, "aes256gcm_libsodium_chunk", "AES-256-GCM, libsodium (AES-NI)", 0, ID_PIECE },
	{ P_AESGCM_CRYPTO, "aes256gcm_libcrypto_chunk", "AES-256-GCM, libcrypto (AES-NI, VAES)", 0, ID_PIECE },
	{ P_CHACHA_CRYPTO, "chacha20poly1305_libcrypto_chunk", "ChaCha20-Poly1305, libcrypto (AVX2/AVX-512)", 0, ID_PIECE },
	{ P_ZSTD1, "zstd1_chunk", "cairn_compress at level 1 (ratio: out/in)", 0, ID_PIECE },
	{ P_ZSTD3, "zstd3_chunk", "cairn_compress at level 3, the default", 0, ID_PIECE },
	{ P_ZSTD1_RANDOM, "zstd1_random_chunk", "level 1 on incompressible data", 1, ID_PIECE },
	{ P_ZSTD3_RANDOM, "zstd3_random_chunk", "level 3 on incompressible data (what a backup of random spends)", 1, ID_PIECE },
	{ P_COPY_RANDOM, "copy_random_chunk", "storing raw: the copy blob_plaintext makes", 1, ID_PIECE },
	{ P_ZSTD3_SMALL, "zstd3_8k", "level 3 on 8 KiB pieces of the input (small files)", 0, SMALL_PIECE },
	{ P_ZSTD3_SMALL_RANDOM, "zstd3_random_8k", "level 3 on 8 KiB incompressible pieces", 1, SMALL_PIECE },
};

_Static_assert(sizeof(defs) / sizeof(defs[0]) <= STAGE_PRIM_MAX, "STAGE_PRIM_MAX");

struct prim_state {
	const struct cairn_keys *keys;
	struct cairn_zctx *z1, *z3;
	struct cairn_buf out;
	EVP_CIPHER_CTX *cctx;
	size_t in_bytes, out_bytes;
};

static int evp_seal(struct prim_state *st, const EVP_CIPHER *cipher, const uint8_t *p, size_t n)
{
	static const uint8_t ad[46] = { 0 };
	uint8_t iv[12] = { 0 }, tag[16];
	int len = 0;

	randombytes_buf(iv, sizeof(iv));
	if (EVP_EncryptInit_ex(st->cctx, cipher, NULL, st->keys->enc, iv) != 1 ||
	    EVP_EncryptUpdate(st->cctx, NULL, &len, ad, sizeof(ad)) != 1 ||
	    EVP_EncryptUpdate(st->cctx, st->out.data, &len, p, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(st->cctx, st->out.data + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(st->cctx, EVP_CTRL_AEAD_GET_TAG, sizeof(tag), tag) != 1)
		return cairn_err(CAIRN_EBUG, "libcrypto cannot seal %zu bytes", n);
	return 0;
}

int stage_xchacha_libcrypto(void *cctx, const uint8_t key[CAIRN_KEY_BYTES], const uint8_t nonce[CAIRN_NONCE_BYTES],
			    const void *ad, size_t adlen, const void *plain, size_t len, uint8_t *out)
{
	uint8_t subkey[CAIRN_KEY_BYTES], iv[12] = { 0 };
	int n = 0, rc = 0;

	if (len > INT_MAX || adlen > INT_MAX)
		return cairn_err(CAIRN_EINVAL, "cannot seal %zu bytes with libcrypto: too large", len);
	/* XChaCha20-Poly1305-IETF = ChaCha20-Poly1305-IETF keyed with
	 * HChaCha20(key, nonce[0..16)), nonce 0000 || nonce[16..24) */
	crypto_core_hchacha20(subkey, nonce, key, NULL);
	memcpy(iv + 4, nonce + 16, 8);
	if (EVP_EncryptInit_ex(cctx, EVP_chacha20_poly1305(), NULL, subkey, iv) != 1 ||
	    (adlen > 0 && EVP_EncryptUpdate(cctx, NULL, &n, ad, (int)adlen) != 1) ||
	    (len > 0 && EVP_EncryptUpdate(cctx, out, &n, plain, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(cctx, out + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG, CAIRN_TAG_BYTES, out + len) != 1)
		rc = cairn_err(CAIRN_EBUG, "libcrypto cannot seal %zu bytes with ChaCha20-Poly1305", len);
	sodium_memzero(subkey, sizeof(subkey));
	return rc;
}

/* One piece through the primitive `kind`. */
static int prim_piece(struct prim_state *st, enum prim_kind kind, const uint8_t *p, size_t n)
{
	static const uint8_t ad[46] = { 0 };
	uint8_t id[CAIRN_ID_BYTES], nonce[CAIRN_NONCE_BYTES];
	unsigned long long clen;
	unsigned int hlen;
	int compressed = 0, rc = 0;

	switch (kind) {
	case P_SHA256_CRYPTO:
	case P_SHA256_PIECE:
		cairn_storage_id(p, n, id);
		break;
	case P_SHA256_SODIUM:
		crypto_hash_sha256(id, p, n);
		break;
	case P_BLAKE2B:
		cairn_blob_id(st->keys, p, n, id);
		break;
	case P_HMAC_SHA256:
		if (HMAC(EVP_sha256(), st->keys->id, CAIRN_KEY_BYTES, p, n, id, &hlen) == NULL)
			rc = cairn_err(CAIRN_EBUG, "libcrypto cannot compute an HMAC of %zu bytes", n);
		break;
	case P_XCHACHA:
		randombytes_buf(nonce, sizeof(nonce));
		crypto_aead_xchacha20poly1305_ietf_encrypt(st->out.data, &clen, p, n, ad, sizeof(ad), NULL, nonce,
							   st->keys->enc);
		break;
	case P_XCHACHA_CRYPTO:
		randombytes_buf(nonce, sizeof(nonce));
		rc = stage_xchacha_libcrypto(st->cctx, st->keys->enc, nonce, ad, sizeof(ad), p, n, st->out.data);
		break;
	case P_AESGCM_SODIUM:
		randombytes_buf(nonce, crypto_aead_aes256gcm_NPUBBYTES);
		crypto_aead_aes256gcm_encrypt(st->out.data, &clen, p, n, ad, sizeof(ad), NULL, nonce, st->keys->enc);
		break;
	case P_AESGCM_CRYPTO:
		rc = evp_seal(st, EVP_aes_256_gcm(), p, n);
		break;
	case P_CHACHA_CRYPTO:
		rc = evp_seal(st, EVP_chacha20_poly1305(), p, n);
		break;
	case P_ZSTD1:
	case P_ZSTD1_RANDOM:
	case P_ZSTD3:
	case P_ZSTD3_RANDOM:
	case P_ZSTD3_SMALL:
	case P_ZSTD3_SMALL_RANDOM:
		cairn_buf_reset(&st->out);
		rc = cairn_compress(kind == P_ZSTD1 || kind == P_ZSTD1_RANDOM ? st->z1 : st->z3, p, n, &st->out,
				    &compressed);
		st->out_bytes += compressed ? st->out.len : n;
		break;
	case P_COPY_RANDOM:
		cairn_buf_reset(&st->out);
		rc = cairn_buf_append(&st->out, p, n);
		break;
	}
	st->in_bytes += n;
	return rc;
}

static int prim_run(struct prim_state *st, const struct prim_def *d, const uint8_t *buf, size_t len, size_t piece,
		    struct stage_prim *ret)
{
	struct stage_clock t0, t1;
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	ret->name = d->name;
	ret->note = d->note;
	if (d->kind == P_AESGCM_SODIUM && !crypto_aead_aes256gcm_is_available())
		return 0;
	ret->available = 1;
	st->in_bytes = st->out_bytes = 0;
	stage_clock_now(&t0);
	for (size_t off = 0; rc == 0 && off < len; off += piece)
		rc = prim_piece(st, d->kind, buf + off, len - off < piece ? len - off : piece);
	stage_clock_now(&t1);
	stage_acc_add(&ret->acc, &t0, &t1);
	ret->acc.bytes = st->in_bytes;
	ret->acc.items = (len + piece - 1) / piece;
	if (st->in_bytes > 0 && st->out_bytes > 0)
		ret->ratio = (double)st->out_bytes / (double)st->in_bytes;
	return rc;
}

int stage_prims_run(const struct cairn_keys *keys, const uint8_t *sample, size_t sample_len, const uint8_t *random,
		    size_t random_len, size_t piece, struct stage_prim ret[STAGE_PRIM_MAX], size_t *ret_count)
{
	struct prim_state st = { .keys = keys };
	size_t n = 0;
	int rc;

	rc = cairn_zctx_new(1, &st.z1);
	if (rc == 0)
		rc = cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &st.z3);
	if (rc == 0)
		rc = cairn_buf_reserve(&st.out, (piece > ID_PIECE ? piece : ID_PIECE) + 64);
	if (rc == 0 && (st.cctx = EVP_CIPHER_CTX_new()) == NULL)
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate a libcrypto cipher context");
	for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++) {
		const struct prim_def *d = &defs[i];

		rc = prim_run(&st, d, d->on_random ? random : sample, d->on_random ? random_len : sample_len,
			      d->piece ? d->piece : piece, &ret[n]);
		n++;
	}
	EVP_CIPHER_CTX_free(st.cctx);
	cairn_buf_free(&st.out);
	cairn_zctx_free(st.z1);
	cairn_zctx_free(st.z3);
	if (rc == 0)
		*ret_count = n;
	return rc;
}
