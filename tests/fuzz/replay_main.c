/* Runs a fuzz target without libFuzzer: every file of the seed corpus given
 * on the command line, then deterministic mutations of each (bit flips,
 * truncations, byte insertions), so the targets run in every CI build. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS_PER_SEED 3000

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int run_file(const char *path, uint64_t *rng)
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
	for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
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
	int failed = 0;

	for (int i = 1; i < argc; i++)
		failed |= run_file(argv[i], &rng);
	printf("%d seed file%s replayed with %d mutations each\n", argc - 1, argc == 2 ? "" : "s", MUTATIONS_PER_SEED);
	return failed;
}
