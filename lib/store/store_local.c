/* Local directory driver: one file per object under the root, written via root/tmp/ and link(). */
#include "cairn/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/file.h"
#include "store/store_int.h"

#define TMP_DIR "tmp"
#define STALE_TMP_SECONDS (24 * 60 * 60)

struct local {
	struct cairn_store base;
	int rootfd;
	char *desc; /* "file://<absolute root>" */
};

static const struct cairn_store_ops local_ops;

static int local_errno(int errnum, const char *what, const char *name, const char *where)
{
	int code = cairn_err_from_errno(errnum);

	if (code == CAIRN_ENOSPC)
		return cairn_err(code, "no space left to %s '%s' in '%s'", what, name, where);
	return cairn_err(code, "cannot %s '%s' in '%s': %s", what, name, where, strerror(errnum));
}

/* Remove temporary files older than a day that a killed writer left behind.
 * Best effort: a read-only repository keeps them. */
static void remove_stale_tmp(int rootfd)
{
	time_t cutoff = time(NULL) - STALE_TMP_SECONDS;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	fd = openat(rootfd, TMP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime < cutoff)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(dir);
}

/* Create a fresh temporary file under root/tmp/; its name goes to tmpname. */
static int open_tmp(struct local *l, const char *name, char *tmpname, size_t tmplen, int *ret_fd)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		uint8_t rnd[8];
		char hex[2 * sizeof(rnd) + 1];
		int fd;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return cairn_err(CAIRN_EIO, "cannot store '%s' in '%s': no random temporary name: %s",
					 name, l->desc, strerror(errno));
		cairn_hex_encode(rnd, sizeof(rnd), hex);
		snprintf(tmpname, tmplen, TMP_DIR "/%s.tmp", hex);
		fd = openat(l->rootfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno == ENOENT && mkdirat(l->rootfd, TMP_DIR, 0700) != 0 && errno != EEXIST)
			return local_errno(errno, "create a temporary file for", name, l->desc);
		if (errno != EEXIST && errno != ENOENT)
			return local_errno(errno, "create a temporary file for", name, l->desc);
	}
	return cairn_err(CAIRN_EIO, "cannot create a temporary file for '%s' in '%s'", name, l->desc);
}

/* Link the finished temporary file to `name`, creating parent directories. */
static int link_into_place(struct local *l, const char *tmpname, const char *name)
{
	const char *slash;
	char parent[CAIRN_STORE_NAME_MAX + 1];
	int rc;

	if (linkat(l->rootfd, tmpname, l->rootfd, name, 0) == 0)
		return 0;
	slash = strrchr(name, '/');
	if (errno != ENOENT || slash == NULL)
		return -errno;
	memcpy(parent, name, (size_t)(slash - name));
	parent[slash - name] = '\0';
	rc = cairn_file_mkdir_p(l->rootfd, parent, 0700, CAIRN_FILE_DURABLE);
	if (rc != 0)
		return -errno;
	if (linkat(l->rootfd, tmpname, l->rootfd, name, 0) != 0)
		return -errno;
	return 0;
}

/* Make the written temporary file `tmpname` (open as fd, which this
 * closes) the object `name`: fsync, link into place, remove the temporary
 * name, fsync the directory. An existing object is CAIRN_EEXIST, or 0 when
 * `exist_ok` (content-named objects). The temporary file is gone after. */
static int commit_tmp(struct local *l, int fd, const char *tmpname, const char *name, int exist_ok)
{
	int rc, err = 0;

	if (fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err != 0) {
		rc = local_errno(err, "write", name, l->desc);
		goto err_unlink;
	}
	err = -link_into_place(l, tmpname, name);
	if (err == EEXIST && exist_ok)
		err = 0;
	else if (err == EEXIST) {
		rc = cairn_err(CAIRN_EEXIST, "object '%s' already exists in '%s'", name, l->desc);
		goto err_unlink;
	}
	if (err == ENOTDIR || err == ENOENT) {
		rc = cairn_err(CAIRN_EIO, "cannot store '%s' in '%s': %s", name, l->desc,
			       err == ENOTDIR ? "a parent path is not a directory" : strerror(err));
		goto err_unlink;
	}
	if (err != 0) {
		rc = local_errno(err, "store", name, l->desc);
		goto err_unlink;
	}
	unlinkat(l->rootfd, tmpname, 0);
	err = cairn_file_fsync_parent(l->rootfd, name) < 0 ? errno : 0;
	if (err != 0)
		return local_errno(err, "sync the directory of", name, l->desc);
	return 0;

err_unlink:
	unlinkat(l->rootfd, tmpname, 0);
	return rc;
}

