/* Unit tests for lib/repo/snapshot.c: the snapshot document's JSON rules
 * (FORMAT.md 1.1 and 10): ids in lowercase hex only, duplicate members
 * refused, and the size cap on writing. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREE "8e1f3b0c5a2d47e6b9c04f1d2a3e5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6"
#define PARENT "5f1e0c4b2a39d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3"

/* A snapshot document with `tree` and `parent` (a JSON value) and `extra`
 * members put first. */
static char *doc(const char *tree, const char *parent, const char *extra)
{
	char *text = cairn_asprintf("{%s\"host\":\"db1\",\"parent\":%s,\"paths\":[\"/etc\"],\"tags\":[],"
				    "\"time_ns\":1795694400000000000,\"tree\":\"%s\",\"version\":1}",
				    extra, parent, tree);

	assert_non_null(text);
	return text;
}

static int parse(const char *text, struct cairn_snapshot *s)
{
	return cairn_snapshot_from_json(text, strlen(text), "abcdef0123456789", s);
}

static void test_snapshot_from_json_lowercase_ids(void **state)
{
	struct cairn_snapshot s = { 0 };
	char *text;

	(void)state;
	text = doc(TREE, "\"" PARENT "\"", "");
	assert_int_equal(parse(text, &s), 0);
	assert_string_equal(s.parent, PARENT);
	assert_int_equal(s.tree[0], 0x8e);
	cairn_snapshot_clear(&s);
	free(text);
	text = doc(TREE, "null", "");
	assert_int_equal(parse(text, &s), 0);
	assert_string_equal(s.parent, "");
	cairn_snapshot_clear(&s);
	free(text);
}

static void test_snapshot_from_json_uppercase_parent(void **state)
{
	struct cairn_snapshot s = { 0 };
	char *text;

	(void)state;
	/* docs/FORMAT.md 15.8 */
	text = doc(TREE, "\"5F1E0C4B2A39D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3\"", "");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "snapshot abcdef01 has an invalid parent id '5F1E0C4B"));
	assert_non_null(strstr(cairn_err_msg(), "not 64 lowercase hex digits"));
	free(text);
	/* one upper-case digit is enough */
	text = doc(TREE, "\"5f1e0c4b2a39d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4E3\"", "");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	free(text);
	/* nor a number, nor a short string */
	text = doc(TREE, "7", "");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "(not a string)"));
	free(text);
	text = doc(TREE, "\"5f1e\"", "");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	free(text);
}

static void test_snapshot_from_json_uppercase_tree(void **state)
{
	struct cairn_snapshot s = { 0 };
	char *text;

	(void)state;
	text = doc("8E1F3B0C5A2D47E6B9C04F1D2A3E5B6C7D8E9F0A1B2C3D4E5F60718293A4B5C6", "null", "");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "invalid tree id '8E1F3B0C"));
	free(text);
}

static void test_snapshot_from_json_duplicate_member(void **state)
{
	struct cairn_snapshot s = { 0 };
	char *text;

	(void)state;
	text = doc(TREE, "null", "\"host\":\"other\",");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "duplicate"));
	free(text);
	/* in a nested object too */
	text = doc(TREE, "null", "\"stats\":{\"files\":1,\"files\":2},");
	assert_int_equal(parse(text, &s), CAIRN_ECORRUPT);
	free(text);
}

/* Writers never store a snapshot that readers would refuse unread. */
static void test_snapshot_write_refuses_oversized(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));
	struct cairn_snapshot s = { 0 };
	char *tag = malloc(CAIRN_SNAPSHOT_MAX_BYTES + 1);
	char host[] = "h", user[] = "u", path[1024];
	struct cairn_buf out = { 0 };
	FILE *fp;

	(void)state;
	assert_non_null(f);
	assert_non_null(tag);
	repo_fixture_init(f, "snapshot");
	repo_fixture_create(f, NULL);
	memset(tag, 'x', CAIRN_SNAPSHOT_MAX_BYTES - 1);
	tag[CAIRN_SNAPSHOT_MAX_BYTES - 1] = '\0';
	s.host = host;
	s.user = user;
	s.tags = &tag;
	s.ntags = 1;
	assert_int_equal(cairn_snapshot_write(f->r, &s), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "larger than a snapshot may be"));
	tag[1000] = '\0';
	assert_int_equal(cairn_snapshot_write(f->r, &s), 0);
	/* and readers do not fetch a larger one */
	snprintf(path, sizeof(path), "%s/snapshots/" PARENT, f->repo);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	memset(tag, 'x', CAIRN_SNAPSHOT_MAX_BYTES + 1);
	assert_int_equal(fwrite(tag, 1, CAIRN_SNAPSHOT_MAX_BYTES + 1, fp), CAIRN_SNAPSHOT_MAX_BYTES + 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(cairn_repo_get_sealed(f->r, CAIRN_REPO_OBJ_SNAPSHOT, PARENT, CAIRN_SNAPSHOT_AD, &out), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "snapshot 'snapshots/" PARENT "' has 16777217 bytes"));
	assert_int_equal(out.len, 0);
	cairn_buf_free(&out);
	free(tag);
	repo_fixture_fini(f);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_from_json_lowercase_ids),
		cmocka_unit_test(test_snapshot_from_json_uppercase_parent),
		cmocka_unit_test(test_snapshot_from_json_uppercase_tree),
		cmocka_unit_test(test_snapshot_from_json_duplicate_member),
		cmocka_unit_test(test_snapshot_write_refuses_oversized),
	};

	assert_int_equal(cairn_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
