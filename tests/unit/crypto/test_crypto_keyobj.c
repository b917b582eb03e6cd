/* Tests for lib/crypto/crypto_keyobj.c: wrapping the master key in key objects. */
#include "cairn_test.h"

#include "cairn/crypto.h"
#include "cairn/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t keyfile_bytes[CAIRN_KEY_BYTES] = { 0xaa, 0xbb, 0xcc, 1, 2, 3 };

static int group_setup(void **state)
{
	(void)state;
	/* Tiny Argon2 memory so the tests are fast. */
	setenv("CAIRN_KDF_MEMLIMIT", "8192", 1);
	return cairn_crypto_init() == 0 ? 0 : -1;
}

static struct cairn_secret *passphrase(const char *pw)
{
	struct cairn_secret *s = NULL;

	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, pw, strlen(pw), &s), 0);
	return s;
}

static struct cairn_secret *keyfile(const uint8_t bytes[CAIRN_KEY_BYTES])
{
	struct cairn_secret *s = NULL;

	assert_int_equal(cairn_secret_new(CAIRN_SECRET_KEYFILE, bytes, CAIRN_KEY_BYTES, &s), 0);
	return s;
}

/* Wrap the test master key for `secret` into `out`. */
static void wrap(const struct cairn_secret *secret, struct cairn_buf *out)
{
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, secret, NULL, "host-1", "laptop", out), 0);
}

static int unwrap_text(const char *text, const struct cairn_secret *secret)
{
	uint8_t master[CAIRN_KEY_BYTES];

	return cairn_keyobj_unwrap(text, strlen(text), secret, master);
}

/* Re-serialise a key object after `edit` changed it; unwrap; return the code. */
static int unwrap_edited(const struct cairn_buf *obj, const struct cairn_secret *secret, const char *field,
			 json_t *value)
{
	json_t *o = json_loadb((const char *)obj->data, obj->len, 0, NULL);
	char *text;
	int rc;

	assert_non_null(o);
	if (value == NULL)
		assert_int_equal(json_object_del(o, field), 0);
	else
		assert_int_equal(json_object_set_new(o, field, value), 0);
	text = json_dumps(o, 0);
	assert_non_null(text);
	rc = unwrap_text(text, secret);
	free(text);
	json_decref(o);
	return rc;
}

static void test_kdf_params_default_env(void **state)
{
	struct cairn_kdf_params p;

	(void)state;
	unsetenv("CAIRN_KDF_MEMLIMIT");
	p = cairn_kdf_params_default();
	assert_int_equal(p.opslimit, 3);
	assert_int_equal(p.memlimit, 64u * 1024 * 1024);
	setenv("CAIRN_KDF_MEMLIMIT", "100", 1); /* below the Argon2 minimum: ignored */
	assert_int_equal(cairn_kdf_params_default().memlimit, 64u * 1024 * 1024);
	setenv("CAIRN_KDF_MEMLIMIT", "12k", 1);
	assert_int_equal(cairn_kdf_params_default().memlimit, 64u * 1024 * 1024);
	setenv("CAIRN_KDF_MEMLIMIT", "-8192", 1);
	assert_int_equal(cairn_kdf_params_default().memlimit, 64u * 1024 * 1024);
	setenv("CAIRN_KDF_MEMLIMIT", "16384", 1);
	assert_int_equal(cairn_kdf_params_default().memlimit, 16384);
	setenv("CAIRN_KDF_MEMLIMIT", "8192", 1);
	assert_int_equal(cairn_kdf_params_default().memlimit, 8192);
}

