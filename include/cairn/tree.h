/* Trees: the encoding of one directory's entries as a blob
 * (docs/FORMAT.md "Trees").
 *
 * Tree blob = "CAIRNTR1" || u32le entry count || entries, sorted by name
 * (bytewise, shorter first on a common prefix), names unique.
 * Entry     = name bytes16 || type u8 || mode u32le || uid u32le || gid u32le
 *             || user bytes16 || group bytes16 || mtime_sec i64le
 *             || mtime_nsec u32le || size u64le || rdev u64le
 *             || hardlink u64le || flags u32le || target bytes32
 *             || subtree[32] (directories only)
 *             || u32le content count || count * blob id[32]
 *             || u32le xattr count || count * (name bytes16 || value bytes32)
 * bytes16/bytes32 = u16le/u32le length then the bytes.
 */
#ifndef CAIRN_TREE_H
#define CAIRN_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"
#include "cairn/crypto.h"

#define CAIRN_TREE_MAGIC "CAIRNTR1"

enum cairn_entry_type {
	CAIRN_ENTRY_FILE = 1,
	CAIRN_ENTRY_DIR = 2,
	CAIRN_ENTRY_SYMLINK = 3,
	CAIRN_ENTRY_FIFO = 4,
	CAIRN_ENTRY_CHR = 5,
	CAIRN_ENTRY_BLK = 6,
	CAIRN_ENTRY_SOCK = 7
};

/* flags */
#define CAIRN_ENTRY_F_UNREADABLE 1u /* content could not be read: the entry has metadata only */

struct cairn_xattr {
	char *name;      /* NUL-terminated, owned by the entry */
	uint8_t *value;  /* owned by the entry */
	size_t value_len;
};

/* One directory entry. All pointers are owned by the entry; free with
 * cairn_entry_clear(). Strings never contain NUL bytes. */
struct cairn_entry {
	uint8_t *name;       /* name bytes, not NUL-terminated */
	size_t name_len;
	uint8_t type;        /* enum cairn_entry_type */
	uint32_t mode;       /* permission bits, st_mode & 07777 */
	uint32_t uid, gid;
	char *user, *group;  /* may be NULL: unknown */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t size;       /* files: content length; others 0 */
	uint64_t rdev;       /* devices */
	uint64_t hardlink;   /* 0, or an id shared by entries that are one inode */
	uint32_t flags;
	uint8_t *target;     /* symlink target bytes */
	size_t target_len;
	uint8_t subtree[CAIRN_ID_BYTES]; /* directories */
	size_t content_count;
	uint8_t *content;    /* content_count * 32 bytes */
	size_t xattr_count;
	struct cairn_xattr *xattrs;
};

void cairn_entry_clear(struct cairn_entry *e); /* frees members, zeroes */

/* 0 when `name` is a valid entry name: non-empty, at most 65535 bytes, not
 * "." or "..", no '/' and no NUL. Otherwise CAIRN_EINVAL with a detail. */
int cairn_tree_name_check(const uint8_t *name, size_t len);

/* Encode entries (sorted here, in place) into a tree blob appended to
 * `out`. CAIRN_EINVAL for an invalid or duplicate name, an unknown type,
 * mtime_nsec >= 10^9 or an xattr without a name: exactly what the decoder
 * refuses, so every encoded tree decodes. */
int cairn_tree_encode(struct cairn_entry *entries, size_t count, struct cairn_buf *out);

/* Decode a tree blob. Entries are returned as a malloc'd array (caller frees
 * each with cairn_entry_clear and then the array). CAIRN_ECORRUPT (detail
 * recorded) for any structural error: bad magic, truncation, trailing
 * bytes, unknown type, invalid or unsorted/duplicate names, a directory
 * without a subtree, counts larger than the remaining bytes, mtime_nsec >=
 * 10^9, an xattr name that is empty or contains NUL. */
int cairn_tree_decode(const void *blob, size_t len, struct cairn_entry **ret_entries, size_t *ret_count);

void cairn_entries_free(struct cairn_entry *entries, size_t count); /* NULL ok */

#endif
