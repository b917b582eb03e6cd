/* cairn-restore drill: the temporary directories. The scratch data and the
 * temporary state directory are removed without following any symbolic
 * link (a restored tree holds links to anywhere), relative to open
 * directories, lifting restored read-only modes on the way, at any depth
 * with a bounded number of descriptors, never entering another mount. */
#include "drill.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
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

/* The removal: an explicit stack of frames over a directory stack (a
 * bounded number of descriptors whatever the depth). Each frame holds the
 * names of the subdirectories its directory had when listed; everything
 * else is unlinked during the listing. A directory is listed again once its
 * subdirectories are gone (entries may hide while a directory changes),
 * until a listing finds nothing removable, at most REMOVE_PASSES times.
 * Nothing follows a symbolic link (every open is O_NOFOLLOW, a directory's
 * mode is lifted through an O_PATH descriptor checked to be that directory)
 * and nothing crosses into another mount: a mount point inside the tree is
 * skipped, with everything below it, and reported. */
#define REMOVE_PASSES 16
#define REMOVE_OPEN 16

struct rm_frame {
	char **subdirs;
	size_t n, next, cap;
	int listed, passes;
};

struct rm_walk {
	struct cairn_dirstack *ds;
	struct rm_frame *frames;
	size_t nframes, cap;
	uint64_t mnt_id;   /* of the tree's root */
	dev_t dev;
	unsigned skipped;  /* mount points left in place */
	struct stat *blocked; /* directories left because a mount point is below */
	size_t nblocked;
	int failed;
	int err;           /* the first errno */
};

static void rm_fail(struct rm_walk *w, int err)
{
	if (!w->failed)
		w->err = err;
	w->failed = 1;
}

/* 1 when `name` in dirfd (stat'ed as st) is on the root's mount. */
static int same_mount(struct rm_walk *w, int dirfd, const char *name, const struct stat *st)
{
	struct statx sx;

	if (st->st_dev != w->dev)
		return 0;
	if (w->mnt_id != 0 && statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id != w->mnt_id)
		return 0; /* a bind mount of the same file system */
	return 1;
}

static int rm_is_blocked(const struct rm_walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nblocked; i++)
		if (w->blocked[i].st_dev == st->st_dev && w->blocked[i].st_ino == st->st_ino)
			return 1;
	return 0;
}

static void rm_frame_clear(struct rm_frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->subdirs[i]);
	free(f->subdirs);
	f->subdirs = NULL;
	f->n = f->next = f->cap = 0;
}

/* List the top directory: unlink what is not a directory, collect the
 * subdirectories. Returns how many removable entries it found, -1 when it
 * cannot list. */
static long rm_list(struct rm_walk *w, struct rm_frame *f)
{
	int fd = cairn_dirstack_fd(w->ds);
	int probe = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
	struct dirent *e;
	long found = 0;

	if (d == NULL) {
		rm_fail(w, errno);
		if (probe >= 0)
			close(probe);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char **names;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				rm_fail(w, errno);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			found++;
			if (unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT)
				rm_fail(w, errno);
			continue;
		}
		if (!same_mount(w, fd, e->d_name, &st)) {
			w->skipped++;
			continue;
		}
		if (rm_is_blocked(w, &st))
			continue;
		found++;
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 16;

			names = realloc(f->subdirs, cap * sizeof(*names));
			if (names == NULL) {
				rm_fail(w, ENOMEM);
				break;
			}
			f->subdirs = names;
			f->cap = cap;
		}
		if ((f->subdirs[f->n] = strdup(e->d_name)) == NULL) {
			rm_fail(w, ENOMEM);
			break;
		}
		f->n++;
	}
	closedir(d);
	return found;
}

/* Enter subdirectory `name` of the top directory, lifting its mode first
 * (a restored 0555 or 0000 directory) through an O_PATH descriptor. */
