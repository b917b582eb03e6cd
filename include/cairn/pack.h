/* Blobs, packs and index objects: exactly docs/FORMAT.md "Blobs", "Packs"
 * and "Index objects".
 *
 * Stored blob  = seal(enc key, AD = "cairn-blob-v1" || type(u8) || blob id(32),
 *                     plaintext = codec(u8: 0 raw, 1 zstd) || payload)
 * Pack         = stored blob || stored blob || ... ||
 *                seal(enc key, AD = "cairn-pack-header-v1", header) ||
 *                u32le(length of sealed header) || "CAIRNPK1"
 * Header       = u32le count || count * entry
 * Entry (49 B) = type u8 || blob id[32] || offset u64le || length u32le ||
 *                raw_length u32le
 * Index object = seal(enc key, AD = "cairn-index-v1", body)
 * Body         = "CAIRNIX1" || u32le pack count || per pack:
 *                  pack id[32] || u32le blob count || count * entry
 *                || u32le superseded count || count * index id[32]
 */
#ifndef CAIRN_PACK_H
#define CAIRN_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"
#include "cairn/compress.h"
#include "cairn/crypto.h"

enum cairn_blob_type { CAIRN_BLOB_DATA = 1, CAIRN_BLOB_TREE = 2 };

#define CAIRN_PACK_MAGIC "CAIRNPK1"
#define CAIRN_PACK_TRAILER_BYTES 12 /* u32 header length + 8-byte magic */
#define CAIRN_PACK_ENTRY_BYTES 49
#define CAIRN_PACK_TARGET_DEFAULT (16u * 1024u * 1024u)
#define CAIRN_INDEX_MAGIC "CAIRNIX1"
/* Upper bounds that parsers enforce on untrusted input. */
#define CAIRN_BLOB_MAX_RAW (64u * 1024u * 1024u)
#define CAIRN_PACK_MAX_ENTRIES 1000000u

/* Where a blob lives. */
struct cairn_blob_loc {
	uint8_t id[CAIRN_ID_BYTES];
	uint8_t type;  /* enum cairn_blob_type */
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t offset;     /* of the stored blob within the pack */
	uint32_t length;     /* stored (sealed) length */
	uint32_t raw_length; /* plaintext payload length */
};

/* Encode a blob: compress with `z` when that is smaller (z may be NULL: never
 * compress), seal, append the stored bytes to `out`. `id` must be the blob ID
 * of `plain` (computed by the caller, usually already for deduplication).
 * CAIRN_EINVAL for an unknown type or len > CAIRN_BLOB_MAX_RAW. */
int cairn_blob_encode(const struct cairn_keys *keys, struct cairn_zctx *z, uint8_t type,
		      const uint8_t id[CAIRN_ID_BYTES], const void *plain, size_t len, struct cairn_buf *out);

/* The two halves of cairn_blob_encode, for callers that keep their buffers
 * across blobs (the packer seals straight into the open pack):
 * cairn_blob_plaintext appends codec || payload to `pt` (compressed with `z`
 * when that is smaller; z may be NULL), CAIRN_EINVAL when len >
 * CAIRN_BLOB_MAX_RAW; cairn_blob_seal seals such a plaintext as a blob of
 * `type` and `id` and appends the stored bytes to `out`. On error neither
 * buffer grows. */
int cairn_blob_plaintext(struct cairn_zctx *z, const void *plain, size_t len, struct cairn_buf *pt);
int cairn_blob_seal(const struct cairn_keys *keys, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *pt,
		    size_t pt_len, struct cairn_buf *out);

/* Decode stored blob bytes: open, decompress, check the payload is raw_length
 * bytes and that its blob ID equals `id`; append the plaintext to `out`.
 * CAIRN_ECORRUPT (detail recorded, naming the blob) on any mismatch, including
 * raw_length > CAIRN_BLOB_MAX_RAW or a stored length that no blob of
 * raw_length bytes can have (see the entry bounds below). `z` may be NULL (a
 * context is made when needed). On error `out` is left as it was. */
int cairn_blob_decode(const struct cairn_keys *keys, struct cairn_zctx *z, uint8_t type,
		      const uint8_t id[CAIRN_ID_BYTES], const void *stored, size_t len, uint32_t raw_length,
		      struct cairn_buf *out);

/* Pack writer: collects stored blobs and their header entries. */
struct cairn_pack_writer;
int cairn_pack_writer_new(struct cairn_pack_writer **ret);
void cairn_pack_writer_free(struct cairn_pack_writer *w); /* NULL ok */
/* Append an already encoded blob. 0 or CAIRN_ENOMEM / CAIRN_EINVAL (entry
 * out of bounds, or the pack already holds CAIRN_PACK_MAX_ENTRIES blobs).
 * Entry bounds, enforced by every parser too: known type, raw_length <=
 * CAIRN_BLOB_MAX_RAW, 1 + CAIRN_SEAL_OVERHEAD <= length <= raw_length + 1 +
 * CAIRN_SEAL_OVERHEAD (zstd is only used when it is smaller than raw). */
int cairn_pack_writer_add(struct cairn_pack_writer *w, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			  const void *stored, size_t len, uint32_t raw_length);
/* Seal a blob plaintext (cairn_blob_plaintext) straight into the pack, as
 * cairn_blob_seal then cairn_pack_writer_add would, without the copy. Same
 * errors; on error the writer is unchanged. */
int cairn_pack_writer_seal(struct cairn_pack_writer *w, const struct cairn_keys *keys, uint8_t type,
			   const uint8_t id[CAIRN_ID_BYTES], const void *pt, size_t pt_len, uint32_t raw_length);
