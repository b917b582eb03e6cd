/* The 49-byte blob entry of pack headers and index objects, and its bounds. */
#include "pack/pack_entry.h"

#include <string.h>

void cairn_pack_entry_store(uint8_t p[CAIRN_PACK_ENTRY_BYTES], const struct cairn_blob_loc *loc)
{
	p[0] = loc->type;
	memcpy(p + 1, loc->id, CAIRN_ID_BYTES);
	cairn_le64_store(p + 1 + CAIRN_ID_BYTES, loc->offset);
	cairn_le32_store(p + 1 + CAIRN_ID_BYTES + 8, loc->length);
	cairn_le32_store(p + 1 + CAIRN_ID_BYTES + 12, loc->raw_length);
}

void cairn_pack_entry_read(struct cairn_rd *r, struct cairn_blob_loc *loc)
{
	loc->type = cairn_rd_u8(r);
	cairn_rd_copy(r, loc->id, CAIRN_ID_BYTES);
	loc->offset = cairn_rd_u64le(r);
	loc->length = cairn_rd_u32le(r);
	loc->raw_length = cairn_rd_u32le(r);
}

int cairn_pack_type_known(uint8_t type)
{
	return type == CAIRN_BLOB_DATA || type == CAIRN_BLOB_TREE;
}

const char *cairn_pack_entry_check(uint8_t type, uint64_t length, uint32_t raw_length)
{
	if (!cairn_pack_type_known(type))
		return "unknown blob type";
	if (raw_length > CAIRN_BLOB_MAX_RAW)
		return "raw length exceeds the limit";
	if (length < CAIRN_BLOB_MIN_STORED)
		return "stored length is shorter than a sealed blob";
	if (length > (uint64_t)raw_length + CAIRN_BLOB_MIN_STORED)
		return "stored length is larger than the raw length allows";
	return NULL;
}

struct cairn_pack_hex cairn_pack_hex(const uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_pack_hex h;

	cairn_hex_encode(id, CAIRN_ID_BYTES, h.s);
	return h;
}
