/* cairn-restore drill: the temporary directories. The scratch data and the
 * temporary state directory are removed without following any symbolic
 * link (a restored tree holds links to anywhere), relative to open
 * directories, lifting restored read-only modes on the way. */
#include "drill.h"

#include "cairn/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *drill_tempdir(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || base[0] != '/')
		base = "/var/tmp";
	path = cairn_asprintf("%s/%sXXXXXX", base, prefix);
	if (path == NULL) {
		cairn_err(CAIRN_ENOMEM, "out of memory");
		return NULL;
	}
	if (mkdtemp(path) == NULL) {
		cairn_err(cairn_err_from_errno(errno), "cannot create a directory '%s': %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

/* 1 when the directory open as fd has no entry, 0 when it has, -1 on error. */
static int dir_is_empty(int fd)
{
	int probe = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
	struct dirent *e;
	int empty = 1;

	if (d == NULL) {
		if (probe >= 0)
			close(probe);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

int drill_scratch_prepare(const char *dir, int *ret_made)
{
	int fd, empty;

	*ret_made = 0;
	if (mkdir(dir, 0700) == 0) {
		*ret_made = 1;
		return 0;
	}
	if (errno != EEXIST)
		return cairn_err(cairn_err_from_errno(errno), "cannot create the scratch directory '%s': %s", dir,
				 strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cairn_err(CAIRN_EINVAL, "the scratch directory '%s' is not a directory that can be opened: %s", dir,
				 strerror(errno));
	empty = dir_is_empty(fd);
	close(fd);
	if (empty < 0)
		return cairn_err(CAIRN_EIO, "cannot read the scratch directory '%s'", dir);
	if (!empty)
		return cairn_err(CAIRN_EEXIST, "the scratch directory '%s' is not empty (the drill restores into an "
				 "empty directory, and removes what it restored)", dir);
	return 0;
}

static int remove_contents(int fd);

/* Remove `name` in fd, whatever it is; a directory with everything in it. */
static int remove_entry(int fd, const char *name)
{
	struct stat st;
	int sub, rc;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(fd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	fchmodat(fd, name, 0700, 0); /* a restored 0555 or 0000 directory */
	sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -1;
	rc = remove_contents(sub);
	close(sub);
	if (rc == 0 && unlinkat(fd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

/* Remove every entry of the directory open as fd. Listing again until it
 * is empty: removing entries while reading a directory may hide others. */
static int remove_contents(int fd)
{
	for (int pass = 0; pass < 16; pass++) {
		int probe = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), found = 0, rc = 0;
		DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
		struct dirent *e;

		if (d == NULL) {
			if (probe >= 0)
				close(probe);
			return -1;
		}
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			found = 1;
			rc = remove_entry(fd, e->d_name);
		}
		closedir(d);
		if (rc < 0)
			return -1;
		if (!found)
			return 0;
	}
	return -1;
}

int drill_remove_tree(const char *dir, int self)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		cli_warn("cannot remove '%s': %s", dir, strerror(errno));
		return -1;
	}
	rc = remove_contents(fd);
	close(fd);
	if (rc == 0 && self && rmdir(dir) < 0)
		rc = -1;
	if (rc < 0)
		cli_warn("cannot remove everything under '%s': %s", dir, strerror(errno));
	return rc;
}
