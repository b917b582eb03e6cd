/* Durable file system helpers for the local driver: directory fsync, mkdir -p, full writes. */
#include "store/store_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync the directory `path` (relative to dirfd). */
int cairn_store_fsync_dir_at(int dirfd, const char *path)
{
	int fd, rc = 0;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

/* fsync the directory holding `path` (relative to dirfd). `path` is modified
 * temporarily. */
int cairn_store_fsync_parent_at(int dirfd, char *path)
{
	char *slash = strrchr(path, '/');
	int rc;

	if (slash == NULL)
		return cairn_store_fsync_dir_at(dirfd, ".");
	if (slash == path)
		return cairn_store_fsync_dir_at(dirfd, "/");
	*slash = '\0';
	rc = cairn_store_fsync_dir_at(dirfd, path);
	*slash = '/';
	return rc;
}

/* mkdir -p of `path` relative to dirfd, each new directory with `mode` and
 * made durable in its parent. A concurrent creator is not an error. Returns
 * 0 or -errno. */
int cairn_store_mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);
	int rc;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdirat(dirfd, buf, mode) == 0) {
			rc = cairn_store_fsync_parent_at(dirfd, buf);
			if (rc != 0)
				return rc;
		} else if (errno != EEXIST) {
			return -errno;
		}
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

int cairn_store_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
