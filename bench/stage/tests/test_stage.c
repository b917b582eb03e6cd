/* Unit tests of the stage benchmark: its input, windows, statistics, the
 * threaded split, the primitives, and the check of its data path against
 * the library's own encoding. */
#include "cairn_test.h"
#include "stage.h"

#include "cairn/err.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct cairn_chunker_params chunker = { CAIRN_CHUNK_MIN_DEFAULT, CAIRN_CHUNK_AVG_DEFAULT,
						     CAIRN_CHUNK_MAX_DEFAULT };

static struct cairn_keys *test_keys(void)
{
	struct cairn_keys *k = NULL;

	assert_int_equal(cairn_crypto_init(), 0);
	assert_int_equal(cairn_keys_derive(cairn_test_master_key, &k), 0);
	return k;
}

static void test_stage_check_text(void **state)
{
	struct cairn_keys *k = test_keys();
	struct stage_corpus c;
	size_t blobs = 0;

	/* 5 files of 3 MiB and one of 2: several chunks each, two packs of 4 MiB */
	assert_int_equal(stage_corpus_gen(STAGE_GEN_TEXT, 17u << 20, 3u << 20, 7, &c), 0);
	assert_int_equal(stage_check(k, &chunker, 4u << 20, 3, &c, &blobs), 0);
	assert_true(blobs > c.nfiles); /* files longer than a chunk were cut */
	stage_corpus_free(&c);
	cairn_keys_free(k);
}

static void test_stage_check_random_small_files(void **state)
{
	struct cairn_keys *k = test_keys();
	struct stage_corpus c;
	size_t blobs = 0;

	/* files under the chunker's minimum: one blob each, stored raw */
	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 3u << 20, 100000, 9, &c), 0);
	assert_int_equal(stage_check(k, &chunker, 1u << 20, 3, &c, &blobs), 0);
	assert_int_equal(blobs, c.nfiles);
	stage_corpus_free(&c);
	cairn_keys_free(k);
}

static void test_stage_window_files_bounds(void **state)
{
	struct stage_file files[4] = { { NULL, 0, 10 }, { NULL, 10, 20 }, { NULL, 30, 30 }, { NULL, 60, 40 } };
	struct stage_corpus c = { .len = 100, .files = files, .nfiles = 4 };

	assert_int_equal(stage_window_files(&c, 0, 25), 2);
	assert_int_equal(stage_window_files(&c, 2, 25), 1);
	assert_int_equal(stage_window_files(&c, 0, 1000), 4);
	assert_int_equal(stage_window_files(&c, 3, 1), 1);
	assert_int_equal(stage_window_files(&c, 4, 1), 0);
}

static void test_stage_stat_of_median(void **state)
{
	const double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 };
	struct stage_stat s = stage_stat_of(odd, 3);

	assert_true(s.med == 2 && s.min == 1 && s.max == 3);
	s = stage_stat_of(even, 4);
	assert_true(s.med == 2.5 && s.min == 1 && s.max == 4);
	assert_true(odd[0] == 3); /* input untouched */
}

static void test_stage_corpus_gen_files(void **state)
{
	struct stage_corpus a, b, other;

	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 10u << 20, 3u << 20, 5, &a), 0);
	assert_int_equal(a.nfiles, 4);
	assert_int_equal(a.files[3].off, 9u << 20);
	assert_int_equal(a.files[3].len, 1u << 20);
	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 10u << 20, 3u << 20, 5, &b), 0);
	assert_memory_equal(a.data, b.data, a.len);
	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 10u << 20, 3u << 20, 6, &other), 0);
	assert_memory_not_equal(a.data, other.data, 4096);
	assert_int_equal(stage_corpus_gen(STAGE_GEN_TEXT, 0, 1, 5, &other) == CAIRN_EINVAL, 1);
	stage_corpus_free(&a);
	stage_corpus_free(&b);
	stage_corpus_free(&other);
}

static void write_file(const char *dir, const char *name, size_t len, uint64_t seed)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cairn_test_write_random_file(path, len, seed);
}

static void test_stage_corpus_load_tree(void **state)
{
	char *dir = cairn_test_mkdtemp("stage_load");
	char sub[4096], link[4096], path[4096];
	struct stage_corpus c;
	uint8_t expect[300];

	snprintf(sub, sizeof(sub), "%s/a", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(dir, "b", 100, 1);
	write_file(dir, "a/c", 200, 2);
	write_file(dir, "e", 0, 3); /* empty: no content to benchmark */
	snprintf(link, sizeof(link), "%s/l", dir);
	snprintf(path, sizeof(path), "%s/b", dir);
	assert_int_equal(symlink(path, link), 0); /* not followed */
	assert_int_equal(stage_corpus_load(dir, 1u << 20, &c), 0);
	assert_int_equal(c.nfiles, 2);
	assert_int_equal(c.len, 300);
	snprintf(path, sizeof(path), "%s/a/c", dir);
	assert_string_equal(c.files[0].path, path); /* sorted by name: a/c before b */
	assert_int_equal(c.files[1].off, 200);
	cairn_test_fill_random(expect, 200, 2);
	cairn_test_fill_random(expect + 200, 100, 1);
	assert_memory_equal(c.data, expect, 300);
	stage_corpus_free(&c);
	assert_int_equal(stage_corpus_load(dir, 299, &c), CAIRN_EINVAL);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_stage_fused_threads_cover_input(void **state)
{
	struct cairn_keys *k = test_keys();
	struct stage_corpus c;
	struct stage_acc acc = { 0 };

	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 12u << 20, 3u << 20, 11, &c), 0);
	assert_int_equal(stage_fused_threads(k, &chunker, 2u << 20, 3, &c, 2, &acc), 0);
	assert_int_equal(acc.bytes, c.len);
	/* random data is stored raw: 12 MiB in packs of >= 2 MiB, one partial per thread at most */
	assert_true(acc.items >= 5 && acc.items <= 7);
	assert_int_equal(stage_fused_threads(k, &chunker, 2u << 20, 3, &c, 0, &acc), CAIRN_EINVAL);
	stage_corpus_free(&c);
	cairn_keys_free(k);
}

