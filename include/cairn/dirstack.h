/* A stack of open directories for walking a file system tree of any depth
 * with a bounded number of open file descriptors, never following a symlink
 * and never depending on PATH_MAX.
 *
 * The stack starts at a root directory. cairn_dirstack_push() opens a child
 * of the top directory relative to the top's descriptor
 * (openat(top, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)) and records
 * the child's device and inode; cairn_dirstack_pop() returns to the parent.
 *
 * Descriptors: the open frames are always the top ones. When a push would
 * hold more than `max_open` descriptors, the lowest open frame's descriptor
 * is closed. A pop onto a frame whose descriptor was closed opens it again
 * as ".." of the frame being left and compares device and inode with the
 * recorded ones, so a directory that was moved or swapped for another while
 * the walk was below it is reported (CAIRN_EIO, "... was moved or replaced
 * during the walk"), never followed. Descending costs one openat and one
 * fstat; ascending costs at most one openat and one fstat.
 *
 * Memory: 24 bytes per level. Not thread-safe; one walker owns a stack.
 */
#ifndef CAIRN_DIRSTACK_H
#define CAIRN_DIRSTACK_H

#include <stddef.h>
#include <sys/stat.h>

struct cairn_dirstack;

/* The default budget of open descriptors for one walk: a small share of the
 * 1024 a systemd service gets by default. */
#define CAIRN_DIRSTACK_DEFAULT_OPEN 32

/* A new stack whose root is a duplicate of `rootfd` (the caller keeps its
 * own descriptor). max_open >= 1 (0 means CAIRN_DIRSTACK_DEFAULT_OPEN).
 * CAIRN_EIO when rootfd is not an open directory, CAIRN_ENOMEM. */
int cairn_dirstack_new(int rootfd, unsigned max_open, struct cairn_dirstack **ret_ds);

/* Closes every descriptor the stack holds. NULL is ignored. */
void cairn_dirstack_free(struct cairn_dirstack *ds);

/* The descriptor of the top directory: always open, owned by the stack,
 * valid until the next push or pop. */
int cairn_dirstack_fd(const struct cairn_dirstack *ds);

/* Levels below the root: 0 at the root. */
size_t cairn_dirstack_depth(const struct cairn_dirstack *ds);

/* Device and inode of the top directory. */
void cairn_dirstack_id(const struct cairn_dirstack *ds, dev_t *ret_dev, ino_t *ret_ino);

/* Descend into `name` (one component, NUL-terminated) of the top directory.
 * When `expect` is not NULL (typically the caller's fstatat(...,
 * AT_SYMLINK_NOFOLLOW) of the name), the opened directory must have its
 * st_dev and st_ino, else CAIRN_EIO "was replaced". Failures of openat keep
 * errno (ENOTDIR or ELOOP: a symlink or not a directory, ENOENT, EACCES...)
 * and return cairn_err_from_errno(errno) with a message naming `name`; the
 * stack is unchanged on any failure. */
int cairn_dirstack_push(struct cairn_dirstack *ds, const char *name, const struct stat *expect);

/* Back to the parent of the top directory. CAIRN_EBUG at the root;
 * CAIRN_EIO when the parent must be opened again and ".." is no longer it
 * (the stack is then unchanged and the walk should stop); errno kept. */
int cairn_dirstack_pop(struct cairn_dirstack *ds);

/* Descriptors the stack holds now (for tests and assertions). */
unsigned cairn_dirstack_open_count(const struct cairn_dirstack *ds);

#endif
