/* zstd compression of blob payloads with reusable per-thread contexts. */
#include "cairn/compress.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

struct cairn_zctx {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
};

int cairn_zctx_new(int level, struct cairn_zctx **ret)
{
	struct cairn_zctx *z;

	if (level < 1 || level > 19)
		return cairn_err(CAIRN_EINVAL, "zstd level %d is not in 1..19", level);
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate zstd context");
	z->level = level;
	z->cctx = ZSTD_createCCtx();
	z->dctx = ZSTD_createDCtx();
	if (z->cctx == NULL || z->dctx == NULL) {
		cairn_zctx_free(z);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate zstd context");
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 0))) {
		cairn_zctx_free(z);
		return cairn_err(CAIRN_EBUG, "cannot set zstd parameters for level %d", level);
	}
	*ret = z;
	return 0;
}

void cairn_zctx_free(struct cairn_zctx *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	free(z);
}

int cairn_compress(struct cairn_zctx *z, const void *in, size_t len, struct cairn_buf *out, int *ret_compressed)
{
	size_t n;
	int rc;

	/* No result is shorter than a single byte. */
	if (len < 2) {
		*ret_compressed = 0;
		return 0;
	}
	/* Only a result smaller than the input is worth keeping, so give zstd
	 * len - 1 bytes of room: a larger result fails with dstSize_tooSmall. */
	rc = cairn_buf_reserve(out, len - 1);
	if (rc < 0)
		return rc;
	n = ZSTD_compress2(z->cctx, out->data + out->len, len - 1, in, len);
	if (ZSTD_isError(n)) {
		ZSTD_ErrorCode code = ZSTD_getErrorCode(n);

		/* Reset so the next frame starts clean after a failed one. */
		ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
		if (code == ZSTD_error_dstSize_tooSmall) {
			*ret_compressed = 0;
			return 0;
		}
		if (code == ZSTD_error_memory_allocation)
			return cairn_err(CAIRN_ENOMEM, "zstd cannot compress %zu bytes: out of memory", len);
		return cairn_err(CAIRN_EBUG, "zstd cannot compress %zu bytes: %s", len, ZSTD_getErrorName(n));
	}
	out->len += n;
	*ret_compressed = 1;
	return 0;
}

int cairn_decompress(struct cairn_zctx *z, const void *in, size_t len, size_t raw_len, struct cairn_buf *out)
{
	unsigned long long content;
	size_t frame_len, n;
	int rc;

	/* A regular frame only: skippable frames would pass as empty content. */
	if (in == NULL || len < 4 || cairn_le32_load(in) != ZSTD_MAGICNUMBER)
		return cairn_err(CAIRN_ECORRUPT, "not a zstd frame");
	content = ZSTD_getFrameContentSize(in, len);
	if (content == ZSTD_CONTENTSIZE_ERROR)
		return cairn_err(CAIRN_ECORRUPT, "not a zstd frame");
	if (content == ZSTD_CONTENTSIZE_UNKNOWN)
		return cairn_err(CAIRN_ECORRUPT, "zstd frame does not record its content size");
	if (content != (unsigned long long)raw_len)
		return cairn_err(CAIRN_ECORRUPT, "zstd frame holds %llu bytes, expected %zu", content, raw_len);
	frame_len = ZSTD_findFrameCompressedSize(in, len);
	if (ZSTD_isError(frame_len))
		return cairn_err(CAIRN_ECORRUPT, "truncated or invalid zstd frame: %s", ZSTD_getErrorName(frame_len));
	if (frame_len != len)
		return cairn_err(CAIRN_ECORRUPT, "%zu bytes of garbage after the zstd frame", len - frame_len);
	/* At least one byte so that the destination is never NULL. */
	rc = cairn_buf_reserve(out, raw_len ? raw_len : 1);
	if (rc < 0)
		return rc;
	n = ZSTD_decompressDCtx(z->dctx, out->data + out->len, raw_len, in, len);
	if (ZSTD_isError(n)) {
		ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
		if (ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation)
			return cairn_err(CAIRN_ENOMEM, "zstd cannot decompress %zu bytes: out of memory", raw_len);
		return cairn_err(CAIRN_ECORRUPT, "invalid zstd frame: %s", ZSTD_getErrorName(n));
	}
	if (n != raw_len)
		return cairn_err(CAIRN_ECORRUPT, "zstd frame decompressed to %zu bytes, expected %zu", n, raw_len);
	out->len += n;
	return 0;
}