static void test_kdf_limits_default_env(void **state)
{
	struct cairn_kdf_limits l;

	(void)state;
	unsetenv("CAIRN_KDF_MAX_OPSLIMIT");
	unsetenv("CAIRN_KDF_MAX_MEMLIMIT");
	l = cairn_kdf_limits_default();
	assert_int_equal(l.max_opslimit, 12);
	assert_int_equal(l.max_memlimit, 256u * 1024 * 1024);
	setenv("CAIRN_KDF_MAX_OPSLIMIT", "20", 1);
	setenv("CAIRN_KDF_MAX_MEMLIMIT", "1073741824", 1);
	l = cairn_kdf_limits_default();
	assert_int_equal(l.max_opslimit, 20);
	assert_int_equal(l.max_memlimit, 1024u * 1024 * 1024);
	/* out of the format's range or not a number: the default */
	setenv("CAIRN_KDF_MAX_OPSLIMIT", "65", 1);
	setenv("CAIRN_KDF_MAX_MEMLIMIT", "1g", 1);
	l = cairn_kdf_limits_default();
	assert_int_equal(l.max_opslimit, 12);
	assert_int_equal(l.max_memlimit, 256u * 1024 * 1024);
	unsetenv("CAIRN_KDF_MAX_OPSLIMIT");
	unsetenv("CAIRN_KDF_MAX_MEMLIMIT");
	/* keys this host writes always open here: the memory limit follows a larger writer setting */
	setenv("CAIRN_KDF_MEMLIMIT", "536870912", 1);
	assert_int_equal(cairn_kdf_limits_default().max_memlimit, 512u * 1024 * 1024);
	setenv("CAIRN_KDF_MEMLIMIT", "8192", 1);
	assert_int_equal(cairn_kdf_limits_default().max_memlimit, 256u * 1024 * 1024);
}

/* A key object above the local cost limit is refused before the KDF runs. */
static void test_keyobj_unwrap_cost_above_limits(void **state)
{
	struct cairn_secret *s = passphrase("pw"), *kf = keyfile(keyfile_bytes);
	struct cairn_kdf_params p2 = { 2, 8192 }, m16 = { 1, 16384 };
	struct cairn_kdf_limits small = { 1, 8192 }, ops2 = { 2, 8192 }, roomy = { 4, 16384 };
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES];
	const char *hostile = "{\"version\": 1, \"kind\": \"passphrase\", \"kdf\": \"argon2id13\", \"opslimit\": 64, "
			      "\"memlimit\": 4294967296, \"salt\": \"00000000000000000000000000000000\", \"nonce\": "
			      "\"000000000000000000000000000000000000000000000000\", \"wrapped\": "
			      "\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"}";

	(void)state;
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &p2, "h", "l", &obj), 0);
	assert_int_equal(cairn_keyobj_unwrap_limited(obj.data, obj.len, s, &small, master), CAIRN_EPERM);
	assert_non_null(strstr(cairn_err_msg(), "opslimit of 2"));
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_KDF_MAX_OPSLIMIT"));
	assert_int_equal(cairn_keyobj_unwrap_limited(obj.data, obj.len, s, &ops2, master), 0);
	assert_memory_equal(master, cairn_test_master_key, CAIRN_KEY_BYTES);
	cairn_buf_reset(&obj);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &m16, "h", "l", &obj), 0);
	assert_int_equal(cairn_keyobj_unwrap_limited(obj.data, obj.len, s, &ops2, master), CAIRN_EPERM);
	assert_non_null(strstr(cairn_err_msg(), "memlimit of 16384"));
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_KDF_MAX_MEMLIMIT"));
	assert_int_equal(cairn_keyobj_unwrap_limited(obj.data, obj.len, s, &roomy, master), 0);
	/* a key file spends no KDF: no limit applies; the other kind is refused first */
	cairn_buf_reset(&obj);
	wrap(kf, &obj);
	assert_int_equal(cairn_keyobj_unwrap_limited(obj.data, obj.len, kf, &small, master), 0);
	assert_int_equal(cairn_keyobj_unwrap_limited(hostile, strlen(hostile), kf, &small, master), CAIRN_EAUTH);
	/* the format's maximum (64 passes over 4 GiB) is refused by the default limits, at once */
	unsetenv("CAIRN_KDF_MAX_OPSLIMIT");
	assert_int_equal(cairn_keyobj_unwrap(hostile, strlen(hostile), s, master), CAIRN_EPERM);
	assert_int_equal(cairn_keyobj_unwrap_limited(hostile, strlen(hostile), s, NULL, master), CAIRN_EPERM);
	cairn_buf_free(&obj);
	cairn_secret_free(kf);
	cairn_secret_free(s);
}

