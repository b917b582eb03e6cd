/* Unit tests for tree blob encoding and strict decoding. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/tree.h"

#include <stdlib.h>
#include <string.h>

static void set_name(struct cairn_entry *e, const char *name, size_t len)
{
	e->name = malloc(len);
	assert_non_null(e->name);
	memcpy(e->name, name, len);
	e->name_len = len;
}

static struct cairn_entry *sample_entries(size_t *ret_count)
{
	struct cairn_entry *e = calloc(4, sizeof(*e));

	assert_non_null(e);
	set_name(&e[0], "zeta file", 9);
	e[0].type = CAIRN_ENTRY_FILE;
	e[0].mode = 0644;
	e[0].uid = 1000;
	e[0].gid = 1000;
	e[0].user = strdup("alice");
	e[0].group = strdup("staff");
	e[0].mtime_sec = 1764158400;
	e[0].mtime_nsec = 123456789;
	e[0].size = 64;
	e[0].hardlink = 7;
	e[0].content_count = 2;
	e[0].content = calloc(2, CAIRN_ID_BYTES);
	memset(e[0].content, 0xab, 2 * CAIRN_ID_BYTES);
	e[0].xattr_count = 1;
	e[0].xattrs = calloc(1, sizeof(*e[0].xattrs));
	e[0].xattrs[0].name = strdup("user.comment");
	e[0].xattrs[0].value = (uint8_t *)strdup("v\x01\x02");
	e[0].xattrs[0].value_len = 3;

	set_name(&e[1], "dir\nwith newline", 16);
	e[1].type = CAIRN_ENTRY_DIR;
	e[1].mode = 01777;
	memset(e[1].subtree, 0x5a, CAIRN_ID_BYTES);

	set_name(&e[2], "\xff\xfe-not-utf8", 11);
	e[2].type = CAIRN_ENTRY_SYMLINK;
	e[2].mode = 0777;
	e[2].target = (uint8_t *)strdup("../target");
	e[2].target_len = 9;

	set_name(&e[3], "a", 1);
	e[3].type = CAIRN_ENTRY_CHR;
	e[3].mode = 0600;
	e[3].rdev = 0x0103;
	*ret_count = 4;
	return e;
}

static void test_tree_encode_round_trip(void **state)
{
	struct cairn_buf blob = { 0 };
	struct cairn_entry *in, *out = NULL;
	size_t n, m = 0;

	(void)state;
	in = sample_entries(&n);
	if (cairn_tree_encode(in, n, &blob) != 0)
		fail_msg("encode: %s", cairn_err_msg());
	assert_memory_equal(blob.data, "CAIRNTR1", 8);
	assert_int_equal(cairn_tree_decode(blob.data, blob.len, &out, &m), 0);
	assert_int_equal(m, 4);
	/* sorted bytewise: "a" < "dir\n..." < "zeta file" < "\xff..." */
	assert_memory_equal(out[0].name, "a", 1);
	assert_int_equal(out[0].rdev, 0x0103);
	assert_memory_equal(out[1].name, "dir\nwith newline", 16);
	assert_int_equal(out[1].mode, 01777);
	assert_memory_equal(out[1].subtree, in[1].subtree, CAIRN_ID_BYTES);
	assert_int_equal(out[2].type, CAIRN_ENTRY_FILE);
	assert_string_equal(out[2].user, "alice");
	assert_string_equal(out[2].group, "staff");
	assert_int_equal(out[2].mtime_sec, 1764158400);
	assert_int_equal(out[2].mtime_nsec, 123456789);
	assert_int_equal(out[2].hardlink, 7);
	assert_int_equal(out[2].content_count, 2);
	assert_memory_equal(out[2].content, in[2].content, 2 * CAIRN_ID_BYTES);
	assert_int_equal(out[2].xattr_count, 1);
	assert_string_equal(out[2].xattrs[0].name, "user.comment");
	assert_int_equal(out[2].xattrs[0].value_len, 3);
	assert_memory_equal(out[2].xattrs[0].value, "v\x01\x02", 3);
	assert_memory_equal(out[3].name, "\xff\xfe-not-utf8", 11);
	assert_int_equal(out[3].target_len, 9);
	assert_memory_equal(out[3].target, "../target", 9);
	assert_null(out[3].user);
	cairn_entries_free(in, n);
	cairn_entries_free(out, m);
	cairn_buf_free(&blob);
}

