/* Tree blobs: encoding and strict decoding of directory entries. */
#include "cairn/tree.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

#define TREE_MAGIC_LEN 8

void cairn_entry_clear(struct cairn_entry *e)
{
	free(e->name);
	free(e->user);
	free(e->group);
	free(e->target);
	free(e->content);
	for (size_t i = 0; i < e->xattr_count; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	memset(e, 0, sizeof(*e));
}

void cairn_entries_free(struct cairn_entry *entries, size_t count)
{
	if (entries == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		cairn_entry_clear(&entries[i]);
	free(entries);
}

int cairn_tree_name_check(const uint8_t *name, size_t len)
{
	if (len == 0)
		return cairn_err(CAIRN_EINVAL, "empty entry name");
	if (len > UINT16_MAX)
		return cairn_err(CAIRN_EINVAL, "entry name of %zu bytes is too long", len);
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return cairn_err(CAIRN_EINVAL, "entry name '%.*s' is not allowed", (int)len, (const char *)name);
	if (memchr(name, '/', len) != NULL)
		return cairn_err(CAIRN_EINVAL, "entry name '%.*s' contains '/'", (int)len, (const char *)name);
	if (memchr(name, '\0', len) != NULL)
		return cairn_err(CAIRN_EINVAL, "entry name contains a NUL byte");
	return 0;
}

static int name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct cairn_entry *a = pa, *b = pb;

	return name_cmp(a->name, a->name_len, b->name, b->name_len);
}

static int put_str16(struct cairn_buf *out, const char *s)
{
	return cairn_buf_put_bytes16(out, s, s ? strlen(s) : 0);
}

static int encode_entry(const struct cairn_entry *e, struct cairn_buf *out)
{
	int rc = 0;

	rc |= cairn_buf_put_bytes16(out, e->name, e->name_len);
	rc |= cairn_buf_put_u8(out, e->type);
	rc |= cairn_buf_put_u32le(out, e->mode);
	rc |= cairn_buf_put_u32le(out, e->uid);
	rc |= cairn_buf_put_u32le(out, e->gid);
	rc |= put_str16(out, e->user);
	rc |= put_str16(out, e->group);
	rc |= cairn_buf_put_u64le(out, (uint64_t)e->mtime_sec);
	rc |= cairn_buf_put_u32le(out, e->mtime_nsec);
	rc |= cairn_buf_put_u64le(out, e->size);
	rc |= cairn_buf_put_u64le(out, e->rdev);
	rc |= cairn_buf_put_u64le(out, e->hardlink);
	rc |= cairn_buf_put_u32le(out, e->flags);
	rc |= cairn_buf_put_bytes32(out, e->target, e->target_len);
	if (e->type == CAIRN_ENTRY_DIR)
		rc |= cairn_buf_append(out, e->subtree, CAIRN_ID_BYTES);
	if (e->content_count > UINT32_MAX / CAIRN_ID_BYTES)
		return cairn_err(CAIRN_EINVAL, "entry '%.*s' has too many content blobs", (int)e->name_len,
				 (const char *)e->name);
	rc |= cairn_buf_put_u32le(out, (uint32_t)e->content_count);
	rc |= cairn_buf_append(out, e->content, e->content_count * CAIRN_ID_BYTES);
	rc |= cairn_buf_put_u32le(out, (uint32_t)e->xattr_count);
	for (size_t i = 0; i < e->xattr_count; i++) {
		rc |= put_str16(out, e->xattrs[i].name);
		rc |= cairn_buf_put_bytes32(out, e->xattrs[i].value, e->xattrs[i].value_len);
	}
	return rc ? cairn_err(CAIRN_ENOMEM, "cannot encode tree entry") : 0;
}

int cairn_tree_encode(struct cairn_entry *entries, size_t count, struct cairn_buf *out)
{
	int rc;

	if (count > UINT32_MAX)
		return cairn_err(CAIRN_EINVAL, "directory has too many entries");
	for (size_t i = 0; i < count; i++) {
		rc = cairn_tree_name_check(entries[i].name, entries[i].name_len);
		if (rc < 0)
			return rc;
		if (entries[i].type < CAIRN_ENTRY_FILE || entries[i].type > CAIRN_ENTRY_SOCK)
			return cairn_err(CAIRN_EINVAL, "entry '%.*s' has unknown type %u", (int)entries[i].name_len,
					 (const char *)entries[i].name, entries[i].type);
		if (entries[i].mtime_nsec >= 1000000000u)
			return cairn_err(CAIRN_EINVAL, "entry '%.*s' has an invalid mtime", (int)entries[i].name_len,
					 (const char *)entries[i].name);
		for (size_t k = 0; k < entries[i].xattr_count; k++)
			if (entries[i].xattrs[k].name == NULL || entries[i].xattrs[k].name[0] == '\0')
				return cairn_err(CAIRN_EINVAL, "entry '%.*s' has an extended attribute without a name",
						 (int)entries[i].name_len, (const char *)entries[i].name);
	}
	if (count > 1)
		qsort(entries, count, sizeof(*entries), entry_cmp);
	for (size_t i = 1; i < count; i++)
		if (entry_cmp(&entries[i - 1], &entries[i]) == 0)
			return cairn_err(CAIRN_EINVAL, "duplicate entry name '%.*s'", (int)entries[i].name_len,
					 (const char *)entries[i].name);
	rc = cairn_buf_append(out, CAIRN_TREE_MAGIC, TREE_MAGIC_LEN);
	if (rc == 0)
		rc = cairn_buf_put_u32le(out, (uint32_t)count);
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = encode_entry(&entries[i], out);
	return rc;
}

/* Copy a length-prefixed field into a fresh allocation (NUL-terminated for
 * convenience). Sets r->bad when short; *ret is NULL for an empty field when
 * `null_if_empty`. */
static int read_field(struct cairn_rd *r, size_t len, int null_if_empty, uint8_t **ret)
{
	const uint8_t *p = cairn_rd_bytes(r, len);
	uint8_t *copy;

	*ret = NULL;
	if (p == NULL)
		return CAIRN_ECORRUPT;
	if (len == 0 && null_if_empty)
		return 0;
	copy = malloc(len + 1);
	if (copy == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu bytes for a tree field", len + 1);
	memcpy(copy, p, len);
	copy[len] = '\0';
	*ret = copy;
	return 0;
}

static int read_string16(struct cairn_rd *r, char **ret)
{
	size_t len = cairn_rd_u16le(r);
	uint8_t *s;
	int rc = read_field(r, len, 1, &s);

	if (rc == 0 && s != NULL && memchr(s, '\0', len) != NULL) {
		free(s);
		return CAIRN_ECORRUPT;
	}
	*ret = (char *)s;
	return rc;
}

static int decode_entry(struct cairn_rd *r, struct cairn_entry *e)
{
	size_t len;
	uint32_t n;
	int rc;

	len = cairn_rd_u16le(r);
	if ((rc = read_field(r, len, 0, &e->name)) < 0)
		return rc;
	e->name_len = len;
	e->type = cairn_rd_u8(r);
	e->mode = cairn_rd_u32le(r);
	e->uid = cairn_rd_u32le(r);
	e->gid = cairn_rd_u32le(r);
	if ((rc = read_string16(r, &e->user)) < 0 || (rc = read_string16(r, &e->group)) < 0)
		return rc;
	e->mtime_sec = (int64_t)cairn_rd_u64le(r);
	e->mtime_nsec = cairn_rd_u32le(r);
	e->size = cairn_rd_u64le(r);
	e->rdev = cairn_rd_u64le(r);
	e->hardlink = cairn_rd_u64le(r);
	e->flags = cairn_rd_u32le(r);
	len = cairn_rd_u32le(r);
	if ((rc = read_field(r, len, 1, &e->target)) < 0)
		return rc;
	e->target_len = len;
	if (e->type == CAIRN_ENTRY_DIR)
		cairn_rd_copy(r, e->subtree, CAIRN_ID_BYTES);
	n = cairn_rd_u32le(r);
	if (r->bad || n > cairn_rd_left(r) / CAIRN_ID_BYTES)
		return CAIRN_ECORRUPT;
	e->content_count = n;
	if (n > 0) {
		e->content = malloc((size_t)n * CAIRN_ID_BYTES);
		if (e->content == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate content list");
		cairn_rd_copy(r, e->content, (size_t)n * CAIRN_ID_BYTES);
	}
	n = cairn_rd_u32le(r);
	/* each xattr takes at least 6 bytes */
	if (r->bad || n > cairn_rd_left(r) / 6)
		return CAIRN_ECORRUPT;
	if (n > 0) {
		e->xattrs = cairn_calloc(n, sizeof(*e->xattrs));
		if (e->xattrs == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate xattr list");
	}
	for (uint32_t i = 0; i < n; i++) {
		e->xattr_count = i + 1;
		if ((rc = read_string16(r, &e->xattrs[i].name)) < 0)
			return rc;
		if (e->xattrs[i].name == NULL)
			return CAIRN_ECORRUPT;
		len = cairn_rd_u32le(r);
		if ((rc = read_field(r, len, 1, &e->xattrs[i].value)) < 0)
			return rc;
		e->xattrs[i].value_len = len;
	}
	return r->bad ? CAIRN_ECORRUPT : 0;
}

int cairn_tree_decode(const void *blob, size_t len, struct cairn_entry **ret_entries, size_t *ret_count)
{
	struct cairn_rd r = cairn_rd_init(blob, len);
	struct cairn_entry *entries = NULL;
	const uint8_t *magic;
	uint32_t count;
	size_t i = 0;
	int rc;

	magic = cairn_rd_bytes(&r, TREE_MAGIC_LEN);
	if (magic == NULL || memcmp(magic, CAIRN_TREE_MAGIC, TREE_MAGIC_LEN) != 0)
		return cairn_err(CAIRN_ECORRUPT, "tree has a bad magic number");
	count = cairn_rd_u32le(&r);
	/* the smallest entry takes 72 bytes: never trust count beyond that */
	if (r.bad || count > cairn_rd_left(&r) / 72)
		return cairn_err(CAIRN_ECORRUPT, "tree entry count %u exceeds its %zu bytes", count, len);
	entries = cairn_calloc(count, sizeof(*entries));
	if (entries == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %u tree entries", count);
	for (i = 0; i < count; i++) {
		rc = decode_entry(&r, &entries[i]);
		if (rc == CAIRN_ECORRUPT) {
			rc = cairn_err(CAIRN_ECORRUPT, "tree entry %zu is truncated or malformed", i);
			goto fail;
		}
		if (rc < 0)
			goto fail;
		rc = cairn_tree_name_check(entries[i].name, entries[i].name_len);
		if (rc < 0) {
			rc = cairn_err_ctx(CAIRN_ECORRUPT, "tree entry %zu", i);
			goto fail;
		}
		if (entries[i].type < CAIRN_ENTRY_FILE || entries[i].type > CAIRN_ENTRY_SOCK) {
			rc = cairn_err(CAIRN_ECORRUPT, "tree entry '%.*s' has unknown type %u",
				       (int)entries[i].name_len, (const char *)entries[i].name, entries[i].type);
			goto fail;
		}
		if (entries[i].mtime_nsec >= 1000000000u) {
			rc = cairn_err(CAIRN_ECORRUPT, "tree entry '%.*s' has an invalid mtime",
				       (int)entries[i].name_len, (const char *)entries[i].name);
			goto fail;
		}
		if (i > 0 && entry_cmp(&entries[i - 1], &entries[i]) >= 0) {
			rc = cairn_err(CAIRN_ECORRUPT, "tree entries are not sorted or not unique at '%.*s'",
				       (int)entries[i].name_len, (const char *)entries[i].name);
			goto fail;
		}
	}
	if (cairn_rd_done(&r) < 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "tree has %zu trailing bytes", len - r.pos);
		goto fail;
	}
	*ret_entries = entries;
	*ret_count = count;
	return 0;
fail:
	cairn_entries_free(entries, i < count ? i + 1 : count);
	return rc;
}
