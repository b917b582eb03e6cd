/* Fuzz target: zstd decompression of blob payloads (lib/compress/), the
 * step after a blob is opened, where the stored bytes claim a size. The
 * expected raw length is the frame's own content size (what an honest index
 * would say), when it is at most 16 MiB; then a wrong one. Invariants: success
 * appends exactly raw_len bytes, which compress and decompress back. */
#include "harness.h"

#include "cairn/compress.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cairn_zctx *z; /* made once */
	struct cairn_buf out = { 0 }, packed = { 0 }, back = { 0 };
	unsigned long long content;
	int compressed;

	if (z == NULL && cairn_zctx_new(3, &z) != 0)
		abort();
	content = ZSTD_getFrameContentSize(data, size);
	if (content <= 16u << 20) {
		if (cairn_decompress(z, data, size, (size_t)content, &out) == 0) {
			if (out.len != content)
				__builtin_trap();
			if (cairn_compress(z, out.data, out.len, &packed, &compressed) != 0)
				__builtin_trap();
			if (compressed && (cairn_decompress(z, packed.data, packed.len, out.len, &back) != 0 ||
					   back.len != out.len || memcmp(back.data, out.data, out.len) != 0))
				__builtin_trap();
		}
		cairn_buf_reset(&out);
		if (cairn_decompress(z, data, size, (size_t)content + 1, &out) == 0)
			__builtin_trap(); /* a size the frame does not hold */
	}
	cairn_buf_free(&out);
	cairn_buf_free(&packed);
	cairn_buf_free(&back);
	cairn_err_clear();
	return 0;
}