/* Hex in key objects is lowercase only; duplicate members are refused (FORMAT.md 1.1). */
static void test_keyobj_unwrap_uppercase_hex_and_duplicates(void **state)
{
	struct cairn_secret *s = passphrase("pw");
	struct cairn_buf obj = { 0 };
	struct cairn_keyobj_info info;
	char *text, *p, *dup;

	(void)state;
	wrap(s, &obj);
	text = calloc(1, obj.len + 1);
	assert_non_null(text);
	memcpy(text, obj.data, obj.len);
	assert_int_equal(unwrap_text(text, s), 0);
	/* the first hex letter of the salt in upper case */
	p = strstr(text, "\"salt\": \"");
	assert_non_null(p);
	for (p += 9; *p != '"' && !(*p >= 'a' && *p <= 'f'); p++)
		;
	if (*p == '"') { /* a salt of digits only: make one */
		p = strstr(text, "\"salt\": \"") + 9;
		*p = 'a';
		assert_int_equal(unwrap_text(text, s), CAIRN_EAUTH); /* still lowercase: wrong salt */
	}
	*p = (char)(*p - 'a' + 'A');
	assert_int_equal(unwrap_text(text, s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "lowercase hex"));
	assert_int_equal(cairn_keyobj_info(text, strlen(text), &info), CAIRN_ECORRUPT);
	free(text);
	/* a complete, valid key object with one member repeated */
	dup = calloc(1, obj.len + 64);
	assert_non_null(dup);
	assert_int_equal(obj.data[0], '{');
	strcpy(dup, "{\"label\": \"again\", ");
	memcpy(dup + strlen(dup), obj.data + 1, obj.len - 1);
	assert_int_equal(unwrap_text(dup, s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "duplicate"));
	assert_int_equal(cairn_keyobj_info(dup, strlen(dup), &info), CAIRN_ECORRUPT);
	free(dup);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

/* docs/FORMAT.md 15.5: the complete passphrase key object, and 15.8: the
 * same object with an upper-case hex digit, or with a repeated member, is
 * refused. */
#define VECTOR_KEYOBJ(salt, extra)                                                                        \
	"{\n"                                                                                              \
	"  \"version\": 1,\n"                                                                              \
	"  \"kind\": \"passphrase\",\n"                                                                    \
	"  \"kdf\": \"argon2id13\",\n"                                                                     \
	"  \"opslimit\": 1,\n"                                                                             \
	"  \"memlimit\": 8192,\n"                                                                          \
	"  \"salt\": \"" salt "\",\n"                                                                      \
	"  \"nonce\": \"020202020202020202020202020202020202020202020202\",\n"                             \
	"  \"wrapped\": \"e748c95b56640ad87b5e00d3e6147878918c4435225be32cadd15eb3f3fac0dfc002ab025ca2591db7e557c1273a19d2\",\n" \
	"  \"created\": \"2026-01-01T00:00:00Z\",\n"                                                       \
	"  \"host\": \"example\",\n" extra "  \"label\": \"test vector\"\n"                                \
	"}\n"

static void test_keyobj_format_vectors(void **state)
{
	struct cairn_secret *s = passphrase("cairn test passphrase");
	uint8_t master[CAIRN_KEY_BYTES] = { 0 };
	const char *good = VECTOR_KEYOBJ("404142434445464748494a4b4c4d4e4f", "");
	const char *upper = VECTOR_KEYOBJ("404142434445464748494A4B4C4D4E4F", "");
	const char *dup = VECTOR_KEYOBJ("404142434445464748494a4b4c4d4e4f", "  \"label\": \"again\",\n");

	(void)state;
	assert_int_equal(cairn_keyobj_unwrap(good, strlen(good), s, master), 0);
	assert_memory_equal(master, cairn_test_master_key, CAIRN_KEY_BYTES);
	assert_int_equal(cairn_keyobj_unwrap(upper, strlen(upper), s, master), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "'salt' is not 16 bytes in lowercase hex"));
	assert_int_equal(cairn_keyobj_unwrap(dup, strlen(dup), s, master), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "duplicate object key"));
	cairn_secret_free(s);
}

static void test_keyobj_wrap_unwrap_passphrase(void **state)
{
	struct cairn_secret *s = passphrase("correct horse battery staple");
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES] = { 0 };
	json_t *o;

	(void)state;
	wrap(s, &obj);
	assert_int_equal(cairn_keyobj_unwrap(obj.data, obj.len, s, master), 0);
	assert_memory_equal(master, cairn_test_master_key, CAIRN_KEY_BYTES);
	/* the documented fields are there and the master key is not */
	o = json_loadb((const char *)obj.data, obj.len, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "passphrase");
	assert_string_equal(json_string_value(json_object_get(o, "kdf")), "argon2id13");
	assert_int_equal(json_integer_value(json_object_get(o, "opslimit")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "memlimit")), 8192);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "salt"))), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "nonce"))), 48);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "wrapped"))), 96);
	assert_null(memmem(obj.data, obj.len, "000102030405060708090a0b0c0d0e0f", 32));
	json_decref(o);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_wrap_unwrap_keyfile(void **state)
{
	struct cairn_secret *s = keyfile(keyfile_bytes);
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES] = { 0 };
	json_t *o;

	(void)state;
	wrap(s, &obj);
	assert_int_equal(cairn_keyobj_unwrap(obj.data, obj.len, s, master), 0);
	assert_memory_equal(master, cairn_test_master_key, CAIRN_KEY_BYTES);
	o = json_loadb((const char *)obj.data, obj.len, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "keyfile");
	assert_string_equal(json_string_value(json_object_get(o, "kdf")), "blake2b");
	json_decref(o);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

