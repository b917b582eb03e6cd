/* Secrets that unwrap key objects: passphrase files and raw key files. */
#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAGIC "cairn-key-v1 "
#define KEYFILE_MAGIC_LEN (sizeof(KEYFILE_MAGIC) - 1)
#define KEYFILE_HEX_LEN (2 * CAIRN_KEY_BYTES)
#define KEYFILE_LEN (KEYFILE_MAGIC_LEN + KEYFILE_HEX_LEN) /* without the newline */
#define PASSPHRASE_MAX (64 * 1024)

int cairn_secret_new(enum cairn_secret_kind kind, const void *bytes, size_t len, struct cairn_secret **ret)
{
	struct cairn_secret *s;

	if (kind != CAIRN_SECRET_PASSPHRASE && kind != CAIRN_SECRET_KEYFILE)
		return cairn_err(CAIRN_EINVAL, "unknown secret kind %d", (int)kind);
	if (len == 0 || bytes == NULL)
		return cairn_err(CAIRN_EINVAL, "empty secret");
	if (kind == CAIRN_SECRET_KEYFILE && len != CAIRN_KEY_BYTES)
		return cairn_err(CAIRN_EINVAL, "key-file secret has %zu bytes, expected %d", len, CAIRN_KEY_BYTES);
	s = sodium_malloc(sizeof(*s));
	if (s == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate secret");
	s->bytes = sodium_malloc(len);
	if (s->bytes == NULL) {
		sodium_free(s);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu bytes of secret", len);
	}
	s->kind = kind;
	s->len = len;
	memcpy(s->bytes, bytes, len);
	*ret = s;
	return 0;
}

void cairn_secret_free(struct cairn_secret *s)
{
	if (s == NULL)
		return;
	sodium_free(s->bytes);
	sodium_free(s);
}

/* Read at most `cap` bytes of an open file into buf; *ret_len is the count.
 * CAIRN_EINVAL when the file holds more than `cap` bytes. */
static int read_small(int fd, const char *path, const char *what, uint8_t *buf, size_t cap, size_t *ret_len)
{
	size_t n = 0;
	uint8_t extra;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cairn_err(cairn_err_from_errno(errno), "cannot read %s '%s': %s", what, path,
					 strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == cap) {
		ssize_t r;

		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
		if (r != 0)
			return cairn_err(CAIRN_EINVAL, "%s '%s' is larger than %zu bytes", what, path, cap);
	}
	*ret_len = n;
	return 0;
}

static int open_regular(const char *path, const char *what, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return cairn_err(cairn_err_from_errno(errno), "cannot open %s '%s': %s", what, path,
				 strerror(errno));
	if (fstat(fd, st) < 0) {
		int e = errno;

		close(fd);
		return cairn_err(cairn_err_from_errno(e), "cannot stat %s '%s': %s", what, path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return cairn_err(CAIRN_EINVAL, "%s '%s' is not a regular file", what, path);
	}
	return fd;
}

int cairn_secret_read_passphrase_file(const char *path, struct cairn_secret **ret)
{
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	int fd, rc;

	fd = open_regular(path, "passphrase file", &st);
	if (fd < 0)
		return fd;
	buf = sodium_malloc(PASSPHRASE_MAX);
	if (buf == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate passphrase buffer");
		goto out_close;
	}
	rc = read_small(fd, path, "passphrase file", buf, PASSPHRASE_MAX, &len);
	if (rc < 0)
		goto out_free;
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len == 0) {
		rc = cairn_err(CAIRN_EINVAL, "passphrase file '%s' is empty", path);
		goto out_free;
	}
	rc = cairn_secret_new(CAIRN_SECRET_PASSPHRASE, buf, len, ret);
out_free:
	sodium_free(buf);
out_close:
	close(fd);
	return rc;
}

int cairn_secret_read_key_file(const char *path, struct cairn_secret **ret)
{
	uint8_t text[KEYFILE_LEN + 2];
	char hex[KEYFILE_HEX_LEN + 1];
	uint8_t key[CAIRN_KEY_BYTES];
	struct stat st;
	size_t len = 0;
	int fd, rc;

	fd = open_regular(path, "key file", &st);
	if (fd < 0)
		return fd;
	if ((st.st_mode & 077) != 0) {
		rc = cairn_err(CAIRN_EPERM,
			       "key file '%s' is accessible by group or others (mode %04o); run: chmod 600 '%s'",
			       path, (unsigned)(st.st_mode & 07777), path);
		goto out_close;
	}
	rc = read_small(fd, path, "key file", text, sizeof(text), &len);
	if (rc < 0) {
		if (rc == CAIRN_EINVAL)
			rc = cairn_err(CAIRN_EFORMAT, "key file '%s' is too long for cairn-key-v1", path);
		goto out_wipe;
	}
	if (len < KEYFILE_MAGIC_LEN || memcmp(text, KEYFILE_MAGIC, KEYFILE_MAGIC_LEN) != 0) {
		rc = cairn_err(CAIRN_EFORMAT, "'%s' is not a cairn-key-v1 key file", path);
		goto out_wipe;
	}
	if (!(len == KEYFILE_LEN || (len == KEYFILE_LEN + 1 && text[KEYFILE_LEN] == '\n'))) {
		rc = cairn_err(CAIRN_ECORRUPT, "key file '%s' has %zu bytes, expected %zu and a newline", path,
			       len, (size_t)KEYFILE_LEN);
		goto out_wipe;
	}
	memcpy(hex, text + KEYFILE_MAGIC_LEN, KEYFILE_HEX_LEN);
	hex[KEYFILE_HEX_LEN] = '\0';
	if (cairn_hex_decode(hex, key, sizeof(key)) < 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "key file '%s' holds invalid hex digits", path);
		goto out_wipe;
	}
	rc = cairn_secret_new(CAIRN_SECRET_KEYFILE, key, sizeof(key), ret);
out_wipe:
	sodium_memzero(text, sizeof(text));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(key, sizeof(key));
out_close:
	close(fd);
	return rc;
}