static void test_tree_encode_empty(void **state)
{
	struct cairn_buf blob = { 0 };
	struct cairn_entry *out = NULL;
	size_t m = 99;

	(void)state;
	assert_int_equal(cairn_tree_encode(NULL, 0, &blob), 0);
	assert_int_equal(blob.len, 12);
	assert_int_equal(cairn_tree_decode(blob.data, blob.len, &out, &m), 0);
	assert_int_equal(m, 0);
	free(out);
	cairn_buf_free(&blob);
}

static void test_tree_encode_rejects_bad_names(void **state)
{
	static const struct { const char *name; size_t len; } bad[] = {
		{ "", 0 }, { ".", 1 }, { "..", 2 }, { "a/b", 3 }, { "/", 1 }, { "a\0b", 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cairn_buf blob = { 0 };
		struct cairn_entry e = { 0 };

		set_name(&e, bad[i].name, bad[i].len ? bad[i].len : 1);
		e.name_len = bad[i].len;
		e.type = CAIRN_ENTRY_FILE;
		assert_int_equal(cairn_tree_encode(&e, 1, &blob), CAIRN_EINVAL);
		cairn_entry_clear(&e);
		cairn_buf_free(&blob);
	}
}

static void test_tree_encode_rejects_duplicates(void **state)
{
	struct cairn_buf blob = { 0 };
	struct cairn_entry e[2] = { { 0 } };

	(void)state;
	set_name(&e[0], "same", 4);
	set_name(&e[1], "same", 4);
	e[0].type = e[1].type = CAIRN_ENTRY_FILE;
	assert_int_equal(cairn_tree_encode(e, 2, &blob), CAIRN_EINVAL);
	cairn_entry_clear(&e[0]);
	cairn_entry_clear(&e[1]);
	cairn_buf_free(&blob);
}

/* Build a one-entry tree by hand with the given name bytes. */
static void raw_tree(struct cairn_buf *b, const char *name, size_t len, uint8_t type)
{
	cairn_buf_append(b, "CAIRNTR1", 8);
	cairn_buf_put_u32le(b, 1);
	cairn_buf_put_bytes16(b, name, len);
	cairn_buf_put_u8(b, type);
	cairn_buf_put_u32le(b, 0644);
	cairn_buf_put_u32le(b, 0);
	cairn_buf_put_u32le(b, 0);
	cairn_buf_put_bytes16(b, "", 0);
	cairn_buf_put_bytes16(b, "", 0);
	cairn_buf_put_u64le(b, 0);
	cairn_buf_put_u32le(b, 0);
	cairn_buf_put_u64le(b, 0);
	cairn_buf_put_u64le(b, 0);
	cairn_buf_put_u64le(b, 0);
	cairn_buf_put_u32le(b, 0);
	cairn_buf_put_bytes32(b, "", 0);
	if (type == CAIRN_ENTRY_DIR)
		cairn_buf_append(b, "0123456789abcdef0123456789abcdef", 32);
	cairn_buf_put_u32le(b, 0);
	cairn_buf_put_u32le(b, 0);
}

static void test_tree_decode_rejects_hostile_names(void **state)
{
	static const char *bad[] = { "..", ".", "../../etc", "/etc/passwd", "a/b" };
	struct cairn_entry *out;
	size_t m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cairn_buf b = { 0 };

		raw_tree(&b, bad[i], strlen(bad[i]), CAIRN_ENTRY_DIR);
		assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), CAIRN_ECORRUPT);
		cairn_buf_free(&b);
	}
	{
		struct cairn_buf b = { 0 };

		raw_tree(&b, "ok", 2, CAIRN_ENTRY_DIR);
		assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), 0);
		cairn_entries_free(out, m);
		cairn_buf_free(&b);
	}
}

