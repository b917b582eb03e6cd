/* Cryptography for the repository format (docs/FORMAT.md, "Keys" and
 * "Encryption"). libsodium only.
 *
 * - master key: 32 random bytes, never stored in the clear;
 * - subkeys: crypto_kdf (BLAKE2b) of the master key, context "cairnkey",
 *   subkey ids 1 = encryption, 2 = blob id, 3 = chunker;
 * - blob ID: BLAKE2b-256 of the plaintext keyed with the blob-id subkey;
 * - storage ID: SHA-256 of an object's stored bytes (the object's name);
 * - sealed box: nonce(24) || XChaCha20-Poly1305-IETF ciphertext || tag(16),
 *   with caller-chosen associated data;
 * - chunker gear table: 256 little-endian u64 taken from
 *   BLAKE2b-512(key = chunker subkey, message = u32le counter), counter 0..31.
 */
#ifndef CAIRN_CRYPTO_H
#define CAIRN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"

#define CAIRN_KEY_BYTES 32
#define CAIRN_ID_BYTES 32
#define CAIRN_ID_HEX (2 * CAIRN_ID_BYTES + 1)
#define CAIRN_NONCE_BYTES 24
#define CAIRN_TAG_BYTES 16
#define CAIRN_SEAL_OVERHEAD (CAIRN_NONCE_BYTES + CAIRN_TAG_BYTES)

/* Subkeys derived from the master key. Allocated with sodium_malloc (guarded,
 * locked, wiped on free). */
struct cairn_keys {
	uint8_t master[CAIRN_KEY_BYTES];
	uint8_t enc[CAIRN_KEY_BYTES];
	uint8_t id[CAIRN_KEY_BYTES];
	uint8_t chunker[CAIRN_KEY_BYTES];
	uint64_t gear[256];
};

/* Initialise libsodium. Call once before anything else; safe to call again.
 * 0 or CAIRN_EBUG. */
int cairn_crypto_init(void);

/* Derive all subkeys and the gear table from `master`. *ret_keys is owned by
 * the caller; release with cairn_keys_free(). 0 or CAIRN_ENOMEM. */
int cairn_keys_derive(const uint8_t master[CAIRN_KEY_BYTES], struct cairn_keys **ret_keys);
void cairn_keys_free(struct cairn_keys *keys); /* NULL is a no-op */

/* Fill `out` with `len` random bytes. */
void cairn_random_bytes(void *out, size_t len);

/* Keyed BLAKE2b-256 of the plaintext: the blob ID. */
void cairn_blob_id(const struct cairn_keys *keys, const void *data, size_t len, uint8_t out[CAIRN_ID_BYTES]);

/* SHA-256 of stored bytes: the storage ID (object name). */
void cairn_storage_id(const void *data, size_t len, uint8_t out[CAIRN_ID_BYTES]);

/* Incremental SHA-256 for streaming verification. SHA-256 is computed with
 * OpenSSL's libcrypto, which uses the CPU's SHA instructions (several times
 * faster than a portable implementation on the backup hot path).
 * init: 0 or CAIRN_ENOMEM; final releases the state (also call
 * cairn_sha256_abort when abandoning a hash without final). */
struct cairn_sha256 {
	void *ctx; /* EVP_MD_CTX */
};
int cairn_sha256_init(struct cairn_sha256 *h);
void cairn_sha256_update(struct cairn_sha256 *h, const void *data, size_t len);
void cairn_sha256_final(struct cairn_sha256 *h, uint8_t out[CAIRN_ID_BYTES]);
void cairn_sha256_abort(struct cairn_sha256 *h);

/* Seal `plain` with `key` (32 bytes) and associated data `ad`, appending
 * nonce || ciphertext || tag (len + CAIRN_SEAL_OVERHEAD bytes) to `out`.
 * A random nonce is used unless `nonce` is non-NULL (test vectors only).
 * 0 or CAIRN_ENOMEM. */
int cairn_seal(const uint8_t key[CAIRN_KEY_BYTES], const void *ad, size_t adlen, const void *plain,
	       size_t len, const uint8_t *nonce, struct cairn_buf *out);

/* Open a sealed box, appending the plaintext to `out`. CAIRN_ECORRUPT when
 * the box is shorter than the overhead or fails authentication (tampered,
 * wrong associated data or wrong key); no detail is recorded, the caller
 * names the object. */
int cairn_open(const uint8_t key[CAIRN_KEY_BYTES], const void *ad, size_t adlen, const void *sealed,
	       size_t len, struct cairn_buf *out);

/* Secret used to unwrap a key object: a passphrase or the 32 bytes of a raw
 * key file. Allocated with sodium_malloc; free with cairn_secret_free(). */
enum cairn_secret_kind { CAIRN_SECRET_PASSPHRASE = 1, CAIRN_SECRET_KEYFILE = 2 };
struct cairn_secret {
	enum cairn_secret_kind kind;
	size_t len;
	uint8_t *bytes; /* sodium_malloc'd, len bytes */
};

