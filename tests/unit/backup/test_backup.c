/* Unit tests for the backup and restore engines on a local repository:
 * round trip, deduplication, the files cache, orphan packs, damage. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/restore.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* test paths are short; snprintf into fixed buffers is fine here */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int setup(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));
	char p[700];

	repo_fixture_init(f, "backup");
	snprintf(p, sizeof(p), "%s/sub", f->src);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof(p), "%s/big.bin", f->src);
	cairn_test_write_random_file(p, 9 * 1024 * 1024 + 17, 1);
	snprintf(p, sizeof(p), "%s/sub/small.txt", f->src);
	cairn_test_write_random_file(p, 100, 2);
	snprintf(p, sizeof(p), "%s/empty", f->src);
	cairn_test_write_random_file(p, 0, 3);
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

static void run_backup(struct repo_fixture *f, struct cairn_snapshot *snap)
{
	const char *paths[1] = { f->src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	o.threads = 2;
	if (cairn_backup_run(f->r, &o, snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
}

static void assert_same_file(const char *a, const char *b)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	if (system(cmd) != 0)
		fail_msg("'%s' and '%s' differ", a, b);
}

static void test_backup_round_trip_and_dedup(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	char a[1024], b[1024];
	struct stat st;

	run_backup(f, &s1);
	assert_int_equal(s1.stats.files, 3);
	assert_int_equal(s1.stats.bytes_read, 9 * 1024 * 1024 + 17 + 100);
	assert_true(s1.stats.blobs_added >= 4); /* >= 3 chunks of the big file, 1 small file, trees */
	assert_int_equal(s1.partial, 0);
	/* unchanged: nothing read, nothing added */
	run_backup(f, &s2);
	assert_int_equal(s2.stats.bytes_read, 0);
	assert_int_equal(s2.stats.files_unchanged, 3);
	/* No file was read, so no data blob can be new. The root tree mirrors
	 * the absolute path, with the metadata of the real directories on the
	 * way: a shared ancestor (/tmp, tests/tmp) that another process changed
	 * in between gives new trees for it and above, one per component at
	 * most. Otherwise nothing at all is added and the tree is the same. */
	{
		size_t depth = 0;

		for (const char *c = f->src; *c != '\0'; c++)
			depth += *c == '/';
		assert_true(s2.stats.blobs_added <= depth);
		if (s2.stats.blobs_added == 0)
			assert_memory_equal(s1.tree, s2.tree, CAIRN_ID_BYTES);
	}
	assert_string_equal(s2.parent, s1.id);

	ro.target = f->out;
	ro.threads = 2;
	if (cairn_restore_run(f->r, &s1, &ro, &rs) != 0)
		fail_msg("restore: %s", cairn_err_msg());
	assert_int_equal(rs.files, 3);
	assert_int_equal(rs.bytes, 9 * 1024 * 1024 + 17 + 100);
	snprintf(a, sizeof(a), "%s/big.bin", f->src);
	snprintf(b, sizeof(b), "%s%s/big.bin", f->out, f->src);
	assert_same_file(a, b);
	snprintf(a, sizeof(a), "%s/sub/small.txt", f->src);
	snprintf(b, sizeof(b), "%s%s/sub/small.txt", f->out, f->src);
	assert_same_file(a, b);
	snprintf(b, sizeof(b), "%s%s/sub", f->out, f->src);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* restoring into the now non-empty target is refused without overwrite */
	assert_int_equal(cairn_restore_run(f->r, &s1, &ro, &rs), CAIRN_EEXIST);
	ro.overwrite = 1;
	assert_int_equal(cairn_restore_run(f->r, &s1, &ro, &rs), 0);
	snprintf(b, sizeof(b), "%s%s/sub/small.txt", f->out, f->src);
	assert_same_file(a, b);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

static void test_backup_changed_file_is_reread(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	char p[700];

	run_backup(f, &s1);
	snprintf(p, sizeof(p), "%s/sub/small.txt", f->src);
	cairn_test_write_random_file(p, 200, 9);
	run_backup(f, &s2);
	assert_int_equal(s2.stats.bytes_read, 200);
	assert_int_equal(s2.stats.files_unchanged, 2);
	assert_true(s2.stats.blobs_added >= 1);
	assert_memory_not_equal(s1.tree, s2.tree, CAIRN_ID_BYTES);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

static void test_backup_reuses_orphan_packs(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	char cmd[1200];
	size_t recovered = 0;

	run_backup(f, &s1);
	/* as if the run had died after storing its packs: no index, no
	 * snapshot, no catalog */
	cairn_repo_close(f->r);
	f->r = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s/index/* %s/snapshots/* %s", f->repo, f->repo, f->state);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), 0);
	assert_int_equal(cairn_repo_sync(f->r, NULL, NULL), 0);
	assert_int_equal(cairn_repo_recover_orphans(f->r, &recovered), 0);
	assert_true(recovered >= 1);
	/* the next backup stores no file data again: only the trees of the
	 * directories above the source whose mtimes changed meanwhile */
	run_backup(f, &s2);
	assert_true(s2.stats.bytes_added < 4096);
	assert_true(s2.stats.packs_written <= 1);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

struct problems {
	int damaged;
	char first_object[128];
	char first_path[512];
	enum cairn_event_code first_code;
	struct cairn_event_ref first_ref, first_blob;
	char path[512];
	enum cairn_event_code last_code;
	const uint8_t *want_pack; /* when set: damage not reported as this pack missing */
	int other;
};

static void on_problem(void *ctx, const struct cairn_event *ev)
{
	struct problems *p = ctx;

	if (cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL) {
		if (p->damaged++ == 0) {
			snprintf(p->first_object, sizeof(p->first_object), "%s", ev->object_name ? ev->object_name : "");
			snprintf(p->first_path, sizeof(p->first_path), "%s", ev->path);
			p->first_code = ev->code;
			p->first_ref = ev->object;
			p->first_blob = ev->blob;
		}
		snprintf(p->path, sizeof(p->path), "%s", ev->path);
		p->last_code = ev->code;
		if (p->want_pack != NULL &&
		    (ev->code != CAIRN_EVENT_MISSING_PACK || ev->object.type != CAIRN_EVENT_OBJECT_PACK ||
		     memcmp(ev->object.id, p->want_pack, CAIRN_ID_BYTES) != 0 || ev->blob.type == CAIRN_EVENT_OBJECT_NONE))
			p->other++;
	}
}

/* The id of the largest pack of the repository (the big file's data), and
 * its file name in ret_path. */
static void largest_pack(const struct repo_fixture *f, uint8_t id[CAIRN_ID_BYTES], char *ret_path, size_t len)
{
	char cmd[1200];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "ls -S %s/data/*/* | head -1", f->repo);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_non_null(fgets(ret_path, (int)len, fp));
	pclose(fp);
	ret_path[strcspn(ret_path, "\n")] = '\0';
	assert_int_equal(cairn_hex_decode(strrchr(ret_path, '/') + 1, id, CAIRN_ID_BYTES), 0);
}

static void test_restore_reports_damaged_pack(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	struct problems pr = { 0 };
	uint8_t pack[CAIRN_ID_BYTES];
	char cmd[1500], p[1024];
	struct stat st;

	/* a hardlink of the damaged file must not survive under its other name */
	snprintf(p, sizeof(p), "%s/big.bin", f->src);
	snprintf(cmd, sizeof(cmd), "%s/zz-big-link", f->src);
	assert_int_equal(link(p, cmd), 0);
	run_backup(f, &s1);
	/* flip one byte in the middle of the largest pack (the big file's data) */
	snprintf(cmd, sizeof(cmd),
		 "f=$(ls -S %s/data/*/* | head -1); sz=$(stat -c %%s \"$f\"); "
		 "printf '\\xff' | dd of=\"$f\" bs=1 seek=$((sz / 2)) conv=notrunc status=none",
		 f->repo);
	assert_int_equal(system(cmd), 0);
	largest_pack(f, pack, p, sizeof(p));
	ro.target = f->out;
	ro.threads = 2;
	ro.on_problem = on_problem;
	ro.ctx = &pr;
	assert_int_equal(cairn_restore_run(f->r, &s1, &ro, &rs), CAIRN_ECORRUPT);
	assert_int_equal(pr.damaged, 2);
	/* the events say it in their fields: a damaged data blob of that pack,
	 * then the hard link lost with it */
	assert_int_equal(pr.first_code, CAIRN_EVENT_DAMAGED_BLOB);
	assert_int_equal(pr.first_ref.type, CAIRN_EVENT_OBJECT_PACK);
	assert_memory_equal(pr.first_ref.id, pack, CAIRN_ID_BYTES);
	assert_int_equal(pr.first_blob.type, CAIRN_EVENT_OBJECT_DATA_BLOB);
	assert_int_equal(pr.last_code, CAIRN_EVENT_DAMAGED_HARDLINK);
	assert_int_equal(rs.damaged_files, 2);
	assert_int_equal(rs.damaged_objects, 1);
	assert_non_null(strstr(pr.first_object, "data/"));
	assert_non_null(strstr(pr.first_path, "big.bin"));
	assert_non_null(strstr(pr.path, "zz-big-link"));
	/* the damaged file is not left behind, under either name; the others are restored */
	snprintf(p, sizeof(p), "%s%s/big.bin", f->out, f->src);
	assert_int_equal(stat(p, &st), -1);
	snprintf(p, sizeof(p), "%s%s/zz-big-link", f->out, f->src);
	assert_int_equal(stat(p, &st), -1);
	snprintf(p, sizeof(p), "%s%s/sub/small.txt", f->out, f->src);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 100);
	cairn_snapshot_clear(&s1);
}

/* A pack deleted: the restore reports the pack missing, by id, with the
 * blob it wanted and the file that needed it. */
static void test_restore_reports_missing_pack(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	struct problems pr = { 0 };
	uint8_t pack[CAIRN_ID_BYTES], zero[CAIRN_ID_BYTES] = { 0 };
	char p[1024];

	run_backup(f, &s1);
	largest_pack(f, pack, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	ro.target = f->out;
	ro.threads = 2;
	ro.on_problem = on_problem;
	ro.ctx = &pr;
	pr.want_pack = pack;
	assert_int_equal(cairn_restore_run(f->r, &s1, &ro, &rs), CAIRN_ECORRUPT);
	/* every file (or directory) that needed it, each with the blob it wanted */
	assert_true(pr.damaged >= 1);
	assert_int_equal(pr.other, 0);
	assert_int_equal(pr.first_code, CAIRN_EVENT_MISSING_PACK);
	assert_int_equal(pr.first_ref.type, CAIRN_EVENT_OBJECT_PACK);
	assert_memory_equal(pr.first_ref.id, pack, CAIRN_ID_BYTES);
	assert_memory_not_equal(pr.first_blob.id, zero, CAIRN_ID_BYTES);
	assert_int_equal(pr.first_path[0], '/'); /* a path in the snapshot */
	assert_non_null(strstr(pr.first_object, "data/"));
	cairn_snapshot_clear(&s1);
}

/* A file whose bytes equal a tree blob (here: an empty directory's tree)
 * has the same blob id: both must be stored and both restore. */
static void test_backup_data_blob_equal_to_tree(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	char p[1024];
	FILE *fp;
	struct stat st;

	snprintf(p, sizeof(p), "%s/a-tree-lookalike", f->src);
	fp = fopen(p, "wb");
	assert_non_null(fp);
	fwrite("CAIRNTR1\0\0\0\0", 1, 12, fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/z-empty-dir", f->src);
	assert_int_equal(mkdir(p, 0755), 0);
	run_backup(f, &s1);
	ro.target = f->out;
	if (cairn_restore_run(f->r, &s1, &ro, &rs) != 0)
		fail_msg("restore: %s", cairn_err_msg());
	assert_int_equal(rs.damaged_files, 0);
	snprintf(p, sizeof(p), "%s%s/z-empty-dir", f->out, f->src);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(p, sizeof(p), "%s%s/a-tree-lookalike", f->out, f->src);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 12);
	cairn_snapshot_clear(&s1);
}

/* A blob whose bytes arrive damaged once is fetched again and restores; one
 * damaged on every read is reported. */
static void test_restore_refetches_damaged_reads(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;
	struct cairn_store *faulty = NULL;
	char out2[700], a[1024], b[1024], cmd[2200];

	run_backup(f, &s1);
	assert_int_equal(cairn_store_fault_wrap(f->r->store, &faulty), 0);
	f->r->store = faulty;
	cairn_store_fault_set(faulty, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, "data/", 2, 1, 0);
	ro.target = f->out;
	ro.threads = 1;
	if (cairn_restore_run(f->r, &s1, &ro, &rs) != 0)
		fail_msg("restore with one damaged read: %s", cairn_err_msg());
	assert_int_equal(rs.damaged_files, 0);
	snprintf(a, sizeof(a), "%s/big.bin", f->src);
	snprintf(b, sizeof(b), "%s%s/big.bin", f->out, f->src);
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
	/* every read of the packs damaged: reported, not restored */
	cairn_store_fault_set(faulty, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, "data/", 1, 0, 0);
	snprintf(out2, sizeof(out2), "%s/out2", f->dir);
	ro.target = out2;
	assert_int_equal(cairn_restore_run(f->r, &s1, &ro, &rs), CAIRN_ECORRUPT);
	assert_true(rs.damaged_files >= 1);
	cairn_snapshot_clear(&s1);
}

static void test_backup_missing_path_fails(void **state)
{
	struct repo_fixture *f = *state;
	const char *paths[1] = { "/nonexistent/cairn/path" };
	struct cairn_backup_opts o = { 0 };
	struct cairn_snapshot s = { 0 };
	struct cairn_snapshot *all = NULL;
	size_t count = 0;

	o.paths = paths;
	o.npaths = 1;
	assert_int_equal(cairn_backup_run(f->r, &o, &s), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "/nonexistent/cairn/path"));
	assert_int_equal(cairn_snapshot_list(f->r, &all, &count), 0);
	assert_int_equal(count, 0);
	cairn_snapshots_free(all, count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_round_trip_and_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_changed_file_is_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_reuses_orphan_packs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_reports_damaged_pack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_reports_missing_pack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_data_blob_equal_to_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_refetches_damaged_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_missing_path_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
