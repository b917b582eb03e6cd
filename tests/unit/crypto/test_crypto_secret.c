/* Tests for lib/crypto/crypto_secret.c: secrets, passphrase files and key files. */
#include "cairn_test.h"

#include "cairn/crypto.h"
#include "cairn/err.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char *dir;
	char path[512];
};

static int group_setup(void **state)
{
	(void)state;
	return cairn_crypto_init() == 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || cairn_crypto_init() != 0)
		return -1;
	f->dir = cairn_test_mkdtemp("crypto_secret");
	snprintf(f->path, sizeof(f->path), "%s/secret", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void test_secret_new_valid(void **state)
{
	struct cairn_secret *s = NULL;
	uint8_t raw[CAIRN_KEY_BYTES] = { 9 };

	(void)state;
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "pw", 2, &s), 0);
	assert_int_equal(s->kind, CAIRN_SECRET_PASSPHRASE);
	assert_int_equal(s->len, 2);
	assert_memory_equal(s->bytes, "pw", 2);
	cairn_secret_free(s);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_KEYFILE, raw, sizeof(raw), &s), 0);
	assert_int_equal(s->kind, CAIRN_SECRET_KEYFILE);
	assert_memory_equal(s->bytes, raw, sizeof(raw));
	cairn_secret_free(s);
	cairn_secret_free(NULL);
}

static void test_secret_new_invalid(void **state)
{
	struct cairn_secret *s = NULL;
	uint8_t raw[CAIRN_KEY_BYTES + 1] = { 0 };

	(void)state;
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "", 0, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_KEYFILE, raw, 31, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_KEYFILE, raw, 33, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_secret_new((enum cairn_secret_kind)7, raw, 4, &s), CAIRN_EINVAL);
	assert_null(s);
}

static void test_secret_read_passphrase_file_strips_newline(void **state)
{
	static const struct {
		const char *content;
		const char *expected;
	} cases[] = {
		{ "correct horse", "correct horse" },
		{ "correct horse\n", "correct horse" },
		{ "correct horse\r\n", "correct horse" },
		{ "two lines\n\n", "two lines\n" },
		{ " spaced \n", " spaced " },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cairn_secret *s = NULL;

		write_file(f->path, cases[i].content, strlen(cases[i].content), 0600);
		assert_int_equal(cairn_secret_read_passphrase_file(f->path, &s), 0);
		assert_int_equal(s->kind, CAIRN_SECRET_PASSPHRASE);
		assert_int_equal(s->len, strlen(cases[i].expected));
		assert_memory_equal(s->bytes, cases[i].expected, s->len);
		cairn_secret_free(s);
	}
}

static void test_secret_read_passphrase_file_errors(void **state)
{
	struct fixture *f = *state;
	struct cairn_secret *s = NULL;
	char missing[600];
	char *big;

	write_file(f->path, "", 0, 0600);
	assert_int_equal(cairn_secret_read_passphrase_file(f->path, &s), CAIRN_EINVAL);
	write_file(f->path, "\n", 1, 0600);
	assert_int_equal(cairn_secret_read_passphrase_file(f->path, &s), CAIRN_EINVAL);
	write_file(f->path, "\r\n", 2, 0600);
	assert_int_equal(cairn_secret_read_passphrase_file(f->path, &s), CAIRN_EINVAL);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(cairn_secret_read_passphrase_file(missing, &s), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "missing"));
	assert_int_equal(cairn_secret_read_passphrase_file(f->dir, &s), CAIRN_EINVAL);
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'a', 1 << 20);
	write_file(f->path, big, 1 << 20, 0600);
	assert_int_equal(cairn_secret_read_passphrase_file(f->path, &s), CAIRN_EINVAL);
	free(big);
	assert_null(s);
}

