/* Key objects: the master key wrapped for a passphrase (Argon2id) or a key file, as JSON. */
#include "cairn/crypto.h"
#include "cairn/err.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYOBJ_VERSION 1
#define KEYOBJ_AD "cairn-key-v1"
#define KEYOBJ_KEK_MSG "cairn-kek-v1"
#define KEYOBJ_SALT_BYTES 16
#define KEYOBJ_WRAPPED_BYTES (CAIRN_KEY_BYTES + CAIRN_TAG_BYTES)
#define KDF_OPSLIMIT_MAX 64
#define KDF_MEMLIMIT_MAX (4ull * 1024 * 1024 * 1024)
#define KDF_OPSLIMIT_DEFAULT 3
#define KDF_MEMLIMIT_DEFAULT (64u * 1024 * 1024)

_Static_assert(crypto_pwhash_SALTBYTES == KEYOBJ_SALT_BYTES, "argon2 salt size");

/* The binary fields of a key object. */
struct keyobj {
	enum cairn_secret_kind kind;
	struct cairn_kdf_params kdf;
	uint8_t salt[KEYOBJ_SALT_BYTES];
	uint8_t box[CAIRN_NONCE_BYTES + KEYOBJ_WRAPPED_BYTES]; /* nonce || wrapped */
};

static unsigned long long env_uint(const char *name, unsigned long long min, unsigned long long max,
				   unsigned long long def);

struct cairn_kdf_params cairn_kdf_params_default(void)
{
	struct cairn_kdf_params p = { KDF_OPSLIMIT_DEFAULT, KDF_MEMLIMIT_DEFAULT };

	p.memlimit = (size_t)env_uint("CAIRN_KDF_MEMLIMIT", crypto_pwhash_MEMLIMIT_MIN,
				      KDF_MEMLIMIT_MAX < SIZE_MAX ? KDF_MEMLIMIT_MAX : SIZE_MAX, KDF_MEMLIMIT_DEFAULT);
	return p;
}

/* An unsigned decimal environment value in [min, max], or `def`. */
static unsigned long long env_uint(const char *name, unsigned long long min, unsigned long long max,
				   unsigned long long def)
{
	const char *env = getenv(name);
	unsigned long long v;
	char *end;

	if (env == NULL || env[0] < '0' || env[0] > '9')
		return def;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return def;
	return v;
}

struct cairn_kdf_limits cairn_kdf_limits_default(void)
{
	struct cairn_kdf_limits l;
	size_t writer = cairn_kdf_params_default().memlimit;
	unsigned long long mem = CAIRN_KDF_MAX_MEMLIMIT_DEFAULT;

	/* keys this host writes always open here */
	if (writer > mem)
		mem = writer;
	l.max_opslimit = env_uint("CAIRN_KDF_MAX_OPSLIMIT", crypto_pwhash_OPSLIMIT_MIN, KDF_OPSLIMIT_MAX,
				  CAIRN_KDF_MAX_OPSLIMIT_DEFAULT);
	mem = env_uint("CAIRN_KDF_MAX_MEMLIMIT", crypto_pwhash_MEMLIMIT_MIN,
		       KDF_MEMLIMIT_MAX < SIZE_MAX ? KDF_MEMLIMIT_MAX : SIZE_MAX, mem);
	l.max_memlimit = (size_t)mem;
	return l;
}

static int kdf_params_ok(uint64_t opslimit, unsigned long long memlimit)
{
	return opslimit >= crypto_pwhash_OPSLIMIT_MIN && opslimit <= KDF_OPSLIMIT_MAX &&
	       memlimit >= crypto_pwhash_MEMLIMIT_MIN && memlimit <= KDF_MEMLIMIT_MAX && memlimit <= SIZE_MAX;
}

/* KEK for a passphrase: Argon2id13(passphrase, salt). KEK for a key file:
 * BLAKE2b-256(key = key-file bytes, message = "cairn-kek-v1" || salt). */
