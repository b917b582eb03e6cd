/* Writing file content (holes kept as holes) and entry metadata. */
#include "restore_internal.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define HOLE_BLOCK RESTORE_HOLE_BLOCK

void restore_report(struct restore_ctx *c, const struct cairn_event *ev)
{
	pthread_mutex_lock(&c->lock);
	if (cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL)
		c->stats.damaged_files++;
	else
		c->stats.errors++;
	if (c->opts->on_problem != NULL)
		c->opts->on_problem(c->opts->ctx, ev);
	pthread_mutex_unlock(&c->lock);
}

void restore_problem(struct restore_ctx *c, enum cairn_event_code code, const char *path, const char *fmt, ...)
{
	char msg[1024];
	struct cairn_event ev = { .code = code, .path = path, .message = msg };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	restore_report(c, &ev);
}

void restore_damaged(struct restore_ctx *c, const char *path, int rc, const struct cairn_blob_loc *loc, uint8_t type,
		     const uint8_t blob_id[CAIRN_ID_BYTES])
{
	enum cairn_event_object btype = type == CAIRN_BLOB_TREE ? CAIRN_EVENT_OBJECT_TREE_BLOB
							       : CAIRN_EVENT_OBJECT_DATA_BLOB;
	char object[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX], msg[1024];
	struct cairn_event ev = { .path = path, .message = msg };

	cairn_hex_encode(blob_id, CAIRN_ID_BYTES, hex);
	snprintf(msg, sizeof(msg), "%s (blob %.16s, %s)", cairn_err_msg(), hex,
		 rc == CAIRN_ENOTFOUND ? "missing" : "damaged");
	if (loc != NULL) {
		cairn_repo_pack_name(loc->pack, object);
		ev.code = rc == CAIRN_ENOTFOUND ? CAIRN_EVENT_MISSING_PACK : CAIRN_EVENT_DAMAGED_BLOB;
		cairn_event_ref_set(&ev.object, CAIRN_EVENT_OBJECT_PACK, loc->pack);
		cairn_event_ref_set(&ev.blob, btype, blob_id);
		ev.object_name = object;
		pthread_mutex_lock(&c->lock);
		if (cairn_idmap_get(&c->damaged, loc->pack) == NULL && cairn_idmap_put(&c->damaged, loc->pack, 1))
			c->stats.damaged_objects++;
		pthread_mutex_unlock(&c->lock);
	} else {
		/* no index object lists the blob: it is the object */
		ev.code = CAIRN_EVENT_MISSING_BLOB;
		cairn_event_ref_set(&ev.object, btype, blob_id);
	}
	restore_report(c, &ev);
}

int restore_loc_known(const struct cairn_blob_loc *loc)
{
	static const uint8_t zero[CAIRN_ID_BYTES];

	return memcmp(loc->pack, zero, CAIRN_ID_BYTES) != 0;
}

void restore_exists_problem(struct restore_ctx *c, const char *path, const char *what, int err, int created)
{
	if (err == EEXIST && created)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot create %s: another entry restored in "
				"this directory has the same name on this file system", what);
	else
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot create %s: %s", what, strerror(err));
}

int restore_clear_name(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	return unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
}

/* 1 when `n` bytes at `p` are all zero and holes are wanted. */
static int all_zero(int holes, const uint8_t *p, size_t n)
{
	static const uint8_t zero[HOLE_BLOCK];

	return holes && n <= HOLE_BLOCK && memcmp(p, zero, n) == 0;
}

/* Write `len` bytes at `off` of a file this run created (so every byte not
 * written reads as zero), skipping the zero bytes of every HOLE_BLOCK-aligned
 * block of the file that this piece covers: a block that is zero wherever it
 * is written, in one chunk or across two, a partial block at the end of the
 * file included, stays a hole (the final ftruncate gives the size). Without
 * `holes` (a file smaller than one block: a hole would be all of it) every
 * byte is written. *written_end is raised to the end of the last byte
 * written, so a file whose last block was written needs no ftruncate. */
