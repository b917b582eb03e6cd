/* Keyed FastCDC chunker with normalised chunking: pure, no I/O, no allocation. */
#include "cairn/chunk.h"
#include "cairn/err.h"

#define CHUNK_MIN_FLOOR 64u
#define CHUNK_MAX_CEIL (64u * 1024u * 1024u)

static unsigned log2_u32(uint32_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* A mask with the top `bits` bits of a 64-bit word set. */
static uint64_t top_mask(unsigned bits)
{
	return bits == 0 ? 0 : ~0ull << (64 - bits);
}

int cairn_chunker_params_check(const struct cairn_chunker_params *p)
{
	if (p == NULL)
		return cairn_err(CAIRN_EINVAL, "missing chunker parameters");
	if (p->min < CHUNK_MIN_FLOOR)
		return cairn_err(CAIRN_EINVAL, "chunk min %u is below %u", p->min, CHUNK_MIN_FLOOR);
	if (p->avg == 0 || (p->avg & (p->avg - 1)) != 0)
		return cairn_err(CAIRN_EINVAL, "chunk avg %u is not a power of two", p->avg);
	if (!(p->min < p->avg && p->avg < p->max))
		return cairn_err(CAIRN_EINVAL, "chunk sizes must satisfy min < avg < max (got %u, %u, %u)", p->min,
				 p->avg, p->max);
	if (p->max > CHUNK_MAX_CEIL)
		return cairn_err(CAIRN_EINVAL, "chunk max %u is above %u", p->max, CHUNK_MAX_CEIL);
	return 0;
}

void cairn_chunker_init(struct cairn_chunker *c, const uint64_t gear[256], const struct cairn_chunker_params *p)
{
	unsigned bits = log2_u32(p->avg);

	c->gear = gear;
	c->mask_s = top_mask(bits + 2);
	c->mask_l = top_mask(bits - 2);
	c->min = p->min;
	c->avg = p->avg;
	c->max = p->max;
	c->hash = 0;
	c->pos = 0;
}

void cairn_chunker_reset(struct cairn_chunker *c)
{
	c->hash = 0;
	c->pos = 0;
}

/* Hash up to n bytes with one mask. Returns k (1..n) when the hash after the
 * k-th byte has no mask bit set, else 0 after hashing all n bytes.
 *
 * Four bytes per step: h4 = (h << 4) + (g0 << 3) + (g1 << 2) + (g2 << 1) + g3
 * keeps the loop-carried dependency to one shift and one add per four bytes;
 * the intermediate hashes are only needed for the mask tests. */
static inline size_t gear_scan(const uint64_t *gear, uint64_t mask, const uint8_t *p, size_t n, uint64_t *hash)
{
	uint64_t h = *hash;
	size_t k = 0;

	for (; k + 4 <= n; k += 4) {
		uint64_t g0 = gear[p[k]], g1 = gear[p[k + 1]], g2 = gear[p[k + 2]], g3 = gear[p[k + 3]];
		uint64_t h1 = (h << 1) + g0;
		uint64_t h2 = (h1 << 1) + g1;
		uint64_t h3 = (h2 << 1) + g2;
		uint64_t h4 = (h << 4) + (((g0 << 2) + (g1 << 1) + g2) << 1) + g3;

		if (__builtin_expect(((h1 & mask) == 0) | ((h2 & mask) == 0) | ((h3 & mask) == 0) |
					     ((h4 & mask) == 0),
				     0)) {
			if ((h1 & mask) == 0) {
				*hash = h1;
				return k + 1;
			}
			if ((h2 & mask) == 0) {
				*hash = h2;
				return k + 2;
			}
			if ((h3 & mask) == 0) {
				*hash = h3;
				return k + 3;
			}
			*hash = h4;
			return k + 4;
		}
		h = h4;
	}
	for (; k < n; k++) {
		h = (h << 1) + gear[p[k]];
		if ((h & mask) == 0) {
			*hash = h;
			return k + 1;
		}
	}
	*hash = h;
	return 0;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Positions are 1-based within the chunk: after consuming a byte, pos is n. */
size_t cairn_chunker_scan(struct cairn_chunker *c, const uint8_t *data, size_t len, int *ret_boundary)
{
	uint64_t h = c->hash;
	size_t pos = c->pos, i = 0, n, k;

	*ret_boundary = 0;
	/* n < min: not hashed, never a boundary. */
	if (pos < c->min - 1u) {
		n = min_size(c->min - 1u - pos, len);
		pos += n;
		i += n;
	}
	/* min <= n < avg: the small-chunk mask (more bits, harder to match). */
	if (i < len && pos < c->avg - 1u) {
		n = min_size(c->avg - 1u - pos, len - i);
		k = gear_scan(c->gear, c->mask_s, data + i, n, &h);
		if (k != 0)
			goto boundary_at;
		pos += n;
		i += n;
	}
	/* avg <= n < max: the large-chunk mask (fewer bits, easier to match). */
	if (i < len && pos < c->max - 1u) {
		n = min_size(c->max - 1u - pos, len - i);
		k = gear_scan(c->gear, c->mask_l, data + i, n, &h);
		if (k != 0)
			goto boundary_at;
		pos += n;
		i += n;
	}
	/* n == max: always a boundary. */
	if (i < len) {
		k = 1;
		goto boundary_at;
	}
	c->hash = h;
	c->pos = (uint32_t)pos;
	return len;

boundary_at:
	c->hash = 0;
	c->pos = 0;
	*ret_boundary = 1;
	return i + k;
}
