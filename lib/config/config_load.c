/* Reading the configuration file and secret files from disk, with the
 * checks on their permissions. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "config/config_internal.h"

#define SECRET_MAX 4096

/* Open `path` for reading and check that it is a regular file no larger
 * than `max` bytes; `what` names it in messages. */
static int open_checked(const char *path, const char *what, size_t max, int *ret_fd, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return cairn_err(CAIRN_ENOTFOUND, "%s '%s' does not exist", what, path);
		return cairn_err(CAIRN_EIO, "cannot open %s '%s': %s", what, path, strerror(errno));
	}
	if (fstat(fd, st) != 0) {
		int e = errno;

		close(fd);
		return cairn_err(CAIRN_EIO, "cannot stat %s '%s': %s", what, path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return cairn_err(CAIRN_EINVAL, "%s '%s' is not a regular file", what, path);
	}
	if ((uint64_t)st->st_size > max) {
		close(fd);
		return cairn_err(CAIRN_EINVAL, "%s '%s' is too large (more than %zu bytes)", what, path, max);
	}
	*ret_fd = fd;
	return 0;
}

/* Read all of fd (at most max bytes) into a new buffer with a NUL after it. */
static int read_all(int fd, const char *what, const char *path, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = max + 1, len = 0;
	char *buf = malloc(cap + 1);

	if (buf == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory reading '%s'", path);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return cairn_err(CAIRN_EIO, "cannot read %s '%s': %s", what, path, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) { /* it grew since fstat */
			free(buf);
			return cairn_err(CAIRN_EINVAL, "%s '%s' is too large (more than %zu bytes)", what, path, max);
		}
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int cairn_config_load(const char *path, struct cairn_config **ret)
{
	struct stat st;
	char *data;
	size_t len;
	int fd, rc;

	if ((rc = open_checked(path, "configuration file", CAIRN_CONFIG_MAX_BYTES, &fd, &st)) != 0)
		return rc;
	if (st.st_mode & S_IWOTH) {
		close(fd);
		return cairn_err(CAIRN_EINVAL, "configuration file '%s' is writable by every user (mode %04o); "
				 "anyone could change what runs: chmod o-w '%s'", path, (unsigned)(st.st_mode & 07777),
				 path);
	}
	rc = read_all(fd, "configuration file", path, CAIRN_CONFIG_MAX_BYTES, &data, &len);
	close(fd);
	if (rc != 0)
		return rc;
	rc = cairn_config_parse_buf(data, len, path, ret);
	free(data);
	return rc;
}

int cairn_config_read_secret(const char *path, char **ret)
{
	struct stat st;
	char *data, *out;
	size_t len, n;
	int fd, rc;

	if ((rc = open_checked(path, "secret file", SECRET_MAX + 2, &fd, &st)) != 0)
		return rc;
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return cairn_err(CAIRN_EINVAL, "secret file '%s' is readable or writable by every user (mode "
				 "%04o): chmod o-rw '%s'", path, (unsigned)(st.st_mode & 07777), path);
	}
	rc = read_all(fd, "secret file", path, SECRET_MAX + 2, &data, &len);
	close(fd);
	if (rc != 0)
		return rc;
	n = strcspn(data, "\r\n");
	rc = 0;
	if (memchr(data, '\0', len) != NULL)
		rc = cairn_err(CAIRN_EINVAL, "secret file '%s' holds a NUL byte", path);
	else if (n == 0)
		rc = cairn_err(CAIRN_EINVAL, "secret file '%s' is empty (the secret is its first line)", path);
	else if (n > SECRET_MAX)
		rc = cairn_err(CAIRN_EINVAL, "secret file '%s': the first line is longer than %d bytes", path,
			       SECRET_MAX);
	if (rc == 0 && (out = malloc(n + 1)) == NULL)
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
	if (rc == 0) {
		memcpy(out, data, n);
		out[n] = '\0';
		*ret = out;
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}