/* A key object no reader would accept is never written: a label that
 * makes it larger than CAIRN_KEYOBJ_MAX_BYTES is refused, and out is left
 * as it was; the largest that fits opens. */
static void test_keyobj_wrap_refuses_oversized(void **state)
{
	struct cairn_secret *s = keyfile(keyfile_bytes);
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES] = { 0 };
	size_t fixed, len = 70000;
	char *label = malloc(len + 1);

	(void)state;
	assert_non_null(label);
	memset(label, 'x', len);
	label[len] = '\0';
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, "h", label, &obj), CAIRN_EINVAL);
	assert_int_equal(obj.len, 0);
	assert_non_null(strstr(cairn_err_msg(), "larger than a key object may be"));
	/* the object's size with a label of one byte, then a label that fills it to the limit exactly */
	label[1] = '\0';
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, "h", label, &obj), 0);
	fixed = obj.len - 1;
	cairn_buf_reset(&obj);
	memset(label, 'x', len);
	label[CAIRN_KEYOBJ_MAX_BYTES - fixed] = '\0';
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, "h", label, &obj), 0);
	assert_int_equal(obj.len, CAIRN_KEYOBJ_MAX_BYTES);
	assert_int_equal(cairn_keyobj_unwrap(obj.data, obj.len, s, master), 0);
	cairn_buf_reset(&obj);
	label[CAIRN_KEYOBJ_MAX_BYTES - fixed + 1] = '\0';
	label[CAIRN_KEYOBJ_MAX_BYTES - fixed] = 'x';
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, "h", label, &obj), CAIRN_EINVAL);
	cairn_buf_free(&obj);
	free(label);
	cairn_secret_free(s);
}

static void test_keyobj_wrap_fresh_salt_and_nonce(void **state)
{
	struct cairn_secret *s = keyfile(keyfile_bytes);
	struct cairn_buf a = { 0 }, b = { 0 };

	(void)state;
	wrap(s, &a);
	wrap(s, &b);
	assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	cairn_buf_free(&a);
	cairn_buf_free(&b);
	cairn_secret_free(s);
}

static void test_keyobj_wrap_invalid_params(void **state)
{
	struct cairn_secret *s = passphrase("pw");
	struct cairn_kdf_params huge = { 3, (size_t)8 << 30 }, ops = { 65, 8192 }, zero = { 0, 8192 },
				small = { 3, 1024 };
	struct cairn_buf obj = { 0 };

	(void)state;
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &huge, "h", "l", &obj), CAIRN_EINVAL);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &ops, "h", "l", &obj), CAIRN_EINVAL);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &zero, "h", "l", &obj), CAIRN_EINVAL);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, &small, "h", "l", &obj), CAIRN_EINVAL);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, "h", "\xff\xfe", &obj), CAIRN_EINVAL);
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, NULL, NULL, "h", "l", &obj), CAIRN_EINVAL);
	assert_int_equal(obj.len, 0);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_unwrap_wrong_passphrase(void **state)
{
	struct cairn_secret *s = passphrase("right"), *w = passphrase("wrong");
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES] = { 0 }, zero[CAIRN_KEY_BYTES] = { 0 };

	(void)state;
	wrap(s, &obj);
	assert_int_equal(cairn_keyobj_unwrap(obj.data, obj.len, w, master), CAIRN_EAUTH);
	assert_string_equal(cairn_err_msg(), "wrong key or passphrase");
	assert_memory_equal(master, zero, sizeof(zero));
	cairn_buf_free(&obj);
	cairn_secret_free(s);
	cairn_secret_free(w);
}

