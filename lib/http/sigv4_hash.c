/* SigV4 digests: HMAC-SHA256, the signing-key chain, hex SHA-256, base64 MD5 (OpenSSL libcrypto). */
#include "cairn/sigv4.h"
#include "cairn/buf.h"
#include "cairn/err.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int cairn_sigv4_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			    uint8_t out[CAIRN_SIGV4_KEY_LEN])
{
	static const uint8_t empty[1];
	unsigned int out_len = 0;

	if (key_len > INT_MAX)
		return cairn_err(CAIRN_EBUG, "hmac-sha256 key of %zu bytes is too long", key_len);
	if (HMAC(EVP_sha256(), key, (int)key_len, len ? (const unsigned char *)data : empty, len, out,
		 &out_len) == NULL ||
	    out_len != CAIRN_SIGV4_KEY_LEN)
		return cairn_err(CAIRN_EBUG, "hmac-sha256 failed in libcrypto");
	return 0;
}

int cairn_sigv4_signing_key(const char *secret_key, const char *date8, const char *region,
			    const char *service, uint8_t out[CAIRN_SIGV4_KEY_LEN])
{
	uint8_t k1[CAIRN_SIGV4_KEY_LEN], k2[CAIRN_SIGV4_KEY_LEN];
	size_t secret_len = strlen(secret_key);
	char *seed;
	int rc;

	seed = malloc(secret_len + 5);
	if (seed == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the sigv4 key seed");
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret_key, secret_len + 1);

	rc = cairn_sigv4_hmac_sha256(seed, secret_len + 4, date8, strlen(date8), k1); /* kDate */
	if (rc == 0)
		rc = cairn_sigv4_hmac_sha256(k1, sizeof(k1), region, strlen(region), k2); /* kRegion */
	if (rc == 0)
		rc = cairn_sigv4_hmac_sha256(k2, sizeof(k2), service, strlen(service), k1); /* kService */
	if (rc == 0)
		rc = cairn_sigv4_hmac_sha256(k1, sizeof(k1), "aws4_request", 12, k2); /* kSigning */
	if (rc == 0)
		memcpy(out, k2, CAIRN_SIGV4_KEY_LEN);

	OPENSSL_cleanse(seed, secret_len + 5);
	free(seed);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return rc;
}

static int digest(const EVP_MD *md, const char *name, const void *data, size_t len, uint8_t *out,
		  unsigned int want)
{
	static const uint8_t empty[1];
	unsigned int out_len = 0;

	if (EVP_Digest(len ? data : empty, len, out, &out_len, md, NULL) != 1 || out_len != want)
		return cairn_err(CAIRN_EBUG, "%s digest failed in libcrypto", name);
	return 0;
}

int cairn_sigv4_sha256_hex(const void *data, size_t len, char out[CAIRN_SIGV4_SHA256_HEX_LEN])
{
	uint8_t md[32];
	int rc;

	rc = digest(EVP_sha256(), "sha-256", data, len, md, sizeof(md));
	if (rc != 0)
		return rc;
	cairn_hex_encode(md, sizeof(md), out);
	return 0;
}

int cairn_sigv4_sha256_hex_base64(const void *data, size_t len, char hex[CAIRN_SIGV4_SHA256_HEX_LEN],
				  char b64[CAIRN_SIGV4_SHA256_B64_LEN])
{
	uint8_t md[32];
	int rc;

	rc = digest(EVP_sha256(), "sha-256", data, len, md, sizeof(md));
	if (rc != 0)
		return rc;
	cairn_hex_encode(md, sizeof(md), hex);
	/* 32 bytes -> 44 characters and a NUL, exactly CAIRN_SIGV4_SHA256_B64_LEN */
	if (EVP_EncodeBlock((unsigned char *)b64, md, (int)sizeof(md)) != CAIRN_SIGV4_SHA256_B64_LEN - 1)
		return cairn_err(CAIRN_EBUG, "base64 encoding failed in libcrypto");
	return 0;
}

int cairn_sigv4_md5_base64(const void *data, size_t len, char out[CAIRN_SIGV4_MD5_B64_LEN])
{
	uint8_t md[16];
	int rc;

	rc = digest(EVP_md5(), "md5", data, len, md, sizeof(md));
	if (rc != 0)
		return rc;
	/* 16 bytes -> 24 characters and a NUL, exactly CAIRN_SIGV4_MD5_B64_LEN */
	if (EVP_EncodeBlock((unsigned char *)out, md, (int)sizeof(md)) != CAIRN_SIGV4_MD5_B64_LEN - 1)
		return cairn_err(CAIRN_EBUG, "base64 encoding failed in libcrypto");
	return 0;
}
