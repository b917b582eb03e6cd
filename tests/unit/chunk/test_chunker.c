/* Tests for lib/chunk/chunker.c: the keyed FastCDC chunker. */
#include "cairn_test.h"

#include "cairn/chunk.h"
#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

/* The gear table of cairn_keys_derive(cairn_test_master_key): its SHA-256
 * (entries as little-endian u64) is asserted in test_crypto_keys.c. The chunk
 * test does not link lib/crypto, hence the copy. */
static const uint64_t test_gear[256] = {
	0x24a8231de933a1e7ull, 0xc6a643d9216dbffdull, 0xeaa2b1f402003431ull, 0x671f0543e8b14021ull,
	0x3e7b5c5469903618ull, 0x49e5bd3eb866ceccull, 0x1626b1835f598e67ull, 0x4d5cf4690b6acfd5ull,
	0x0861cc5211d10bb6ull, 0xcfe6ab1c5eed7be7ull, 0x46ff1f969415cc9cull, 0x9e2b91f331f98cbeull,
	0x34df3b0808e04c8aull, 0xdd32c2d684fd853full, 0x1feac4fe0cb9b255ull, 0x91b33855907e71fcull,
	0xbf92f74080875938ull, 0xccec953857adb12cull, 0xbe6ea8cf1df0907aull, 0xfd7218ef54ba9683ull,
	0xc013b163265e59a5ull, 0x285094cf45fc8b3eull, 0xb462acaa383ead85ull, 0x5d5151d0dcdfcc1full,
	0x197063b7924980b7ull, 0x112ca3eb0c3fd0cbull, 0xd5c565a84e2074c8ull, 0x0fcf58cddd3f1e24ull,
	0xb158e702dd29df15ull, 0xdbb13970399e1617ull, 0x69c094caa6fe3575ull, 0x97564f2e73d2636dull,
	0xc123fb6a03b8d6a3ull, 0xbf6fc839f6604c21ull, 0x246a4c4e750885fbull, 0xd4b34ce522a0862eull,
	0xb6799e98d8206c47ull, 0xd586b2dc4bb6d5c7ull, 0xa217aa14068acb09ull, 0x678ad3c4f7ccbc9cull,
	0x8b26ab6c26a37537ull, 0x31ca7a6e7957d472ull, 0x832fb3d76e43e88bull, 0x937aa8c0867c11abull,
	0x4666b222e1573e08ull, 0x0022aa3177d6779dull, 0x80078bcb3bc4820aull, 0x8bc5545cf8c4a17full,
	0x604b00b41d291028ull, 0x38c9fb968130cdfdull, 0x8cf0feed6fddd1feull, 0x66b768bb3934db4full,
	0x30afcc20af975689ull, 0x7ddd224e642cfa32ull, 0x50481beeed6d173cull, 0xfc432b2a552dd6d8ull,
	0xdadc56fbb773745bull, 0x10d765ffe315df4cull, 0x437c0975d6030a1aull, 0x7ab6a5658dab722aull,
	0x905c966a67e96c90ull, 0x909079334080b8e4ull, 0x4f9f007541aa784aull, 0x76b98c7828dea55cull,
	0x6db95aff2414f23full, 0x81b218aa6174c56aull, 0x04900f5286efcd7dull, 0x7ff058b4193db291ull,
	0x77de5a0934116df7ull, 0x330d1a862837073aull, 0x3a0fc0aa5f2dfc1bull, 0x5d42202605fcf096ull,
	0x4cdade152c0b66d2ull, 0x09342c10121a9882ull, 0xe5565c8340f28460ull, 0x36e2bbdc04c4950eull,
	0x387d4364dfb7fe8cull, 0x0e97c9adcde06506ull, 0x8e4fc023039f295aull, 0xab75a8e3e8e3030dull,
	0x303c86eb73070e86ull, 0xc8dde2e1febe0624ull, 0xb9e4213b6eaa8144ull, 0x48bc926ef5696453ull,
	0xe3e30e2ac5683e36ull, 0xcdf21ecd502a5d6cull, 0xd7eb4435dd66b96cull, 0x37182e6c33906b92ull,
	0x8389e1b297c7ab05ull, 0xf5e7d00646deaa7dull, 0xca40f1abc645aa61ull, 0x2cbc9de2f322ff0cull,
	0xa8749bc4de9b6885ull, 0x10b41c3b52c13bfcull, 0xdec54ce1073376dcull, 0x57f9c9699251c6b2ull,
	0x7b9f08a4d1646826ull, 0xa049523f76070e78ull, 0xf81079c9aa78a708ull, 0x42e3dd4d7b818a28ull,
	0x0c8f11ba09ef6a9bull, 0x7e4ca51b984252faull, 0x4ebea2dcf5e48602ull, 0x150b6784002af6d4ull,
	0x59445cdd99784b0full, 0x048e74e65542f8b7ull, 0xa68769f5a52ee899ull, 0x1d3df3fbc23ea298ull,
	0x9b1d84c4dc9b2c3eull, 0xfb21bafcd7151222ull, 0x290322ae217ab767ull, 0x0c0b85ef77815b5aull,
	0x8cf2cc4039589628ull, 0x2afe5637dd46adcfull, 0x31f1a36237555efcull, 0x6f87d97e7c6d2829ull,
	0x39d2990665655491ull, 0xaa0c2c2a9386ae85ull, 0x2a05be2023a825baull, 0x49f968b489b74e84ull,
	0xcea40f051225fdf4ull, 0x9af642e559d53963ull, 0x4de0f17045882ec8ull, 0x571d1d19670a0bc5ull,
	0x2cd56e0b69674351ull, 0x1dda581ef3a61177ull, 0x0b93c20174b24f59ull, 0x941da90ffbd16af4ull,
	0xd5f2e9d7568e2be6ull, 0x55556d367b1d41feull, 0x544b31f1e98833a0ull, 0xa80fadd6fb15493aull,
	0xea0bd4f4a757e456ull, 0x01460f2cffa5e776ull, 0x7abe60adc6795f1aull, 0xb77aaecf3631a348ull,
	0xbbeca97eba4ad260ull, 0xf9e47bc238028c0aull, 0xda2d45d967a1a877ull, 0x8592631cd881a956ull,
	0xa568319cb7c2fea7ull, 0xe1298f553d00213eull, 0xe9fd2ec9ff6da0c3ull, 0x25a8b6f613fecd64ull,
	0x3e8068fefa5ce95bull, 0x4f64b61b78cc1c0aull, 0xbf6a3519e5a79f3aull, 0x5caa88ba2d5e8affull,
	0x16cc636b18fbd4e6ull, 0x70406874081de38dull, 0x69ffa5ecaa74e863ull, 0x0de27d4f82a8f1b6ull,
	0x919641a05fad9f55ull, 0x0a191627a4b329f3ull, 0x2f70d6def4bd9f7cull, 0x5ab4c0c9634d77faull,
	0x576c74610c7def6cull, 0x32db5e819aca91bcull, 0xbb6ae9a007b7292full, 0x886ff8a11756d85bull,
	0xc6ee02864175945dull, 0x0059cd732f9e537cull, 0xe7ad63a96f4f9e67ull, 0xcdf1c2c0433ea77full,
	0xfb30e8c9946fae99ull, 0x84f80fa2d92610b8ull, 0x7f2c76f176035cd9ull, 0xefe26fb03bb75989ull,
	0xb99e648b606117f9ull, 0x7583dc2b802b9635ull, 0xfd32eb1946a243a1ull, 0xf21df524038ade9dull,
	0xf10857ad27a5f028ull, 0x05318e1622e8c5e1ull, 0x924a3e5150a33bb9ull, 0xa6a2fb83f19407beull,
	0xfd1ee33b811d367dull, 0x9a8dea81a845382bull, 0x5eedc0803b6871cdull, 0xa94f56c1bbbcc22cull,
	0xd08a76b886eb8bbfull, 0xa156b8e453995d0aull, 0xdedc737e4c477a40ull, 0xe2bd113f25d7abc7ull,
	0x96a05e65cc48e6a8ull, 0x8887c25a24a5ed4aull, 0x517e9fac584bc817ull, 0x39b0dd901b16f7aeull,
	0xe9ef99dc5d98b4e4ull, 0x1c7420a1d2daa2ebull, 0xc4c5e53afd419113ull, 0x3bbb478e85a3d744ull,
	0x5650f6f0b60ecbc9ull, 0xd3e13497ddfa94acull, 0x4e36ffdecf4d4aceull, 0x497f9de8e226ffdeull,
	0x4734e76d577aa5c4ull, 0x16583560334bc8dcull, 0x718376b37f4a70e3ull, 0x9fef670ffcb8a825ull,
	0x3c02500686a77132ull, 0x56c5a15fb194464bull, 0x4507941ce0a3e3faull, 0x3e2fa3be3e78b732ull,
	0xa15e25f3aaa65882ull, 0x877ebcf56da8eb31ull, 0x43cc6843f5f54e54ull, 0xcd5453b71b6b5feaull,
	0x0e2e8938b28c5169ull, 0x0856b5d0394ff0b0ull, 0xfaa95ff7dc2fc5ceull, 0x64687d7f0d48e38aull,
	0x253b2b9fd75282dcull, 0x6d19b334b0dcbf75ull, 0xc17d2a2ebc8fe2a4ull, 0x985709344ea33591ull,
	0xb23810eefe280d7cull, 0xffd973d48220f989ull, 0x23f77552ea9dcc4full, 0x780abfcec07e46c9ull,
	0xc92c6951565a7c91ull, 0xe642c8f69fa37852ull, 0xcd82bbad459130c7ull, 0x72e6a7edf19ff408ull,
	0x8fc999cbc00473b0ull, 0xc01a9d6f784c3615ull, 0x783d0908df7bb56bull, 0xb0450621e93798beull,
	0xbd9ac4bc395565ceull, 0xe63bb38ed1771ea0ull, 0xb83bd31a64d8e3a2ull, 0x334da23b60087f99ull,
	0x139ae8bb378620aeull, 0x445b92d2391d2fe2ull, 0x6c54ff459bd65bc7ull, 0xc3d9b95dda7dded1ull,
	0x4429e04dc996055dull, 0xaccb6df50a1f2995ull, 0xc026e2c4337fe444ull, 0x154f4831c1abac53ull,
	0x3756717eae041d9full, 0xfc8c7d1813c37c2full, 0xe7919d99045aa6deull, 0xf7b240d4c2917f0cull,
	0x5036cb7b45ec55e3ull, 0x77e113e2eb1326f7ull, 0x936d684db688cae4ull, 0x19d023ab5590b553ull,
	0x9be7911fbcd429a3ull, 0xe1150dd77f737dfeull, 0x3def02ced9bb3771ull, 0x80714e6e7686f0eaull,
	0x1d8bbed9ea31469dull, 0x119879783cf3d591ull, 0x146566e799771beaull, 0x255c9b15cd230198ull,
};