static int rm_enter(struct rm_walk *w, const char *name)
{
	int fd = openat(cairn_dirstack_fd(w->ds), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char self[64];

	if (fd < 0) {
		if (errno != ENOENT)
			rm_fail(w, errno);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rm_fail(w, ENOTDIR);
		close(fd);
		return -1;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if ((st.st_mode & 0700) != 0700)
		chmod(self, 0700);
	close(fd);
	if (cairn_dirstack_push(w->ds, name, &st) < 0) {
		rm_fail(w, errno);
		return -1;
	}
	return 0;
}

static int rm_push(struct rm_walk *w)
{
	if (w->nframes == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct rm_frame *frames = realloc(w->frames, cap * sizeof(*frames));

		if (frames == NULL) {
			rm_fail(w, ENOMEM);
			return -1;
		}
		w->frames = frames;
		w->cap = cap;
	}
	memset(&w->frames[w->nframes++], 0, sizeof(*w->frames));
	return 0;
}

/* Remove every entry of the directory open as rootfd. */
static int remove_contents(int rootfd, unsigned *ret_skipped)
{
	struct rm_walk w;
	struct statx sx;
	struct stat st;

	memset(&w, 0, sizeof(w));
	if (fstat(rootfd, &st) < 0 || cairn_dirstack_new(rootfd, REMOVE_OPEN, &w.ds) < 0)
		return -1;
	w.dev = st.st_dev;
	if (statx(rootfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
		w.mnt_id = sx.stx_mnt_id;
	if (rm_push(&w) < 0)
		goto out;
	while (w.nframes > 0) {
		struct rm_frame *f = &w.frames[w.nframes - 1];

		if (!f->listed) {
			long found = rm_list(&w, f);

			f->listed = 1;
			if (found > 0 && f->passes + 1 >= REMOVE_PASSES)
				rm_fail(&w, ENOTEMPTY); /* refilled as fast as it is emptied */
			if (found > 0 && f->passes + 1 < REMOVE_PASSES) {
				if (f->n == 0) {
					/* files only, unlinked: list again to see it empty */
					f->listed = 0;
					f->passes++;
					continue;
				}
			} else {
				rm_frame_clear(f);
			}
		}
		if (f->next < f->n) {
			const char *name = f->subdirs[f->next++];

			if (rm_enter(&w, name) == 0 && rm_push(&w) < 0)
				break;
			continue;
		}
		if (f->n > 0) {
			/* its subdirectories are done: list it again */
			rm_frame_clear(f);
			f->listed = 0;
			f->passes++;
			continue;
		}
		/* empty (or given up): leave it and remove it from its parent */
		rm_frame_clear(f);
		w.nframes--;
		if (w.nframes == 0)
			break;
		{
			struct rm_frame *parent = &w.frames[w.nframes - 1];
			const char *name = parent->subdirs[parent->next - 1];

			struct stat here;

			memset(&here, 0, sizeof(here));
			cairn_dirstack_id(w.ds, &here.st_dev, &here.st_ino);
			if (cairn_dirstack_pop(w.ds) < 0) {
				rm_fail(&w, errno);
				break;
			}
			if (unlinkat(cairn_dirstack_fd(w.ds), name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				struct stat *b;

				if (errno != ENOTEMPTY || w.skipped == 0)
					rm_fail(&w, errno);
				/* not entered again: a mount point (or a failure) is below */
				b = realloc(w.blocked, (w.nblocked + 1) * sizeof(*b));
				if (b == NULL) {
					rm_fail(&w, ENOMEM);
					break;
				}
				w.blocked = b;
				w.blocked[w.nblocked++] = here;
			}
		}
	}
out:
	while (w.nframes > 0)
		rm_frame_clear(&w.frames[--w.nframes]);
	free(w.frames);
	free(w.blocked);
	cairn_dirstack_free(w.ds);
	*ret_skipped = w.skipped;
	if (w.failed)
		errno = w.err;
	return w.failed || w.skipped > 0 ? -1 : 0;
}

int drill_remove_tree(const struct cli_ctx *ctx, const char *dir, int self)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;
	unsigned skipped = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		cli_warn(ctx, "cannot remove '%s': %s", dir, strerror(errno));
		return -1;
	}
	rc = remove_contents(fd, &skipped);
	close(fd);
	if (rc == 0 && self && rmdir(dir) < 0)
		rc = -1;
	if (skipped > 0)
		cli_warn(ctx, "not removed under '%s': %u mount point%s (other file systems are never entered)", dir,
			 skipped, skipped == 1 ? "" : "s");
	else if (rc < 0)
		cli_warn(ctx, "cannot remove everything under '%s': %s", dir, strerror(errno));
	return rc;
}
