/* File helpers: full writes, mkdir -p, directory fsync, atomic replacement. */
#include "cairn/file.h"
#include "cairn/buf.h"
#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Record the detail for errno `e` and return its code, errno kept. A path
 * that is missing where a file is written is a failure to write, not a
 * "not found" answer. */
static int fail(int e, const char *what, const char *path)
{
	int code = cairn_err(e == ENOENT || e == ENOTDIR ? CAIRN_EIO : cairn_err_from_errno(e), "%s '%s': %s", what,
			     path, strerror(e));

	errno = e;
	return code;
}

int cairn_file_write_all(int fd, const void *data, size_t len, const char *path)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(errno, "cannot write", path);
		if (n == 0)
			return fail(EIO, "cannot write", path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Set or clear O_DIRECT on fd: 0, or -1 with errno set. */
static int set_direct(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_DIRECT) : (fl & ~O_DIRECT);
	return fcntl(fd, F_SETFL, fl);
}

int cairn_file_write_all_uncached(int fd, const void *data, size_t len, const char *path)
{
	const uint8_t *p = data;
	size_t direct = len & ~(size_t)(CAIRN_FILE_DIRECT_ALIGN - 1);

	if (len < CAIRN_FILE_DIRECT_MIN || ((uintptr_t)data & (CAIRN_FILE_DIRECT_ALIGN - 1)) != 0 ||
	    set_direct(fd, 1) != 0)
		return cairn_file_write_all(fd, data, len, path);
	while (direct > 0) {
		ssize_t n = write(fd, p, direct);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && p == (const uint8_t *)data)
			break; /* the file system refuses direct I/O: write through the cache */
		if (n < 0) {
			int e = errno;

			set_direct(fd, 0);
			return fail(e, "cannot write", path);
		}
		if (n == 0 || ((size_t)n & (CAIRN_FILE_DIRECT_ALIGN - 1)) != 0) {
			/* a short direct write leaves an unaligned rest: finish
			 * it through the cache */
			p += n;
			break;
		}
		p += n;
		direct -= (size_t)n;
	}
	if (set_direct(fd, 0) != 0)
		return fail(errno, "cannot write", path);
	return cairn_file_write_all(fd, p, len - (size_t)(p - (const uint8_t *)data), path);
}

int cairn_file_fsync_dir(int dirfd, const char *path)
{
	int fd, e;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "cannot sync directory", path);
	if (fsync(fd) != 0 && errno != EINVAL) {
		e = errno;
		close(fd);
		return fail(e, "cannot sync directory", path);
	}
	close(fd);
	return 0;
}

int cairn_file_fsync_parent(int dirfd, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL)
		return cairn_file_fsync_dir(dirfd, ".");
	if (slash == path)
		return cairn_file_fsync_dir(dirfd, "/");
	dir = cairn_asprintf("%.*s", (int)(slash - path), path);
	if (dir == NULL)
		return fail(ENOMEM, "cannot sync the directory of", path);
	rc = cairn_file_fsync_dir(dirfd, dir);
	free(dir);
	return rc;
}

/* Create one directory of a mkdir -p; an existing one is left as it is. */
static int mkdir_one(int dirfd, const char *dir, mode_t mode, unsigned flags)
{
	if (mkdirat(dirfd, dir, mode) == 0)
		return (flags & CAIRN_FILE_DURABLE) ? cairn_file_fsync_parent(dirfd, dir) : 0;
	if (errno != EEXIST)
		return fail(errno, "cannot create directory", dir);
	return 0;
}

int cairn_file_mkdir_p(int dirfd, const char *path, mode_t mode, unsigned flags)
{
	char *buf = cairn_strdup(path);
	size_t len;
	int rc = 0;

	if (buf == NULL)
		return fail(ENOMEM, "cannot create directory", path);
	len = strlen(buf);
	if (flags & CAIRN_FILE_PARENTS) {
		/* the parent of a file: cut at the last '/' */
		while (len > 0 && buf[len - 1] != '/')
			len--;
		while (len > 1 && buf[len - 1] == '/')
			len--;
		buf[len] = '\0';
		if (len == 0 || strcmp(buf, "/") == 0) {
			free(buf);
			return 0;
		}
	}
	if (len == 0) {
		free(buf);
		return fail(ENOENT, "cannot create directory", path);
	}
	for (size_t i = 1; i <= len && rc == 0; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue; /* "//" or a trailing '/' */
		buf[i] = '\0';
		rc = mkdir_one(dirfd, buf, mode, flags);
		if (i < len)
			buf[i] = '/';
	}
	free(buf);
	return rc;
}

int cairn_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? cairn_asprintf("%.*s", (int)(slash - path + (slash == path)), path) : cairn_strdup(".");
	char *tmp = cairn_asprintf("%s/.%s.XXXXXX", dir ? dir : ".", slash ? slash + 1 : path);
	int fd = -1, rc = 0, e;

	if (dir == NULL || tmp == NULL) {
		rc = fail(ENOMEM, "cannot write", path);
		goto out;
	}
	if (strcmp(dir, "/") == 0)
		memmove(tmp, tmp + 1, strlen(tmp)); /* "/.name.XXXXXX", not "//.name..." */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(errno, "cannot create a temporary file in", dir);
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = fail(errno, "cannot write", tmp);
		goto err_unlink;
	}
	rc = cairn_file_write_all(fd, data, len, tmp);
	if (rc < 0)
		goto err_unlink;
	if (fsync(fd) < 0) {
		rc = fail(errno, "cannot write", tmp);
		goto err_unlink;
	}
	e = close(fd) < 0 ? errno : 0;
	fd = -1;
	if (e != 0) {
		rc = fail(e, "cannot write", tmp);
		goto err_unlink;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		rc = cairn_err(e == ENOENT || e == ENOTDIR ? CAIRN_EIO : cairn_err_from_errno(e),
			       "cannot rename '%s' to '%s': %s", tmp, path, strerror(e));
		errno = e;
		goto err_unlink;
	}
	rc = cairn_file_fsync_dir(AT_FDCWD, dir);
	goto out;

err_unlink:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
out:
	free(dir);
	free(tmp);
	return rc;
}