static int derive_kek(const struct cairn_secret *secret, const struct cairn_kdf_params *kdf,
		      const uint8_t salt[KEYOBJ_SALT_BYTES], uint8_t kek[CAIRN_KEY_BYTES])
{
	uint8_t msg[sizeof(KEYOBJ_KEK_MSG) - 1 + KEYOBJ_SALT_BYTES];

	if (secret->kind == CAIRN_SECRET_PASSPHRASE) {
		if (crypto_pwhash(kek, CAIRN_KEY_BYTES, (const char *)secret->bytes, secret->len, salt,
				  kdf->opslimit, kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
			return cairn_err(CAIRN_ENOMEM, "argon2id with memlimit %zu failed: out of memory",
					 kdf->memlimit);
		return 0;
	}
	memcpy(msg, KEYOBJ_KEK_MSG, sizeof(KEYOBJ_KEK_MSG) - 1);
	memcpy(msg + sizeof(KEYOBJ_KEK_MSG) - 1, salt, KEYOBJ_SALT_BYTES);
	crypto_generichash(kek, CAIRN_KEY_BYTES, msg, sizeof(msg), secret->bytes, secret->len);
	return 0;
}

static int check_secret(const struct cairn_secret *secret)
{
	if (secret == NULL || secret->bytes == NULL || secret->len == 0)
		return cairn_err(CAIRN_EINVAL, "missing secret");
	if (secret->kind == CAIRN_SECRET_KEYFILE && secret->len == CAIRN_KEY_BYTES)
		return 0;
	if (secret->kind == CAIRN_SECRET_PASSPHRASE)
		return 0;
	return cairn_err(CAIRN_EINVAL, "invalid secret (kind %d, %zu bytes)", (int)secret->kind, secret->len);
}

static const char *kind_name(enum cairn_secret_kind kind)
{
	return kind == CAIRN_SECRET_PASSPHRASE ? "passphrase" : "keyfile";
}

static const char *kdf_name(enum cairn_secret_kind kind)
{
	return kind == CAIRN_SECRET_PASSPHRASE ? "argon2id13" : "blake2b";
}

static int set_hex(json_t *o, const char *field, const uint8_t *bytes, size_t len)
{
	char hex[2 * (CAIRN_NONCE_BYTES + KEYOBJ_WRAPPED_BYTES) + 1];

	if (2 * len + 1 > sizeof(hex))
		return CAIRN_EBUG;
	cairn_hex_encode(bytes, len, hex);
	return json_object_set_new(o, field, json_string(hex)) == 0 ? 0 : CAIRN_ENOMEM;
}

static int set_text(json_t *o, const char *field, const char *value)
{
	json_t *s = json_string(value != NULL ? value : "");

	if (s == NULL)
		return cairn_err(CAIRN_EINVAL, "key object field '%s' is not valid UTF-8", field);
	return json_object_set_new(o, field, s) == 0 ? 0 : cairn_err(CAIRN_ENOMEM, "cannot build key object");
}

static void rfc3339_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(out, "1970-01-01T00:00:00Z");
}

/* Build the JSON tree of a key object; *ret is owned by the caller. */
static int build_json(const struct keyobj *k, const char *host, const char *label, json_t **ret)
{
	char created[32];
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build key object");
	rfc3339_now(created);
	if (json_object_set_new(o, "version", json_integer(KEYOBJ_VERSION)) != 0 ||
	    json_object_set_new(o, "kind", json_string(kind_name(k->kind))) != 0 ||
	    json_object_set_new(o, "kdf", json_string(kdf_name(k->kind))) != 0)
		rc = CAIRN_ENOMEM;
	if (rc == 0 && k->kind == CAIRN_SECRET_PASSPHRASE &&
	    (json_object_set_new(o, "opslimit", json_integer((json_int_t)k->kdf.opslimit)) != 0 ||
	     json_object_set_new(o, "memlimit", json_integer((json_int_t)k->kdf.memlimit)) != 0))
		rc = CAIRN_ENOMEM;
	if (rc == 0)
		rc = set_hex(o, "salt", k->salt, sizeof(k->salt));
	if (rc == 0)
		rc = set_hex(o, "nonce", k->box, CAIRN_NONCE_BYTES);
	if (rc == 0)
		rc = set_hex(o, "wrapped", k->box + CAIRN_NONCE_BYTES, KEYOBJ_WRAPPED_BYTES);
	if (rc == CAIRN_ENOMEM)
		rc = cairn_err(CAIRN_ENOMEM, "cannot build key object");
	if (rc == 0)
		rc = set_text(o, "created", created);
	if (rc == 0)
		rc = set_text(o, "host", host);
	if (rc == 0)
		rc = set_text(o, "label", label);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*ret = o;
	return 0;
}

int cairn_keyobj_wrap(const uint8_t master[CAIRN_KEY_BYTES], const struct cairn_secret *secret,
		      const struct cairn_kdf_params *params, const char *host, const char *label,
		      struct cairn_buf *out)
{
	struct cairn_kdf_params def = cairn_kdf_params_default();
	struct cairn_buf sealed = { 0 };
	struct keyobj k = { 0 };
	uint8_t kek[CAIRN_KEY_BYTES];
	json_t *o = NULL;
	char *text = NULL;
	int rc;

	rc = check_secret(secret);
	if (rc < 0)
		return rc;
	k.kind = secret->kind;
	k.kdf = params != NULL ? *params : def;
	if (k.kind == CAIRN_SECRET_PASSPHRASE && !kdf_params_ok(k.kdf.opslimit, k.kdf.memlimit))
		return cairn_err(CAIRN_EINVAL, "kdf parameters out of range (opslimit %llu, memlimit %zu)",
				 (unsigned long long)k.kdf.opslimit, k.kdf.memlimit);
	cairn_random_bytes(k.salt, sizeof(k.salt));
	rc = derive_kek(secret, &k.kdf, k.salt, kek);
	if (rc < 0)
		goto out;
	rc = cairn_seal(kek, KEYOBJ_AD, sizeof(KEYOBJ_AD) - 1, master, CAIRN_KEY_BYTES, NULL, &sealed);
	if (rc < 0)
		goto out;
	if (sealed.len != sizeof(k.box)) {
		rc = cairn_err(CAIRN_EBUG, "sealed master key has %zu bytes", sealed.len);
		goto out;
	}
	memcpy(k.box, sealed.data, sizeof(k.box));
	rc = build_json(&k, host, label, &o);
	if (rc < 0)
		goto out;
	text = json_dumps(o, JSON_INDENT(2));
	if (text == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot serialise key object");
		goto out;
	}
	/* readers refuse larger key objects (FORMAT.md 2.4): one would be a key
	 * that never opens */
	if (strlen(text) + 1 > CAIRN_KEYOBJ_MAX_BYTES) {
		rc = cairn_err(CAIRN_EINVAL, "key object of %zu bytes is larger than a key object may be (%d bytes): "
			       "the label or host is too long", strlen(text) + 1, CAIRN_KEYOBJ_MAX_BYTES);
		goto out;
	}
	rc = cairn_buf_append(out, text, strlen(text));
	if (rc == 0)
		rc = cairn_buf_put_u8(out, '\n');
out:
	free(text);
	json_decref(o);
	cairn_buf_free(&sealed);
	sodium_memzero(kek, sizeof(kek));
	return rc;
}

/* ---- parsing ---- */

static int get_hex(json_t *o, const char *field, uint8_t *out, size_t len)
{
	json_t *v = json_object_get(o, field);

	if (!json_is_string(v))
		return cairn_err(CAIRN_ECORRUPT, "key object field '%s' is missing or not a string", field);
	/* lowercase only, as everywhere in the format (FORMAT.md 1.1) */
	if (json_string_length(v) != 2 * len || strspn(json_string_value(v), "0123456789abcdef") != 2 * len ||
	    cairn_hex_decode(json_string_value(v), out, len) < 0)
		return cairn_err(CAIRN_ECORRUPT, "key object field '%s' is not %zu bytes in lowercase hex", field,
				 len);
	return 0;
}

static int get_uint(json_t *o, const char *field, unsigned long long *ret)
{
	json_t *v = json_object_get(o, field);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return cairn_err(CAIRN_ECORRUPT, "key object field '%s' is missing or not a non-negative integer",
				 field);
	*ret = (unsigned long long)json_integer_value(v);
	return 0;
}

static int get_string(json_t *o, const char *field, const char **ret)
{
	json_t *v = json_object_get(o, field);

	if (!json_is_string(v))
		return cairn_err(CAIRN_ECORRUPT, "key object field '%s' is missing or not a string", field);
	*ret = json_string_value(v);
	return 0;
}

/* Parse the text into a JSON object and check its version. */
static int load_json(const void *obj, size_t len, json_t **ret)
{
	json_error_t jerr;
	unsigned long long version;
	json_t *o;
	int rc;

	if (obj == NULL || len == 0)
		return cairn_err(CAIRN_ECORRUPT, "key object is empty");
	if (len > CAIRN_KEYOBJ_MAX_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "key object of %zu bytes is too large", len);
	o = json_loadb(obj, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return cairn_err(CAIRN_ECORRUPT, "key object is not valid JSON: %s (line %d)", jerr.text,
				 jerr.line);
	if (!json_is_object(o)) {
		json_decref(o);
		return cairn_err(CAIRN_ECORRUPT, "key object is not a JSON object");
	}
	rc = get_uint(o, "version", &version);
	if (rc == 0 && version != KEYOBJ_VERSION)
		rc = cairn_err(CAIRN_EFORMAT, "key object version %llu is not supported (expected %d)", version,
			       KEYOBJ_VERSION);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*ret = o;
	return 0;
}

static int parse_kind(json_t *o, enum cairn_secret_kind *ret)
{
	const char *kind = "";
	int rc = get_string(o, "kind", &kind);

	if (rc < 0)
		return rc;
	if (strcmp(kind, "passphrase") == 0)
		*ret = CAIRN_SECRET_PASSPHRASE;
	else if (strcmp(kind, "keyfile") == 0)
		*ret = CAIRN_SECRET_KEYFILE;
	else
		return cairn_err(CAIRN_ECORRUPT, "key object field 'kind' has unknown value '%s'", kind);
	return 0;
}

static int parse_keyobj(json_t *o, struct keyobj *k)
{
	unsigned long long ops = 0, mem = 0;
	const char *kdf = "";
	int rc;

	rc = parse_kind(o, &k->kind);
	if (rc < 0)
		return rc;
	rc = get_string(o, "kdf", &kdf);
	if (rc < 0)
		return rc;
	if (strcmp(kdf, kdf_name(k->kind)) != 0)
		return cairn_err(CAIRN_ECORRUPT, "key object field 'kdf' is '%s', expected '%s' for kind '%s'", kdf,
				 kdf_name(k->kind), kind_name(k->kind));
	if (k->kind == CAIRN_SECRET_PASSPHRASE) {
		rc = get_uint(o, "opslimit", &ops);
		if (rc == 0)
			rc = get_uint(o, "memlimit", &mem);
		if (rc < 0)
			return rc;
		if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > KDF_OPSLIMIT_MAX)
			return cairn_err(CAIRN_ECORRUPT, "key object field 'opslimit' is out of range (%llu)", ops);
		if (!kdf_params_ok(ops, mem))
			return cairn_err(CAIRN_ECORRUPT, "key object field 'memlimit' is out of range (%llu)", mem);
		k->kdf.opslimit = ops;
		k->kdf.memlimit = (size_t)mem;
	}
	rc = get_hex(o, "salt", k->salt, sizeof(k->salt));
	if (rc == 0)
		rc = get_hex(o, "nonce", k->box, CAIRN_NONCE_BYTES);
	if (rc == 0)
		rc = get_hex(o, "wrapped", k->box + CAIRN_NONCE_BYTES, KEYOBJ_WRAPPED_BYTES);
	return rc;
}

/* CAIRN_EPERM when a passphrase object's cost is above the local policy. */
static int check_limits(const struct keyobj *k, const struct cairn_kdf_limits *limits)
{
	struct cairn_kdf_limits def;

	if (k->kind != CAIRN_SECRET_PASSPHRASE)
		return 0;
	if (limits == NULL) {
		def = cairn_kdf_limits_default();
		limits = &def;
	}
	if (k->kdf.opslimit > limits->max_opslimit)
		return cairn_err(CAIRN_EPERM,
				 "key object declares an argon2id opslimit of %llu, above this host's limit of %llu "
				 "(raise it with CAIRN_KDF_MAX_OPSLIMIT if you made this key)",
				 (unsigned long long)k->kdf.opslimit, (unsigned long long)limits->max_opslimit);
	if (k->kdf.memlimit > limits->max_memlimit)
		return cairn_err(CAIRN_EPERM,
				 "key object declares an argon2id memlimit of %zu bytes, above this host's limit of %zu "
				 "(raise it with CAIRN_KDF_MAX_MEMLIMIT if you made this key)",
				 k->kdf.memlimit, limits->max_memlimit);
	return 0;
}

int cairn_keyobj_unwrap(const void *obj, size_t len, const struct cairn_secret *secret,
			uint8_t ret_master[CAIRN_KEY_BYTES])
{
	return cairn_keyobj_unwrap_limited(obj, len, secret, NULL, ret_master);
}

int cairn_keyobj_unwrap_limited(const void *obj, size_t len, const struct cairn_secret *secret,
				const struct cairn_kdf_limits *limits, uint8_t ret_master[CAIRN_KEY_BYTES])
{
	struct cairn_buf plain = { 0 };
	uint8_t kek[CAIRN_KEY_BYTES];
	struct keyobj k = { 0 };
	json_t *o = NULL;
	int rc;

	rc = check_secret(secret);
	if (rc < 0)
		return rc;
	rc = load_json(obj, len, &o);
	if (rc < 0)
		return rc;
	rc = parse_keyobj(o, &k);
	json_decref(o);
	if (rc < 0)
		return rc;
	if (k.kind != secret->kind)
		return cairn_err(CAIRN_EAUTH, "key object needs a %s, not a %s",
				 k.kind == CAIRN_SECRET_KEYFILE ? "key file" : "passphrase",
				 secret->kind == CAIRN_SECRET_KEYFILE ? "key file" : "passphrase");
	rc = check_limits(&k, limits);
	if (rc < 0)
		return rc;
	rc = derive_kek(secret, &k.kdf, k.salt, kek);
	if (rc < 0)
		goto out;
	rc = cairn_open(kek, KEYOBJ_AD, sizeof(KEYOBJ_AD) - 1, k.box, sizeof(k.box), &plain);
	if (rc == CAIRN_ECORRUPT) {
		rc = cairn_err(CAIRN_EAUTH, "wrong key or passphrase");
		goto out;
	}
	if (rc < 0)
		goto out;
	if (plain.len != CAIRN_KEY_BYTES) {
		rc = cairn_err(CAIRN_EBUG, "unwrapped master key has %zu bytes", plain.len);
		goto out;
	}
	memcpy(ret_master, plain.data, CAIRN_KEY_BYTES);
out:
	if (plain.data != NULL)
		sodium_memzero(plain.data, plain.cap);
	cairn_buf_free(&plain);
	sodium_memzero(kek, sizeof(kek));
	return rc;
}

static void copy_field(json_t *o, const char *field, char *out, size_t cap)
{
	json_t *v = json_object_get(o, field);
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	snprintf(out, cap, "%s", s);
}

int cairn_keyobj_info(const void *obj, size_t len, struct cairn_keyobj_info *ret_info)
{
	struct cairn_keyobj_info info;
	struct keyobj k = { 0 };
	json_t *o = NULL;
	int rc;

	rc = load_json(obj, len, &o);
	if (rc < 0)
		return rc;
	rc = parse_keyobj(o, &k);
	if (rc == 0) {
		memset(&info, 0, sizeof(info));
		snprintf(info.kind, sizeof(info.kind), "%s", kind_name(k.kind));
		info.opslimit = k.kdf.opslimit;
		info.memlimit = k.kdf.memlimit;
		copy_field(o, "created", info.created, sizeof(info.created));
		copy_field(o, "host", info.host, sizeof(info.host));
		copy_field(o, "label", info.label, sizeof(info.label));
		*ret_info = info;
	}
	json_decref(o);
	return rc;
}
