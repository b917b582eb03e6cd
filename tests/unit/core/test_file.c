/* Unit tests for the file helpers: full writes through short writes and
 * EINTR, mkdir -p, directory fsync and atomic replacement. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- write_all ---- */

struct drain {
	int fd;
	size_t got;
	uint64_t sum; /* position-weighted, so order matters */
};

/* Read the pipe slowly, in small pieces, so the writer blocks and is
 * interrupted part-way. */
static void *drain_main(void *arg)
{
	struct drain *d = arg;
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++)
			d->sum += (uint64_t)buf[i] * (d->got + (size_t)i + 1);
		d->got += (size_t)n;
		if (d->got % (64 * 1024) < sizeof(buf))
			usleep(200);
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A pipe that takes 64 KiB at a time and a timer that interrupts write(2)
 * every 100 us (no SA_RESTART): write returns short counts and EINTR, and
 * every byte still arrives, in order. */
static void test_file_write_all_short_writes_and_eintr(void **state)
{
	const size_t len = 4 * 1024 * 1024;
	uint8_t *data = malloc(len);
	struct sigaction sa, old;
	struct itimerval it = { { 0, 100 }, { 0, 100 } }, off = { { 0, 0 }, { 0, 0 } };
	struct drain d = { 0 };
	uint64_t want = 0;
	sigset_t set;
	pthread_t t;
	int p[2];

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < len; i++) {
		data[i] = (uint8_t)(i * 7 + (i >> 12));
		want += (uint64_t)data[i] * (i + 1);
	}
	assert_int_equal(pipe(p), 0);
	d.fd = p[0];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: write(2) is cut short */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	/* only this thread takes the signal: the reader starts with it blocked */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	assert_int_equal(pthread_create(&t, NULL, drain_main, &d), 0);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(cairn_file_write_all(p[1], data, len, "pipe"), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	close(p[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	sigaction(SIGALRM, &old, NULL);
	close(p[0]);
	assert_int_equal(d.got, len);
	assert_true(d.sum == want);
	free(data);
}

static void test_file_write_all_errors(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	/* a full device: the mapped code, the path and errno */
	if (fd >= 0) {
		errno = 0; /* ENOSPC keeps its own code */
		assert_int_equal(cairn_file_write_all(fd, "abc", 3, "/dev/full"), CAIRN_ENOSPC);
		assert_int_equal(errno, ENOSPC);
		assert_non_null(strstr(cairn_err_msg(), "cannot write '/dev/full'"));
		close(fd);
	}
	/* a descriptor open for reading only */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cairn_file_write_all(fd, "abc", 3, "ro"), CAIRN_EIO);
	assert_int_equal(errno, EBADF);
	assert_non_null(strstr(cairn_err_msg(), "'ro'"));
	/* nothing to write: nothing is written, even with no data */
	assert_int_equal(cairn_file_write_all(fd, NULL, 0, "ro"), 0);
	close(fd);
}

/* ---- mkdir_p ---- */

static void test_file_mkdir_p_nested_and_existing(void **state)
{
	char *dir = cairn_test_mkdtemp("file_mkdir");
	char path[4200], sub[4200];
	mode_t old_umask = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b//c/", dir);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, path, 0750, 0), 0);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	assert_int_equal(mode_of(sub), 0750);
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	assert_int_equal(mode_of(sub), 0750);
	/* existing: fine, and its mode is left alone */
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, sub, 0755, CAIRN_FILE_DURABLE), 0);
	assert_int_equal(mode_of(sub), 0700);
	/* one more level, durable, under an existing tree */
	snprintf(sub, sizeof(sub), "%s/a/b/c/d", dir);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, sub, 0705, CAIRN_FILE_DURABLE), 0);
	assert_int_equal(mode_of(sub), 0705);
	/* the umask still applies */
	umask(022);
	snprintf(sub, sizeof(sub), "%s/u", dir);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, sub, 0777, 0), 0);
	assert_int_equal(mode_of(sub), 0755);
	umask(old_umask);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_file_mkdir_p_relative_and_parents(void **state)
{
	char *dir = cairn_test_mkdtemp("file_mkdir_rel");
	char sub[4200];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	(void)state;
	assert_true(dfd >= 0);
	/* relative to a directory descriptor */
	assert_int_equal(cairn_file_mkdir_p(dfd, "x/y", 0700, CAIRN_FILE_DURABLE), 0);
	assert_int_equal(fstatat(dfd, "x/y", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* the parents of a file, not the file */
	assert_int_equal(cairn_file_mkdir_p(dfd, "p/q/file.db", 0700, CAIRN_FILE_PARENTS), 0);
	assert_int_equal(fstatat(dfd, "p/q", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fstatat(dfd, "p/q/file.db", &st, 0), -1);
	assert_int_equal(errno, ENOENT);
	/* a bare file name has no parents to make */
	assert_int_equal(cairn_file_mkdir_p(dfd, "file.db", 0700, CAIRN_FILE_PARENTS), 0);
	assert_int_equal(cairn_test_count_entries(dir), 2);
	close(dfd);
	/* absolute, via AT_FDCWD */
	snprintf(sub, sizeof(sub), "%s/abs/k/f", dir);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, sub, 0700, CAIRN_FILE_PARENTS), 0);
	snprintf(sub, sizeof(sub), "%s/abs/k", dir);
	assert_int_equal(mode_of(sub) & 0700, 0700);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_file_mkdir_p_errors(void **state)
{
	char *dir = cairn_test_mkdtemp("file_mkdir_err");
	char file[4200], sub[4200];
	int fd;

	(void)state;
	snprintf(file, sizeof(file), "%s/plain", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* a file in the way of a component below it */
	snprintf(sub, sizeof(sub), "%s/plain/under", dir);
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, sub, 0700, 0), CAIRN_EIO);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(cairn_err_msg(), "cannot create directory"));
	assert_non_null(strstr(cairn_err_msg(), "plain/under"));
	/* an empty path */
	assert_int_equal(cairn_file_mkdir_p(AT_FDCWD, "", 0700, 0), CAIRN_EIO);
	cairn_test_rmtree(dir);
	free(dir);
}

