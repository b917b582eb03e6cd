/* Unit tests for the verification of a restored tree (cairn_verify_run): a
 * clean restore verifies; a changed byte, mode, mtime, owner, size or
 * symlink target, a missing file, an extra file and a broken hardlink are
 * each named with their problem; sampling with a seed checks about its
 * share of the files, the same ones each time, and still checks every
 * entry's metadata. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/restore.h"
#include "cairn/snapshot.h"
#include "cairn/verify.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define SMALL_FILES 200

struct fixture {
	struct repo_fixture rf;
	struct cairn_snapshot snap;
	int restores;
};

/* What on_failure saw. */
struct failures {
	size_t count;
	char paths[64][700];
	unsigned problems[64];
};

static void on_failure(void *ctx, const struct cairn_event *ev)
{
	const char *path = ev->path;
	unsigned problems = ev->flags;

	struct failures *f = ctx;

	assert_int_equal(ev->code, CAIRN_EVENT_DIFFERS);
	if (f->count < 64) {
		snprintf(f->paths[f->count], sizeof(f->paths[0]), "%s", path);
		f->problems[f->count] = problems;
	}
	f->count++;
}

static void src_path(const struct fixture *f, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", f->rf.src, rel);
}

static void build_source(struct fixture *f)
{
	char p[700], q[700];

	src_path(f, "big.bin", p, sizeof(p));
	cairn_test_write_random_file(p, 3 * 1024 * 1024 + 123, 7);
	src_path(f, "empty", p, sizeof(p));
	cairn_test_write_random_file(p, 0, 1);
	src_path(f, "small", p, sizeof(p));
	assert_int_equal(mkdir(p, 0750), 0);
	for (int i = 0; i < SMALL_FILES; i++) {
		snprintf(p, sizeof(p), "%s/small/f%03d", f->rf.src, i);
		cairn_test_write_random_file(p, 100 + (size_t)i * 37, (uint64_t)i + 100);
	}
	src_path(f, "link", p, sizeof(p));
	assert_int_equal(symlink("small/f001", p), 0);
	src_path(f, "hard1", p, sizeof(p));
	cairn_test_write_random_file(p, 5000, 3);
	src_path(f, "hard2", q, sizeof(q));
	assert_int_equal(link(p, q), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *paths[1];
	struct cairn_backup_opts o = { 0 };

	repo_fixture_init(&f->rf, "verify");
	build_source(f);
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	paths[0] = f->rf.src;
	o.paths = paths;
	o.npaths = 1;
	o.threads = 2;
	if (cairn_backup_run(f->rf.r, &o, &f->snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
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

/* Restore the snapshot into a new directory, f->rf.out. */
static void restore_fresh(struct fixture *f)
{
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats rs;

	snprintf(f->rf.out, sizeof(f->rf.out), "%s/out%d", f->rf.dir, ++f->restores);
	ro.target = f->rf.out;
	ro.threads = 2;
	if (cairn_restore_run(f->rf.r, &f->snap, &ro, &rs) != 0)
		fail_msg("restore: %s", cairn_err_msg());
}

/* The restored copy of `rel` (relative to the source). */
static void out_path(const struct fixture *f, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s%s/%s", f->rf.out, f->rf.src, rel);
}

static int verify(struct fixture *f, double percent, uint64_t seed, struct failures *fl,
		  struct cairn_verify_stats *st)
{
	struct cairn_verify_opts vo = { 0 };

	memset(fl, 0, sizeof(*fl));
	vo.root = f->rf.out;
	vo.sample_percent = percent;
	vo.seed = seed;
	vo.check_owner = geteuid() == 0;
	vo.threads = 2;
	vo.on_failure = on_failure;
	vo.ctx = fl;
	return cairn_verify_run(f->rf.r, &f->snap, &vo, st);
}

/* The snapshot path of `rel`. */
static void snap_path(const struct fixture *f, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", f->rf.src, rel);
}

/* Exactly one failure, for `rel`, with `problem` among its problems. */
static void assert_one_failure(const struct fixture *f, const struct failures *fl, const char *rel,
			       unsigned problem)
{
	char want[700];

	snap_path(f, rel, want, sizeof(want));
	if (fl->count != 1)
		fail_msg("expected one failure (%s), got %zu (first: %s)", want, fl->count,
			 fl->count ? fl->paths[0] : "none");
	assert_string_equal(fl->paths[0], want);
	if (!(fl->problems[0] & problem))
		fail_msg("%s: problems %#x lack %#x", want, fl->problems[0], problem);
}

/* Keep a directory's mtime across a change of its entries. */
static void keep_dir_mtime(const char *dir, struct timespec *saved, int restore)
{
	struct stat st;
	struct timespec ts[2];

	if (!restore) {
		assert_int_equal(stat(dir, &st), 0);
		*saved = st.st_mtim;
		return;
	}
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1] = *saved;
	assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0);
}

/* Set the mtime of `path` (no symlink followed) to that of `like`. */
static void copy_mtime(const char *path, const char *like)
{
	struct stat st;
	struct timespec ts[2];

	assert_int_equal(lstat(like, &st), 0);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_clean_restore_verifies(void **state)
{
	struct fixture *f = *state;
	struct cairn_verify_stats st;
	struct failures fl;

	restore_fresh(f);
	assert_int_equal(verify(f, 100.0, 1, &fl, &st), 0);
	assert_int_equal(fl.count, 0);
	assert_int_equal(st.failed, 0);
	/* big.bin, empty, hard1, hard2 and the small files */
	assert_int_equal(st.files, SMALL_FILES + 4);
	assert_int_equal(st.files_verified, SMALL_FILES + 4);
	assert_int_equal(st.bytes, f->snap.stats.bytes); /* both names of the hardlink are read */
	assert_true(st.entries > st.files);
}

static void test_changed_byte(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	char p[1200], src[700];
	int fd;

	restore_fresh(f);
	out_path(f, "big.bin", p, sizeof(p));
	src_path(f, "big.bin", src, sizeof(src));
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, 2 * 1024 * 1024), 1);
	close(fd);
	copy_mtime(p, src); /* only the content differs */
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "big.bin", CAIRN_VERIFY_CONTENT);
	assert_int_equal(fl.problems[0], CAIRN_VERIFY_CONTENT);
}

