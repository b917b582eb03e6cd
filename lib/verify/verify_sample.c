/* Verification: which files are in the sample. A file is in it when a hash
 * of the seed and its path falls below the share, so the choice does not
 * depend on the walk order and the same seed picks the same files in every
 * snapshot. Not a secret: anyone who knows the seed can tell the sample. */
#include "cairn/verify.h"

#include <string.h>

/* The splitmix64 finaliser: spreads every input bit over the output. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int cairn_verify_sampled(uint64_t seed, double percent, const char *path)
{
	uint64_t h = mix64(seed);
	size_t len = strlen(path);

	if (percent >= 100.0)
		return 1;
	if (!(percent > 0.0))
		return 0;
	/* FNV-1a over the path, started from the mixed seed, then mixed again */
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)path[i];
		h *= 0x100000001b3ull;
	}
	h = mix64(h);
	/* the top 53 bits as a uniform number in [0, 1) */
	return (double)(h >> 11) * (1.0 / 9007199254740992.0) * 100.0 < percent;
}
