/* Keyed content-defined chunker (FastCDC with normalised chunking).
 *
 * Pure: no I/O, no allocation. The gear table comes from the repository key
 * (cairn_keys.gear), so chunk boundaries reveal nothing about content to
 * someone without the key. docs/FORMAT.md "Chunking" is normative:
 *
 *   hash = (hash << 1) + gear[byte]            (mod 2^64, for every byte
 *                                               from position min on)
 *   (positions are 1-based like n: the first byte hashed is byte i = min-1,
 *   so the first test is made on the hash of exactly one byte, at n = min)
 *   a chunk ends after byte i (1-based length n = i+1) when
 *     n >= min and n <  avg and (hash & mask_s) == 0, or
 *     n >= avg and n <  max and (hash & mask_l) == 0, or
 *     n == max
 *   mask_s has the top (log2(avg) + 2) bits set, mask_l the top
 *   (log2(avg) - 2) bits; the hash restarts at 0 for every chunk and
 *   bytes before position min are not hashed.
 */
#ifndef CAIRN_CHUNK_H
#define CAIRN_CHUNK_H

#include <stddef.h>
#include <stdint.h>

struct cairn_chunker_params {
	uint32_t min; /* >= 64 */
	uint32_t avg; /* power of two, min < avg < max */
	uint32_t max; /* <= 64 MiB */
};

/* Repository default: min 256 KiB, avg 1 MiB, max 4 MiB. */
#define CAIRN_CHUNK_MIN_DEFAULT (256u * 1024u)
#define CAIRN_CHUNK_AVG_DEFAULT (1024u * 1024u)
#define CAIRN_CHUNK_MAX_DEFAULT (4u * 1024u * 1024u)

struct cairn_chunker {
	const uint64_t *gear; /* borrowed, 256 entries */
	uint64_t mask_s;
	uint64_t mask_l;
	uint64_t hash;
	uint32_t min, avg, max;
	uint32_t pos; /* bytes in the current, unfinished chunk */
};

/* 0, or CAIRN_EINVAL when the parameters break the rules above. */
int cairn_chunker_params_check(const struct cairn_chunker_params *p);

/* Start a chunker; params must pass cairn_chunker_params_check(). */
void cairn_chunker_init(struct cairn_chunker *c, const uint64_t gear[256], const struct cairn_chunker_params *p);

/* Feed `len` bytes that continue the current chunk. Returns the number of
 * bytes consumed. If a boundary was found, *ret_boundary is set to 1 and the
 * consumed bytes end the chunk exactly (the chunker is then reset for the
 * next chunk); otherwise all `len` bytes were consumed and *ret_boundary is
 * 0. At end of input the bytes fed since the last boundary form the final
 * chunk (if any); call cairn_chunker_reset() before the next stream. */
size_t cairn_chunker_scan(struct cairn_chunker *c, const uint8_t *data, size_t len, int *ret_boundary);

/* Forget the current chunk (start of a new stream). */
void cairn_chunker_reset(struct cairn_chunker *c);

#endif