int cairn_secret_create_key_file(const char *path, struct cairn_secret **ret)
{
	char text[KEYFILE_LEN + 2];
	uint8_t key[CAIRN_KEY_BYTES];
	struct cairn_secret *s = NULL;
	int fd, rc;

	cairn_random_bytes(key, sizeof(key));
	rc = cairn_secret_new(CAIRN_SECRET_KEYFILE, key, sizeof(key), &s);
	if (rc < 0)
		goto out_wipe;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = cairn_err(cairn_err_from_errno(errno), "cannot create key file '%s': %s", path,
			       strerror(errno));
		goto out_secret;
	}
	memcpy(text, KEYFILE_MAGIC, KEYFILE_MAGIC_LEN);
	cairn_hex_encode(key, sizeof(key), text + KEYFILE_MAGIC_LEN);
	text[KEYFILE_LEN] = '\n';
	text[KEYFILE_LEN + 1] = '\0';
	/* The umask can only clear bits; make the mode exactly 0600 anyway. */
	if (fchmod(fd, 0600) < 0) {
		rc = cairn_err(cairn_err_from_errno(errno), "cannot chmod key file '%s': %s", path,
			       strerror(errno));
		goto out_unlink;
	}
	rc = cairn_file_write_all(fd, text, KEYFILE_LEN + 1, path);
	if (rc < 0)
		goto out_unlink;
	if (fsync(fd) < 0) {
		rc = cairn_err(cairn_err_from_errno(errno), "cannot sync key file '%s': %s", path,
			       strerror(errno));
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = cairn_err(cairn_err_from_errno(errno), "cannot close key file '%s': %s", path,
			       strerror(errno));
		goto out_unlink;
	}
	*ret = s;
	s = NULL;
	goto out_wipe;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(path);
out_secret:
	cairn_secret_free(s);
out_wipe:
	sodium_memzero(text, sizeof(text));
	sodium_memzero(key, sizeof(key));
	return rc;
}
