/* Unit tests for forget and prune on local repositories: unused packs
 * deleted and the rest restoring (with the catalog it ran with and with a
 * fresh one), the grace period, a pack marked unused that a later backup
 * uses again, the sweep waiting for a running backup's lock, repacking a
 * partly used pack, damage stopping prune, a replica keeping packs the
 * primary still has, the orphans of a stopped sweep collected by the next
 * prune, and forget plans with a delete-grace. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/prune.h"
#include "cairn/restore.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define HOUR_NS (3600LL * 1000000000LL)

static int setup(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));

	repo_fixture_init(f, "prune");
	repo_fixture_create(f, NULL);
	assert_int_equal(cairn_repo_sync(f->r, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct repo_fixture *f = *state;

	repo_fixture_fini(f);
	free(f);
	return 0;
}

static void write_file(struct repo_fixture *f, const char *name, size_t size, unsigned seed)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/%s", f->src, name);
	cairn_test_write_random_file(p, size, seed);
}

static void remove_file(struct repo_fixture *f, const char *name)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/%s", f->src, name);
	assert_int_equal(unlink(p), 0);
}

static void run_backup_on(struct repo_fixture *f, struct cairn_repo *r, struct cairn_snapshot *snap)
{
	const char *paths[1] = { f->src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	/* one worker, so one open pack: the cases below count the packs a
	 * backup writes (with more workers, blobs spread over one pack each) */
	o.threads = 1;
	if (cairn_backup_run(r, &o, snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
}

static void run_backup(struct repo_fixture *f, struct cairn_snapshot *snap)
{
	run_backup_on(f, f->r, snap);
}

static int prune(struct repo_fixture *f, int64_t grace_ns, int threshold, struct cairn_prune_stats *st)
{
	struct cairn_prune_opts o = { 0 };

	o.grace_ns = grace_ns;
	o.repack_threshold = threshold;
	return cairn_prune(f->r, &o, st);
}

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

/* Restore snapshot `id` through `r` and compare it with the source as it is now. */
static void assert_restores(struct repo_fixture *f, struct cairn_repo *r, const char *id)
{
	struct cairn_snapshot snap = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	char cmd[2400];

	assert_int_equal(cairn_snapshot_find(r, id, &snap), 0);
	cairn_test_rmtree(f->out);
	ro.target = f->out;
	ro.threads = 2;
	if (cairn_restore_run(r, &snap, &ro, &rs) != 0)
		fail_msg("restore of %.8s: %s", id, cairn_err_msg());
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s%s' >/dev/null", f->src, f->out, f->src);
	if (system(cmd) != 0)
		fail_msg("the restore of %.8s differs from the source", id);
	cairn_snapshot_clear(&snap);
}

/* The same from a catalog built from nothing: nothing left points at a deleted pack. */
static void assert_restores_fresh(struct repo_fixture *f, const char *id)
{
	struct cairn_repo *rr = NULL;

	cairn_test_rmtree(f->state2);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state2, &rr), 0);
	assert_int_equal(cairn_repo_sync(rr, NULL, NULL), 0);
	assert_int_equal(cairn_repo_recover_orphans(rr, NULL), 0);
	assert_restores(f, rr, id);
	cairn_repo_close(rr);
}