static void test_keyobj_unwrap_wrong_keyfile(void **state)
{
	uint8_t other_bytes[CAIRN_KEY_BYTES];
	struct cairn_secret *s = keyfile(keyfile_bytes), *w;
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES];

	(void)state;
	memcpy(other_bytes, keyfile_bytes, sizeof(other_bytes));
	other_bytes[31] ^= 1;
	w = keyfile(other_bytes);
	wrap(s, &obj);
	assert_int_equal(cairn_keyobj_unwrap(obj.data, obj.len, w, master), CAIRN_EAUTH);
	assert_string_equal(cairn_err_msg(), "wrong key or passphrase");
	cairn_buf_free(&obj);
	cairn_secret_free(s);
	cairn_secret_free(w);
}

static void test_keyobj_unwrap_kind_mismatch(void **state)
{
	struct cairn_secret *pw = passphrase("pw"), *kf = keyfile(keyfile_bytes);
	struct cairn_buf pobj = { 0 }, kobj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES];

	(void)state;
	wrap(pw, &pobj);
	wrap(kf, &kobj);
	assert_int_equal(cairn_keyobj_unwrap(pobj.data, pobj.len, kf, master), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "needs a passphrase"));
	assert_int_equal(cairn_keyobj_unwrap(kobj.data, kobj.len, pw, master), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "needs a key file"));
	cairn_buf_free(&pobj);
	cairn_buf_free(&kobj);
	cairn_secret_free(pw);
	cairn_secret_free(kf);
}

/* Fields that authenticate: any change is a failed unwrap, not a crash. */
static void test_keyobj_unwrap_tampered_values(void **state)
{
	struct cairn_secret *s = passphrase("pw");
	struct cairn_buf obj = { 0 };
	char hex[97];

	(void)state;
	wrap(s, &obj);
	memset(hex, '0', sizeof(hex) - 1);
	hex[96] = '\0';
	assert_int_equal(unwrap_edited(&obj, s, "wrapped", json_string(hex)), CAIRN_EAUTH);
	hex[48] = '\0';
	assert_int_equal(unwrap_edited(&obj, s, "nonce", json_string(hex)), CAIRN_EAUTH);
	hex[32] = '\0';
	assert_int_equal(unwrap_edited(&obj, s, "salt", json_string(hex)), CAIRN_EAUTH);
	assert_int_equal(unwrap_edited(&obj, s, "opslimit", json_integer(2)), CAIRN_EAUTH);
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_integer(16384)), CAIRN_EAUTH);
	/* informational fields are not authenticated */
	assert_int_equal(unwrap_edited(&obj, s, "label", json_string("renamed")), 0);
	assert_int_equal(unwrap_edited(&obj, s, "host", NULL), 0);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_unwrap_malformed_fields(void **state)
{
	static const char *const required[] = { "version", "kind", "kdf", "opslimit", "memlimit",
						"salt", "nonce", "wrapped" };
	struct cairn_secret *s = passphrase("pw");
	struct cairn_buf obj = { 0 };

	(void)state;
	wrap(s, &obj);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		assert_int_equal(unwrap_edited(&obj, s, required[i], NULL), CAIRN_ECORRUPT);
		assert_non_null(strstr(cairn_err_msg(), required[i]));
		assert_int_equal(unwrap_edited(&obj, s, required[i], json_true()), CAIRN_ECORRUPT);
		assert_non_null(strstr(cairn_err_msg(), required[i]));
	}
	assert_int_equal(unwrap_edited(&obj, s, "salt", json_string("00")), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "'salt'"));
	assert_int_equal(unwrap_edited(&obj, s, "nonce", json_string("zz")), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "wrapped", json_string("")), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "kind", json_string("yubikey")), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "kdf", json_string("blake2b")), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "kdf", json_string("scrypt")), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "version", json_integer(-1)), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "version", json_integer(2)), CAIRN_EFORMAT);
	assert_int_equal(unwrap_edited(&obj, s, "version", json_integer(0)), CAIRN_EFORMAT);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

