/* Tests of opening stacks: cairn_store_open_url (the S3 stack is tested in test_store_s3_opts.c). */
#include "cairn_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/err.h"
#include "cairn/store.h"

static void test_store_open_url_file(void **state)
{
	char *outer = cairn_test_mkdtemp("store_url");
	char *real_outer = realpath(outer, NULL);
	char *url = cairn_asprintf("file://%s/repo", real_outer);
	struct cairn_store *s = NULL;
	uint64_t size = 0;

	(void)state;
	assert_int_equal(cairn_store_open_url(url, 1, &s), 0);
	assert_string_equal(s->description, url);
	assert_int_equal(cairn_store_put(s, "config", "cfg", 3), 0);
	cairn_store_free(s);
	/* reopen without create and see the object */
	assert_int_equal(cairn_store_open_url(url, 0, &s), 0);
	assert_int_equal(cairn_store_stat(s, "config", &size), 0);
	assert_int_equal(size, 3);
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(url);
	free(real_outer);
	free(outer);
}

static void test_store_open_url_bare_path(void **state)
{
	char *outer = cairn_test_mkdtemp("store_url");
	char *real_outer = realpath(outer, NULL);
	char *path = cairn_asprintf("%s/repo", outer);
	char *expect = cairn_asprintf("file://%s/repo", real_outer);
	struct cairn_store *s = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(cairn_store_open_url(path, 1, &s), 0);
	assert_string_equal(s->description, expect);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	cairn_store_free(s);
	cairn_test_rmtree(outer);
	free(expect);
	free(path);
	free(real_outer);
	free(outer);
}

static void test_store_open_url_errors(void **state)
{
	struct cairn_store *s = NULL;

	(void)state;
	assert_int_equal(cairn_store_open_url("file://relative/repo", 1, &s), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "file://relative/repo"));
	assert_int_equal(access("relative", F_OK), -1);
	assert_int_equal(cairn_store_open_url("file://", 1, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_store_open_url("gs://bucket/prefix", 1, &s), CAIRN_EUNSUPPORTED);
	assert_string_equal(cairn_err_msg(), "unsupported repository URL 'gs://bucket/prefix'");
	assert_int_equal(cairn_store_open_url("sftp://host/x", 0, &s), CAIRN_EUNSUPPORTED);
	assert_int_equal(cairn_store_open_url("", 0, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_store_open_url(NULL, 0, &s), CAIRN_EINVAL);
	assert_int_equal(cairn_store_open_url("file:///nonexistent-cairn-repo/x", 0, &s), CAIRN_ENOTFOUND);
	assert_string_equal(cairn_err_msg(), "repository directory '/nonexistent-cairn-repo/x' does not exist");
	assert_null(s);
}

static void test_store_open_url_local_stack(void **state)
{
	char *dir = cairn_test_mkdtemp("store_open_stack");
	struct cairn_store_stats st;
	struct cairn_store *s;

	(void)state;
	/* a local store is the driver alone: its capabilities, and nothing counted */
	assert_int_equal(cairn_store_open_url(dir, 0, &s), 0);
	assert_int_equal(cairn_store_caps(s), CAIRN_STORE_CAP_ATOMIC_CREATE | CAIRN_STORE_CAP_RANGED_READ |
						      CAIRN_STORE_CAP_STREAMED_PUT);
	assert_int_equal(cairn_store_put(s, "config", "x", 1), 0);
	cairn_store_stats_get(s, &st);
	assert_int_equal(st.operations, 0);
	assert_int_equal(st.requests, 0);
	assert_int_equal(st.bytes_up, 0);
	assert_int_equal(st.wire, 0);
	cairn_store_free(s);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_open_url_file),
		cmocka_unit_test(test_store_open_url_bare_path),
		cmocka_unit_test(test_store_open_url_errors),
		cmocka_unit_test(test_store_open_url_local_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