static void test_prune_deletes_unused_data(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	int packs_before;

	write_file(f, "old.bin", 3 * 1024 * 1024, 1);
	run_backup(f, &a); /* one pack: old.bin and a's trees */
	remove_file(f, "old.bin");
	write_file(f, "kept.bin", 2 * 1024 * 1024, 2);
	write_file(f, "new.bin", 2 * 1024 * 1024, 3);
	run_backup(f, &b);
	packs_before = count_files(f->repo, "data");
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	assert_int_equal(count_files(f->repo, "snapshots"), 1);

	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_int_equal(st.snapshots, 1);
	assert_true(st.packs_unused >= 1);
	assert_int_equal(st.packs_deleted, st.packs_unused);
	assert_true(st.bytes_deleted >= 3 * 1024 * 1024);
	assert_true(st.index_deleted >= 1); /* a's index object listed only the deleted pack */
	assert_int_equal(count_files(f->repo, "data"), packs_before - (int)st.packs_deleted);
	assert_restores(f, f->r, b.id);
	assert_restores_fresh(f, b.id);

	/* a second run finds nothing more to do */
	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_int_equal(st.packs_unused, 0);
	assert_int_equal(st.packs_deleted, 0);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

/* A sweep stopped after deleting the index objects of a doomed pack but
 * before the pack (kill -9): the pack is an orphan that no index lists. The
 * next prune indexes it again (orphan recovery) and deletes it. */
static void test_prune_collects_orphans_of_a_stopped_sweep(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	char cmd[2400];
	int packs_after;

	write_file(f, "old.bin", 3 * 1024 * 1024, 1);
	run_backup(f, &a);
	remove_file(f, "old.bin");
	write_file(f, "new.bin", 2 * 1024 * 1024, 3);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	/* keep a copy of every pack, to put back the one the sweep deletes */
	snprintf(cmd, sizeof(cmd), "cp -a '%s/data' '%s/data.copy'", f->repo, f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_true(st.packs_deleted >= 1);
	packs_after = count_files(f->repo, "data");
	snprintf(cmd, sizeof(cmd), "cp -a -n '%s/data.copy/.' '%s/data/'", f->dir, f->repo);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(count_files(f->repo, "data"), packs_after + (int)st.packs_deleted);
	/* a finished sweep costs the next run no scan: the packs put back are
	 * not looked for */
	{
		size_t recovered = 99;

		assert_int_equal(cairn_repo_recover_orphans_if_needed(f->r, &recovered), 0);
		assert_int_equal(recovered, 0);
	}
	/* what a sweep killed after deleting its index objects and before its
	 * packs leaves: those packs, and the note it took before deleting */
	cairn_repo_sweep_begin(f->r);

	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_int_equal(count_files(f->repo, "data"), packs_after);
	assert_restores(f, f->r, b.id);
	assert_restores_fresh(f, b.id);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

/* The sweep deletes in batches (cairn_store_del_many), each batch leaving
 * the catalog before its objects leave the store. A delete that fails after
 * an earlier pack of its batch is gone must not leave catalog rows pointing
 * at the deleted pack: a backup of the same content through this catalog
 * would then reuse blobs that no longer exist. The failed prune is an error;
 * the backup that follows stores its data again and restores, also from a
 * catalog built from nothing, and the next prune finishes the sweep. */
static void test_prune_failed_delete_leaves_catalog_consistent(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a1 = { 0 }, a2 = { 0 }, b = { 0 }, c = { 0 };
	struct cairn_prune_stats st;
	struct cairn_store *faulty = NULL;
	int packs_before;

	write_file(f, "old1.bin", 3 * 1024 * 1024, 11);
	run_backup(f, &a1);
	remove_file(f, "old1.bin");
	write_file(f, "old2.bin", 3 * 1024 * 1024, 12);
	run_backup(f, &a2);
	remove_file(f, "old2.bin");
	write_file(f, "new.bin", 1024 * 1024, 13);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a1.id), 0);
	assert_int_equal(cairn_forget_snapshot(f->r, a2.id), 0);
	packs_before = count_files(f->repo, "data");

	repo_fixture_reopen_faulty(f, &faulty);
	/* the first pack is deleted, the second refuses */
	cairn_store_fault_set(faulty, CAIRN_FAULT_FAIL, CAIRN_OP_DEL, "data/", 2, 1, CAIRN_EIO);
	assert_int_not_equal(prune(f, 0, 0, &st), 0);
	assert_int_equal(count_files(f->repo, "data"), packs_before - 1);
	cairn_store_fault_set(faulty, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);

	write_file(f, "old1.bin", 3 * 1024 * 1024, 11);
	write_file(f, "old2.bin", 3 * 1024 * 1024, 12);
	run_backup(f, &c);
	assert_restores(f, f->r, c.id);
	assert_restores_fresh(f, c.id);
	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_restores_fresh(f, c.id);
	cairn_snapshot_clear(&a1);
	cairn_snapshot_clear(&a2);
	cairn_snapshot_clear(&b);
	cairn_snapshot_clear(&c);
}

static void test_prune_grace_period_keeps_marked_packs(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	int packs;

	write_file(f, "old.bin", 3 * 1024 * 1024, 1);
	run_backup(f, &a);
	remove_file(f, "old.bin");
	write_file(f, "new.bin", 1024 * 1024, 3);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	packs = count_files(f->repo, "data");
	assert_int_equal(prune(f, HOUR_NS, 0, &st), 0);
	assert_true(st.packs_marked >= 1);
	assert_int_equal(st.packs_deleted, 0);
	assert_int_equal(st.packs_waiting, st.packs_marked);
	assert_true(st.next_sweep_ns > cairn_time_now_ns() + HOUR_NS / 2);
	assert_int_equal(count_files(f->repo, "data"), packs);
	/* marks keep their time: a second run does not mark them again */
	assert_int_equal(prune(f, HOUR_NS, 0, &st), 0);
	assert_int_equal(st.packs_marked, 0);
	assert_true(st.packs_waiting >= 1);
	/* dry run: says what would go, changes nothing */
	{
		struct cairn_prune_opts o = { .grace_ns = 0, .dry_run = 1 };

		assert_int_equal(cairn_prune(f->r, &o, &st), 0);
		assert_true(st.packs_deleted >= 1);
		assert_int_equal(count_files(f->repo, "data"), packs);
	}
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

/* The case the grace period exists for: a pack found unused, then used
 * again by a backup that deduplicated against it, must stay. */
static void test_prune_marked_pack_used_again_stays(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 }, c = { 0 };
	struct cairn_prune_stats st;

	write_file(f, "x.bin", 3 * 1024 * 1024, 7);
	run_backup(f, &a);
	remove_file(f, "x.bin");
	write_file(f, "y.bin", 1024 * 1024, 8);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	assert_int_equal(prune(f, HOUR_NS, 0, &st), 0); /* x's pack marked */
	assert_true(st.packs_marked >= 1);
	write_file(f, "x.bin", 3 * 1024 * 1024, 7); /* the same bytes come back */
	run_backup(f, &c);
	assert_true(c.stats.bytes_added < 1024 * 1024); /* deduplicated against the marked pack */
	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_true(st.packs_unmarked >= 1);
	assert_restores(f, f->r, c.id);
	assert_restores_fresh(f, c.id);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
	cairn_snapshot_clear(&c);
}

static void test_prune_sweep_waits_for_running_backup(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	struct cairn_repo *other = NULL;
	struct cairn_lock *lock = NULL;
	int packs;

	write_file(f, "old.bin", 2 * 1024 * 1024, 1);
	run_backup(f, &a);
	remove_file(f, "old.bin");
	write_file(f, "new.bin", 1024 * 1024, 2);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	/* a backup elsewhere holds its shared lock */
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state2, &other), 0);
	assert_int_equal(cairn_lock_acquire(other, 0, "backup", 0, &lock), 0);
	packs = count_files(f->repo, "data");
	assert_int_equal(prune(f, 0, 0, &st), CAIRN_ELOCKED);
	assert_true(strstr(cairn_err_msg(), "backup") != NULL);
	assert_int_equal(st.sweep_locked, 1);
	assert_true(st.packs_marked >= 1); /* the mark phase ran alongside it */
	assert_int_equal(st.packs_deleted, 0);
	assert_int_equal(count_files(f->repo, "data"), packs);
	cairn_lock_release(lock);
	cairn_repo_close(other);
	assert_int_equal(prune(f, 0, 0, &st), 0);
	assert_true(st.packs_deleted >= 1);
	assert_restores(f, f->r, b.id);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

