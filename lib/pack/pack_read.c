/* Pack header reader: trailer, sealed header and entry validation
 * (docs/FORMAT.md "Packs"). Everything read here is untrusted. */
#include "cairn/err.h"
#include "cairn/pack.h"
#include "pack/pack_entry.h"

#include <stdlib.h>
#include <string.h>

#define PACK_HEADER_AD "cairn-pack-header-v1"
/* Largest sealed header a valid pack can have. */
#define PACK_HEADER_MAX_SEALED (4u + CAIRN_PACK_MAX_ENTRIES * CAIRN_PACK_ENTRY_BYTES + CAIRN_SEAL_OVERHEAD)

struct span {
	uint64_t start, end;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* CAIRN_ECORRUPT when two entries share bytes of the pack. Entries written by
 * cairn_pack_writer are in offset order, which needs no sorting. */
static int check_overlap(const char *hex, const struct cairn_blob_loc *locs, size_t count)
{
	struct span *spans;
	uint64_t end = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < count && locs[i].offset >= end; i++)
		end = locs[i].offset + locs[i].length;
	if (i == count)
		return 0;
	spans = cairn_calloc(count, sizeof(*spans));
	if (spans == NULL)
		return cairn_err(CAIRN_ENOMEM, "pack %s: cannot allocate %zu spans", hex, count);
	for (i = 0; i < count; i++) {
		spans[i].start = locs[i].offset;
		spans[i].end = locs[i].offset + locs[i].length;
	}
	qsort(spans, count, sizeof(*spans), span_cmp);
	for (i = 1; i < count; i++) {
		if (spans[i].start < spans[i - 1].end) {
			rc = cairn_err(CAIRN_ECORRUPT, "pack %s: entries at offsets %llu and %llu overlap", hex,
				       (unsigned long long)spans[i - 1].start, (unsigned long long)spans[i].start);
			break;
		}
	}
	free(spans);
	return rc;
}

/* Decode and validate the header plaintext; data_end is where the sealed
 * header starts, the end of the blob region. */
static int parse_header(const char *hex, const uint8_t pack_id[CAIRN_ID_BYTES], const struct cairn_buf *pt,
			uint64_t data_end, struct cairn_blob_loc **ret_locs, size_t *ret_count)
{
	struct cairn_rd r = cairn_rd_init(pt->data, pt->len);
	struct cairn_blob_loc *locs;
	const char *why;
	uint32_t count;
	int rc;

	count = cairn_rd_u32le(&r);
	if (r.bad)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header of %zu bytes is truncated", hex, pt->len);
	if (count == 0)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header lists no blobs", hex);
	if (count > CAIRN_PACK_MAX_ENTRIES)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header claims %u entries, more than the limit of %u",
				 hex, count, CAIRN_PACK_MAX_ENTRIES);
	if (pt->len != 4 + (size_t)count * CAIRN_PACK_ENTRY_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header of %zu bytes cannot hold %u entries", hex,
				 pt->len, count);
	locs = cairn_calloc(count, sizeof(*locs));
	if (locs == NULL)
		return cairn_err(CAIRN_ENOMEM, "pack %s: cannot allocate %u blob locations", hex, count);
	for (uint32_t i = 0; i < count; i++) {
		struct cairn_blob_loc *loc = &locs[i];

		cairn_pack_entry_read(&r, loc);
		memcpy(loc->pack, pack_id, CAIRN_ID_BYTES);
		why = cairn_pack_entry_check(loc->type, loc->length, loc->raw_length);
		if (why != NULL) {
			rc = cairn_err(CAIRN_ECORRUPT, "pack %s: entry %u: %s", hex, i, why);
			goto err;
		}
		if (loc->offset > data_end || loc->length > data_end - loc->offset) {
			rc = cairn_err(CAIRN_ECORRUPT,
				       "pack %s: entry %u (offset %llu, length %u) lies outside the %llu blob bytes",
				       hex, i, (unsigned long long)loc->offset, loc->length,
				       (unsigned long long)data_end);
			goto err;
		}
	}
	rc = check_overlap(hex, locs, count);
	if (rc < 0)
		goto err;
	*ret_locs = locs;
	*ret_count = count;
	return 0;
err:
	free(locs);
	return rc;
}

int cairn_pack_read_header(const struct cairn_keys *keys, const uint8_t pack_id[CAIRN_ID_BYTES],
			   const void *tail, size_t tail_len, uint64_t pack_size, size_t *ret_need,
			   struct cairn_blob_loc **ret_locs, size_t *ret_count)
{
	struct cairn_pack_hex hex = cairn_pack_hex(pack_id);
	struct cairn_buf pt = { 0 };
	const uint8_t *trailer;
	uint32_t hlen;
	size_t need;
	int rc;

	if (tail_len > pack_size)
		return cairn_err(CAIRN_EINVAL, "pack %s: tail of %zu bytes is longer than the pack (%llu bytes)",
				 hex.s, tail_len, (unsigned long long)pack_size);
	if (tail_len < CAIRN_PACK_TRAILER_BYTES) {
		if (pack_size < CAIRN_PACK_TRAILER_BYTES)
			return cairn_err(CAIRN_ECORRUPT, "pack %s: %llu bytes is too short for a pack", hex.s,
					 (unsigned long long)pack_size);
		if (ret_need != NULL)
			*ret_need = CAIRN_PACK_TRAILER_BYTES;
		return cairn_err(CAIRN_EINVAL, "pack %s: the trailer needs %u bytes, got %zu", hex.s,
				 CAIRN_PACK_TRAILER_BYTES, tail_len);
	}
	trailer = (const uint8_t *)tail + tail_len - CAIRN_PACK_TRAILER_BYTES;
	if (memcmp(trailer + 4, CAIRN_PACK_MAGIC, CAIRN_PACK_TRAILER_BYTES - 4) != 0)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: bad magic (not a cairn pack)", hex.s);
	hlen = cairn_le32_load(trailer);
	if (hlen > pack_size - CAIRN_PACK_TRAILER_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header length %u exceeds the pack size %llu", hex.s, hlen,
				 (unsigned long long)pack_size);
	if (hlen < 4 + CAIRN_SEAL_OVERHEAD || hlen > PACK_HEADER_MAX_SEALED)
		return cairn_err(CAIRN_ECORRUPT, "pack %s: header length %u is out of range", hex.s, hlen);
	need = (size_t)hlen + CAIRN_PACK_TRAILER_BYTES;
	if (need > tail_len) {
		if (ret_need != NULL)
			*ret_need = need;
		return cairn_err(CAIRN_EINVAL, "pack %s: the header needs the last %zu bytes, got %zu", hex.s, need,
				 tail_len);
	}
	rc = cairn_open(keys->enc, PACK_HEADER_AD, strlen(PACK_HEADER_AD), trailer - hlen, hlen, &pt);
	if (rc == CAIRN_ECORRUPT) {
		rc = cairn_err(CAIRN_ECORRUPT, "pack %s: header authentication failed", hex.s);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = parse_header(hex.s, pack_id, &pt, pack_size - need, ret_locs, ret_count);
out:
	cairn_buf_free(&pt);
	return rc;
}