static const struct cairn_chunker_params default_params = { CAIRN_CHUNK_MIN_DEFAULT, CAIRN_CHUNK_AVG_DEFAULT,
							    CAIRN_CHUNK_MAX_DEFAULT };
static const struct cairn_chunker_params small_params = { 256, 1024, 4096 };

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

struct chunks {
	size_t *len;
	size_t count;
	size_t cap;
};

static void chunks_free(struct chunks *c)
{
	free(c->len);
	memset(c, 0, sizeof(*c));
}

static void chunks_push(struct chunks *c, size_t len)
{
	if (c->count == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->len = realloc(c->len, c->cap * sizeof(*c->len));
		assert_non_null(c->len);
	}
	c->len[c->count++] = len;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/* Chunk `data` feeding it in pieces as `split` says; the final partial chunk
 * is recorded too. */
static struct chunks chunk_all(const uint64_t *gear, const struct cairn_chunker_params *p, const uint8_t *data,
			       size_t len, enum split split, uint64_t seed)
{
	struct chunks out = { 0 };
	struct cairn_chunker c;
	size_t off = 0, start = 0;
	uint64_t rng = seed | 1;

	cairn_chunker_init(&c, gear, p);
	while (off < len) {
		size_t piece = len - off, used;
		int boundary = -1;

		if (split == SPLIT_BYTES)
			piece = 1;
		else if (split == SPLIT_RANDOM)
			piece = 1 + xorshift(&rng) % (2 * (size_t)p->avg);
		if (piece > len - off)
			piece = len - off;
		/* feed the piece until it is used up */
		while (piece > 0) {
			used = cairn_chunker_scan(&c, data + off, piece, &boundary);
			assert_true(used <= piece);
			if (boundary) {
				assert_true(used > 0);
				chunks_push(&out, off + used - start);
				start = off + used;
			} else {
				assert_int_equal(used, piece);
				assert_int_equal(c.pos, off + used - start);
			}
			off += used;
			piece -= used;
		}
	}
	if (start < len)
		chunks_push(&out, len - start);
	return out;
}

/* The definition in chunk.h, byte by byte, with no shortcuts. */
static struct chunks chunk_reference(const uint64_t *gear, const struct cairn_chunker_params *p,
				     const uint8_t *data, size_t len)
{
	struct chunks out = { 0 };
	unsigned bits = 0;
	uint64_t mask_s, mask_l, h = 0;
	size_t n = 0, start = 0;

	while ((1u << bits) < p->avg)
		bits++;
	mask_s = ~0ull << (64 - (bits + 2));
	mask_l = ~0ull << (64 - (bits - 2));
	for (size_t i = 0; i < len; i++) {
		int cut;

		n = i - start + 1;
		if (n >= p->min)
			h = (h << 1) + gear[data[i]];
		cut = (n >= p->min && n < p->avg && (h & mask_s) == 0) ||
		      (n >= p->avg && n < p->max && (h & mask_l) == 0) || n == p->max;
		if (cut) {
			chunks_push(&out, n);
			start = i + 1;
			h = 0;
		}
	}
	if (start < len)
		chunks_push(&out, len - start);
	return out;
}

static void assert_chunks_equal(const struct chunks *a, const struct chunks *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++)
		assert_int_equal(a->len[i], b->len[i]);
}