static void test_prune_repacks_partly_used_pack(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	char name[32];

	for (int i = 0; i < 8; i++) { /* small files: one pack */
		snprintf(name, sizeof(name), "f%d", i);
		write_file(f, name, 200 * 1024, 20 + (unsigned)i);
	}
	run_backup(f, &a);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		remove_file(f, name);
	}
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	/* off: nothing is repacked, the pack is partly used, so nothing goes */
	assert_int_equal(prune(f, 0, 101, &st), 0);
	assert_int_equal(st.packs_repacked, 0);
	assert_true(st.bytes_unused >= 6 * 200 * 1024);
	assert_int_equal(prune(f, 0, 30, &st), 0);
	assert_int_equal(st.packs_repacked, 1);
	assert_true(st.bytes_repacked >= 2 * 200 * 1024 && st.bytes_repacked < 4 * 200 * 1024);
	assert_int_equal(st.packs_deleted, 1);
	assert_restores(f, f->r, b.id);
	assert_restores_fresh(f, b.id);
	assert_int_equal(prune(f, 0, 30, &st), 0);
	assert_int_equal(st.packs_repacked, 0);
	assert_true(st.bytes_unused < 200 * 1024);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

static void test_prune_stops_on_damage(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	char path[900];
	FILE *fp;
	int packs;

	write_file(f, "a.bin", 1024 * 1024, 1);
	run_backup(f, &a);
	remove_file(f, "a.bin");
	write_file(f, "b.bin", 1024 * 1024, 2);
	run_backup(f, &b);
	packs = count_files(f->repo, "data");
	/* b's snapshot object is damaged: what it references is unknown */
	snprintf(path, sizeof(path), "%s/snapshots/%s", f->repo, b.id);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 40, SEEK_SET), 0);
	assert_int_equal(fputc('!', fp), '!');
	fclose(fp);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	cairn_repo_close(f->r);
	cairn_test_rmtree(f->state);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), 0);
	assert_int_equal(prune(f, 0, 0, &st), CAIRN_ECORRUPT);
	assert_true(strstr(cairn_err_msg(), "before deleting anything") != NULL);
	assert_int_equal(st.packs_marked, 0);
	assert_int_equal(count_files(f->repo, "data"), packs);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