static void test_tree_decode_rejects_truncation_everywhere(void **state)
{
	struct cairn_buf blob = { 0 };
	struct cairn_entry *in, *out;
	size_t n, m;

	(void)state;
	in = sample_entries(&n);
	assert_int_equal(cairn_tree_encode(in, n, &blob), 0);
	for (size_t cut = 0; cut < blob.len; cut++)
		assert_int_equal(cairn_tree_decode(blob.data, cut, &out, &m), CAIRN_ECORRUPT);
	/* trailing garbage */
	cairn_buf_put_u8(&blob, 0);
	assert_int_equal(cairn_tree_decode(blob.data, blob.len, &out, &m), CAIRN_ECORRUPT);
	cairn_entries_free(in, n);
	cairn_buf_free(&blob);
}

static void test_tree_decode_rejects_huge_counts(void **state)
{
	struct cairn_buf b = { 0 };
	struct cairn_entry *out;
	size_t m;

	(void)state;
	cairn_buf_append(&b, "CAIRNTR1", 8);
	cairn_buf_put_u32le(&b, 0xffffffffu);
	assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), CAIRN_ECORRUPT);
	cairn_buf_free(&b);
	/* a content count far beyond the bytes present */
	raw_tree(&b, "f", 1, CAIRN_ENTRY_FILE);
	cairn_le32_store(b.data + b.len - 8, 0x7fffffffu);
	assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), CAIRN_ECORRUPT);
	cairn_buf_free(&b);
}

static void test_tree_decode_rejects_unsorted(void **state)
{
	struct cairn_buf a = { 0 }, b = { 0 }, t = { 0 };
	struct cairn_entry *out;
	size_t m;

	(void)state;
	raw_tree(&a, "b", 1, CAIRN_ENTRY_FILE);
	raw_tree(&b, "a", 1, CAIRN_ENTRY_FILE);
	cairn_buf_append(&t, "CAIRNTR1", 8);
	cairn_buf_put_u32le(&t, 2);
	cairn_buf_append(&t, a.data + 12, a.len - 12);
	cairn_buf_append(&t, b.data + 12, b.len - 12);
	assert_int_equal(cairn_tree_decode(t.data, t.len, &out, &m), CAIRN_ECORRUPT);
	cairn_buf_free(&a);
	cairn_buf_free(&b);
	cairn_buf_free(&t);
}

static void test_tree_decode_rejects_bad_type_and_mtime(void **state)
{
	struct cairn_buf b = { 0 };
	struct cairn_entry *out;
	size_t m;

	(void)state;
	raw_tree(&b, "x", 1, 9);
	assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), CAIRN_ECORRUPT);
	cairn_buf_free(&b);
	raw_tree(&b, "x", 1, CAIRN_ENTRY_FILE);
	/* mtime_nsec sits after name(2+1), type, mode, uid, gid, user, group, mtime_sec */
	cairn_le32_store(b.data + 12 + 3 + 1 + 12 + 4 + 8, 1000000000u);
	assert_int_equal(cairn_tree_decode(b.data, b.len, &out, &m), CAIRN_ECORRUPT);
	cairn_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_encode_round_trip),
		cmocka_unit_test(test_tree_encode_empty),
		cmocka_unit_test(test_tree_encode_rejects_bad_names),
		cmocka_unit_test(test_tree_encode_rejects_duplicates),
		cmocka_unit_test(test_tree_decode_rejects_hostile_names),
		cmocka_unit_test(test_tree_decode_rejects_truncation_everywhere),
		cmocka_unit_test(test_tree_decode_rejects_huge_counts),
		cmocka_unit_test(test_tree_decode_rejects_unsorted),
		cmocka_unit_test(test_tree_decode_rejects_bad_type_and_mtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