/* ---- fsync_dir ---- */

static void test_file_fsync_dir(void **state)
{
	char *dir = cairn_test_mkdtemp("file_fsync");
	char sub[4200];

	(void)state;
	assert_int_equal(cairn_file_fsync_dir(AT_FDCWD, dir), 0);
	snprintf(sub, sizeof(sub), "%s/any-name", dir);
	assert_int_equal(cairn_file_fsync_parent(AT_FDCWD, sub), 0);
	assert_int_equal(cairn_file_fsync_parent(AT_FDCWD, "/top"), 0);
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	assert_int_equal(cairn_file_fsync_dir(AT_FDCWD, sub), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "cannot sync directory"));
	assert_non_null(strstr(cairn_err_msg(), "missing"));
	snprintf(sub, sizeof(sub), "%s/missing/x", dir);
	assert_int_equal(cairn_file_fsync_parent(AT_FDCWD, sub), CAIRN_EIO);
	cairn_test_rmtree(dir);
	free(dir);
}

/* ---- write_all_uncached ---- */

/* Each case writes `len` bytes from `off` into an aligned buffer (aligned
 * and unaligned data, below and above the direct-I/O minimum, with and
 * without an unaligned tail) and reads back exactly those bytes, with
 * O_DIRECT cleared again. On a file system without direct I/O the same
 * bytes go through the cache. */
static void test_file_write_all_uncached_roundtrip(void **state)
{
	static const struct { size_t off, len; } cases[] = {
		{ 0, 3 * 1024 * 1024 },              /* aligned, whole blocks */
		{ 0, 3 * 1024 * 1024 + 1234 },       /* aligned, unaligned tail */
		{ 16, 2 * 1024 * 1024 },             /* unaligned data: cached */
		{ 0, 1024 * 1024 - 1 },              /* below the minimum: cached */
		{ 0, 0 },
	};
	char *dir = cairn_test_mkdtemp("file_uncached");
	size_t cap = 4 * 1024 * 1024;
	uint8_t *buf = NULL, *back = malloc(cap);
	char path[4200];

	(void)state;
	assert_int_equal(posix_memalign((void **)&buf, CAIRN_FILE_DIRECT_ALIGN, cap), 0);
	assert_non_null(back);
	cairn_test_fill_random(buf, cap, 4242);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/f%zu", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(cairn_file_write_all_uncached(fd, buf + cases[i].off, cases[i].len, path), 0);
		assert_int_equal(fcntl(fd, F_GETFL) & O_DIRECT, 0);
		assert_int_equal(fsync(fd), 0);
		assert_int_equal(close(fd), 0);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		n = read(fd, back, cap);
		close(fd);
		assert_int_equal(n, (ssize_t)cases[i].len);
		assert_memory_equal(back, buf + cases[i].off, cases[i].len);
	}
	/* errors name the file */
	assert_int_equal(cairn_file_write_all_uncached(-1, buf, 2 * 1024 * 1024, "the-pack"), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "the-pack"));
	free(buf);
	free(back);
	cairn_test_rmtree(dir);
	free(dir);
}