static int local_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	struct local *l = s->impl;
	char tmpname[64];
	struct stat st;
	int fd = -1, rc, err;

	rc = cairn_store_name_check(l->desc, name);
	if (rc != 0)
		return rc;
	if (data == NULL && len > 0)
		return cairn_err(CAIRN_EINVAL, "cannot store '%s' in '%s': no data", name, l->desc);
	/* Cheap early answer; link() below is the real arbiter. */
	if (fstatat(l->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return cairn_err(CAIRN_EEXIST, "object '%s' already exists in '%s'", name, l->desc);
	rc = open_tmp(l, name, tmpname, sizeof(tmpname), &fd);
	if (rc != 0)
		return rc;
	err = cairn_file_write_all_uncached(fd, data, len, tmpname) < 0 ? errno : 0;
	if (err != 0) {
		close(fd);
		unlinkat(l->rootfd, tmpname, 0);
		return local_errno(err, "write", name, l->desc);
	}
	return commit_tmp(l, fd, tmpname, name, 0);
}

/* A streamed object: a temporary file written in pieces, linked at commit. */
struct local_writer {
	struct cairn_store_writer base;
	struct local *l;
	int fd;
	char tmpname[64];
};

static const struct cairn_store_writer_ops local_writer_ops;

static int local_writer_open(struct cairn_store *s, struct cairn_store_writer **ret)
{
	struct local *l = s->impl;
	struct local_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot start an object in '%s': out of memory", l->desc);
	rc = open_tmp(l, "a streamed object", w->tmpname, sizeof(w->tmpname), &w->fd);
	if (rc != 0) {
		free(w);
		return rc;
	}
	w->base.ops = &local_writer_ops;
	w->l = l;
	*ret = &w->base;
	return 0;
}

static int local_writer_write(struct cairn_store_writer *base, const void *data, size_t len)
{
	struct local_writer *w = (struct local_writer *)base;

	if (cairn_file_write_all_uncached(w->fd, data, len, w->tmpname) < 0)
		return local_errno(errno, "write", w->tmpname, w->l->desc);
	return 0;
}

static void local_writer_abort(struct cairn_store_writer *base)
{
	struct local_writer *w = (struct local_writer *)base;

	close(w->fd);
	unlinkat(w->l->rootfd, w->tmpname, 0);
	free(w);
}

static int local_writer_commit(struct cairn_store_writer *base, const char *name)
{
	struct local_writer *w = (struct local_writer *)base;
	int rc = cairn_store_name_check(w->l->desc, name);

	if (rc != 0) {
		local_writer_abort(base);
		return rc;
	}
	rc = commit_tmp(w->l, w->fd, w->tmpname, name, 1);
	free(w);
	return rc;
}

static const struct cairn_store_writer_ops local_writer_ops = {
	.write = local_writer_write,
	.commit = local_writer_commit,
	.abort = local_writer_abort,
};

static int not_found(struct local *l, const char *name)
{
	return cairn_err(CAIRN_ENOTFOUND, "object '%s' not found in '%s'", name, l->desc);
}

static int local_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		     struct cairn_buf *out)
{
	struct local *l = s->impl;
	struct stat st;
	size_t len, done = 0;
	int fd, rc;

	rc = cairn_store_name_check(l->desc, name);
	if (rc != 0)
		return rc;
	fd = openat(l->rootfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return not_found(l, name);
		if (errno == ELOOP)
			return cairn_err(CAIRN_EIO, "cannot read '%s' in '%s': a symbolic link, not an object", name,
					 l->desc);
		return local_errno(errno, "read", name, l->desc);
	}
	if (fstat(fd, &st) != 0) {
		rc = local_errno(errno, "read", name, l->desc);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = not_found(l, name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = cairn_err(CAIRN_EIO, "cannot read '%s' in '%s': not a regular file", name, l->desc);
		goto out;
	}
	rc = cairn_store_range(l->desc, name, (uint64_t)st.st_size, offset, length, &len);
	if (rc != 0)
		goto out;
	rc = cairn_buf_reserve(out, len);
	if (rc != 0) {
		rc = cairn_err(rc, "cannot read '%s' in '%s': out of memory for %zu bytes", name, l->desc, len);
		goto out;
	}
	while (done < len) {
		ssize_t n = pread(fd, out->data + out->len + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = local_errno(errno, "read", name, l->desc);
			goto out;
		}
		if (n == 0) {
			rc = cairn_err(CAIRN_ECORRUPT, "short read of '%s' in '%s': %zu of %zu bytes", name, l->desc,
				       done, len);
			goto out;
		}
		done += (size_t)n;
	}
	out->len += len;
out:
	close(fd);
	return rc;
}

static int local_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	struct local *l = s->impl;
	struct stat st;
	int rc;

	rc = cairn_store_name_check(l->desc, name);
	if (rc != 0)
		return rc;
	if (fstatat(l->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return not_found(l, name);
		return local_errno(errno, "stat", name, l->desc);
	}
	if (S_ISDIR(st.st_mode))
		return not_found(l, name);
	if (!S_ISREG(st.st_mode))
		return cairn_err(CAIRN_EIO, "cannot stat '%s' in '%s': not a regular file", name, l->desc);
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

static int local_del(struct cairn_store *s, const char *name)
{
	struct local *l = s->impl;
	int rc, err;

	rc = cairn_store_name_check(l->desc, name);
	if (rc != 0)
		return rc;
	if (unlinkat(l->rootfd, name, 0) != 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			return not_found(l, name);
		return local_errno(errno, "delete", name, l->desc);
	}
	err = cairn_file_fsync_parent(l->rootfd, name) < 0 ? errno : 0;
	if (err != 0)
		return local_errno(err, "sync the directory of", name, l->desc);
	return 0;
}

struct walk {
	struct local *l;
	const char *prefix;
	size_t prefix_len;
	int (*cb)(void *ctx, const char *name, uint64_t size);
	void *ctx;
	char rel[CAIRN_STORE_NAME_MAX + 2]; /* path of the current entry */
};

/* Whether a directory at w->rel (ending in '/', rel_len bytes) may hold names
 * starting with the prefix. */
static int dir_may_match(const struct walk *w, size_t rel_len)
{
	size_t n = rel_len < w->prefix_len ? rel_len : w->prefix_len;

	return memcmp(w->rel, w->prefix, n) == 0;
}

/* List the directory open as fd, whose path relative to root is w->rel[0..rel_len). Takes fd. */
static int walk_dir(struct walk *w, int fd, size_t rel_len)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int rc = 0;

	dir = fdopendir(fd);
	if (dir == NULL) {
		rc = local_errno(errno, "list", w->prefix, w->l->desc);
		close(fd);
		return rc;
	}
	for (;;) {
		size_t nlen;

		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0)
				rc = local_errno(errno, "list", w->prefix, w->l->desc);
			break;
		}
		/* Hidden entries (and "." and "..") are never objects. */
		if (de->d_name[0] == '.')
			continue;
		nlen = strlen(de->d_name);
		if (rel_len + nlen > CAIRN_STORE_NAME_MAX)
			continue;
		if (rel_len == 0 && strcmp(de->d_name, TMP_DIR) == 0)
			continue;
		memcpy(w->rel + rel_len, de->d_name, nlen + 1);
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			rc = local_errno(errno, "list", w->rel, w->l->desc);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			w->rel[rel_len + nlen] = '/';
			w->rel[rel_len + nlen + 1] = '\0';
			if (!dir_may_match(w, rel_len + nlen + 1))
				continue;
			sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (errno == ENOENT)
					continue;
				rc = local_errno(errno, "list", w->rel, w->l->desc);
				break;
			}
			rc = walk_dir(w, sub, rel_len + nlen + 1);
			if (rc != 0)
				break;
		} else if (S_ISREG(st.st_mode) && rel_len + nlen >= w->prefix_len &&
			   memcmp(w->rel, w->prefix, w->prefix_len) == 0 && cairn_store_name_valid(w->rel, NULL)) {
			rc = w->cb(w->ctx, w->rel, (uint64_t)st.st_size);
			if (rc != 0)
				break;
		}
	}
	closedir(dir);
	return rc;
}