/* Build a secret from bytes (copied). 0 or CAIRN_ENOMEM / CAIRN_EINVAL. */
int cairn_secret_new(enum cairn_secret_kind kind, const void *bytes, size_t len, struct cairn_secret **ret);
void cairn_secret_free(struct cairn_secret *s); /* NULL is a no-op */

/* Read a passphrase file: the whole file, one trailing "\n" or "\r\n"
 * stripped; empty passphrases are refused (CAIRN_EINVAL). */
int cairn_secret_read_passphrase_file(const char *path, struct cairn_secret **ret);

/* Read a raw key file. Refused (CAIRN_EPERM, with a chmod hint) when the file
 * is readable or writable by group or others. Format: "cairn-key-v1 " then 64
 * hex digits and an optional newline. CAIRN_EFORMAT when the magic is not
 * there, CAIRN_ECORRUPT for a bad length or hex digit. */
int cairn_secret_read_key_file(const char *path, struct cairn_secret **ret);

/* Create a new raw key file at `path` with mode 0600 (O_EXCL: never
 * overwrites, CAIRN_EEXIST) holding 32 fresh random bytes; the secret is
 * returned too. */
int cairn_secret_create_key_file(const char *path, struct cairn_secret **ret);

/* Argon2id parameters for passphrase-wrapped keys. */
struct cairn_kdf_params {
	uint64_t opslimit;
	size_t memlimit;
};
/* Default: opslimit 3, memlimit 64 MiB. The environment variable
 * CAIRN_KDF_MEMLIMIT (bytes, >= 8192) overrides memlimit, for tests. */
struct cairn_kdf_params cairn_kdf_params_default(void);

/* Wrap `master` for `secret` into a key object (JSON text, see FORMAT.md
 * "Key objects"), appended to `out`. `host` and `label` are informational
 * (NULL = ""). `params` NULL means cairn_kdf_params_default(); it is ignored
 * for key-file secrets. CAIRN_EINVAL for kdf parameters out of range
 * (opslimit 1..64, memlimit 8 KiB..4 GiB) or host/label not UTF-8. */
int cairn_keyobj_wrap(const uint8_t master[CAIRN_KEY_BYTES], const struct cairn_secret *secret,
		      const struct cairn_kdf_params *params, const char *host, const char *label,
		      struct cairn_buf *out);

/* The most Argon2id work a reader spends on one key object: a local policy,
 * not part of the format (a party that can write to the storage can plant
 * key objects declaring the format's maximum, 64 passes over 4 GiB).
 * Defaults: opslimit 12 and memlimit 256 MiB, four times what Cairn writes
 * (memlimit never below the writer's default, see CAIRN_KDF_MEMLIMIT). The
 * environment variables CAIRN_KDF_MAX_OPSLIMIT (1..64) and
 * CAIRN_KDF_MAX_MEMLIMIT (bytes, 8192..4 GiB) override them; invalid values
 * are ignored. */
#define CAIRN_KDF_MAX_OPSLIMIT_DEFAULT 12
#define CAIRN_KDF_MAX_MEMLIMIT_DEFAULT (256u * 1024 * 1024)
struct cairn_kdf_limits {
	uint64_t max_opslimit;
	size_t max_memlimit;
};
struct cairn_kdf_limits cairn_kdf_limits_default(void);

/* Unwrap a key object with `secret`, writing the master key to ret_master.
 * CAIRN_EAUTH when the secret does not open it (wrong key or passphrase, or a
 * key object made for the other kind of secret); CAIRN_ECORRUPT / EFORMAT
 * for malformed objects or unknown versions (detail recorded); CAIRN_EPERM
 * when a passphrase object declares an Argon2id cost above `limits` (NULL =
 * cairn_kdf_limits_default()): the KDF is not run, and the detail names the
 * cost, the limit and the variable that raises it. A key object of the other
 * kind is refused before any KDF runs. */
int cairn_keyobj_unwrap_limited(const void *obj, size_t len, const struct cairn_secret *secret,
				const struct cairn_kdf_limits *limits, uint8_t ret_master[CAIRN_KEY_BYTES]);
/* cairn_keyobj_unwrap_limited with the default limits. */
int cairn_keyobj_unwrap(const void *obj, size_t len, const struct cairn_secret *secret,
			uint8_t ret_master[CAIRN_KEY_BYTES]);

/* Readers refuse larger key objects (FORMAT.md 3.5). */
#define CAIRN_KEYOBJ_MAX_BYTES (64 * 1024)

/* Informational fields of a key object, for `key list`. Strings are
 * copied into the fixed arrays (truncated). Also checks the object's
 * structure like unwrap does (CAIRN_ECORRUPT / CAIRN_EFORMAT). */
struct cairn_keyobj_info {
	char kind[16];    /* "passphrase" or "keyfile" */
	uint64_t opslimit; /* passphrase objects: the declared Argon2id cost; 0 for key files */
	uint64_t memlimit;
	char created[40]; /* RFC 3339 */
	char host[128];
	char label[128];
};
int cairn_keyobj_info(const void *obj, size_t len, struct cairn_keyobj_info *ret_info);

#endif