/* A hostile object must not make us run Argon2 with absurd parameters. */
static void test_keyobj_unwrap_hostile_kdf_params(void **state)
{
	struct cairn_secret *s = passphrase("pw");
	struct cairn_buf obj = { 0 };

	(void)state;
	wrap(s, &obj);
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_integer((json_int_t)1 << 40)), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "memlimit"));
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_integer(((json_int_t)4 << 30) + 1)),
			 CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_integer(-1)), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_integer(100)), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "opslimit", json_integer(65)), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "opslimit"));
	assert_int_equal(unwrap_edited(&obj, s, "opslimit", json_integer(1000000000)), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "opslimit", json_integer(0)), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_edited(&obj, s, "memlimit", json_real(8192.0)), CAIRN_ECORRUPT);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_unwrap_garbage(void **state)
{
	struct cairn_secret *s = passphrase("pw");
	struct cairn_buf obj = { 0 };
	uint8_t master[CAIRN_KEY_BYTES];
	char *big;

	(void)state;
	wrap(s, &obj);
	/* every truncation of a valid object */
	for (size_t len = 0; len < obj.len - 1; len++)
		assert_int_equal(cairn_keyobj_unwrap(obj.data, len, s, master), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_text("[1, 2]", s), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_text("\"text\"", s), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_text("{\"version\": 1, \"version\": 1}", s), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_text("{\"version\": 1}", s), CAIRN_ECORRUPT);
	assert_int_equal(unwrap_text("{\"version\": 7}", s), CAIRN_EFORMAT);
	assert_int_equal(cairn_keyobj_unwrap(NULL, 0, s, master), CAIRN_ECORRUPT);
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	memset(big, ' ', (1 << 20) - 1);
	assert_int_equal(unwrap_text(big, s), CAIRN_ECORRUPT);
	free(big);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_info_fields(void **state)
{
	struct cairn_secret *s = keyfile(keyfile_bytes);
	struct cairn_buf obj = { 0 };
	struct cairn_keyobj_info info;
	char long_label[300];

	(void)state;
	wrap(s, &obj);
	assert_int_equal(cairn_keyobj_info(obj.data, obj.len, &info), 0);
	assert_string_equal(info.kind, "keyfile");
	assert_string_equal(info.host, "host-1");
	assert_string_equal(info.label, "laptop");
	/* RFC 3339 UTC: 2024-01-02T03:04:05Z */
	assert_int_equal(strlen(info.created), 20);
	assert_int_equal(info.created[4], '-');
	assert_int_equal(info.created[10], 'T');
	assert_int_equal(info.created[19], 'Z');
	cairn_buf_free(&obj);

	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	assert_int_equal(cairn_keyobj_wrap(cairn_test_master_key, s, NULL, NULL, long_label, &obj), 0);
	assert_int_equal(cairn_keyobj_info(obj.data, obj.len, &info), 0);
	assert_string_equal(info.host, "");
	assert_int_equal(strlen(info.label), sizeof(info.label) - 1);
	cairn_buf_free(&obj);
	cairn_secret_free(s);
}

static void test_keyobj_info_malformed(void **state)
{
	struct cairn_keyobj_info info;
	const char *bad_kind = "{\"version\": 1, \"kind\": \"other\"}";
	const char *v2 = "{\"version\": 2, \"kind\": \"keyfile\"}";

	(void)state;
	assert_int_equal(cairn_keyobj_info("{", 1, &info), CAIRN_ECORRUPT);
	assert_int_equal(cairn_keyobj_info(bad_kind, strlen(bad_kind), &info), CAIRN_ECORRUPT);
	assert_int_equal(cairn_keyobj_info(v2, strlen(v2), &info), CAIRN_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_params_default_env),
		cmocka_unit_test(test_kdf_limits_default_env),
		cmocka_unit_test(test_keyobj_format_vectors),
		cmocka_unit_test(test_keyobj_unwrap_cost_above_limits),
		cmocka_unit_test(test_keyobj_unwrap_uppercase_hex_and_duplicates),
		cmocka_unit_test(test_keyobj_wrap_unwrap_passphrase),
		cmocka_unit_test(test_keyobj_wrap_unwrap_keyfile),
		cmocka_unit_test(test_keyobj_wrap_refuses_oversized),
		cmocka_unit_test(test_keyobj_wrap_fresh_salt_and_nonce),
		cmocka_unit_test(test_keyobj_wrap_invalid_params),
		cmocka_unit_test(test_keyobj_unwrap_wrong_passphrase),
		cmocka_unit_test(test_keyobj_unwrap_wrong_keyfile),
		cmocka_unit_test(test_keyobj_unwrap_kind_mismatch),
		cmocka_unit_test(test_keyobj_unwrap_tampered_values),
		cmocka_unit_test(test_keyobj_unwrap_malformed_fields),
		cmocka_unit_test(test_keyobj_unwrap_hostile_kdf_params),
		cmocka_unit_test(test_keyobj_unwrap_garbage),
		cmocka_unit_test(test_keyobj_info_fields),
		cmocka_unit_test(test_keyobj_info_malformed),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