/* Give an empty writer a buffer of `cap` bytes aligned for direct I/O
 * (cairn_file_write_all_uncached), so that packs up to that size are
 * written without growing it and without a copy into the page cache. 0 or
 * CAIRN_ENOMEM; does nothing when the writer holds blobs or has room. */
int cairn_pack_writer_preallocate(struct cairn_pack_writer *w, size_t cap);
/* Hand a finished pack's buffer back (cairn_pack_writer_finish gave it
 * out) so that the next pack reuses its memory instead of growing a new
 * one; *spare is taken (freed when the writer cannot use it) and zeroed. */
void cairn_pack_writer_give_buffer(struct cairn_pack_writer *w, struct cairn_buf *spare);
size_t cairn_pack_writer_bytes(const struct cairn_pack_writer *w);  /* stored bytes so far (spilled included) */
/* Keep at most about `keep` bytes of the open pack in memory: when more are
 * held, hand the longest prefix that is a multiple of
 * CAIRN_FILE_DIRECT_ALIGN to sink (the pack's bytes in order, e.g. to a
 * streamed store object) and drop it. Entries keep their offsets from the
 * start of the pack, and the pack id still covers every byte; after a
 * spill, cairn_pack_writer_finish returns only the bytes not yet handed
 * out. 0, or sink's error (the writer is then unchanged). */
int cairn_pack_writer_spill(struct cairn_pack_writer *w, size_t keep,
			    int (*sink)(void *ctx, const void *data, size_t len), void *ctx);
size_t cairn_pack_writer_count(const struct cairn_pack_writer *w);  /* blobs so far */
/* Seal the header, append the trailer and hand over the finished pack: the
 * pack bytes are moved into *ret_pack (caller owns, cairn_buf_free; after
 * cairn_pack_writer_spill only the bytes not handed out yet), the pack id
 * (SHA-256 of all the pack's bytes) written to ret_id, and the blob locations
 * (with pack filled in) returned as a malloc'd array of *ret_count entries
 * (caller frees). The writer is then empty and can be reused. *ret_pack is
 * overwritten, not freed: pass a zeroed buffer. CAIRN_EINVAL when the writer
 * holds no blobs (empty packs are never written); on error the writer is
 * unchanged. */
int cairn_pack_writer_finish(struct cairn_pack_writer *w, const struct cairn_keys *keys,
			     struct cairn_buf *ret_pack, uint8_t ret_id[CAIRN_ID_BYTES],
			     struct cairn_blob_loc **ret_locs, size_t *ret_count);

/* Read a pack's header. `tail` holds the last `tail_len` bytes of a pack of
 * `pack_size` bytes (tail_len >= CAIRN_PACK_TRAILER_BYTES). If the sealed
 * header does not fit in `tail`, returns CAIRN_EINVAL and sets *ret_need to
 * the number of tail bytes required; call again with that many. On success
 * returns the entries (pack id taken from `pack_id`) as a malloc'd array.
 * CAIRN_ECORRUPT (detail recorded) for a bad magic, a header that fails
 * authentication, or entries that lie outside the pack or overlap it.
 * Also CAIRN_ECORRUPT: a header with no entries, more than
 * CAIRN_PACK_MAX_ENTRIES, or entries out of the bounds given at
 * cairn_pack_writer_add. Entries need not be in offset order. CAIRN_EINVAL
 * (no *ret_need) when tail_len > pack_size. ret_need may be NULL. */
int cairn_pack_read_header(const struct cairn_keys *keys, const uint8_t pack_id[CAIRN_ID_BYTES],
			   const void *tail, size_t tail_len, uint64_t pack_size, size_t *ret_need,
			   struct cairn_blob_loc **ret_locs, size_t *ret_count);

/* Index objects. An index lists blob locations, grouped by pack. */
struct cairn_index_builder;
int cairn_index_builder_new(struct cairn_index_builder **ret);
void cairn_index_builder_free(struct cairn_index_builder *b);
/* Add the blobs of one pack (all locs[i].pack must be equal; count >= 1;
 * entries within the bounds given at cairn_pack_writer_add). Copies locs.
 * 0 or CAIRN_EINVAL / CAIRN_ENOMEM. */
int cairn_index_builder_add_pack(struct cairn_index_builder *b, const struct cairn_blob_loc *locs, size_t count);
/* Record an index object this one replaces (used by prune; may be unused). */
int cairn_index_builder_supersede(struct cairn_index_builder *b, const uint8_t index_id[CAIRN_ID_BYTES]);
size_t cairn_index_builder_packs(const struct cairn_index_builder *b);
/* Seal into an index object appended to `out`; the builder is emptied. */
int cairn_index_builder_finish(struct cairn_index_builder *b, const struct cairn_keys *keys, struct cairn_buf *out);

/* Parse a sealed index object. Calls `on_blob` for every blob location in
 * order, and `on_superseded` (may be NULL) for every superseded index id. A
 * non-zero return from a callback stops parsing and is returned.
 * CAIRN_ECORRUPT (detail recorded) on authentication or structure errors; in
 * that case callbacks may already have run for a prefix of the entries only
 * if the structure was valid up to there — authentication is checked first,
 * so tampered objects produce no callbacks. (This implementation validates the
 * whole body before the first callback, so a corrupt object never produces
 * callbacks.) on_blob may be NULL too. */
int cairn_index_parse(const struct cairn_keys *keys, const void *obj, size_t len,
		      int (*on_blob)(void *ctx, const struct cairn_blob_loc *loc),
		      int (*on_superseded)(void *ctx, const uint8_t index_id[CAIRN_ID_BYTES]), void *ctx);

#endif
