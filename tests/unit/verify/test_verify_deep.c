/* The verification of a restored tree deeper than PATH_MAX (issue 11,
 * defect 1), under RLIMIT_NOFILE 256: the snapshot is a crafted chain of
 * 3,000 directories and the "restored" tree is built here with openat (a
 * restore of it is another walker's job), matching it. A clean tree
 * verifies, every entry counted and the deepest file's content compared;
 * a changed deepest file and an extra name at the bottom are named by
 * their whole paths, with no more descriptors open than the directory
 * stack's budget and the content workers'; a directory swapped for a
 * symbolic link is a type failure, never followed. */
#include "cairn_test.h"

#include "repo_fixture.h"
#include "deep_chain.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"
#include "cairn/verify.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEVELS 3000
#define CONTENT "the deepest file of the chain\n"
#define CHANGED "THE deepest file of the chain\n" /* same size */
#define THREADS 2
#define MAX_FAILURES 8
#define LINK_LEVEL 5 /* the level swapped for a symbolic link */

struct fixture {
	struct repo_fixture rf;
	struct deep_chain chain;
	struct cairn_snapshot snap;
	int outs;
	/* what on_failure saw */
	size_t nfailures;
	char *paths[MAX_FAILURES];
	unsigned problems[MAX_FAILURES];
	int max_fds;
};

static void on_failure(void *ctx, const struct cairn_event *ev)
{
	const char *path = ev->path;
	unsigned problems = ev->flags;

	struct fixture *f = ctx;
	int fds = deep_open_fds();

	assert_int_equal(ev->code, CAIRN_EVENT_DIFFERS);
	if (fds > f->max_fds)
		f->max_fds = fds;
	if (f->nfailures < MAX_FAILURES) {
		f->paths[f->nfailures] = strdup(path);
		f->problems[f->nfailures] = problems;
	}
	f->nfailures++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct deep_writer dw;
	char id[CAIRN_ID_HEX];

	repo_fixture_init(&f->rf, "verify-deep");
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	deep_writer_open(&dw, f->rf.r);
	deep_chain(&dw, LEVELS, CONTENT, strlen(CONTENT), &f->chain);
	deep_writer_flush(&dw);
	deep_writer_close(&dw);
	deep_snapshot(f->rf.r, f->chain.root, 1000000000LL, id);
	assert_int_equal(cairn_snapshot_find(f->rf.r, id, &f->snap), 0);
	deep_limit_fds(256);
	*state = f;
	return 0;
}