static void test_prune_replica_keeps_what_primary_has(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_opts o = { 0 };
	struct cairn_prune_stats st;
	struct cairn_store *primary = NULL;
	char copy[700], cmd[1600];
	int packs;

	write_file(f, "a.bin", 1024 * 1024, 1);
	run_backup(f, &a);
	remove_file(f, "a.bin");
	write_file(f, "b.bin", 1024 * 1024, 2);
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	/* "the primary": a copy that still has every pack */
	snprintf(copy, sizeof(copy), "%s/primary", f->dir);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", f->repo, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_store_local_open(copy, 0, &primary), 0);
	packs = count_files(f->repo, "data");
	o.grace_ns = 0;
	o.primary = primary;
	assert_int_equal(cairn_prune(f->r, &o, &st), 0);
	assert_true(st.packs_on_primary >= 1);
	assert_int_equal(st.packs_deleted, 0);
	assert_int_equal(st.packs_repacked, 0);
	assert_int_equal(count_files(f->repo, "data"), packs);
	/* once the primary has pruned them too, the replica lets them go */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/data'", copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_prune(f->r, &o, &st), 0);
	assert_true(st.packs_deleted >= 1);
	assert_restores(f, f->r, b.id);
	cairn_store_free(primary);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

static void test_forget_plan_with_grace(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s[3];
	struct cairn_retention_policy pol = { .last = 1 };
	struct cairn_forget_entry *e = NULL;
	size_t n = 0;

	memset(s, 0, sizeof(s));
	write_file(f, "a.bin", 1000, 1);
	for (int i = 0; i < 3; i++)
		run_backup(f, &s[i]);
	assert_int_equal(cairn_forget_plan(f->r, &pol, 0, cairn_time_now_ns(), &e, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].snap.id, s[2].id); /* newest first */
	assert_true(e[0].keep && (e[0].reasons & CAIRN_RETENTION_LAST));
	assert_false(e[1].keep);
	assert_false(e[2].keep);
	cairn_forget_plan_free(e, n);
	/* a replica's delete-grace keeps young snapshots whatever the policy says */
	assert_int_equal(cairn_forget_plan(f->r, &pol, HOUR_NS, cairn_time_now_ns(), &e, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(e[i].keep);
	assert_true(e[1].grace && e[1].reasons == 0);
	cairn_forget_plan_free(e, n);
	/* an empty policy is refused, not read as "forget everything" */
	pol.last = 0;
	assert_int_equal(cairn_forget_plan(f->r, &pol, 0, cairn_time_now_ns(), &e, &n), CAIRN_EINVAL);
	for (int i = 0; i < 3; i++)
		cairn_snapshot_clear(&s[i]);
}

/* Another host sharing the repository, after a prune that repacked a pack
 * and deleted index objects: its catalog reloads the blob index, so
 * everything it restores comes from packs that exist, and it keeps its
 * files cache, so its next backup does not read unchanged files again. */
static void test_prune_other_host_keeps_files_cache(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 }, c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	struct cairn_prune_stats st;
	struct cairn_repo *other = NULL;
	char name[32];

	for (int i = 0; i < 8; i++) { /* one pack, with old.bin */
		snprintf(name, sizeof(name), "f%d", i);
		write_file(f, name, 200 * 1024, 40 + (unsigned)i);
	}
	write_file(f, "old.bin", 2 * 1024 * 1024, 49);
	run_backup(f, &a);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		remove_file(f, name);
	}
	remove_file(f, "old.bin");
	run_backup(f, &b);

	/* the other host backs up the same two files, twice: its files cache
	 * serves the second run */
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state2, &other), 0);
	run_backup_on(f, other, &c1);
	run_backup_on(f, other, &c2);
	assert_int_equal(c2.stats.files_unchanged, 2);

	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	assert_int_equal(prune(f, 0, 30, &st), 0);
	assert_int_equal(st.packs_repacked, 1);
	assert_true(st.packs_deleted >= 1); /* the pack of a, which held old.bin too */
	assert_true(st.index_deleted >= 1);

	run_backup_on(f, other, &c3);
	assert_int_equal(c3.stats.files_unchanged, 2);
	assert_restores(f, other, c1.id);
	assert_restores(f, other, c3.id);
	assert_restores_fresh(f, c3.id);
	cairn_repo_close(other);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
	cairn_snapshot_clear(&c1);
	cairn_snapshot_clear(&c2);
	cairn_snapshot_clear(&c3);
}

