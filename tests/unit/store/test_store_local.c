/* Tests specific to the local directory driver: layout, permissions, temp files, opening. */
#include "cairn_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/store.h"

static char *path_join(const char *a, const char *b)
{
	char *p = cairn_asprintf("%s/%s", a, b);

	assert_non_null(p);
	return p;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_local_open_missing_root(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "missing");
	struct cairn_store *s = NULL;
	char *expect = cairn_asprintf("repository directory '%s' does not exist", root);
	struct stat st;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 0, &s), CAIRN_ENOTFOUND);
	assert_null(s);
	assert_string_equal(cairn_err_msg(), expect);
	assert_int_equal(stat(root, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* open_url gives the same answer */
	assert_int_equal(cairn_store_open_url(root, 0, &s), CAIRN_ENOTFOUND);
	assert_null(s);
	cairn_test_rmtree(outer);
	free(expect);
	free(root);
	free(outer);
}

static void test_local_open_not_directory(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "file");
	struct cairn_store *s = NULL;

	(void)state;
	write_file(root, "x");
	assert_int_equal(cairn_store_local_open(root, 0, &s), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), root));
	assert_int_equal(cairn_store_local_open(root, 1, &s), CAIRN_EINVAL);
	assert_null(s);
	assert_int_equal(cairn_store_local_open("", 1, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_store_local_open(NULL, 1, &s), CAIRN_EINVAL);
	cairn_test_rmtree(outer);
	free(root);
	free(outer);
}

static void test_local_open_create(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "a/b/repo");
	char *real_outer = realpath(outer, NULL);
	char *expect = cairn_asprintf("file://%s/a/b/repo", real_outer);
	struct cairn_store *s = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_non_null(s);
	assert_string_equal(s->description, expect);
	assert_int_equal(stat(root, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	cairn_store_free(s);
	/* reopen without create, with a trailing slash */
	free(root);
	root = path_join(outer, "a/b/repo/");
	assert_int_equal(cairn_store_local_open(root, 0, &s), 0);
	assert_string_equal(s->description, expect);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(expect);
	free(real_outer);
	free(root);
	free(outer);
}

static void test_local_open_relative(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *real_outer = realpath(outer, NULL);
	char *expect = cairn_asprintf("file://%s/rel", real_outer);
	char cwd[PATH_MAX];
	struct cairn_store *s = NULL;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(outer), 0);
	assert_int_equal(cairn_store_local_open("rel", 1, &s), 0);
	assert_int_equal(chdir(cwd), 0);
	/* the description is absolute and the store keeps working from elsewhere */
	assert_string_equal(s->description, expect);
	assert_int_equal(cairn_store_put(s, "config", "c", 1), 0);
	cairn_store_free(s);
	free(expect);
	expect = path_join(real_outer, "rel/config");
	assert_int_equal(access(expect, F_OK), 0);
	cairn_test_rmtree(outer);
	free(expect);
	free(real_outer);
	free(outer);
}