static void clear_failures(struct fixture *f)
{
	for (size_t i = 0; i < f->nfailures && i < MAX_FAILURES; i++)
		free(f->paths[i]);
	f->nfailures = 0;
	f->max_fds = 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	clear_failures(f);
	cairn_snapshot_clear(&f->snap);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

/* Open `name` in dirfd as a directory, closing dirfd. */
static int descend(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	assert_true(fd >= 0);
	close(dirfd);
	return fd;
}

static void set_mtime(int dirfd, const char *name)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { DEEP_MTIME, 0 } };

	assert_int_equal(utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* The restored tree of the chain under a new directory (its path into
 * f->rf.out), times and modes as the snapshot has them: `levels`
 * directories, then DEEP_FILE holding `content` when levels is LEVELS;
 * else the last directory is a symbolic link to an empty directory "copy"
 * next to it. */
static void make_restored(struct fixture *f, size_t levels, const char *content)
{
	int fd, wfd;

	snprintf(f->rf.out, sizeof(f->rf.out), "%s/out%d", f->rf.dir, ++f->outs);
	assert_int_equal(mkdir(f->rf.out, 0755), 0);
	fd = open(f->rf.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (size_t i = 1; i <= levels; i++) {
		if (i == levels && levels < LEVELS) {
			assert_int_equal(mkdirat(fd, "copy", 0755), 0);
			assert_int_equal(symlinkat("copy", fd, DEEP_DIR), 0);
			break;
		}
		assert_int_equal(mkdirat(fd, DEEP_DIR, 0755), 0);
		assert_int_equal(fchmodat(fd, DEEP_DIR, 0755, 0), 0);
		fd = descend(fd, DEEP_DIR);
	}
	if (levels == LEVELS) {
		wfd = openat(fd, DEEP_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		assert_true(wfd >= 0);
		assert_int_equal(write(wfd, content, strlen(content)), (ssize_t)strlen(content));
		assert_int_equal(fchmod(wfd, 0644), 0);
		close(wfd);
		set_mtime(fd, DEEP_FILE);
	}
	close(fd);
	/* the directories' times, now that nothing is added below them */
	fd = open(f->rf.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 1; i <= levels; i++) {
		if (i == levels && levels < LEVELS)
			break; /* the link */
		set_mtime(fd, DEEP_DIR);
		fd = descend(fd, DEEP_DIR);
	}
	close(fd);
}

/* In the restored tree f->rf.out: DEEP_FILE rewritten with `content` (its
 * time kept) and an empty file `extra` next to it, the bottom directory's
 * time kept. */
static void change_bottom(struct fixture *f, const char *content, const char *extra)
{
	int fd = open(f->rf.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC), bottom, wfd;

	assert_true(fd >= 0);
	for (size_t i = 1; i < LEVELS; i++)
		fd = descend(fd, DEEP_DIR);
	bottom = openat(fd, DEEP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(bottom >= 0);
	wfd = openat(bottom, DEEP_FILE, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(write(wfd, content, strlen(content)), (ssize_t)strlen(content));
	close(wfd);
	set_mtime(bottom, DEEP_FILE);
	wfd = openat(bottom, extra, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(wfd >= 0);
	close(wfd);
	close(bottom);
	set_mtime(fd, DEEP_DIR);
	close(fd);
}

static int verify(struct fixture *f, struct cairn_verify_stats *st)
{
	struct cairn_verify_opts vo = { 0 };

	clear_failures(f);
	vo.root = f->rf.out;
	vo.sample_percent = 100;
	vo.seed = 1;
	vo.threads = THREADS;
	vo.on_failure = on_failure;
	vo.ctx = f;
	return cairn_verify_run(f->rf.r, &f->snap, &vo, st);
}

/* "/d/d/.../d" (levels times), then "/name" unless name is NULL. */
static char *deep_path(size_t levels, const char *name)
{
	size_t len = levels * (1 + strlen(DEEP_DIR)) + (name ? 1 + strlen(name) : 0);
	char *s = malloc(len + 1), *p = s;

	for (size_t i = 0; i < levels; i++) {
		*p++ = '/';
		memcpy(p, DEEP_DIR, strlen(DEEP_DIR));
		p += strlen(DEEP_DIR);
	}
	if (name != NULL)
		snprintf(p, len + 1 - (size_t)(p - s), "/%s", name);
	else
		*p = '\0';
	return s;
}

static void test_verify_deep_clean(void **state)
{
	struct fixture *f = *state;
	struct cairn_verify_stats st;

	make_restored(f, LEVELS, CONTENT);
	if (verify(f, &st) != 0)
		fail_msg("verify: %s (first failure: %s)", cairn_err_msg(), f->nfailures ? f->paths[0] : "none");
	assert_int_equal(f->nfailures, 0);
	assert_int_equal(st.entries, LEVELS + 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.files_verified, 1);
	assert_int_equal(st.bytes, strlen(CONTENT));
	assert_int_equal(st.failed, 0);
}

/* Failures at the bottom, named by their whole paths, with the descriptors
 * bounded while the walk is there. */
static void test_verify_deep_failures_named(void **state)
{
	struct fixture *f = *state;
	struct cairn_verify_stats st;
	char *file = deep_path(LEVELS, DEEP_FILE), *extra = deep_path(LEVELS, "extra");
	int before = deep_open_fds(), content = -1, other = -1;

	change_bottom(f, CHANGED, "extra"); /* the tree of test_verify_deep_clean */
	assert_int_equal(verify(f, &st), CAIRN_ECORRUPT);
	assert_int_equal(f->nfailures, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.entries, LEVELS + 1);
	assert_int_equal(st.files_verified, 1);
	/* the extra name is found by the walk, the content by a worker: any order */
	content = strcmp(f->paths[0], file) == 0 ? 0 : 1;
	other = 1 - content;
	assert_string_equal(f->paths[content], file);
	assert_int_equal(f->problems[content], CAIRN_VERIFY_CONTENT);
	assert_string_equal(f->paths[other], extra);
	assert_int_equal(f->problems[other], CAIRN_VERIFY_EXTRA);
	/* the directory stack's budget, the listing of the bottom directory,
	 * the files in the workers' hands, and what the repository holds open */
	print_message("descriptors: %d before the walk, %d at most at its bottom\n", before, f->max_fds);
	if (f->max_fds - before > CAIRN_DIRSTACK_DEFAULT_OPEN + 1 + (3 * THREADS + 2) + 4)
		fail_msg("%d descriptors open at the bottom of the walk, %d before it", f->max_fds, before);
	free(file);
	free(extra);
}

/* A directory swapped for a symbolic link is not followed. */
static void test_verify_deep_symlink_not_followed(void **state)
{
	struct fixture *f = *state;
	struct cairn_verify_stats st;
	char *link = deep_path(LINK_LEVEL, NULL), *copy = deep_path(LINK_LEVEL - 1, "copy");

	make_restored(f, LINK_LEVEL, NULL);
	assert_int_equal(verify(f, &st), CAIRN_ECORRUPT);
	assert_int_equal(f->nfailures, 2);
	assert_string_equal(f->paths[0], link);
	assert_true(f->problems[0] & CAIRN_VERIFY_TYPE);
	assert_string_equal(f->paths[1], copy);
	assert_int_equal(f->problems[1], CAIRN_VERIFY_EXTRA);
	assert_int_equal(st.entries, LINK_LEVEL); /* nothing below the link */
	assert_int_equal(st.files_verified, 0);
	free(link);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_deep_clean),
		cmocka_unit_test(test_verify_deep_failures_named),
		cmocka_unit_test(test_verify_deep_symlink_not_followed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
