/* Unit tests for the verified reads (lib/repo/repo_read.c): the re-read
 * rule (a read damaged on the way is read again before it is believed; a
 * read damaged every time is CAIRN_ECORRUPT naming the object), applied to
 * blobs, whole objects and pack headers; and the pack-tail read (truncated,
 * corrupt, wrong key, a header larger than the first read). Faults come
 * from the storage fault decorator. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	struct repo_fixture rf;
	struct cairn_store *faulty; /* owned by rf.r */
	struct cairn_blob_loc *locs;
	size_t nlocs;
	uint8_t pack[CAIRN_ID_BYTES];
	char pack_name[CAIRN_PACK_NAME_MAX];
	struct cairn_buf pack_bytes;
	uint8_t plain[3][3000];
};

/* Build (not store) a pack of `n` data blobs of `len` bytes from `seed`
 * into the fixture; the first three plaintexts are kept in f->plain when
 * len fits. */
static void build_pack(struct fixture *f, int n, size_t len, uint64_t seed)
{
	free(f->locs);
	cairn_buf_free(&f->pack_bytes);
	repo_fixture_build_pack(&f->rf, n, len, seed, &f->pack_bytes, f->pack, &f->locs, &f->nlocs);
	cairn_repo_pack_name(f->pack, f->pack_name);
	for (int i = 0; i < 3 && i < n && len == sizeof(f->plain[0]); i++)
		cairn_test_fill_random(f->plain[i], len, seed + (uint64_t)i);
}