static int local_list(struct cairn_store *s, const char *prefix,
		      int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	struct local *l = s->impl;
	struct walk w;
	const char *slash;
	size_t dir_len;
	int fd, rc;

	rc = cairn_store_prefix_check(l->desc, prefix);
	if (rc != 0)
		return rc;
	w.l = l;
	w.prefix = prefix;
	w.prefix_len = strlen(prefix);
	w.cb = cb;
	w.ctx = ctx;
	slash = strrchr(prefix, '/');
	dir_len = slash == NULL ? 0 : (size_t)(slash - prefix) + 1;
	memcpy(w.rel, prefix, dir_len);
	w.rel[dir_len] = '\0';
	fd = openat(l->rootfd, dir_len == 0 ? "." : w.rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return local_errno(errno, "list", prefix, l->desc);
	}
	return walk_dir(&w, fd, dir_len);
}

static void local_free(struct cairn_store *s)
{
	struct local *l = s->impl;

	close(l->rootfd);
	free(l->desc);
	free(l);
}

static const struct cairn_store_ops local_ops = {
	.put = local_put,
	.get = local_get,
	.stat = local_stat,
	.list = local_list,
	.del = local_del,
	.free = local_free,
	.writer_open = local_writer_open,
};

int cairn_store_local_open(const char *root, int create, struct cairn_store **ret)
{
	struct local *l;
	struct stat st;
	char *abs;
	int rc, err;

	if (root == NULL || root[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "empty repository path");
	if (create) {
		err = cairn_file_mkdir_p(AT_FDCWD, root, 0700, CAIRN_FILE_DURABLE) < 0 ? errno : 0;
		if (err != 0)
			return cairn_err(cairn_err_from_errno(err), "cannot create repository directory '%s': %s",
					 root, strerror(err));
	}
	if (stat(root, &st) != 0) {
		if (errno == ENOENT)
			return cairn_err(CAIRN_ENOTFOUND, "repository directory '%s' does not exist", root);
		return cairn_err(cairn_err_from_errno(errno), "cannot open repository directory '%s': %s", root,
				 strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cairn_err(CAIRN_EINVAL, "repository path '%s' is not a directory", root);
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot open repository directory '%s': out of memory", root);
	l->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->rootfd < 0) {
		rc = cairn_err(cairn_err_from_errno(errno), "cannot open repository directory '%s': %s", root,
			       strerror(errno));
		goto err1;
	}
	abs = realpath(root, NULL);
	if (abs == NULL) {
		rc = cairn_err(cairn_err_from_errno(errno), "cannot resolve repository directory '%s': %s", root,
			       strerror(errno));
		goto err2;
	}
	l->desc = cairn_asprintf("file://%s", abs);
	free(abs);
	if (l->desc == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot open repository directory '%s': out of memory", root);
		goto err2;
	}
	remove_stale_tmp(l->rootfd);
	l->base.ops = &local_ops;
	l->base.description = l->desc;
	l->base.impl = l;
	l->base.caps = CAIRN_STORE_CAP_ATOMIC_CREATE | CAIRN_STORE_CAP_RANGED_READ;
	*ret = &l->base;
	return 0;

err2:
	close(l->rootfd);
err1:
	free(l);
	return rc;
}
