/* File helpers every part of Cairn uses: full writes, mkdir -p, atomic
 * replacement of a small file, directory fsync.
 *
 *	rc = cairn_file_mkdir_p(AT_FDCWD, state_dir, 0700, 0);
 *	if (rc == 0)
 *		rc = cairn_file_write_atomic(path, text, len, 0600);
 *
 * Errors are CAIRN_E* codes mapped from errno by cairn_err_from_errno(), but
 * a missing or non-directory path (ENOENT, ENOTDIR) is CAIRN_EIO: where a file
 * is written, that is a failure, not a "not found" answer. The detail names
 * the path and the reason. Callers that build their own
 * message (the local store driver names the object, not the file) read
 * errno: each function leaves it as the failing call set it.
 */
#ifndef CAIRN_FILE_H
#define CAIRN_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Write all `len` bytes of `data` to `fd`, resuming after short writes and
 * EINTR. `path` only names the file in the detail. 0, or the mapped code
 * with "cannot write '<path>': <reason>" (a write(2) that wrote nothing
 * counts as EIO); errno is left set. data may be NULL when len is 0. */
int cairn_file_write_all(int fd, const void *data, size_t len, const char *path);

/* cairn_file_write_all for large objects written once and not read back
 * soon (packs): when `data` is aligned to CAIRN_FILE_DIRECT_ALIGN and len is
 * at least CAIRN_FILE_DIRECT_MIN, the aligned part goes straight to the
 * device (O_DIRECT: no copy into the page cache, which costs more CPU than
 * sealing the data) and the rest through the cache; on a file system
 * without direct I/O, or for other buffers, everything goes through the
 * cache. The file offset must be aligned (write from offset 0). Durability
 * is unchanged: the caller still fsyncs. Same errors as
 * cairn_file_write_all; O_DIRECT is cleared again on return. */
#define CAIRN_FILE_DIRECT_ALIGN 4096u
#define CAIRN_FILE_DIRECT_MIN (1024u * 1024u)
int cairn_file_write_all_uncached(int fd, const void *data, size_t len, const char *path);

/* Flags of cairn_file_mkdir_p. */
#define CAIRN_FILE_DURABLE 0x1u /* fsync the parent of each directory created */
#define CAIRN_FILE_PARENTS 0x2u /* path names a file: create only its parent directories */

/* mkdir -p: create `path` (relative to `dirfd`, or AT_FDCWD) and its missing
 * parents, each new directory with `mode` (less the umask). A directory that
 * exists already, or that another process creates at the same time, is not
 * an error; an existing entry is not looked at, so a non-directory in the way
 * is reported by whatever opens the path next (ENOTDIR below it). Repeated
 * slashes count as one.
 * 0, or the mapped code with "cannot create directory '<dir>': <reason>";
 * errno is left set. */
int cairn_file_mkdir_p(int dirfd, const char *path, mode_t mode, unsigned flags);

/* fsync the directory `path` (relative to `dirfd`). EINVAL from fsync (a
 * file system without directory fsync) counts as success. 0, or the mapped
 * code with "cannot sync directory '<path>': <reason>"; errno is left set. */
int cairn_file_fsync_dir(int dirfd, const char *path);

/* fsync the directory that holds `path` (relative to `dirfd`): "." when path
 * has no '/', "/" for a top-level path. As cairn_file_fsync_dir. */
int cairn_file_fsync_parent(int dirfd, const char *path);

/* Replace `path` with `len` bytes of `data`, atomically: a temporary file
 * ".<name>.XXXXXX" in the same directory gets `mode` (exactly, whatever the
 * umask), the data and an fsync, is renamed over `path`, and the directory is
 * fsynced. A reader sees the old content or the new, never a mix; on failure
 * the old content (or no file) stays and no temporary file is left. The
 * directory must exist. 0, or the mapped code with a detail naming the file
 * ("cannot create a temporary file in '<dir>'", "cannot write '<tmp>'",
 * "cannot rename '<tmp>' to '<path>'", "cannot sync directory '<dir>'");
 * errno is left set. */
int cairn_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
