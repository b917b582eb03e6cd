/* Runs a fuzz target without libFuzzer: every file of the seed corpus given
 * on the command line, then deterministic mutations of each (bit flips,
 * truncations, byte insertions), so the targets run in every CI build.
 * The mutations are shared out over the seeds: MUTATIONS_TOTAL in all (at
 * least MUTATIONS_MIN and at most MUTATIONS_MAX per seed), so that a large
 * corpus does not make the run long; CAIRN_FUZZ_MUTATIONS overrides the total. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS_TOTAL 30000
#define MUTATIONS_MIN 50
#define MUTATIONS_MAX 3000

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int run_file(const char *path, int mutations, uint64_t *rng)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data, *mut;
	long len;

	if (fp == NULL) {
		fprintf(stderr, "cannot open seed '%s'\n", path);
		return 1;
	}
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = malloc((size_t)len + 1);
	mut = malloc((size_t)len + 16);
	if (data == NULL || mut == NULL || fread(data, 1, (size_t)len, fp) != (size_t)len) {
		fclose(fp);
		free(data);
		free(mut);
		return 1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	for (int i = 0; i < mutations; i++) {
		size_t n = (size_t)len;

		memcpy(mut, data, n);
		switch (next(rng) % 4) {
		case 0: /* flip bits */
			for (int k = 0; n > 0 && k < 1 + (int)(next(rng) % 4); k++)
				mut[next(rng) % n] ^= (uint8_t)(1u << (next(rng) % 8));
			break;
		case 1: /* truncate */
			n = n ? (size_t)(next(rng) % n) : 0;
			break;
		case 2: /* set a byte to an edge value */
			if (n > 0)
				mut[next(rng) % n] = (uint8_t[]){ 0, 0xff, 0x7f, 0x80, '"', '/' }[next(rng) % 6];
			break;
		default: /* insert bytes */
			if (n > 0) {
				size_t at = next(rng) % n, k = 1 + next(rng) % 8;

				memmove(mut + at + k, mut + at, n - at);
				for (size_t j = 0; j < k; j++)
					mut[at + j] = (uint8_t)next(rng);
				n += k;
			}
			break;
		}
		LLVMFuzzerTestOneInput(mut, n);
	}
	free(data);
	free(mut);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	const char *env = getenv("CAIRN_FUZZ_MUTATIONS");
	long total = env != NULL && env[0] != '\0' ? strtol(env, NULL, 10) : MUTATIONS_TOTAL;
	int failed = 0, per_seed;

	per_seed = argc > 1 ? (int)(total / (argc - 1)) : 0;
	per_seed = per_seed < MUTATIONS_MIN ? MUTATIONS_MIN : per_seed > MUTATIONS_MAX ? MUTATIONS_MAX : per_seed;
	for (int i = 1; i < argc; i++)
		failed |= run_file(argv[i], per_seed, &rng);
	printf("%d seed file%s replayed with %d mutations each\n", argc - 1, argc == 2 ? "" : "s", per_seed);
	return failed;
}
