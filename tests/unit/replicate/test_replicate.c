/* Unit tests for replication between two local repositories: a complete
 * copy that restores on its own, a second run with nothing to do, damage on
 * the primary held back, a failing replica that catches up, a replica of
 * another repository refused, drift repaired by a full listing, the write
 * order on the replica (no index object before its packs, no config before
 * the keys), and the site status. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/restore.h"
#include "cairn/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

struct fixture {
	struct repo_fixture rf;
	char replica[512];
	struct cairn_store *dst; /* fault decorator around the replica's local store */
	int warnings;
	char last_warning[1024];
};

static void on_warning(void *ctx, const char *msg)
{
	struct fixture *f = ctx;

	f->warnings++;
	snprintf(f->last_warning, sizeof(f->last_warning), "%s", msg);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_store *inner;
	char p[700];

	repo_fixture_init(&f->rf, "replicate");
	snprintf(f->replica, sizeof(f->replica), "%s/replica", f->rf.dir);
	snprintf(p, sizeof(p), "%s/big.bin", f->rf.src);
	cairn_test_write_random_file(p, 3 * 1024 * 1024 + 5, 1);
	snprintf(p, sizeof(p), "%s/small.txt", f->rf.src);
	cairn_test_write_random_file(p, 100, 2);
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	assert_int_equal(cairn_store_local_open(f->replica, 1, &inner), 0);
	assert_int_equal(cairn_store_fault_wrap(inner, &f->dst), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_store_free(f->dst);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static void run_backup(struct fixture *f, struct cairn_snapshot *snap)
{
	const char *paths[1] = { f->rf.src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	/* one worker, so one open pack: cases below damage or delete "the"
	 * pack of a backup (with more workers, blobs spread over one pack each) */
	o.threads = 1;
	if (cairn_backup_run(f->rf.r, &o, snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
}

static int replicate(struct fixture *f, int full, struct cairn_replicate_stats *st)
{
	struct cairn_replicate_opts o = { 0 };

	o.site = "dr";
	o.threads = 3;
	o.full = full;
	o.on_warning = on_warning;
	o.ctx = f;
	return cairn_replicate(f->rf.r, f->dst, &o, st);
}

/* Number of regular files under dir/sub (0 when it does not exist). */
static int count_files(const char *dir, const char *sub)
{
	char cmd[1200];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f 2>/dev/null | wc -l", dir, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* The object files of both repositories, locks and temporary files aside, are the same. */
static void assert_same_objects(struct fixture *f)
{
	char cmd[2400];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && find config keys data index snapshots -type f | sort > '%s/a.lst' && cd '%s' && "
		 "find config keys data index snapshots -type f | sort > '%s/b.lst' && cmp -s '%s/a.lst' '%s/b.lst'",
		 f->rf.repo, f->rf.dir, f->replica, f->rf.dir, f->rf.dir, f->rf.dir);
	if (system(cmd) != 0)
		fail_msg("the replica's objects differ from the primary's");
}

/* Open the replica alone (its own state dir), restore its newest snapshot, compare. */
static void assert_replica_restores(struct fixture *f, const char *want_id)
{
	struct cairn_repo *rr = NULL;
	struct cairn_snapshot snap = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	char cmd[2400];

	assert_int_equal(cairn_repo_open(f->replica, f->rf.secret, f->rf.state2, &rr), 0);
	assert_int_equal(cairn_repo_sync(rr, NULL, NULL), 0);
	assert_int_equal(cairn_snapshot_at(rr, INT64_MAX, &snap), 0);
	assert_string_equal(snap.id, want_id);
	cairn_test_rmtree(f->rf.out);
	ro.target = f->rf.out;
	ro.threads = 2;
	if (cairn_restore_run(rr, &snap, &ro, &rs) != 0)
		fail_msg("restore from the replica: %s", cairn_err_msg());
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s%s' >/dev/null", f->rf.src, f->rf.out, f->rf.src);
	if (system(cmd) != 0)
		fail_msg("the restore from the replica differs from the source");
	cairn_snapshot_clear(&snap);
	cairn_repo_close(rr);
}

static void test_replicate_copies_and_restores(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	struct cairn_site_status ss;

	run_backup(f, &s1);
	assert_int_equal(replicate(f, 0, &st), 0);
	assert_true(st.objects_copied >= 5); /* config, key, pack, index, snapshot */
	assert_int_equal(st.snapshots_copied, 1);
	assert_int_equal(st.objects_failed, 0);
	assert_int_equal(st.listed, 1); /* the first run lists the replica */
	assert_int_equal(st.objects_pending + 1, st.objects_copied); /* + the config */
	assert_same_objects(f);
	assert_replica_restores(f, s1.id);

	assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
	assert_string_equal(ss.newest_id, s1.id);
	assert_int_equal(ss.newest_time_ns, s1.time_ns);
	assert_int_equal(ss.snapshots_pending, 0);
	assert_true(ss.last_success_ns > 0);
	assert_int_equal(ss.last_success_ns, ss.last_attempt_ns);
	assert_string_equal(ss.last_error, "");
	assert_int_equal(ss.objects_on_site, st.objects_copied);
	cairn_snapshot_clear(&s1);
}

static void test_replicate_nothing_to_do(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	struct cairn_site_status ss;
	unsigned gets, puts_, lists;

	run_backup(f, &s1);
	assert_int_equal(replicate(f, 0, &st), 0);
	/* nothing new: the replica sees one read of its config, nothing else */
	gets = cairn_store_fault_calls(f->dst, CAIRN_OP_GET);
	puts_ = cairn_store_fault_calls(f->dst, CAIRN_OP_PUT);
	lists = cairn_store_fault_calls(f->dst, CAIRN_OP_LIST);
	assert_int_equal(replicate(f, 0, &st), 0);
	assert_int_equal(st.objects_copied, 0);
	assert_int_equal(st.objects_pending, 0);
	assert_int_equal(st.listed, 0);
	assert_int_equal(cairn_store_fault_calls(f->dst, CAIRN_OP_GET), gets + 1);
	assert_int_equal(cairn_store_fault_calls(f->dst, CAIRN_OP_PUT), puts_);
	assert_int_equal(cairn_store_fault_calls(f->dst, CAIRN_OP_LIST), lists);
	cairn_snapshot_clear(&s1);
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
	assert_int_equal(ss.snapshots_pending, 0);
}

static void test_replicate_incremental(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	struct cairn_replicate_stats st;
	struct cairn_site_status ss;
	char p[700];

	run_backup(f, &s1);
	assert_int_equal(replicate(f, 0, &st), 0);
	snprintf(p, sizeof(p), "%s/new.bin", f->rf.src);
	cairn_test_write_random_file(p, 700 * 1024, 9);
	run_backup(f, &s2);
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
	assert_int_equal(ss.snapshots_pending, 1);
	/* the lag from the catalog: one pack (about 700 KiB), one index object, one snapshot */
	assert_int_equal(ss.objects_pending, 3);
	assert_true(ss.bytes_pending >= 700 * 1024 && ss.bytes_pending < 800 * 1024);
	assert_string_equal(ss.newest_id, s1.id);
	assert_int_equal(replicate(f, 0, &st), 0);
	/* one pack, one index object, one snapshot */
	assert_int_equal(st.objects_copied, 3);
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
	assert_int_equal(ss.objects_pending, 0);
	assert_int_equal(ss.bytes_pending, 0);
	assert_int_equal(st.snapshots_copied, 1);
	assert_same_objects(f);
	assert_replica_restores(f, s2.id);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

/* Path of the first pack file of dir (there is one per test backup here). */
static void first_pack(const char *repo, char *out, size_t len)
{
	char cmd[700];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "find '%s/data' -type f | sort | head -n 1", repo);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, (int)len, p));
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void test_replicate_damaged_primary_held_back(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	char pack[1024];
	int fd;
	uint8_t byte;

	run_backup(f, &s1);
	first_pack(f->rf.repo, pack, sizeof(pack));
	fd = open(pack, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 100), 1);
	byte ^= 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, 100), 1);
	close(fd);
	assert_int_equal(replicate(f, 0, &st), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "held back"));
	assert_int_equal(st.objects_failed, 1);
	assert_int_equal(st.snapshots_held, 1);
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last_warning, "damaged"));
	assert_non_null(strstr(f->last_warning, strrchr(pack, '/') + 1));
	/* the damaged pack and the snapshot are not on the replica */
	assert_int_equal(count_files(f->replica, "snapshots"), 0);
	assert_int_equal(count_files(f->replica, "data"), 0);
	cairn_snapshot_clear(&s1);
}

