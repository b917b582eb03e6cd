/* Pack writer: stored blobs, then the sealed header and the trailer
 * (docs/FORMAT.md "Packs"). */
#include "cairn/err.h"
#include "cairn/file.h"
#include "cairn/pack.h"
#include "pack/pack_entry.h"

#include <stdlib.h>
#include <string.h>

#define PACK_HEADER_AD "cairn-pack-header-v1"

struct cairn_pack_writer {
	struct cairn_buf data;         /* stored blobs, back to back */
	struct cairn_blob_loc *locs;   /* one per blob, pack not yet known */
	size_t count, cap;
	/* SHA-256 of data[0, hashed): each blob is hashed as it is appended,
	 * while it is still in the cache, not all at once at the end */
	struct cairn_sha256 hash;
	size_t hashed;
	/* bytes of this pack already handed out by cairn_pack_writer_spill:
	 * data holds the pack from this offset on */
	uint64_t spilled;
};

int cairn_pack_writer_new(struct cairn_pack_writer **ret)
{
	struct cairn_pack_writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a pack writer");
	*ret = w;
	return 0;
}

void cairn_pack_writer_free(struct cairn_pack_writer *w)
{
	if (w == NULL)
		return;
	cairn_buf_free(&w->data);
	free(w->locs);
	cairn_sha256_abort(&w->hash);
	free(w);
}

void cairn_pack_writer_give_buffer(struct cairn_pack_writer *w, struct cairn_buf *spare)
{
	if (w->count == 0 && spare->cap > w->data.cap) {
		cairn_buf_free(&w->data);
		w->data = *spare;
		w->data.len = 0;
		memset(spare, 0, sizeof(*spare));
		return;
	}
	cairn_buf_free(spare);
}

int cairn_pack_writer_preallocate(struct cairn_pack_writer *w, size_t cap)
{
	void *p = NULL;

	if (w->count > 0 || w->data.cap >= cap)
		return 0;
	if (posix_memalign(&p, CAIRN_FILE_DIRECT_ALIGN, cap) != 0)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a pack buffer of %zu bytes", cap);
	cairn_buf_free(&w->data);
	w->data.data = p;
	w->data.cap = cap;
	return 0;
}

/* Hash what was appended since the last call (starting the hash with the
 * pack's first bytes). */
static int hash_new_bytes(struct cairn_pack_writer *w)
{
	int rc;

	if (w->hash.ctx == NULL) {
		rc = cairn_sha256_init(&w->hash);
		if (rc < 0)
			return rc;
		w->hashed = 0;
	}
	cairn_sha256_update(&w->hash, w->data.data + w->hashed, w->data.len - w->hashed);
	w->hashed = w->data.len;
	return 0;
}

static int grow_locs(struct cairn_pack_writer *w)
{
	size_t cap = w->cap ? w->cap * 2 : 64;
	struct cairn_blob_loc *p;

	if (w->count < w->cap)
		return 0;
	p = cairn_reallocarray(w->locs, cap, sizeof(*p));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot grow the pack entry list to %zu entries", cap);
	w->locs = p;
	w->cap = cap;
	return 0;
}

/* Check an entry and make room for it: NULL when it cannot be added (error
 * recorded in *rc). */
static struct cairn_blob_loc *entry_prepare(struct cairn_pack_writer *w, uint8_t type,
					    const uint8_t id[CAIRN_ID_BYTES], size_t len, uint32_t raw_length, int *rc)
{
	const char *why = cairn_pack_entry_check(type, len, raw_length);

	if (why != NULL) {
		*rc = cairn_err(CAIRN_EINVAL, "blob %s: %s (type %u, stored %zu bytes, raw %u bytes)",
				cairn_pack_hex(id).s, why, type, len, raw_length);
		return NULL;
	}
	if (w->count >= CAIRN_PACK_MAX_ENTRIES) {
		*rc = cairn_err(CAIRN_EINVAL, "pack already holds the maximum of %u blobs", CAIRN_PACK_MAX_ENTRIES);
		return NULL;
	}
	*rc = grow_locs(w);
	return *rc < 0 ? NULL : &w->locs[w->count];
}

/* Record the blob stored at data[offset, data.len) and hash its bytes. */
static int entry_commit(struct cairn_pack_writer *w, struct cairn_blob_loc *loc, uint8_t type,
			const uint8_t id[CAIRN_ID_BYTES], size_t offset, uint32_t raw_length)
{
	int rc = hash_new_bytes(w);

	if (rc < 0) {
		w->data.len = offset;
		return rc;
	}
	memset(loc, 0, sizeof(*loc));
	loc->type = type;
	memcpy(loc->id, id, CAIRN_ID_BYTES);
	loc->offset = w->spilled + offset;
	loc->length = (uint32_t)(w->data.len - offset);
	loc->raw_length = raw_length;
	w->count++;
	return 0;
}

int cairn_pack_writer_add(struct cairn_pack_writer *w, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			  const void *stored, size_t len, uint32_t raw_length)
{
	struct cairn_blob_loc *loc;
	size_t offset = w->data.len;
	int rc;

	loc = entry_prepare(w, type, id, len, raw_length, &rc);
	if (loc == NULL)
		return rc;
	rc = cairn_buf_append(&w->data, stored, len);
	if (rc < 0)
		return rc;
	return entry_commit(w, loc, type, id, offset, raw_length);
}