static uint8_t *random_data(size_t len, uint64_t seed)
{
	uint8_t *d = malloc(len);

	assert_non_null(d);
	cairn_test_fill_random(d, len, seed);
	return d;
}

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void test_chunker_params_check(void **state)
{
	struct cairn_chunker_params p;

	(void)state;
	assert_int_equal(cairn_chunker_params_check(&default_params), 0);
	assert_int_equal(cairn_chunker_params_check(&small_params), 0);
	p = (struct cairn_chunker_params){ 64, 128, 129 };
	assert_int_equal(cairn_chunker_params_check(&p), 0);
	p = (struct cairn_chunker_params){ 1024, 32u << 20, 64u << 20 };
	assert_int_equal(cairn_chunker_params_check(&p), 0);
	p = (struct cairn_chunker_params){ 63, 128, 256 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 256, 1000, 4096 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 256, 0, 4096 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 1024, 1024, 4096 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 256, 1024, 1024 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 4096, 1024, 8192 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 1024, 32u << 20, (64u << 20) + 1 };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	p = (struct cairn_chunker_params){ 1024, 1u << 31, 0xffffffffu };
	assert_int_equal(cairn_chunker_params_check(&p), CAIRN_EINVAL);
	assert_int_equal(cairn_chunker_params_check(NULL), CAIRN_EINVAL);
}