static void test_replicate_failing_replica_catches_up(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	struct cairn_site_status ss;

	run_backup(f, &s1);
	/* the replica fails from its third write on */
	cairn_store_fault_set(f->dst, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, NULL, 3, 0, CAIRN_ETRANSIENT);
	assert_true(replicate(f, 0, &st) == CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "site 'dr'"));
	assert_int_equal(count_files(f->replica, "snapshots"), 0);
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "dr", &ss), 0);
	assert_int_equal(ss.last_success_ns, 0);
	assert_true(ss.last_attempt_ns > 0);
	assert_true(ss.last_error[0] != '\0');
	assert_string_equal(ss.newest_id, "");
	assert_int_equal(ss.snapshots_pending, 1);
	/* back: the next run copies the rest, not what was already copied */
	cairn_store_fault_set(f->dst, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	assert_int_equal(replicate(f, 0, &st), 0);
	assert_true(st.objects_copied < st.objects_on_site);
	assert_same_objects(f);
	assert_replica_restores(f, s1.id);
	cairn_snapshot_clear(&s1);
}

static void test_replicate_refuses_other_repository(void **state)
{
	struct fixture *f = *state;
	struct cairn_replicate_stats st;

	cairn_store_free(f->dst);
	f->dst = NULL;
	assert_int_equal(cairn_repo_init(f->replica, f->rf.secret, "other", NULL, NULL), 0);
	assert_int_equal(cairn_store_local_open(f->replica, 0, &f->dst), 0);
	assert_int_equal(replicate(f, 0, &st), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "holds another repository"));
	assert_int_equal(count_files(f->replica, "index"), 0);
}