static void test_secret_create_key_file_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cairn_secret *made = NULL, *read = NULL;
	char text[128];
	struct stat st;
	FILE *fp;

	assert_int_equal(cairn_secret_create_key_file(f->path, &made), 0);
	assert_int_equal(made->kind, CAIRN_SECRET_KEYFILE);
	assert_int_equal(made->len, CAIRN_KEY_BYTES);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(strlen(text), 13 + 64 + 1);
	assert_memory_equal(text, "cairn-key-v1 ", 13);
	assert_int_equal(text[77], '\n');
	assert_int_equal(cairn_secret_read_key_file(f->path, &read), 0);
	assert_int_equal(read->kind, CAIRN_SECRET_KEYFILE);
	assert_int_equal(read->len, CAIRN_KEY_BYTES);
	assert_memory_equal(read->bytes, made->bytes, CAIRN_KEY_BYTES);
	cairn_secret_free(made);
	cairn_secret_free(read);
}

static void test_secret_create_key_file_refuses_overwrite(void **state)
{
	struct fixture *f = *state;
	struct cairn_secret *first = NULL, *second = NULL, *read = NULL;

	assert_int_equal(cairn_secret_create_key_file(f->path, &first), 0);
	assert_int_equal(cairn_secret_create_key_file(f->path, &second), CAIRN_EEXIST);
	assert_null(second);
	assert_non_null(strstr(cairn_err_msg(), f->path));
	/* the original key is untouched */
	assert_int_equal(cairn_secret_read_key_file(f->path, &read), 0);
	assert_memory_equal(read->bytes, first->bytes, CAIRN_KEY_BYTES);
	cairn_secret_free(first);
	cairn_secret_free(read);
}

static void test_secret_read_key_file_permissions(void **state)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0666 };
	struct fixture *f = *state;
	struct cairn_secret *s = NULL;
	char hint[600];

	assert_int_equal(cairn_secret_create_key_file(f->path, &s), 0);
	cairn_secret_free(s);
	s = NULL;
	snprintf(hint, sizeof(hint), "chmod 600 '%s'", f->path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->path, bad[i]), 0);
		assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_EPERM);
		assert_non_null(strstr(cairn_err_msg(), hint));
		assert_null(s);
	}
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), 0);
	cairn_secret_free(s);
}

static void test_secret_read_key_file_formats(void **state)
{
	static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	struct fixture *f = *state;
	struct cairn_secret *s = NULL;
	char text[200];

	/* without the newline, and with upper-case digits */
	snprintf(text, sizeof(text), "cairn-key-v1 %s", hex);
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), 0);
	assert_memory_equal(s->bytes, cairn_test_master_key, CAIRN_KEY_BYTES);
	cairn_secret_free(s);
	s = NULL;
	snprintf(text, sizeof(text), "cairn-key-v1 %s\n", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), 0);
	assert_memory_equal(s->bytes, cairn_test_master_key, CAIRN_KEY_BYTES);
	cairn_secret_free(s);
	s = NULL;

	snprintf(text, sizeof(text), "cairn-key-v2 %s\n", hex);
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_EFORMAT);
	write_file(f->path, "", 0, 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_EFORMAT);
	snprintf(text, sizeof(text), "cairn-key-v1 %.62s\n", hex); /* short */
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_ECORRUPT);
	snprintf(text, sizeof(text), "cairn-key-v1 %s\n\n", hex); /* extra line */
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_ECORRUPT);
	snprintf(text, sizeof(text), "cairn-key-v1 %s00\n", hex); /* too long */
	write_file(f->path, text, strlen(text), 0600);
	assert_int_not_equal(cairn_secret_read_key_file(f->path, &s), 0);
	snprintf(text, sizeof(text), "cairn-key-v1 %.63sg\n", hex); /* bad digit */
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(cairn_secret_read_key_file(f->path, &s), CAIRN_ECORRUPT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_new_valid),
		cmocka_unit_test(test_secret_new_invalid),
		cmocka_unit_test_setup_teardown(test_secret_read_passphrase_file_strips_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_read_passphrase_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_create_key_file_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_create_key_file_refuses_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_read_key_file_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_read_key_file_formats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
