/* Fuzz target: pack header reading. The first 8 input bytes give the claimed
 * pack size; the rest is treated as the pack's tail, whose sealed header is
 * re-sealed with the test key so the structural checks are reached. */
#include "harness.h"

#include "cairn/pack.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cairn_keys *keys = fuzz_keys();
	static const uint8_t pack_id[CAIRN_ID_BYTES];
	struct cairn_blob_loc *locs = NULL;
	struct cairn_buf tail = { 0 }, sealed = { 0 };
	uint64_t pack_size;
	size_t count = 0, need = 0;

	if (size < 8)
		return 0;
	pack_size = cairn_le64_load(data) % (1ull << 32);
	data += 8;
	size -= 8;
	/* tail = sealed(plaintext header) || u32 length || magic */
	if (cairn_seal(keys->enc, "cairn-pack-header-v1", strlen("cairn-pack-header-v1"), data, size, NULL, &sealed) ==
	    0) {
		cairn_buf_append(&tail, sealed.data, sealed.len);
		cairn_buf_put_u32le(&tail, (uint32_t)sealed.len);
		cairn_buf_append(&tail, CAIRN_PACK_MAGIC, 8);
		if (pack_size < tail.len)
			pack_size = tail.len;
		if (cairn_pack_read_header(keys, pack_id, tail.data, tail.len, pack_size, &need, &locs, &count) == 0) {
			for (size_t i = 0; i < count; i++)
				if (locs[i].offset + locs[i].length > pack_size)
					__builtin_trap();
			free(locs);
		}
	}
	cairn_buf_free(&tail);
	cairn_buf_free(&sealed);
	return 0;
}