static void test_stage_prims_run_ratios(void **state)
{
	struct cairn_keys *k = test_keys();
	struct stage_prim p[STAGE_PRIM_MAX];
	size_t n = 0, len = 3u << 20;
	uint8_t *text = malloc(len), *rnd = malloc(len);

	assert_non_null(text);
	assert_non_null(rnd);
	stage_gen_fill(STAGE_GEN_TEXT, 1, text, len);
	stage_gen_fill(STAGE_GEN_RANDOM, 2, rnd, len);
	assert_int_equal(stage_prims_run(k, text, len, rnd, len, 1u << 20, p, &n), 0);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		if (!p[i].available)
			continue;
		assert_int_equal(p[i].acc.bytes, len);
		if (strcmp(p[i].name, "zstd3_chunk") == 0)
			assert_true(p[i].ratio > 0 && p[i].ratio < 0.5);
		if (strcmp(p[i].name, "zstd3_random_chunk") == 0)
			assert_true(p[i].ratio == 1.0); /* incompressible: stored raw */
	}
	free(text);
	free(rnd);
	cairn_keys_free(k);
}

static void test_stage_window_write_dir(void **state)
{
	struct cairn_keys *k = test_keys();
	char *dir = cairn_test_mkdtemp("stage_write");
	struct stage_acc acc[STAGE_COUNT];
	struct stage_corpus c;
	struct stage_ctx ctx;

	memset(acc, 0, sizeof(acc));
	assert_int_equal(stage_corpus_gen(STAGE_GEN_RANDOM, 5u << 20, 1u << 20, 3, &c), 0);
	assert_int_equal(stage_ctx_init(&ctx, k, &chunker, 2u << 20, 3), 0);
	ctx.write_dir = dir;
	assert_int_equal(stage_window(&ctx, &c, 0, c.nfiles, acc), 0);
	assert_int_equal(stage_finish_packs(&ctx, acc), 0);
	/* every pack of the pack stage hashed once alone and written once */
	assert_true(acc[STAGE_STORAGE_ID].items >= 2);
	assert_int_equal(acc[STAGE_WRITE].items, acc[STAGE_STORAGE_ID].items);
	assert_int_equal(acc[STAGE_WRITE].bytes, acc[STAGE_STORAGE_ID].bytes);
	assert_int_equal(acc[STAGE_FUSED].bytes, c.len);
	assert_int_equal(cairn_test_count_entries(dir), 1);
	stage_ctx_fini(&ctx);
	assert_int_equal(cairn_test_count_entries(dir), 0); /* the pack file is removed */
	stage_corpus_free(&c);
	cairn_test_rmtree(dir);
	free(dir);
	cairn_keys_free(k);
}

static void test_stage_xchacha_libcrypto_equals_libsodium(void **state)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 1000, 65536 + 7, 1u << 20 };
	struct cairn_keys *k = test_keys();
	EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
	uint8_t *plain = malloc((1u << 20) + 16), *a = malloc((1u << 20) + 16), *b = malloc((1u << 20) + 16);
	uint8_t nonce[CAIRN_NONCE_BYTES], ad[46];
	unsigned long long alen = 0;

	assert_non_null(cctx);
	assert_true(plain && a && b);
	cairn_test_fill_random(ad, sizeof(ad), 4);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cairn_test_fill_random(plain, sizes[i] + 1, 100 + i);
		cairn_test_fill_random(nonce, sizeof(nonce), 200 + i);
		crypto_aead_xchacha20poly1305_ietf_encrypt(a, &alen, plain, sizes[i], ad, sizeof(ad), NULL, nonce,
							   k->enc);
		assert_int_equal(alen, sizes[i] + CAIRN_TAG_BYTES);
		assert_int_equal(stage_xchacha_libcrypto(cctx, k->enc, nonce, ad, sizeof(ad), plain, sizes[i], b), 0);
		assert_memory_equal(a, b, alen);
		b[sizes[i] / 2] ^= 1; /* and a flipped bit shows */
		assert_memory_not_equal(a, b, alen);
	}
	EVP_CIPHER_CTX_free(cctx);
	free(plain);
	free(a);
	free(b);
	cairn_keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_check_text),
		cmocka_unit_test(test_stage_check_random_small_files),
		cmocka_unit_test(test_stage_window_files_bounds),
		cmocka_unit_test(test_stage_stat_of_median),
		cmocka_unit_test(test_stage_corpus_gen_files),
		cmocka_unit_test(test_stage_corpus_load_tree),
		cmocka_unit_test(test_stage_fused_threads_cover_input),
		cmocka_unit_test(test_stage_prims_run_ratios),
		cmocka_unit_test(test_stage_window_write_dir),
		cmocka_unit_test(test_stage_xchacha_libcrypto_equals_libsodium),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