static void test_local_put_layout_and_permissions(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "repo");
	char *obj = path_join(root, "data/ab/ab01");
	char *dir = path_join(root, "data/ab");
	char *tmp = path_join(root, "tmp");
	struct cairn_store *s = NULL;
	char content[16] = { 0 };
	struct stat st;
	FILE *f;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_int_equal(cairn_store_put(s, "data/ab/ab01", "hello object", 12), 0);
	/* the object is a plain file at its name, readable without the store */
	f = fopen(obj, "r");
	assert_non_null(f);
	assert_int_equal(fread(content, 1, sizeof(content), f), 12);
	fclose(f);
	assert_string_equal(content, "hello object");
	assert_int_equal(stat(obj, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(dir);
	dir = path_join(root, "data");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* the temp file is gone */
	assert_int_equal(count_entries(tmp), 0);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(tmp);
	free(dir);
	free(obj);
	free(root);
	free(outer);
}

static void set_age(const char *path, time_t age)
{
	struct timespec ts[2];

	ts[0].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int fail_cb(void *ctx, const char *name, uint64_t size)
{
	(void)ctx;
	(void)size;
	fail_msg("unexpected object '%s'", name);
	return 0;
}

static void test_local_open_removes_stale_tmp(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "repo");
	char *old_tmp = path_join(root, "tmp/00112233aabbccdd.tmp");
	char *fresh_tmp = path_join(root, "tmp/44556677aabbccdd.tmp");
	char *recent_tmp = path_join(root, "tmp/8899aabbccddeeff.tmp");
	struct cairn_store *s = NULL;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_int_equal(cairn_store_put(s, "config", "c", 1), 0);
	cairn_store_free(s);
	/* a writer killed two days ago, one killed an hour ago, one writing now */
	write_file(old_tmp, "partial");
	set_age(old_tmp, 2 * 24 * 3600);
	write_file(recent_tmp, "partial");
	set_age(recent_tmp, 3600);
	write_file(fresh_tmp, "partial");
	assert_int_equal(cairn_store_local_open(root, 0, &s), 0);
	assert_int_equal(access(old_tmp, F_OK), -1);
	assert_int_equal(access(recent_tmp, F_OK), 0);
	assert_int_equal(access(fresh_tmp, F_OK), 0);
	/* temp files are never objects */
	assert_int_equal(cairn_store_list(s, "tmp", fail_cb, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_store_list(s, "t", fail_cb, NULL), 0);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(old_tmp);
	free(fresh_tmp);
	free(recent_tmp);
	free(root);
	free(outer);
}

static int collect_cb(void *ctx, const char *name, uint64_t size)
{
	struct cairn_buf *b = ctx;

	(void)size;
	assert_int_equal(cairn_buf_append(b, name, strlen(name)), 0);
	assert_int_equal(cairn_buf_append(b, ";", 1), 0);
	return 0;
}

static void test_local_list_skips_foreign_entries(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "repo");
	struct cairn_store *s = NULL;
	struct cairn_buf b = { 0 };
	char *p;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_int_equal(cairn_store_put(s, "data/ab/ab01", "x", 1), 0);
	p = path_join(root, ".lock");
	write_file(p, "");
	free(p);
	p = path_join(root, "data/ab/.ab02.swp");
	write_file(p, "");
	free(p);
	p = path_join(root, "data/ab/bad name");
	write_file(p, "");
	free(p);
	p = path_join(root, "data/ab/link");
	assert_int_equal(symlink("ab01", p), 0);
	free(p);
	p = path_join(root, "data/.hidden");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = path_join(root, "data/.hidden/x");
	write_file(p, "");
	free(p);
	p = path_join(root, "tmp/x.tmp");
	write_file(p, "");
	free(p);
	assert_int_equal(cairn_store_list(s, "", collect_cb, &b), 0);
	assert_int_equal(cairn_buf_append(&b, "", 1), 0);
	assert_string_equal((char *)b.data, "data/ab/ab01;");
	/* a symlink is not an object: not followed */
	cairn_buf_reset(&b);
	assert_int_equal(cairn_store_get(s, "data/ab/link", 0, UINT64_MAX, &b), CAIRN_EIO);
	assert_int_equal(b.len, 0);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	cairn_buf_free(&b);
	free(root);
	free(outer);
}

static void test_local_put_parent_is_object(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "repo");
	char *tmp = path_join(root, "tmp");
	struct cairn_store *s = NULL;
	uint64_t size;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_int_equal(cairn_store_put(s, "config", "c", 1), 0);
	assert_int_equal(cairn_store_put(s, "config/x", "x", 1), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "config/x"));
	assert_int_equal(cairn_store_put(s, "config/y/z", "x", 1), CAIRN_EIO);
	assert_int_equal(cairn_store_stat(s, "config/x", &size), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_store_del(s, "config/x"), CAIRN_ENOTFOUND);
	/* the failed puts left no temp file behind */
	assert_int_equal(count_entries(tmp), 0);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(tmp);
	free(root);
	free(outer);
}

static void test_local_get_shrunk_object(void **state)
{
	char *outer = cairn_test_mkdtemp("store_local");
	char *root = path_join(outer, "repo");
	char *obj = path_join(root, "index/i1");
	struct cairn_store *s = NULL;
	struct cairn_buf b = { 0 };
	uint64_t size = 0;

	(void)state;
	assert_int_equal(cairn_store_local_open(root, 1, &s), 0);
	assert_int_equal(cairn_store_put(s, "index/i1", "0123456789", 10), 0);
	/* someone truncated the file behind the store's back */
	assert_int_equal(truncate(obj, 4), 0);
	assert_int_equal(cairn_store_stat(s, "index/i1", &size), 0);
	assert_int_equal(size, 4);
	assert_int_equal(cairn_store_get(s, "index/i1", 0, 10, &b), CAIRN_EINVAL);
	assert_int_equal(cairn_store_get(s, "index/i1", 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "0123", 4);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	cairn_buf_free(&b);
	free(obj);
	free(root);
	free(outer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_open_missing_root),
		cmocka_unit_test(test_local_open_not_directory),
		cmocka_unit_test(test_local_open_create),
		cmocka_unit_test(test_local_open_relative),
		cmocka_unit_test(test_local_put_layout_and_permissions),
		cmocka_unit_test(test_local_open_removes_stale_tmp),
		cmocka_unit_test(test_local_list_skips_foreign_entries),
		cmocka_unit_test(test_local_put_parent_is_object),
		cmocka_unit_test(test_local_get_shrunk_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