/* A config on the replica larger than any config (planted by whoever can
 * write there): refused by its size, not fetched (one get bounded by
 * CAIRN_STORE_AT_MOST, which the store refuses from the size). */
static void test_replicate_oversized_replica_config(void **state)
{
	struct fixture *f = *state;
	struct cairn_replicate_stats st;
	char path[700];
	FILE *cfg;

	snprintf(path, sizeof(path), "%s/config", f->replica);
	cfg = fopen(path, "w");
	assert_non_null(cfg);
	for (int i = 0; i < 65537; i++)
		fputc('x', cfg);
	assert_int_equal(fclose(cfg), 0);
	assert_int_equal(replicate(f, 0, &st), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "65537 bytes, more than the 65536"));
	assert_non_null(strstr(cairn_err_msg(), "site 'dr'"));
	assert_int_equal(cairn_store_fault_calls(f->dst, CAIRN_OP_GET), 1);
	assert_int_equal(count_files(f->replica, "index"), 0);
}

static void test_replicate_full_repairs_drift(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	char pack[1024];

	run_backup(f, &s1);
	assert_int_equal(replicate(f, 0, &st), 0);
	/* someone deletes a pack on the replica: the catalog does not know */
	first_pack(f->replica, pack, sizeof(pack));
	assert_int_equal(unlink(pack), 0);
	assert_int_equal(replicate(f, 0, &st), 0);
	assert_int_equal(st.objects_copied, 0);
	assert_int_equal(count_files(f->replica, "data"), 0);
	/* a full run lists the replica and copies it again */
	assert_int_equal(replicate(f, 1, &st), 0);
	assert_int_equal(st.listed, 1);
	assert_int_equal(st.objects_copied, 1);
	assert_same_objects(f);
	assert_replica_restores(f, s1.id);
	cairn_snapshot_clear(&s1);
}

/* A run that stops before its packs are all on the replica (a kill, a
 * failing store) leaves there no index object listing a missing pack, and
 * no config before the key objects: a new replica is then no repository
 * yet, never one that no key opens or whose index lies. */
static void test_replicate_write_order(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_replicate_stats st;
	char p[700];
	struct stat sb;

	run_backup(f, &s1);
	cairn_store_fault_set(f->dst, CAIRN_FAULT_FAIL, CAIRN_OP_PUT, "data/", 1, 0, CAIRN_EIO);
	assert_int_not_equal(replicate(f, 0, &st), 0);
	assert_int_equal(count_files(f->replica, "data"), 0);
	assert_int_equal(count_files(f->replica, "index"), 0);
	assert_int_equal(count_files(f->replica, "snapshots"), 0);
	snprintf(p, sizeof(p), "%s/config", f->replica);
	assert_int_equal(stat(p, &sb), -1);
	cairn_store_fault_set(f->dst, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	assert_int_equal(replicate(f, 0, &st), 0);
	assert_same_objects(f);
	assert_replica_restores(f, s1.id);
	cairn_snapshot_clear(&s1);
}

static void test_replicate_bad_args(void **state)
{
	struct fixture *f = *state;
	struct cairn_replicate_opts o = { 0 };
	struct cairn_site_status ss;

	assert_int_equal(cairn_replicate(f->rf.r, f->dst, &o, NULL), CAIRN_EINVAL);
	o.site = "";
	assert_int_equal(cairn_replicate(f->rf.r, f->dst, &o, NULL), CAIRN_EINVAL);
	o.site = "dr";
	assert_int_equal(cairn_replicate(f->rf.r, NULL, &o, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "", &ss), CAIRN_EINVAL);
	/* a site never replicated to */
	assert_int_equal(cairn_replicate_site_status(f->rf.r, "never", &ss), 0);
	assert_string_equal(ss.newest_id, "");
	assert_int_equal(ss.last_attempt_ns, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_replicate_copies_and_restores),
		T(test_replicate_nothing_to_do),
		T(test_replicate_incremental),
		T(test_replicate_damaged_primary_held_back),
		T(test_replicate_failing_replica_catches_up),
		T(test_replicate_refuses_other_repository),
		T(test_replicate_oversized_replica_config),
		T(test_replicate_full_repairs_drift),
		T(test_replicate_write_order),
		T(test_replicate_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
