/* Private to lib/pack: the 49-byte blob entry shared by pack headers and
 * index objects, and the bounds every parser enforces on it. */
#ifndef CAIRN_PACK_ENTRY_H
#define CAIRN_PACK_ENTRY_H

#include <stdint.h>

#include "cairn/pack.h"

/* Smallest stored blob: the codec byte sealed (nonce, tag). */
#define CAIRN_BLOB_MIN_STORED (1u + CAIRN_SEAL_OVERHEAD)

_Static_assert(CAIRN_PACK_ENTRY_BYTES == 1 + CAIRN_ID_BYTES + 8 + 4 + 4, "pack entry is 49 bytes");
_Static_assert(CAIRN_PACK_TRAILER_BYTES == 4 + sizeof(CAIRN_PACK_MAGIC) - 1, "trailer is 12 bytes");
_Static_assert(sizeof(CAIRN_INDEX_MAGIC) - 1 == 8, "index magic is 8 bytes");

/* Write the entry for `loc` (type, id, offset, length, raw_length) at p. */
void cairn_pack_entry_store(uint8_t p[CAIRN_PACK_ENTRY_BYTES], const struct cairn_blob_loc *loc);

/* Read one entry from `r` into loc (pack left untouched). */
void cairn_pack_entry_read(struct cairn_rd *r, struct cairn_blob_loc *loc);

/* Why the entry fields cannot describe a stored blob, or NULL when they can:
 * known type, raw_length <= CAIRN_BLOB_MAX_RAW, and a stored length between
 * the smallest sealed blob and raw_length + 1 + CAIRN_SEAL_OVERHEAD (a
 * compressed payload is always smaller than the raw one). */
const char *cairn_pack_entry_check(uint8_t type, uint64_t length, uint32_t raw_length);

/* 1 when `type` is a known enum cairn_blob_type. */
int cairn_pack_type_known(uint8_t type);

/* Lowercase hex of an id, for error details. */
struct cairn_pack_hex {
	char s[CAIRN_ID_HEX];
};
struct cairn_pack_hex cairn_pack_hex(const uint8_t id[CAIRN_ID_BYTES]);

#endif