static void put_pack(struct fixture *f, size_t len)
{
	assert_int_equal(cairn_store_put(cairn_repo_store(f->rf.r), f->pack_name, f->pack_bytes.data, len), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_index_builder *b = NULL;

	repo_fixture_init(&f->rf, "repo_read");
	repo_fixture_create(&f->rf, NULL);
	repo_fixture_reopen_faulty(&f->rf, &f->faulty);
	/* one indexed pack of three blobs */
	build_pack(f, 3, sizeof(f->plain[0]), 100);
	put_pack(f, f->pack_bytes.len);
	assert_int_equal(cairn_index_builder_new(&b), 0);
	assert_int_equal(cairn_index_builder_add_pack(b, f->locs, f->nlocs), 0);
	assert_int_equal(cairn_repo_index_write(f->rf.r, b, f->locs, f->nlocs, NULL), 0);
	cairn_index_builder_free(b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->locs);
	cairn_buf_free(&f->pack_bytes);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static unsigned gets(struct fixture *f)
{
	return cairn_store_fault_calls(f->faulty, CAIRN_OP_GET);
}

/* Corrupt the next `times` gets of names containing `substr` (0: all). */
static void corrupt(struct fixture *f, const char *substr, unsigned times)
{
	cairn_store_fault_set(f->faulty, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, substr, 1, times, 0);
}

/* The rule itself, on a read that fails as scripted. */
struct script {
	int results[8];
	unsigned calls;
};

static int scripted_read(void *ctx, unsigned attempt)
{
	struct script *s = ctx;
	int rc = s->results[s->calls++];

	assert_int_equal(attempt, s->calls);
	return rc < 0 ? cairn_err(rc, "read %u went wrong", attempt) : rc;
}

static void test_repo_read_verified_rule(void **state)
{
	struct script once = { { CAIRN_ECORRUPT, 0 }, 0 };
	struct script always = { { CAIRN_ECORRUPT, CAIRN_ECORRUPT, CAIRN_ECORRUPT, CAIRN_ECORRUPT }, 0 };
	struct script other = { { CAIRN_ECORRUPT, CAIRN_EIO, 0 }, 0 };
	struct script transient = { { CAIRN_ETRANSIENT, 0 }, 0 };

	(void)state;
	/* damaged once: read again, and the second read is believed */
	assert_int_equal(cairn_repo_read_verified("index/x", scripted_read, &once), 0);
	assert_int_equal(once.calls, 2);
	/* damaged every time: believed after CAIRN_REPO_READ_ATTEMPTS reads */
	assert_int_equal(cairn_repo_read_verified("index/x", scripted_read, &always), CAIRN_ECORRUPT);
	assert_int_equal(always.calls, CAIRN_REPO_READ_ATTEMPTS);
	assert_string_equal(cairn_err_msg(), "damaged object 'index/x': read 3 went wrong (3 reads)");
	/* any other result ends the rule at once */
	assert_int_equal(cairn_repo_read_verified("index/x", scripted_read, &other), CAIRN_EIO);
	assert_int_equal(other.calls, 2);
	assert_string_equal(cairn_err_msg(), "read 2 went wrong");
	/* transient errors are the store's retry decorator's business */
	assert_int_equal(cairn_repo_read_verified("index/x", scripted_read, &transient), CAIRN_ETRANSIENT);
	assert_int_equal(transient.calls, 1);
}

static void test_repo_blob_read_reread(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf out = { 0 };
	unsigned before;

	/* the first read is damaged on the way: the second is believed */
	corrupt(f, "data/", 1);
	before = gets(f);
	assert_int_equal(cairn_repo_blob_read(f->rf.r, NULL, CAIRN_BLOB_DATA, f->locs[1].id, &out, NULL), 0);
	assert_int_equal(gets(f) - before, 2);
	assert_int_equal(out.len, sizeof(f->plain[1]));
	assert_memory_equal(out.data, f->plain[1], out.len);

	/* damaged twice: the third read is believed */
	cairn_buf_reset(&out);
	corrupt(f, "data/", 2);
	assert_int_equal(cairn_repo_blob_read(f->rf.r, NULL, CAIRN_BLOB_DATA, f->locs[0].id, &out, NULL), 0);
	assert_memory_equal(out.data, f->plain[0], out.len);

	/* damaged every time: CAIRN_ECORRUPT naming the pack, nothing appended */
	cairn_buf_reset(&out);
	corrupt(f, "data/", 0);
	before = gets(f);
	assert_int_equal(cairn_repo_blob_read(f->rf.r, NULL, CAIRN_BLOB_DATA, f->locs[2].id, &out, NULL),
			 CAIRN_ECORRUPT);
	assert_int_equal(gets(f) - before, CAIRN_REPO_READ_ATTEMPTS);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(cairn_err_msg(), "damaged object 'data/"));
	assert_non_null(strstr(cairn_err_msg(), f->pack_name));
	cairn_buf_free(&out);
}

static void test_repo_blob_read_at_counts_bytes(void **state)
{
	struct fixture *f = *state;
	struct cairn_buf out = { 0 };
	uint64_t bytes = 0;

	corrupt(f, "data/", 1);
	assert_int_equal(cairn_repo_blob_read_at(f->rf.r, NULL, &f->locs[2], 0, &out, &bytes), 0);
	assert_memory_equal(out.data, f->plain[2], out.len);
	assert_int_equal(bytes, 2 * (uint64_t)f->locs[2].length); /* both reads fetched */
	cairn_buf_free(&out);
}

static void test_repo_get_verified_reread(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot snap = { 0 };
	struct cairn_buf out = { 0 };
	const char *paths[] = { "/src" };
	char name[CAIRN_REPO_NAME_MAX];

	snap.time_ns = 1000000000LL;
	snap.host = "h";
	snap.user = "u";
	snap.paths = (char **)paths;
	snap.npaths = 1;
	memcpy(snap.tree, f->locs[0].id, CAIRN_ID_BYTES);
	assert_int_equal(cairn_snapshot_write(f->rf.r, &snap), 0);
	assert_int_equal(cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, snap.id, name), 0);

	corrupt(f, "snapshots/", 1);
	assert_int_equal(cairn_repo_get_sealed(f->rf.r, CAIRN_REPO_OBJ_SNAPSHOT, snap.id, CAIRN_SNAPSHOT_AD, &out), 0);
	assert_non_null(memmem(out.data, out.len, "\"h\"", 3));

	cairn_buf_reset(&out);
	corrupt(f, "snapshots/", 0);
	assert_int_equal(cairn_repo_get_verified(f->rf.r, CAIRN_REPO_OBJ_SNAPSHOT, snap.id, &out), CAIRN_ECORRUPT);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(cairn_err_msg(), name));
	assert_non_null(strstr(cairn_err_msg(), "does not match its name (3 reads)"));
	cairn_store_fault_set(f->faulty, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);

	/* hostile ids never reach the store */
	assert_int_equal(cairn_repo_get_verified(f->rf.r, CAIRN_REPO_OBJ_SNAPSHOT, "../config", &out), CAIRN_EINVAL);
	/* the config carries no id: fetched unchecked by name */
	assert_int_equal(cairn_repo_object_read(cairn_repo_store(f->rf.r), CAIRN_REPO_CONFIG_NAME, &out), 0);
	assert_true(out.len > 0);
	cairn_buf_free(&out);
}

