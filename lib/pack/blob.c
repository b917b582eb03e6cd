/* Stored blobs: compress, seal and verify one blob (docs/FORMAT.md "Blobs"). */
#include "cairn/err.h"
#include "cairn/pack.h"
#include "pack/pack_entry.h"

#include <string.h>

#define BLOB_AD_PREFIX "cairn-blob-v1"
#define BLOB_AD_PREFIX_LEN (sizeof(BLOB_AD_PREFIX) - 1)
#define BLOB_AD_BYTES (BLOB_AD_PREFIX_LEN + 1 + CAIRN_ID_BYTES)

enum { CODEC_RAW = 0, CODEC_ZSTD = 1 };

/* AD = "cairn-blob-v1" || type || blob id: binds the box to what it claims to be. */
static void blob_ad(uint8_t ad[BLOB_AD_BYTES], uint8_t type, const uint8_t id[CAIRN_ID_BYTES])
{
	memcpy(ad, BLOB_AD_PREFIX, BLOB_AD_PREFIX_LEN);
	ad[BLOB_AD_PREFIX_LEN] = type;
	memcpy(ad + BLOB_AD_PREFIX_LEN + 1, id, CAIRN_ID_BYTES);
}

int cairn_blob_plaintext(struct cairn_zctx *z, const void *plain, size_t len, struct cairn_buf *pt)
{
	size_t start = pt->len;
	int compressed = 0, rc;

	if (len > CAIRN_BLOB_MAX_RAW)
		return cairn_err(CAIRN_EINVAL, "%zu bytes exceed the blob limit of %u bytes", len, CAIRN_BLOB_MAX_RAW);
	rc = cairn_buf_put_u8(pt, CODEC_ZSTD);
	if (rc < 0)
		return rc;
	if (z != NULL && len > 0) {
		rc = cairn_compress(z, plain, len, pt, &compressed);
		if (rc < 0) {
			pt->len = start;
			return rc;
		}
	}
	if (compressed)
		return 0;
	pt->data[start] = CODEC_RAW;
	pt->len = start + 1;
	rc = cairn_buf_append(pt, plain, len);
	if (rc < 0)
		pt->len = start;
	return rc;
}

int cairn_blob_seal(const struct cairn_keys *keys, uint8_t type, const uint8_t id[CAIRN_ID_BYTES], const void *pt,
		    size_t pt_len, struct cairn_buf *out)
{
	uint8_t ad[BLOB_AD_BYTES];

	if (!cairn_pack_type_known(type))
		return cairn_err(CAIRN_EINVAL, "blob %s: unknown blob type %u", cairn_pack_hex(id).s, type);
	if (pt_len < 1 || pt_len > (size_t)CAIRN_BLOB_MAX_RAW + 1)
		return cairn_err(CAIRN_EINVAL, "blob %s: a blob plaintext of %zu bytes", cairn_pack_hex(id).s, pt_len);
	blob_ad(ad, type, id);
	return cairn_seal(keys->enc, ad, sizeof(ad), pt, pt_len, NULL, out);
}

int cairn_blob_encode(const struct cairn_keys *keys, struct cairn_zctx *z, uint8_t type,
		      const uint8_t id[CAIRN_ID_BYTES], const void *plain, size_t len, struct cairn_buf *out)
{
	struct cairn_buf pt = { 0 };
	int rc;

	if (!cairn_pack_type_known(type))
		return cairn_err(CAIRN_EINVAL, "blob %s: unknown blob type %u", cairn_pack_hex(id).s, type);
	if (len > CAIRN_BLOB_MAX_RAW)
		return cairn_err(CAIRN_EINVAL, "blob %s: %zu bytes exceed the blob limit of %u bytes",
				 cairn_pack_hex(id).s, len, CAIRN_BLOB_MAX_RAW);
	rc = cairn_blob_plaintext(z, plain, len, &pt);
	if (rc == 0)
		rc = cairn_blob_seal(keys, type, id, pt.data, pt.len, out);
	cairn_buf_free(&pt);
	return rc;
}

/* Append the payload of an opened blob to out, exactly raw_length bytes. */
static int blob_payload(struct cairn_zctx *z, const char *hex, const struct cairn_buf *pt, uint32_t raw_length,
			struct cairn_buf *out)
{
	struct cairn_zctx *tmp = NULL;
	const uint8_t *payload = pt->data + 1;
	size_t plen = pt->len - 1;
	int rc;

	switch (pt->data[0]) {
	case CODEC_RAW:
		if (plen != raw_length)
			return cairn_err(CAIRN_ECORRUPT, "blob %s: payload of %zu bytes, expected %u", hex, plen,
					 raw_length);
		return cairn_buf_append(out, payload, plen);
	case CODEC_ZSTD:
		if (z == NULL) {
			rc = cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &tmp);
			if (rc < 0)
				return rc;
			z = tmp;
		}
		rc = cairn_decompress(z, payload, plen, raw_length, out);
		cairn_zctx_free(tmp);
		if (rc == CAIRN_ECORRUPT)
			return cairn_err_ctx(rc, "blob %s", hex);
		return rc;
	default:
		return cairn_err(CAIRN_ECORRUPT, "blob %s: unknown codec %u", hex, pt->data[0]);
	}
}

int cairn_blob_decode(const struct cairn_keys *keys, struct cairn_zctx *z, uint8_t type,
		      const uint8_t id[CAIRN_ID_BYTES], const void *stored, size_t len, uint32_t raw_length,
		      struct cairn_buf *out)
{
	struct cairn_pack_hex hex = cairn_pack_hex(id);
	struct cairn_buf pt = { 0 };
	uint8_t ad[BLOB_AD_BYTES], got[CAIRN_ID_BYTES];
	size_t start = out->len;
	const char *why;
	int rc;

	why = cairn_pack_entry_check(type, len, raw_length);
	if (why != NULL)
		return cairn_err(CAIRN_ECORRUPT, "blob %s: %s (type %u, stored %zu bytes, raw %u bytes)", hex.s,
				 why, type, len, raw_length);
	blob_ad(ad, type, id);
	rc = cairn_open(keys->enc, ad, sizeof(ad), stored, len, &pt);
	if (rc == CAIRN_ECORRUPT) {
		rc = cairn_err(CAIRN_ECORRUPT, "blob %s: authentication failed", hex.s);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (pt.len < 1) {
		rc = cairn_err(CAIRN_ECORRUPT, "blob %s: empty plaintext", hex.s);
		goto out;
	}
	rc = blob_payload(z, hex.s, &pt, raw_length, out);
	if (rc < 0)
		goto out;
	cairn_blob_id(keys, raw_length > 0 ? out->data + start : (const uint8_t *)"", raw_length, got);
	if (memcmp(got, id, CAIRN_ID_BYTES) != 0)
		rc = cairn_err(CAIRN_ECORRUPT, "blob %s: content does not match its id", hex.s);
out:
	if (rc < 0)
		out->len = start;
	cairn_buf_free(&pt);
	return rc;
}
