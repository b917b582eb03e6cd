/* Durable file system helpers for the local driver. All return 0 or -errno. */
#ifndef CAIRN_STORE_FS_H
#define CAIRN_STORE_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* fsync the directory `path` (relative to dirfd); EINVAL from fsync (a file
 * system without directory fsync) is ignored. */
int cairn_store_fsync_dir_at(int dirfd, const char *path);

/* fsync the directory holding `path` (relative to dirfd; "." when `path` has
 * no '/'). `path` is modified during the call and restored. */
int cairn_store_fsync_parent_at(int dirfd, char *path);

/* mkdir -p of `path` relative to dirfd: each new directory gets `mode` and is
 * made durable in its parent; an existing (or concurrently created) directory
 * is not an error. */
int cairn_store_mkdir_p_at(int dirfd, const char *path, mode_t mode);

/* write() all `len` bytes, retrying short writes and EINTR. */
int cairn_store_write_all(int fd, const uint8_t *p, size_t len);

#endif