int restore_write_sparse(int fd, int holes, const uint8_t *data, size_t len, uint64_t off, uint64_t *written_end)
{
	size_t pos = 0;

	while (pos < len) {
		size_t run_start, n;

		/* skip the zero pieces: [pos, the next block boundary or the end) */
		for (; pos < len; pos += n) {
			n = HOLE_BLOCK - (size_t)((off + pos) % HOLE_BLOCK);
			if (n > len - pos)
				n = len - pos;
			if (!all_zero(holes, data + pos, n))
				break;
		}
		run_start = pos;
		for (; pos < len; pos += n) {
			n = HOLE_BLOCK - (size_t)((off + pos) % HOLE_BLOCK);
			if (n > len - pos)
				n = len - pos;
			if (all_zero(holes, data + pos, n))
				break;
		}
		for (size_t w = run_start; w < pos;) {
			ssize_t k = pwrite(fd, data + w, pos - w, (off_t)(off + w));

			if (k < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			w += (size_t)k;
		}
		if (pos > run_start && off + pos > *written_end)
			*written_end = off + pos;
	}
	return 0;
}

void restore_owner_of(struct restore_ctx *c, const struct cairn_entry *e, uid_t *ret_uid, gid_t *ret_gid)
{
	*ret_uid = (uid_t)restore_owner_id(&c->owners, 0, e->user, e->uid);
	*ret_gid = (gid_t)restore_owner_id(&c->owners, 1, e->group, e->gid);
}

static mode_t entry_ifmt(uint8_t type)
{
	switch (type) {
	case CAIRN_ENTRY_FIFO:
		return S_IFIFO;
	case CAIRN_ENTRY_CHR:
		return S_IFCHR;
	case CAIRN_ENTRY_BLK:
		return S_IFBLK;
	case CAIRN_ENTRY_SOCK:
		return S_IFSOCK;
	case CAIRN_ENTRY_SYMLINK:
		return S_IFLNK;
	case CAIRN_ENTRY_DIR:
		return S_IFDIR;
	default:
		return S_IFREG;
	}
}

static void set_times(struct restore_ctx *c, int rc, const char *relpath)
{
	if (rc < 0)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set modification time: %s",
				strerror(errno));
}

/* A fifo, device or socket just created as `name` in dirfd: opened with
 * O_PATH|O_NOFOLLOW (which neither follows a symlink swapped in since nor
 * opens a device), checked to be of the entry's type, and changed only
 * through that descriptor: "/proc/self/fd/N" names exactly its inode. */
static void special_metadata(struct restore_ctx *c, int dirfd, const char *name, const char *relpath,
			     const struct cairn_entry *e, const struct timespec times[2], uid_t uid, gid_t gid)
{
	char self[64];
	struct stat st;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot open to set its metadata: %s",
				strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != entry_ifmt(e->type)) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "was replaced by another kind of file after it was "
				"created: its owner, mode and times are not set");
		close(fd);
		return;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (c->as_root) {
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set owner: %s", strerror(errno));
	}
	for (size_t i = 0; i < e->xattr_count; i++) {
		const struct cairn_xattr *x = &e->xattrs[i];

		if (setxattr(self, x->name, x->value, x->value_len, 0) < 0)
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set extended attribute '%s': %s",
					x->name, strerror(errno));
	}
	if (chmod(self, e->mode) < 0)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set mode: %s%s", strerror(errno),
				errno == ENOENT ? " (is /proc mounted?)" : "");
	set_times(c, utimensat(AT_FDCWD, self, times, 0), relpath);
	close(fd);
}

void restore_metadata(struct restore_ctx *c, int fd, int dirfd, const char *name, const char *relpath,
		      const struct cairn_entry *e)
{
	uid_t uid = 0;
	gid_t gid = 0;

	if (c->as_root)
		restore_owner_of(c, e, &uid, &gid);
	restore_metadata_as(c, fd, dirfd, name, relpath, e, uid, gid);
}

void restore_metadata_as(struct restore_ctx *c, int fd, int dirfd, const char *name, const char *relpath,
			 const struct cairn_entry *e, uid_t uid, gid_t gid)
{
	struct timespec times[2];
	char procpath[64];

	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_sec = (time_t)e->mtime_sec;
	times[1].tv_nsec = (long)e->mtime_nsec;
	if (fd < 0 && e->type != CAIRN_ENTRY_SYMLINK) {
		special_metadata(c, dirfd, name, relpath, e, times, uid, gid);
		return;
	}
	if (c->as_root) {
		if ((fd >= 0 ? fchown(fd, uid, gid) : fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW)) < 0)
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set owner: %s", strerror(errno));
	}
	/* "/proc/self/fd/DIRFD/NAME" resolves the directory through its
	 * descriptor and, with lsetxattr, does not follow NAME */
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d/", dirfd);
	for (size_t i = 0; i < e->xattr_count; i++) {
		const struct cairn_xattr *x = &e->xattrs[i];
		int rc;

		if (fd >= 0) {
			rc = fsetxattr(fd, x->name, x->value, x->value_len, 0);
		} else {
			char *p = cairn_asprintf("%s%s", procpath, name);

			rc = p ? lsetxattr(p, x->name, x->value, x->value_len, 0) : -1;
			free(p);
		}
		if (rc < 0)
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set extended attribute '%s': %s",
					x->name, strerror(errno));
	}
	/* a symlink has no mode of its own on Linux */
	if (fd >= 0 && fchmod(fd, e->mode) < 0)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot set mode: %s", strerror(errno));
	set_times(c, fd >= 0 ? futimens(fd, times) : utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW), relpath);
}
