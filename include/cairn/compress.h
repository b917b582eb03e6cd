/* zstd compression of blob payloads (docs/FORMAT.md "Blobs").
 * A context is not thread-safe: use one per thread. */
#ifndef CAIRN_COMPRESS_H
#define CAIRN_COMPRESS_H

#include <stddef.h>

#include "cairn/buf.h"

#define CAIRN_ZSTD_LEVEL_DEFAULT 3

struct cairn_zctx;

/* level 1..19 (else CAIRN_EINVAL). 0 or CAIRN_ENOMEM. Free with
 * cairn_zctx_free (NULL ok). */
int cairn_zctx_new(int level, struct cairn_zctx **ret);
void cairn_zctx_free(struct cairn_zctx *z);

/* Compress `in` and append to `out` only when the result is smaller than the
 * input: *ret_compressed = 1. Otherwise append nothing and set
 * *ret_compressed = 0 (the caller stores the input raw). 0 or CAIRN_ENOMEM. */
int cairn_compress(struct cairn_zctx *z, const void *in, size_t len, struct cairn_buf *out, int *ret_compressed);

/* Decompress one zstd frame `in`, appending exactly `raw_len` bytes to
 * `out`. CAIRN_ECORRUPT (detail recorded) when the frame is invalid or its
 * content size differs from raw_len. */
int cairn_decompress(struct cairn_zctx *z, const void *in, size_t len, size_t raw_len, struct cairn_buf *out);

#endif