static void test_chunker_init_masks(void **state)
{
	struct cairn_chunker c;

	(void)state;
	cairn_chunker_init(&c, test_gear, &default_params);
	assert_true(c.mask_s == 0xfffffc0000000000ull); /* top 22 bits */
	assert_true(c.mask_l == 0xffffc00000000000ull); /* top 18 bits */
	assert_int_equal(c.pos, 0);
	assert_true(c.hash == 0);
	cairn_chunker_init(&c, test_gear, &small_params);
	assert_true(c.mask_s == 0xfff0000000000000ull);
	assert_true(c.mask_l == 0xff00000000000000ull);
}

static void test_chunker_scan_fixed_vector(void **state)
{
	static const size_t expected[] = { 1077182, 1175626, 1681276, 1116917, 906985, 1372760, 983247, 74615 };
	size_t len = 8u << 20, total = 0;
	uint8_t *d = random_data(len, 1);
	struct chunks c = chunk_all(test_gear, &default_params, d, len, SPLIT_WHOLE, 0);

	(void)state;
	assert_int_equal(c.count, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < c.count; i++) {
		assert_int_equal(c.len[i], expected[i]);
		total += c.len[i];
	}
	assert_int_equal(total, len);
	chunks_free(&c);
	free(d);
}

static void test_chunker_scan_matches_reference(void **state)
{
	size_t len = 1u << 20;
	uint8_t *d = random_data(len, 99);
	struct chunks ref = chunk_reference(test_gear, &small_params, d, len);
	struct chunks got = chunk_all(test_gear, &small_params, d, len, SPLIT_RANDOM, 5);

	(void)state;
	assert_true(ref.count > 200);
	assert_chunks_equal(&ref, &got);
	chunks_free(&ref);
	chunks_free(&got);
	/* the smallest legal parameters too */
	{
		struct cairn_chunker_params tiny = { 64, 128, 129 };

		ref = chunk_reference(test_gear, &tiny, d, 65536);
		got = chunk_all(test_gear, &tiny, d, 65536, SPLIT_WHOLE, 0);
		assert_chunks_equal(&ref, &got);
		chunks_free(&ref);
		chunks_free(&got);
	}
	free(d);
}

