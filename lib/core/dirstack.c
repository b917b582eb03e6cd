/* A stack of open directories with a bounded number of descriptors (see
 * include/cairn/dirstack.h). Invariant: the frames whose descriptor is open
 * are exactly frames[low..top]. */
#include "cairn/dirstack.h"

#include "cairn/buf.h"
#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct frame {
	int fd; /* -1 when closed */
	dev_t dev;
	ino_t ino;
};

struct cairn_dirstack {
	struct frame *frames;
	size_t cap;
	size_t top; /* index of the top frame */
	size_t low; /* lowest frame with an open descriptor */
	unsigned max_open;
};

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* cairn_err() formats a message; keep the caller's errno across it. */
static int fail_errno(int saved, const char *what, const char *name)
{
	int rc = cairn_err(cairn_err_from_errno(saved), "%s '%s': %s", what, name, strerror(saved));

	errno = saved;
	return rc;
}

int cairn_dirstack_new(int rootfd, unsigned max_open, struct cairn_dirstack **ret_ds)
{
	struct cairn_dirstack *ds;
	struct stat st;
	int fd;

	if (fstat(rootfd, &st) < 0 || !S_ISDIR(st.st_mode))
		return cairn_err(CAIRN_EIO, "directory walk: the root is not an open directory");
	ds = calloc(1, sizeof(*ds));
	if (ds == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a directory stack");
	ds->cap = 64;
	ds->frames = cairn_calloc(ds->cap, sizeof(*ds->frames));
	if (ds->frames == NULL) {
		free(ds);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a directory stack");
	}
	fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		int saved = errno;

		free(ds->frames);
		free(ds);
		return fail_errno(saved, "directory walk: cannot duplicate the descriptor of", "the root");
	}
	ds->frames[0] = (struct frame){ .fd = fd, .dev = st.st_dev, .ino = st.st_ino };
	ds->max_open = max_open > 0 ? max_open : CAIRN_DIRSTACK_DEFAULT_OPEN;
	*ret_ds = ds;
	return 0;
}

void cairn_dirstack_free(struct cairn_dirstack *ds)
{
	if (ds == NULL)
		return;
	for (size_t i = ds->low; i <= ds->top; i++)
		if (ds->frames[i].fd >= 0)
			close(ds->frames[i].fd);
	free(ds->frames);
	free(ds);
}

int cairn_dirstack_fd(const struct cairn_dirstack *ds)
{
	return ds->frames[ds->top].fd;
}

size_t cairn_dirstack_depth(const struct cairn_dirstack *ds)
{
	return ds->top;
}

void cairn_dirstack_id(const struct cairn_dirstack *ds, dev_t *ret_dev, ino_t *ret_ino)
{
	*ret_dev = ds->frames[ds->top].dev;
	*ret_ino = ds->frames[ds->top].ino;
}

unsigned cairn_dirstack_open_count(const struct cairn_dirstack *ds)
{
	return (unsigned)(ds->top - ds->low + 1);
}

int cairn_dirstack_push(struct cairn_dirstack *ds, const char *name, const struct stat *expect)
{
	struct stat st;
	int fd;

	if (ds->top + 1 >= ds->cap) {
		struct frame *f = cairn_reallocarray(ds->frames, ds->cap * 2, sizeof(*f));

		if (f == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot grow the directory stack to %zu levels", ds->cap * 2);
		ds->frames = f;
		ds->cap *= 2;
	}
	fd = openat(ds->frames[ds->top].fd, name, DIR_FLAGS);
	if (fd < 0)
		return fail_errno(errno, "cannot open directory", name);
	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return fail_errno(saved, "cannot stat directory", name);
	}
	if (expect != NULL && (st.st_dev != expect->st_dev || st.st_ino != expect->st_ino)) {
		close(fd);
		errno = ESTALE;
		return cairn_err(CAIRN_EIO, "directory '%s' was moved or replaced during the walk (inode %llu, "
				 "expected %llu)", name, (unsigned long long)st.st_ino,
				 (unsigned long long)expect->st_ino);
	}
	ds->top++;
	ds->frames[ds->top] = (struct frame){ .fd = fd, .dev = st.st_dev, .ino = st.st_ino };
	if (cairn_dirstack_open_count(ds) > ds->max_open) {
		close(ds->frames[ds->low].fd);
		ds->frames[ds->low].fd = -1;
		ds->low++;
	}
	return 0;
}

int cairn_dirstack_pop(struct cairn_dirstack *ds)
{
	struct frame *up, *cur;

	if (ds->top == 0)
		return cairn_err(CAIRN_EBUG, "directory walk: pop at the root");
	cur = &ds->frames[ds->top];
	up = &ds->frames[ds->top - 1];
	if (up->fd < 0) {
		struct stat st;
		int fd = openat(cur->fd, "..", DIR_FLAGS);

		if (fd < 0)
			return fail_errno(errno, "cannot open the parent directory", "..");
		if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
			close(fd);
			errno = ESTALE;
			return cairn_err(CAIRN_EIO, "the parent directory was moved or replaced during the walk "
					 "(back up from level %zu)", ds->top);
		}
		up->fd = fd;
		ds->low = ds->top - 1;
	}
	close(cur->fd);
	cur->fd = -1;
	ds->top--;
	return 0;
}
