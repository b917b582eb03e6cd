/* Unit tests for the read plan of remote restores: a restore through the
 * pack cache fetches each window once, in few requests, ahead of the
 * workers, and keeps the verification guarantees. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"
#include "restore/restore_plan.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/restore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define NFILES 40
#define FILE_BYTES (64u * 1024 + 3)
#define WINDOW (1u << 20)

struct fixture {
	struct repo_fixture rf;
	struct cairn_snapshot snap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *paths[1];
	struct cairn_backup_opts o = { 0 };
	struct cairn_store *faulty = NULL;
	char p[700];

	repo_fixture_init(&f->rf, "restore_plan");
	for (int d = 0; d < 4; d++) {
		snprintf(p, sizeof(p), "%s/d%d", f->rf.src, d);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	for (int i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/d%d/f%02d", f->rf.src, i % 4, i);
		cairn_test_write_random_file(p, FILE_BYTES, 100 + (uint64_t)i);
	}
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	paths[0] = f->rf.src;
	o.paths = paths;
	o.npaths = 1;
	o.threads = 2;
	if (cairn_backup_run(f->rf.r, &o, &f->snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	/* read it like a remote repository: through a pack cache, counting gets */
	assert_int_equal(cairn_store_fault_wrap(f->rf.r->store, &faulty), 0);
	f->rf.r->store = faulty;
	assert_null(f->rf.r->packcache);
	assert_int_equal(cairn_packcache_new(64ull * WINDOW, WINDOW, 2, &f->rf.r->packcache), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_snapshot_clear(&f->snap);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static int restore(struct fixture *f, struct cairn_restore_stats *rs)
{
	struct cairn_restore_opts ro = { 0 };

	ro.target = f->rf.out;
	ro.threads = 2;
	return cairn_restore_run(f->rf.r, &f->snap, &ro, rs);
}

static uint64_t pack_count(struct fixture *f)
{
	uint64_t packs = 0;

	assert_int_equal(cairn_catalog_blob_count(f->rf.r->catalog, NULL, &packs), 0);
	return packs;
}

static void test_restore_plan_file_fetches_each_window_once(void **state)
{
	struct fixture *f = *state;
	struct cairn_restore_stats rs;
	struct cairn_packcache_stats st;
	uint64_t packs = pack_count(f);
	char cmd[2048];

	if (restore(f, &rs) != 0)
		fail_msg("restore: %s", cairn_err_msg());
	assert_int_equal(rs.files, NFILES);
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s%s'", f->rf.src, f->rf.out, f->rf.src);
	assert_int_equal(system(cmd), 0);
	cairn_packcache_stats(f->rf.r->packcache, &st);
	/* ~2.5 MiB of packs in 1 MiB windows: a handful of requests, no
	 * window twice, nothing evicted unread, nothing read around the cache */
	assert_true(st.fetches <= 3 + packs);
	assert_int_equal(cairn_store_fault_calls(f->rf.r->store, CAIRN_OP_GET), st.fetches);
	assert_true(st.fetched_bytes <= (uint64_t)NFILES * FILE_BYTES + 64 * 1024 * (packs + 1));
	assert_int_equal(st.direct, 0);
	assert_int_equal(st.evicted_unread, 0);
	assert_true(st.hits + st.waits > NFILES);
}

static void test_restore_plan_file_damage_is_refetched_and_reported(void **state)
{
	struct fixture *f = *state;
	struct cairn_restore_stats rs;
	uint64_t missing = 0;
	char p[1024], q[1024], cmd[2100];

	/* every read of a pack comes back with a bit flipped, through the cache
	 * or not: the blobs under the flipped bits are damaged, the others not */
	cairn_store_fault_set(f->rf.r->store, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, "data/", 1, 0, 0);
	assert_int_equal(restore(f, &rs), CAIRN_ECORRUPT);
	assert_true(rs.damaged_files > 0);
	/* a file is restored right or not at all */
	for (int i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/d%d/f%02d", f->rf.src, i % 4, i);
		snprintf(q, sizeof(q), "%s%s", f->rf.out, p);
		if (access(q, F_OK) < 0) {
			missing++;
			continue;
		}
		snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", p, q);
		assert_int_equal(system(cmd), 0);
	}
	assert_true(missing > 0);
	assert_true(missing <= rs.damaged_files);
	/* the verification retries went around the cache */
	assert_true(cairn_store_fault_calls(f->rf.r->store, CAIRN_OP_GET) > 3);
}

static void test_restore_plan_queue_is_longer_for_remote_reads(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = f->rf.r->packcache;

	assert_true(restore_plan_queue(f->rf.r, 2) >= 32);
	f->rf.r->packcache = NULL;
	assert_int_equal(restore_plan_queue(f->rf.r, 2), 6);
	f->rf.r->packcache = pc;
}

static void test_restore_plan_file_without_cache_does_nothing(void **state)
{
	struct fixture *f = *state;
	struct cairn_packcache *pc = f->rf.r->packcache;
	struct restore_plan plan = { 0 };
	struct cairn_entry e = { 0 };
	uint8_t ids[2 * CAIRN_ID_BYTES] = { 0 };

	e.type = CAIRN_ENTRY_FILE;
	e.content = ids;
	e.content_count = 2;
	f->rf.r->packcache = NULL;
	restore_plan_file(f->rf.r, &plan, &e);
	restore_plan_end(f->rf.r, &plan);
	f->rf.r->packcache = pc;
	/* unknown blobs are left to the worker (which reports them) */
	restore_plan_file(f->rf.r, &plan, &e);
	restore_plan_end(f->rf.r, &plan);
	assert_int_equal(cairn_store_fault_calls(f->rf.r->store, CAIRN_OP_GET), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restore_plan_file_fetches_each_window_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_plan_file_damage_is_refetched_and_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_plan_queue_is_longer_for_remote_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_plan_file_without_cache_does_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
