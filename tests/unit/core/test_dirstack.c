/* Unit tests for the directory stack: any depth with a bounded number of
 * descriptors, no symlink followed, moved directories detected. */
#include "cairn_test.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char *dir;
	int rootfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = cairn_test_mkdtemp("dirstack");
	f->rootfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->rootfd);
	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Descriptors this process holds now. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the one opendir holds */
}

/* A chain of `depth` directories named "d", built relative to fds, then
 * walked down and up again under a budget of 4 descriptors and an fd limit
 * far below the depth. */
static void test_deep_chain_bounded_fds(void **state)
{
	struct fixture *f = *state;
	struct cairn_dirstack *ds;
	const size_t depth = 3000;
	struct rlimit old, low;
	int before, fd = dup(f->rootfd);

	for (size_t i = 0; i < depth; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0700), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	assert_int_equal(mknodat(fd, "leaf", S_IFREG | 0600, 0), 0);
	close(fd);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	before = open_fds();
	assert_int_equal(cairn_dirstack_new(f->rootfd, 4, &ds), 0);
	for (size_t i = 0; i < depth; i++) {
		struct stat st;

		assert_int_equal(fstatat(cairn_dirstack_fd(ds), "d", &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_int_equal(cairn_dirstack_push(ds, "d", &st), 0);
		assert_true(cairn_dirstack_open_count(ds) <= 4);
		assert_true(open_fds() <= before + 4);
	}
	assert_int_equal(cairn_dirstack_depth(ds), depth);
	assert_int_equal(faccessat(cairn_dirstack_fd(ds), "leaf", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	for (size_t i = 0; i < depth; i++) {
		assert_int_equal(cairn_dirstack_pop(ds), 0);
		assert_true(open_fds() <= before + 4);
	}
	assert_int_equal(cairn_dirstack_depth(ds), 0);
	assert_int_equal(cairn_dirstack_pop(ds), CAIRN_EBUG);
	/* back at the root: the top descriptor is the root directory */
	{
		struct stat a, b;

		assert_int_equal(fstat(cairn_dirstack_fd(ds), &a), 0);
		assert_int_equal(fstat(f->rootfd, &b), 0);
		assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	}
	cairn_dirstack_free(ds);
	assert_int_equal(open_fds(), before);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

static void test_symlink_and_file_refused(void **state)
{
	struct fixture *f = *state;
	struct cairn_dirstack *ds;

	assert_int_equal(mkdirat(f->rootfd, "real", 0700), 0);
	assert_int_equal(symlinkat("real", f->rootfd, "link"), 0);
	assert_int_equal(mknodat(f->rootfd, "file", S_IFREG | 0600, 0), 0);
	assert_int_equal(cairn_dirstack_new(f->rootfd, 0, &ds), 0);
	assert_int_not_equal(cairn_dirstack_push(ds, "link", NULL), 0);
	assert_true(errno == ELOOP || errno == ENOTDIR); /* Linux: ENOTDIR with O_DIRECTORY */
	assert_non_null(strstr(cairn_err_msg(), "'link'"));
	assert_int_not_equal(cairn_dirstack_push(ds, "file", NULL), 0);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(cairn_dirstack_push(ds, "missing", NULL), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_dirstack_depth(ds), 0);
	assert_int_equal(cairn_dirstack_push(ds, "real", NULL), 0);
	assert_int_equal(cairn_dirstack_depth(ds), 1);
	cairn_dirstack_free(ds);
}

/* The name checked with fstatat is swapped for another directory before the
 * push: the inode check refuses it. */
static void test_swapped_directory_detected(void **state)
{
	struct fixture *f = *state;
	struct cairn_dirstack *ds;
	struct stat st;

	assert_int_equal(mkdirat(f->rootfd, "a", 0700), 0);
	assert_int_equal(mkdirat(f->rootfd, "b", 0700), 0);
	assert_int_equal(cairn_dirstack_new(f->rootfd, 0, &ds), 0);
	assert_int_equal(fstatat(cairn_dirstack_fd(ds), "a", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(renameat(f->rootfd, "a", f->rootfd, "a.old"), 0);
	assert_int_equal(renameat(f->rootfd, "b", f->rootfd, "a"), 0);
	assert_int_equal(cairn_dirstack_push(ds, "a", &st), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "moved or replaced"));
	assert_int_equal(cairn_dirstack_depth(ds), 0);
	cairn_dirstack_free(ds);
}

/* A directory whose parent's descriptor was closed is moved elsewhere while
 * the walk is below it: going up through ".." reaches another directory,
 * which the recorded inode refuses. */
static void test_moved_while_below(void **state)
{
	struct fixture *f = *state;
	struct cairn_dirstack *ds;

	assert_int_equal(mkdirat(f->rootfd, "p", 0700), 0);
	assert_int_equal(mkdirat(f->rootfd, "p/q", 0700), 0);
	assert_int_equal(mkdirat(f->rootfd, "p/q/r", 0700), 0);
	assert_int_equal(mkdirat(f->rootfd, "elsewhere", 0700), 0);
	assert_int_equal(cairn_dirstack_new(f->rootfd, 1, &ds), 0);
	assert_int_equal(cairn_dirstack_push(ds, "p", NULL), 0);
	assert_int_equal(cairn_dirstack_push(ds, "q", NULL), 0);
	assert_int_equal(cairn_dirstack_push(ds, "r", NULL), 0);
	assert_int_equal(cairn_dirstack_open_count(ds), 1);
	/* q moves out of p: r's ".." is still q, but q's ".." is now elsewhere */
	assert_int_equal(renameat(f->rootfd, "p/q", f->rootfd, "elsewhere/q"), 0);
	assert_int_equal(cairn_dirstack_pop(ds), 0); /* r -> q: q is q */
	assert_int_equal(cairn_dirstack_pop(ds), CAIRN_EIO); /* q -> p: ".." is elsewhere */
	assert_non_null(strstr(cairn_err_msg(), "moved or replaced"));
	assert_int_equal(cairn_dirstack_depth(ds), 2);
	cairn_dirstack_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deep_chain_bounded_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_and_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_directory_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_while_below, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
