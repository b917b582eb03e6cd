/* The drill's scratch removal (restore/drill_scratch.c, compiled in here:
 * it belongs to the cairn-restore program): any depth under a low
 * descriptor limit, restored read-only and 0000 directories, symbolic links
 * never followed, mount points inside the scratch never entered. */
#include "cairn_test.h"

#include "../../../restore/drill_scratch.c"

#include <sys/mount.h>
#include <sys/resource.h>

/* Where the messages of the code under test go (no job report). */
static const struct cli_ctx test_ctx = { .program = "test_drill_scratch" };

#define DEEP 3000

static int setup(void **state)
{
	*state = cairn_test_mkdtemp("drill_scratch");
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;

	cairn_test_rmtree(dir);
	free(dir);
	return 0;
}

static void write_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* 3,000 levels (9 KB of path) with files, a symlink to a directory outside
 * at every level, a 0555 and a 0000 directory on the way: all removed
 * under RLIMIT_NOFILE 32; what the links point to is untouched. */
static void test_drill_remove_tree_deep_low_fd_limit(void **state)
{
	const char *dir = *state;
	char *scratch = cairn_asprintf("%s/scratch", dir), *outside = cairn_asprintf("%s/outside", dir), *kept;
	struct rlimit old, low;
	struct stat st;
	int fd, next;

	assert_int_equal(mkdir(outside, 0700), 0);
	kept = cairn_asprintf("%s/kept", outside);
	fd = open(outside, O_RDONLY | O_DIRECTORY);
	write_file(fd, "kept", "outside\n");
	close(fd);
	assert_int_equal(mkdir(scratch, 0700), 0);
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < DEEP; i++) {
		write_file(fd, "f", "x");
		assert_int_equal(symlinkat(outside, fd, "link"), 0);
		assert_int_equal(mkdirat(fd, "dd", 0700), 0);
		next = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		if (i == 10)
			assert_int_equal(fchmod(fd, 0555), 0);
		if (i == 20)
			assert_int_equal(fchmod(fd, 0000), 0);
		close(fd);
		fd = next;
	}
	close(fd);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(drill_remove_tree(&test_ctx, scratch, 1), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(lstat(scratch, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(kept, &st), 0);
	assert_int_equal(st.st_size, 8);
	free(kept);
	free(scratch);
	free(outside);
}

/* A file system mounted inside the scratch is neither entered nor
 * removed: the removal says it did not finish, the mount's files stay. */
static void test_drill_remove_tree_skips_mount_points(void **state)
{
	const char *dir = *state;
	char *scratch = cairn_asprintf("%s/scratch", dir), *mnt = cairn_asprintf("%s/scratch/a/mnt", dir);
	char *inside = cairn_asprintf("%s/file", mnt), *other = cairn_asprintf("%s/scratch/b", dir);
	struct stat st;
	int fd;

	assert_int_equal(mkdir(scratch, 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	{
		char *a = cairn_asprintf("%s/scratch/a", dir);

		assert_int_equal(mkdir(a, 0700), 0);
		assert_int_equal(mkdir(mnt, 0700), 0);
		free(a);
	}
	if (mount("cairn-test", mnt, "tmpfs", 0, "size=1m") < 0) {
		print_message("cannot mount a tmpfs (%s): skipped\n", strerror(errno));
		free(scratch);
		free(mnt);
		free(inside);
		free(other);
		skip();
	}
	fd = open(mnt, O_RDONLY | O_DIRECTORY);
	write_file(fd, "file", "on another file system\n");
	close(fd);
	assert_int_equal(drill_remove_tree(&test_ctx, scratch, 1), -1);
	assert_int_equal(stat(inside, &st), 0);
	assert_int_equal(lstat(other, &st), -1); /* the rest is removed */
	assert_int_equal(umount(mnt), 0);
	assert_int_equal(drill_remove_tree(&test_ctx, scratch, 1), 0);
	assert_int_equal(lstat(scratch, &st), -1);
	free(scratch);
	free(mnt);
	free(inside);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drill_remove_tree_deep_low_fd_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_remove_tree_skips_mount_points, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