static void test_changed_mode(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	char p[1200];

	restore_fresh(f);
	out_path(f, "small/f010", p, sizeof(p));
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/f010", CAIRN_VERIFY_MODE);
	assert_int_equal(fl.problems[0], CAIRN_VERIFY_MODE);
}

static void test_changed_mtime(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 5 } };
	char p[1200];

	restore_fresh(f);
	out_path(f, "small/f020", p, sizeof(p));
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	/* not in the sample: the metadata is still checked */
	assert_int_equal(verify(f, 0.001, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/f020", CAIRN_VERIFY_MTIME);
	assert_int_equal(fl.problems[0], CAIRN_VERIFY_MTIME);
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	struct timespec saved;
	char p[1200], d[1200];

	restore_fresh(f);
	out_path(f, "small", d, sizeof(d));
	out_path(f, "small/f030", p, sizeof(p));
	keep_dir_mtime(d, &saved, 0);
	assert_int_equal(unlink(p), 0);
	keep_dir_mtime(d, &saved, 1);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/f030", CAIRN_VERIFY_MISSING);
}

static void test_extra_file(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	struct timespec saved;
	char p[1200], d[1200];

	restore_fresh(f);
	out_path(f, "small", d, sizeof(d));
	out_path(f, "small/intruder", p, sizeof(p));
	keep_dir_mtime(d, &saved, 0);
	cairn_test_write_random_file(p, 10, 9);
	keep_dir_mtime(d, &saved, 1);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/intruder", CAIRN_VERIFY_EXTRA);
}

static void test_symlink_target(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	struct timespec saved;
	char p[1200], d[1200], tmp[1200];

	restore_fresh(f);
	out_path(f, "", d, sizeof(d));
	out_path(f, "link", p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	keep_dir_mtime(d, &saved, 0);
	assert_int_equal(symlink("small/f002", tmp), 0);
	copy_mtime(tmp, p);
	assert_int_equal(rename(tmp, p), 0);
	keep_dir_mtime(d, &saved, 1);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "link", CAIRN_VERIFY_TARGET);
	assert_int_equal(fl.problems[0], CAIRN_VERIFY_TARGET);
}

static void test_changed_size(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	char p[1200], src[700];

	restore_fresh(f);
	out_path(f, "small/f040", p, sizeof(p));
	src_path(f, "small/f040", src, sizeof(src));
	assert_int_equal(truncate(p, 10), 0);
	copy_mtime(p, src);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/f040", CAIRN_VERIFY_SIZE);
	assert_true(fl.problems[0] & CAIRN_VERIFY_CONTENT);
}

static void test_changed_owner(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	char p[1200];

	if (geteuid() != 0)
		skip();
	restore_fresh(f);
	out_path(f, "small/f050", p, sizeof(p));
	assert_int_equal(lchown(p, 12345, 54321), 0);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "small/f050", CAIRN_VERIFY_OWNER);
	assert_int_equal(fl.problems[0], CAIRN_VERIFY_OWNER);
}