static void test_chunker_scan_respects_min_max(void **state)
{
	size_t len = 4u << 20;
	uint8_t *d = random_data(len, 2);
	struct chunks c = chunk_all(test_gear, &small_params, d, len, SPLIT_WHOLE, 0);
	struct chunks z;
	size_t at_max = 0;

	(void)state;
	assert_true(c.count > 1000);
	for (size_t i = 0; i + 1 < c.count; i++) {
		assert_true(c.len[i] >= small_params.min);
		assert_true(c.len[i] <= small_params.max);
	}
	assert_true(c.len[c.count - 1] <= small_params.max);
	/* constant input: the hash settles and nothing cuts before max */
	memset(d, 0, len);
	z = chunk_all(test_gear, &default_params, d, len, SPLIT_WHOLE, 0);
	for (size_t i = 0; i + 1 < z.count; i++) {
		assert_true(z.len[i] >= default_params.min);
		assert_true(z.len[i] <= default_params.max);
		at_max += z.len[i] == default_params.max;
	}
	assert_true(at_max + 1 >= z.count - 1);
	chunks_free(&c);
	chunks_free(&z);
	free(d);
}

static void test_chunker_scan_average_size(void **state)
{
	size_t len = 64u << 20, total = 0;
	uint8_t *d = random_data(len, 3);
	struct chunks c = chunk_all(test_gear, &default_params, d, len, SPLIT_WHOLE, 0);
	double mean;

	(void)state;
	for (size_t i = 0; i < c.count; i++)
		total += c.len[i];
	assert_int_equal(total, len);
	/* leave the final partial chunk out of the mean */
	mean = (double)(len - c.len[c.count - 1]) / (double)(c.count - 1);
	assert_true(mean > 0.7 * CAIRN_CHUNK_AVG_DEFAULT);
	assert_true(mean < 1.3 * CAIRN_CHUNK_AVG_DEFAULT);
	chunks_free(&c);
	free(d);
}

static int hash_present(const uint64_t *set, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == h)
			return 1;
	return 0;
}

static void test_chunker_scan_stable_under_insertion(void **state)
{
	size_t len = 32u << 20, ins_at = 1000, ins_len = 100, off, kept = 0;
	uint8_t *d = random_data(len, 4), *e = malloc(len + ins_len);
	struct chunks a, b;
	uint64_t *ha;

	(void)state;
	assert_non_null(e);
	memcpy(e, d, ins_at);
	cairn_test_fill_random(e + ins_at, ins_len, 77);
	memcpy(e + ins_at + ins_len, d + ins_at, len - ins_at);
	a = chunk_all(test_gear, &default_params, d, len, SPLIT_WHOLE, 0);
	b = chunk_all(test_gear, &default_params, e, len + ins_len, SPLIT_WHOLE, 0);
	ha = calloc(a.count, sizeof(*ha));
	assert_non_null(ha);
	off = 0;
	for (size_t i = 0; i < a.count; i++) {
		ha[i] = fnv1a(d + off, a.len[i]);
		off += a.len[i];
	}
	off = 0;
	for (size_t i = 0; i < b.count; i++) {
		kept += hash_present(ha, a.count, fnv1a(e + off, b.len[i]));
		off += b.len[i];
	}
	assert_true(a.count > 20);
	assert_true(kept + 2 >= b.count);
	assert_true(kept + 2 >= a.count);
	free(ha);
	chunks_free(&a);
	chunks_free(&b);
	free(d);
	free(e);
}