/* ---- write_atomic ---- */

static void test_file_write_atomic_replace(void **state)
{
	char *dir = cairn_test_mkdtemp("file_atomic"), path[4200], missing[4200];
	const char *long_text = "a long first version of the file, longer than the second\n";

	(void)state;
	snprintf(path, sizeof(path), "%s/file.prom", dir);
	assert_int_equal(cairn_file_write_atomic(path, long_text, strlen(long_text), 0644), 0);
	assert_string_equal(cairn_test_file_text(path), long_text);
	assert_int_equal(mode_of(path), 0644);
	assert_int_equal(cairn_file_write_atomic(path, "short\n", 6, 0600), 0);
	assert_string_equal(cairn_test_file_text(path), "short\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(cairn_test_count_entries(dir), 1);
	/* an empty file is a file */
	assert_int_equal(cairn_file_write_atomic(path, NULL, 0, 0600), 0);
	assert_string_equal(cairn_test_file_text(path), "");
	/* a directory that does not exist: an error naming it, nothing written */
	snprintf(missing, sizeof(missing), "%s/nosuch/file.prom", dir);
	assert_int_equal(cairn_file_write_atomic(missing, "x", 1, 0644), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "nosuch"));
	/* the target is a directory: rename fails, the temporary file is removed */
	snprintf(missing, sizeof(missing), "%s/adir", dir);
	assert_int_equal(mkdir(missing, 0700), 0);
	snprintf(path, sizeof(path), "%s/adir/x", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(cairn_file_write_atomic(path, "x", 1, 0644), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "rename"));
	assert_int_equal(cairn_test_count_entries(dir), 2); /* file.prom and adir */
	cairn_test_rmtree(dir);
	free(dir);
}

/* A relative name, in the current directory. */
static void test_file_write_atomic_relative(void **state)
{
	char *dir = cairn_test_mkdtemp("file_atomic_rel"), cwd[4200];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(cairn_file_write_atomic("state.json", "{}\n", 3, 0600), 0);
	assert_string_equal(cairn_test_file_text("state.json"), "{}\n");
	assert_int_equal(cairn_test_count_entries("."), 1);
	assert_int_equal(chdir(cwd), 0);
	cairn_test_rmtree(dir);
	free(dir);
}

/* A write that fails half-way (the file size limit): the old content stays,
 * whole, and no temporary file is left. Runs in a child, whose limit and
 * signal disposition go with it. */
static void test_file_write_atomic_failure_keeps_old(void **state)
{
	char *dir = cairn_test_mkdtemp("file_atomic_fail"), path[4200];
	const char *old = "the old content\n";
	static char big[256 * 1024];
	pid_t pid;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(cairn_file_write_atomic(path, old, strlen(old), 0600), 0);
	memset(big, 'n', sizeof(big));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 64 * 1024, 64 * 1024 };
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		rc = cairn_file_write_atomic(path, big, sizeof(big), 0600);
		if (rc >= 0)
			_exit(4);
		if (errno != EFBIG || strstr(cairn_err_msg(), "cannot write") == NULL)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(cairn_test_file_text(path), old);
	assert_int_equal(cairn_test_count_entries(dir), 1);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_write_all_short_writes_and_eintr),
		cmocka_unit_test(test_file_write_all_errors),
		cmocka_unit_test(test_file_mkdir_p_nested_and_existing),
		cmocka_unit_test(test_file_mkdir_p_relative_and_parents),
		cmocka_unit_test(test_file_mkdir_p_errors),
		cmocka_unit_test(test_file_fsync_dir),
		cmocka_unit_test(test_file_write_all_uncached_roundtrip),
		cmocka_unit_test(test_file_write_atomic_replace),
		cmocka_unit_test(test_file_write_atomic_relative),
		cmocka_unit_test(test_file_write_atomic_failure_keeps_old),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