static void test_broken_hardlink(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	struct timespec saved;
	char p[1200], d[1200], tmp[1200];

	restore_fresh(f);
	out_path(f, "", d, sizeof(d));
	out_path(f, "hard2", p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.copy", p);
	keep_dir_mtime(d, &saved, 0);
	{
		char cmd[2600];

		snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s' && mv '%s' '%s'", p, tmp, tmp, p);
		assert_int_equal(system(cmd), 0);
	}
	keep_dir_mtime(d, &saved, 1);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, "hard2", CAIRN_VERIFY_HARDLINK);
}

static void test_sample_share(void **state)
{
	struct fixture *f = *state;
	struct cairn_verify_stats st1, st2, st3;
	struct failures fl;
	int in_sample = 0;
	char p[700];

	restore_fresh(f);
	assert_int_equal(verify(f, 25.0, 42, &fl, &st1), 0);
	assert_int_equal(st1.files, SMALL_FILES + 4);
	/* about a quarter of 204 files: 51 expected, well within 25..80 */
	assert_in_range(st1.files_verified, 25, 80);
	assert_true(st1.bytes < f->snap.stats.bytes);
	/* the same seed checks the same files */
	assert_int_equal(verify(f, 25.0, 42, &fl, &st2), 0);
	assert_int_equal(st2.files_verified, st1.files_verified);
	assert_int_equal(st2.bytes, st1.bytes);
	/* the choice is the documented function of seed and path */
	for (int i = 0; i < SMALL_FILES; i++) {
		snprintf(p, sizeof(p), "%s/small/f%03d", f->rf.src, i);
		in_sample += cairn_verify_sampled(42, 25.0, p);
	}
	assert_in_range(in_sample, st1.files_verified - 4, st1.files_verified);
	assert_int_equal(cairn_verify_sampled(42, 100.0, p), 1);
	/* another seed, another sample of about the same size */
	assert_int_equal(verify(f, 25.0, 43, &fl, &st3), 0);
	assert_in_range(st3.files_verified, 25, 80);
}

static void test_sample_skips_content_only(void **state)
{
	struct fixture *f = *state;
	struct failures fl;
	char p[1200], rel[64], src[700];
	int fd, i;

	restore_fresh(f);
	/* a small file outside the sample: a changed byte there goes unseen */
	for (i = 0; i < SMALL_FILES; i++) {
		snprintf(rel, sizeof(rel), "small/f%03d", i);
		snap_path(f, rel, p, sizeof(p));
		if (!cairn_verify_sampled(7, 10.0, p))
			break;
	}
	assert_true(i < SMALL_FILES);
	out_path(f, rel, p, sizeof(p));
	src_path(f, rel, src, sizeof(src));
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, 0), 1);
	close(fd);
	copy_mtime(p, src);
	assert_int_equal(verify(f, 10.0, 7, &fl, NULL), 0);
	assert_int_equal(verify(f, 100.0, 7, &fl, NULL), CAIRN_ECORRUPT);
	assert_one_failure(f, &fl, rel, CAIRN_VERIFY_CONTENT);
}

static void test_bad_options(void **state)
{
	struct fixture *f = *state;
	struct failures fl;

	snprintf(f->rf.out, sizeof(f->rf.out), "%s/nowhere", f->rf.dir);
	assert_int_equal(verify(f, 100.0, 1, &fl, NULL), CAIRN_ENOTFOUND);
	assert_int_equal(verify(f, 0.0, 1, &fl, NULL), CAIRN_EINVAL);
	assert_int_equal(verify(f, 101.0, 1, &fl, NULL), CAIRN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_restore_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_mtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_hardlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_skips_content_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