static void test_chunker_scan_split_invariance(void **state)
{
	static const struct cairn_chunker_params *const params[] = { &default_params, &small_params };
	size_t len = 8u << 20;
	uint8_t *d = random_data(len, 5);

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t n = k == 0 ? len : len / 4;
		struct chunks whole = chunk_all(test_gear, params[k], d, n, SPLIT_WHOLE, 0);
		struct chunks bytes = chunk_all(test_gear, params[k], d, n, SPLIT_BYTES, 0);

		assert_true(whole.count > 3);
		assert_chunks_equal(&whole, &bytes);
		chunks_free(&bytes);
		for (uint64_t seed = 1; seed <= 5; seed++) {
			struct chunks rnd = chunk_all(test_gear, params[k], d, n, SPLIT_RANDOM, seed);

			assert_chunks_equal(&whole, &rnd);
			chunks_free(&rnd);
		}
		chunks_free(&whole);
	}
	free(d);
}

static void test_chunker_scan_gear_changes_boundaries(void **state)
{
	size_t len = 8u << 20, same = 0;
	uint8_t *d = random_data(len, 6);
	uint64_t other[256], rng = 12345;
	struct chunks a, b;

	(void)state;
	for (int i = 0; i < 256; i++)
		other[i] = xorshift(&rng);
	a = chunk_all(test_gear, &small_params, d, len, SPLIT_WHOLE, 0);
	b = chunk_all(other, &small_params, d, len, SPLIT_WHOLE, 0);
	assert_true(a.count > 100 && b.count > 100);
	/* compare the boundary positions: few may coincide by chance */
	{
		size_t i = 0, j = 0, pa = a.len[0], pb = b.len[0];

		while (i < a.count && j < b.count) {
			if (pa == pb)
				same++;
			if (pa <= pb) {
				if (++i < a.count)
					pa += a.len[i];
			} else {
				if (++j < b.count)
					pb += b.len[j];
			}
		}
	}
	assert_true(same < a.count / 4);
	chunks_free(&a);
	chunks_free(&b);
	free(d);
}

static void test_chunker_reset_forgets_chunk(void **state)
{
	size_t len = 1u << 20;
	uint8_t *d = random_data(len, 8);
	struct chunks fresh = chunk_all(test_gear, &small_params, d, len, SPLIT_WHOLE, 0);
	struct cairn_chunker c;
	size_t used;
	int boundary = -1;

	(void)state;
	cairn_chunker_init(&c, test_gear, &small_params);
	used = cairn_chunker_scan(&c, d + 500000, 300, &boundary);
	assert_int_equal(used, 300);
	assert_int_equal(boundary, 0);
	assert_int_equal(c.pos, 300);
	cairn_chunker_reset(&c);
	assert_int_equal(c.pos, 0);
	assert_true(c.hash == 0);
	used = cairn_chunker_scan(&c, d, len, &boundary);
	assert_int_equal(boundary, 1);
	assert_int_equal(used, fresh.len[0]);
	/* empty input consumes nothing */
	used = cairn_chunker_scan(&c, d, 0, &boundary);
	assert_int_equal(used, 0);
	assert_int_equal(boundary, 0);
	chunks_free(&fresh);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunker_params_check),
		cmocka_unit_test(test_chunker_init_masks),
		cmocka_unit_test(test_chunker_scan_fixed_vector),
		cmocka_unit_test(test_chunker_scan_matches_reference),
		cmocka_unit_test(test_chunker_scan_respects_min_max),
		cmocka_unit_test(test_chunker_scan_average_size),
		cmocka_unit_test(test_chunker_scan_stable_under_insertion),
		cmocka_unit_test(test_chunker_scan_split_invariance),
		cmocka_unit_test(test_chunker_scan_gear_changes_boundaries),
		cmocka_unit_test(test_chunker_reset_forgets_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
