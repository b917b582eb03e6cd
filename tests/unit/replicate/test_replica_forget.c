/* Replica forget: a snapshot forgotten on a replica is gone there (object and catalog row) and not on the
 * primary; its tombstone in the primary's catalog is written, survives a full listing and is honoured by the
 * next replication (the snapshot is not copied back, the others still are); reruns are harmless; without a
 * primary nothing is recorded; a tombstone that cannot be recorded is reported, the deletion stands; the
 * delete-grace a forget of each kind of site keeps. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "cairn/backup.h"
#include "cairn/catalog.h"
#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/snapshot.h"
#include "cairn/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	struct repo_fixture rf;
	char replica[512], replica_state[600];
	struct cairn_store *dst;
	struct cairn_snapshot s1, s2;
	struct cairn_repo *rr; /* the replica, opened as a repository */
};

static void run_backup(struct fixture *f, struct cairn_snapshot *snap, uint64_t seed)
{
	const char *paths[1] = { f->rf.src };
	struct cairn_backup_opts o = { 0 };
	char p[700];

	snprintf(p, sizeof(p), "%s/file%llu", f->rf.src, (unsigned long long)seed);
	cairn_test_write_random_file(p, 20000, seed);
	o.paths = paths;
	o.npaths = 1;
	o.threads = 1;
	if (cairn_backup_run(f->rf.r, &o, snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
}

static void replicate(struct fixture *f, int full, struct cairn_replicate_stats *st)
{
	struct cairn_replicate_opts o = { .site = "dr", .threads = 1, .full = full };

	if (cairn_replicate(f->rf.r, f->dst, &o, st) != 0)
		fail_msg("replicate: %s", cairn_err_msg());
}

static int on_replica(struct fixture *f, const char *id)
{
	char path[800];

	snprintf(path, sizeof(path), "%s/snapshots/%s", f->replica, id);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_replicate_stats st;

	repo_fixture_init(&f->rf, "replica_forget");
	snprintf(f->replica, sizeof(f->replica), "%s/replica", f->rf.dir);
	snprintf(f->replica_state, sizeof(f->replica_state), "%s/replica-state", f->rf.dir);
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	assert_int_equal(cairn_store_local_open(f->replica, 1, &f->dst), 0);
	run_backup(f, &f->s1, 1);
	run_backup(f, &f->s2, 2);
	replicate(f, 0, &st);
	assert_int_equal(st.snapshots_copied, 2);
	assert_int_equal(cairn_repo_open(f->replica, f->rf.secret, f->replica_state, &f->rr), 0);
	assert_int_equal(cairn_repo_sync(f->rr, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_repo_close(f->rr);
	cairn_store_free(f->dst);
	cairn_snapshot_clear(&f->s1);
	cairn_snapshot_clear(&f->s2);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static int tombstoned(struct fixture *f, const char *id)
{
	char name[16 + CAIRN_ID_HEX];

	snprintf(name, sizeof(name), "snapshots/%s", id);
	return cairn_catalog_site_has(cairn_repo_catalog(f->rf.r), "dr", name);
}

/* Objects recorded as stored on the site (tombstones are not). */
static uint64_t site_objects(struct fixture *f)
{
	uint64_t n = 0, bytes = 0;

	assert_int_equal(cairn_catalog_site_count(cairn_repo_catalog(f->rf.r), "dr", &n, &bytes), 0);
	return n;
}

static void test_forget_snapshot_on_replica(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot left = { 0 }, gone = { 0 };
	struct cairn_replicate_stats st;
	struct cairn_site_status ss;
	uint64_t before = site_objects(f);
	int tomb = -1;

	assert_true(on_replica(f, f->s1.id));
	assert_int_equal(cairn_replicate_forget_snapshot(f->rr, f->rf.r, "dr", f->s1.id, &tomb), 0);
	assert_int_equal(tomb, 0);
	/* gone from the replica, object and catalog row; the primary keeps it */
	assert_false(on_replica(f, f->s1.id));
	assert_int_equal(cairn_snapshot_find(f->rr, f->s1.id, &gone), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_snapshot_find(f->rr, f->s2.id, &left), 0);
	cairn_snapshot_clear(&left);
	assert_int_equal(cairn_snapshot_find(f->rf.r, f->s1.id, &left), 0);
	cairn_snapshot_clear(&left);
	/* the tombstone, in the primary's catalog: known to the site, no longer counted as stored there */
	assert_int_equal(tombstoned(f, f->s1.id), 1);
	assert_int_equal(site_objects(f), before - 1);
	/* honoured: the next run, and a full listing, do not copy it back; a new snapshot still goes */
	replicate(f, 0, &st);
	assert_int_equal(st.snapshots_copied, 0);
	assert_false(on_replica(f, f->s1.id));
	replicate(f, 1, &st);
	assert_true(st.listed);
	assert_false(on_replica(f, f->s1.id));
	assert_int_equal(tombstoned(f, f->s1.id), 1); /* the listing kept the tombstone */
	{
		struct cairn_snapshot s3 = { 0 };

		run_backup(f, &s3, 3);
		replicate(f, 0, &st);
		assert_int_equal(st.snapshots_copied, 1);
		assert_true(on_replica(f, s3.id));
		assert_false(on_replica(f, f->s1.id));
		assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
		assert_string_equal(ss.newest_id, s3.id);
		cairn_snapshot_clear(&s3);
	}
}

/* A rerun (the snapshot already gone, the tombstone already there) is success and changes nothing. */
static void test_forget_snapshot_rerun(void **state)
{
	struct fixture *f = *state;
	uint64_t before = site_objects(f);
	int tomb = -1;

	assert_int_equal(cairn_replicate_forget_snapshot(f->rr, f->rf.r, "dr", f->s2.id, &tomb), 0);
	assert_int_equal(site_objects(f), before - 1);
	tomb = -1;
	assert_int_equal(cairn_replicate_forget_snapshot(f->rr, f->rf.r, "dr", f->s2.id, &tomb), 0);
	assert_int_equal(tomb, 0);
	assert_int_equal(site_objects(f), before - 1); /* one tombstone, not two */
	assert_false(on_replica(f, f->s2.id));
	assert_int_equal(tombstoned(f, f->s2.id), 1);
	assert_true(on_replica(f, f->s1.id));
}

/* Without a primary at hand the snapshot is deleted and nothing is recorded: replication copies it again. */
static void test_forget_snapshot_without_primary(void **state)
{
	struct fixture *f = *state;
	struct cairn_replicate_stats st;
	int tomb = -1;

	assert_int_equal(cairn_replicate_forget_snapshot(f->rr, NULL, "dr", f->s1.id, &tomb), 0);
	assert_int_equal(tomb, 0);
	assert_false(on_replica(f, f->s1.id));
	/* the catalog still records it as there; a full listing sees it missing and copies it back */
	replicate(f, 1, &st);
	assert_int_equal(st.snapshots_copied, 1);
	assert_true(on_replica(f, f->s1.id));
}

/* A tombstone that cannot be recorded (no site name: the catalog refuses it) is reported; the deletion stands. */
static void test_forget_snapshot_tombstone_fails(void **state)
{
	struct fixture *f = *state;
	int tomb = 0;

	assert_int_equal(cairn_replicate_forget_snapshot(f->rr, f->rf.r, NULL, f->s1.id, &tomb), 0);
	assert_int_equal(tomb, CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "tombstone"));
	assert_false(on_replica(f, f->s1.id));
}

/* The deletion fails (the replica's store refuses it): its error, no tombstone, the snapshot stays. */
static void test_forget_snapshot_delete_fails(void **state)
{
	struct fixture *f = *state;
	struct cairn_store *inner = NULL, *st = NULL;
	uint64_t before = site_objects(f);
	int tomb = 7, rc;

	cairn_repo_close(f->rr);
	f->rr = NULL;
	assert_int_equal(cairn_store_local_open(f->replica, 0, &inner), 0);
	assert_int_equal(cairn_store_fault_wrap(inner, &st), 0);
	assert_int_equal(cairn_repo_open_store(st, f->replica, f->rf.secret, f->replica_state, &f->rr), 0);
	assert_int_equal(cairn_repo_sync(f->rr, NULL, NULL), 0);
	cairn_store_fault_set(cairn_repo_store(f->rr), CAIRN_FAULT_FAIL, CAIRN_OP_DEL, "snapshots/", 1, 0,
			      cairn_err(CAIRN_EPERM, "read-only replica"));
	rc = cairn_replicate_forget_snapshot(f->rr, f->rf.r, "dr", f->s1.id, &tomb);
	assert_int_equal(rc, CAIRN_EPERM);
	assert_int_equal(tomb, 7); /* not written on failure */
	assert_non_null(strstr(cairn_err_msg(), "cannot delete 'snapshots/"));
	assert_true(on_replica(f, f->s1.id));
	assert_int_equal(site_objects(f), before); /* still recorded as stored there: no tombstone */
	{
		struct cairn_snapshot still = { 0 };

		assert_int_equal(cairn_snapshot_find(f->rr, f->s1.id, &still), 0); /* the catalog row stays */
		cairn_snapshot_clear(&still);
	}
}

static void test_forget_grace(void **state)
{
	struct cairn_config *cfg = NULL;

	(void)state;
	if (cairn_config_parse("[repository]\nurl = /a\n[replica dr]\nurl = /b\ndelete-grace = 3d\n"
			       "[replica now]\nurl = /c\ndelete-grace = 0s\n",
			       "test.conf", &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	assert_int_equal(cairn_replicate_forget_grace_ns(&cfg->primary), 0);
	assert_int_equal(cairn_replicate_forget_grace_ns(&cfg->replicas[0]), 3LL * 86400 * 1000000000LL);
	assert_int_equal(cairn_replicate_forget_grace_ns(&cfg->replicas[1]), 0);
	assert_int_equal(cairn_replicate_forget_grace_ns(NULL), 0);
	cairn_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forget_snapshot_on_replica, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_snapshot_rerun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_snapshot_without_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_snapshot_tombstone_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_snapshot_delete_fails, setup, teardown),
		cmocka_unit_test(test_forget_grace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