int cairn_pack_writer_seal(struct cairn_pack_writer *w, const struct cairn_keys *keys, uint8_t type,
			   const uint8_t id[CAIRN_ID_BYTES], const void *pt, size_t pt_len, uint32_t raw_length)
{
	struct cairn_blob_loc *loc;
	size_t offset = w->data.len;
	int rc;

	loc = entry_prepare(w, type, id, pt_len + CAIRN_SEAL_OVERHEAD, raw_length, &rc);
	if (loc == NULL)
		return rc;
	rc = cairn_blob_seal(keys, type, id, pt, pt_len, &w->data);
	if (rc < 0) {
		w->data.len = offset;
		return rc;
	}
	return entry_commit(w, loc, type, id, offset, raw_length);
}

size_t cairn_pack_writer_bytes(const struct cairn_pack_writer *w)
{
	return (size_t)w->spilled + w->data.len;
}

int cairn_pack_writer_spill(struct cairn_pack_writer *w, size_t keep,
			    int (*sink)(void *ctx, const void *data, size_t len), void *ctx)
{
	size_t n;
	int rc;

	if (w->data.len <= keep)
		return 0;
	n = w->data.len & ~(size_t)(CAIRN_FILE_DIRECT_ALIGN - 1);
	if (n == 0)
		return 0;
	rc = sink(ctx, w->data.data, n);
	if (rc < 0)
		return rc;
	/* every byte held is hashed already (entry_commit) */
	memmove(w->data.data, w->data.data + n, w->data.len - n);
	w->data.len -= n;
	w->hashed -= n;
	w->spilled += n;
	return 0;
}

size_t cairn_pack_writer_count(const struct cairn_pack_writer *w)
{
	return w->count;
}

/* Header plaintext: u32le count || count * entry. */
static int encode_header(const struct cairn_pack_writer *w, struct cairn_buf *out)
{
	uint8_t *p;
	int rc;

	rc = cairn_buf_reserve(out, 4 + w->count * CAIRN_PACK_ENTRY_BYTES);
	if (rc < 0)
		return rc;
	cairn_le32_store(out->data + out->len, (uint32_t)w->count);
	p = out->data + out->len + 4;
	for (size_t i = 0; i < w->count; i++)
		cairn_pack_entry_store(p + i * CAIRN_PACK_ENTRY_BYTES, &w->locs[i]);
	out->len += 4 + w->count * CAIRN_PACK_ENTRY_BYTES;
	return 0;
}

/* Append sealed header || u32le sealed length || magic to the blob bytes. */
static int append_header(struct cairn_pack_writer *w, const struct cairn_keys *keys)
{
	struct cairn_buf hdr = { 0 };
	size_t start = w->data.len;
	uint8_t trailer[CAIRN_PACK_TRAILER_BYTES];
	int rc;

	rc = encode_header(w, &hdr);
	if (rc < 0)
		goto out;
	rc = cairn_seal(keys->enc, PACK_HEADER_AD, strlen(PACK_HEADER_AD), hdr.data, hdr.len, NULL, &w->data);
	if (rc < 0)
		goto out;
	cairn_le32_store(trailer, (uint32_t)(w->data.len - start));
	memcpy(trailer + 4, CAIRN_PACK_MAGIC, CAIRN_PACK_TRAILER_BYTES - 4);
	rc = cairn_buf_append(&w->data, trailer, sizeof(trailer));
out:
	if (rc < 0)
		w->data.len = start;
	cairn_buf_free(&hdr);
	return rc;
}

int cairn_pack_writer_finish(struct cairn_pack_writer *w, const struct cairn_keys *keys,
			     struct cairn_buf *ret_pack, uint8_t ret_id[CAIRN_ID_BYTES],
			     struct cairn_blob_loc **ret_locs, size_t *ret_count)
{
	struct cairn_blob_loc *locs;
	uint8_t id[CAIRN_ID_BYTES];
	size_t start;
	int rc;

	if (w->count == 0)
		return cairn_err(CAIRN_EINVAL, "cannot finish a pack with no blobs");
	locs = cairn_calloc(w->count, sizeof(*locs));
	if (locs == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu blob locations", w->count);
	start = w->data.len;
	rc = append_header(w, keys);
	if (rc == 0)
		rc = hash_new_bytes(w);
	if (rc < 0) {
		w->data.len = start;
		free(locs);
		return rc;
	}
	cairn_sha256_final(&w->hash, id);
	w->hashed = 0;
	for (size_t i = 0; i < w->count; i++) {
		locs[i] = w->locs[i];
		memcpy(locs[i].pack, id, CAIRN_ID_BYTES);
	}
	*ret_pack = w->data;
	memcpy(ret_id, id, CAIRN_ID_BYTES);
	*ret_locs = locs;
	*ret_count = w->count;
	memset(&w->data, 0, sizeof(w->data));
	w->count = 0;
	w->spilled = 0;
	return 0;
}