static void test_repo_pack_tail_read_good_and_reread(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	size_t n = 0;
	uint64_t bytes = 0;
	unsigned before;

	/* blobs of one byte: the header is more than half of the pack, so the
	 * fault decorator's bit (the middle of what a get returns) lands in it */
	build_pack(f, 100, 1, 500);
	put_pack(f, f->pack_bytes.len);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, &bytes, &locs, &n),
			 0);
	assert_int_equal(n, f->nlocs);
	assert_int_equal(bytes, f->pack_bytes.len); /* a small pack: its tail is all of it */
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(&locs[i], &f->locs[i], sizeof(locs[i]));
	free(locs);

	/* damaged on the way once: read again */
	corrupt(f, "data/", 1);
	locs = NULL;
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, NULL, &locs, &n),
			 0);
	assert_int_equal(n, f->nlocs);
	free(locs);

	/* once only: the first damaged read is the answer */
	corrupt(f, "data/", 1);
	locs = NULL;
	before = gets(f);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, CAIRN_REPO_READ_ONCE, NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_int_equal(gets(f) - before, 1);
	assert_null(locs);

	/* damaged every time: named */
	corrupt(f, "data/", 0);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), f->pack_name));
	assert_null(locs);
}

static void test_repo_pack_tail_read_truncated(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	size_t n = 0;

	build_pack(f, 2, 500, 7);
	/* too short to hold a trailer */
	put_pack(f, CAIRN_PACK_TRAILER_BYTES - 1);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   CAIRN_PACK_TRAILER_BYTES - 1, 0, NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "too short for a pack"));

	/* cut before its end: no trailer where it should be */
	build_pack(f, 2, 500, 8);
	put_pack(f, f->pack_bytes.len - 20);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len - 20, 0, NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_null(locs);

	/* a trailer announcing more header than the pack holds (the first
	 * bytes cut off): ECORRUPT, not a request past the start */
	build_pack(f, 3, 500, 9);
	{
		size_t cut = f->pack_bytes.len - 100;
		char name[CAIRN_PACK_NAME_MAX];

		snprintf(name, sizeof(name), "%s", f->pack_name);
		assert_int_equal(cairn_store_put(cairn_repo_store(f->rf.r), name, f->pack_bytes.data + cut, 100), 0);
		assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r),
							   f->pack, 100, 0, NULL, &locs, &n),
				 CAIRN_ECORRUPT);
	}
	assert_null(locs);
}

static void test_repo_pack_tail_read_corrupt_and_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	struct cairn_keys *other = NULL;
	uint8_t master[CAIRN_KEY_BYTES];
	size_t n = 0;

	/* a byte of the sealed header changed at rest */
	build_pack(f, 3, 500, 11);
	f->pack_bytes.data[f->pack_bytes.len - CAIRN_PACK_TRAILER_BYTES - 5] ^= 0x40;
	put_pack(f, f->pack_bytes.len);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_null(locs);

	/* another repository's key: the header does not authenticate */
	build_pack(f, 3, 500, 12);
	put_pack(f, f->pack_bytes.len);
	cairn_test_fill_random(master, sizeof(master), 99);
	assert_int_equal(cairn_keys_derive(master, &other), 0);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), other, f->pack, f->pack_bytes.len, 0,
						   NULL, &locs, &n),
			 CAIRN_ECORRUPT);
	assert_null(locs);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, NULL, &locs, &n),
			 0);
	free(locs);
	cairn_keys_free(other);
}

static void test_repo_pack_tail_read_large_header(void **state)
{
	struct fixture *f = *state;
	struct cairn_blob_loc *locs = NULL;
	uint64_t bytes = 0;
	size_t n = 0;

	/* 2000 entries of 49 bytes: a header larger than the 64 KiB first read */
	build_pack(f, 2000, 16, 1000);
	put_pack(f, f->pack_bytes.len);
	assert_true(f->pack_bytes.len > 64 * 1024 + 2000 * 16);
	assert_int_equal(cairn_repo_pack_tail_read(cairn_repo_store(f->rf.r), cairn_repo_keys(f->rf.r), f->pack,
						   f->pack_bytes.len, 0, &bytes, &locs, &n),
			 0);
	assert_int_equal(n, 2000);
	assert_true(bytes > 64 * 1024); /* the guess, then exactly the header */
	free(locs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo_read_verified_rule),
		cmocka_unit_test_setup_teardown(test_repo_blob_read_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_blob_read_at_counts_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_get_verified_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_pack_tail_read_good_and_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_pack_tail_read_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_pack_tail_read_corrupt_and_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_pack_tail_read_large_header, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