/* Flip one byte in the middle of the stored blob holding the whole of
 * source file `name` (a file smaller than the minimum chunk). */
static void damage_blob_of(struct repo_fixture *f, const char *name)
{
	struct cairn_blob_loc loc;
	uint8_t id[CAIRN_ID_BYTES];
	char path[1024], pack[CAIRN_PACK_NAME_MAX];
	unsigned char *data;
	long len;
	FILE *fp;
	int c;

	snprintf(path, sizeof(path), "%s/%s", f->src, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	cairn_blob_id(f->r->keys, data, (size_t)len, id);
	free(data);
	assert_int_equal(cairn_catalog_blob_get(f->r->catalog, id, CAIRN_BLOB_DATA, &loc), 0);
	cairn_repo_pack_name(loc.pack, pack);
	snprintf(path, sizeof(path), "%s/%s", f->repo, pack);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)(loc.offset + loc.length / 2), SEEK_SET), 0);
	c = fgetc(fp);
	assert_int_equal(fseek(fp, (long)(loc.offset + loc.length / 2), SEEK_SET), 0);
	fputc(c ^ 0x40, fp);
	assert_int_equal(fclose(fp), 0);
}

/* A used blob of a pack being repacked is damaged: prune names the pack,
 * fails with CAIRN_ECORRUPT, and deletes nothing. */
static void test_prune_repack_stops_on_damaged_blob(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot a = { 0 }, b = { 0 };
	struct cairn_prune_stats st;
	char name[32];
	int packs;

	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		write_file(f, name, 200 * 1024, 60 + (unsigned)i);
	}
	run_backup(f, &a);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		remove_file(f, name);
	}
	run_backup(f, &b);
	assert_int_equal(cairn_forget_snapshot(f->r, a.id), 0);
	damage_blob_of(f, "f7");
	packs = count_files(f->repo, "data");
	assert_int_equal(prune(f, 0, 30, &st), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "damaged object 'data/"));
	assert_int_equal(st.packs_deleted, 0);
	assert_int_equal(count_files(f->repo, "data"), packs);
	cairn_snapshot_clear(&a);
	cairn_snapshot_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prune_deletes_unused_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_collects_orphans_of_a_stopped_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_failed_delete_leaves_catalog_consistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_grace_period_keeps_marked_packs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_marked_pack_used_again_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_sweep_waits_for_running_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_repacks_partly_used_pack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_other_host_keeps_files_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_repack_stops_on_damaged_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_stops_on_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_replica_keeps_what_primary_has, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_plan_with_grace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
