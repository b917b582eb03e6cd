/* The check refuses what a restore refuses (issue 11): a file whose
 * recorded size is not the sum of its content blobs' plaintext lengths (a
 * restore writes that sum, then refuses the file). Trees crafted with the
 * key: a file one byte longer than its content and one whose content list
 * lacks a blob's bytes are named, in every snapshot that holds their tree,
 * under that tree blob; a correct sparse file (holes are chunks of zeros),
 * an unreadable-flagged file (no content, size 0) and an empty file are
 * not; a file whose blob is missing is reported as missing only; a sparse
 * file made by a real backup passes. */
#include "cairn_test.h"

#include "repo_fixture.h"
#include "deep_chain.h"

#include "repo/repo_internal.h"

#include "cairn/backup.h"
#include "cairn/check.h"
#include "cairn/err.h"
#include "cairn/pack.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_PROBLEMS 8
#define A_BYTES "thirty bytes of file content.\n"
#define B_BYTES "and seventeen more"
#define ZEROS 4096

struct seen_problem {
	enum cairn_event_class kind; /* of the code */
	enum cairn_event_code code;
	struct cairn_event_ref ref;
	char object[160];
	char message[1200];
	uint64_t uses, snapshots;
	char paths[2048]; /* "snapshot-prefix path" per line, in the order reported */
};

struct fixture {
	struct repo_fixture rf;
	struct deep_writer dw;
	uint8_t a[CAIRN_ID_BYTES], b[CAIRN_ID_BYTES], z[CAIRN_ID_BYTES];
	struct seen_problem problems[MAX_PROBLEMS];
	size_t nproblems;
};

static void on_problem(void *ctx, const struct cairn_check_problem *p)
{
	struct fixture *f = ctx;
	struct seen_problem *s;

	assert_true(f->nproblems < MAX_PROBLEMS);
	s = &f->problems[f->nproblems++];
	s->kind = cairn_event_class(p->event.code);
	s->code = p->event.code;
	s->ref = p->event.object;
	snprintf(s->object, sizeof(s->object), "%s", p->event.object_name);
	snprintf(s->message, sizeof(s->message), "%s", p->event.message);
	s->uses = p->uses;
	s->snapshots = p->snapshots;
	for (size_t i = 0; i < p->naffected; i++) {
		size_t len = strlen(s->paths);

		assert_int_equal(p->affected[i].directory, 0);
		snprintf(s->paths + len, sizeof(s->paths) - len, "%.8s %s\n", p->affected[i].snapshot,
			 p->affected[i].path);
	}
}

/* A repository with blobs a (30 bytes), b (18 bytes) and z (4096 zeros). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static uint8_t zeros[ZEROS];

	repo_fixture_init(&f->rf, "check-size");
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	deep_writer_open(&f->dw, f->rf.r);
	deep_blob(&f->dw, CAIRN_BLOB_DATA, A_BYTES, strlen(A_BYTES), f->a);
	deep_blob(&f->dw, CAIRN_BLOB_DATA, B_BYTES, strlen(B_BYTES), f->b);
	deep_blob(&f->dw, CAIRN_BLOB_DATA, zeros, sizeof(zeros), f->z);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	deep_writer_close(&f->dw);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static int check(struct fixture *f, struct cairn_check_stats *st)
{
	struct cairn_check_opts o = { 0 };

	f->nproblems = 0;
	memset(f->problems, 0, sizeof(f->problems));
	o.has_seed = 1;
	o.seed = 1;
	o.threads = 2;
	o.on_problem = on_problem;
	o.ctx = f;
	return cairn_check_run(f->rf.r, &o, st);
}

/* A file entry named `name` with `n` content blobs (copied into `buf`). */
static struct cairn_entry file_entry(const char *name, uint64_t size, const uint8_t *const *ids, size_t n,
				     uint8_t *buf)
{
	struct cairn_entry e = deep_entry(name, CAIRN_ENTRY_FILE);

	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * CAIRN_ID_BYTES, ids[i], CAIRN_ID_BYTES);
	e.size = size;
	e.content = n ? buf : NULL;
	e.content_count = n;
	return e;
}

/* A root tree holding the directory `dir` of tree `sub`, and its snapshot. */
static void snapshot_with(struct fixture *f, const char *dir, const uint8_t sub[CAIRN_ID_BYTES], int64_t time_ns,
			  char ret_id[CAIRN_ID_HEX])
{
	struct cairn_entry e = deep_entry(dir, CAIRN_ENTRY_DIR);
	uint8_t root[CAIRN_ID_BYTES];

	memcpy(e.subtree, sub, CAIRN_ID_BYTES);
	deep_tree(&f->dw, &e, 1, root);
	deep_writer_flush(&f->dw);
	deep_snapshot(f->rf.r, root, time_ns, ret_id);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, haystack);
}

/* Off by one and a missing blob's bytes are named in both snapshots that
 * hold their tree; sparse, unreadable, empty and right files are not. */
static void test_check_size_mismatch_named(void **state)
{
	struct fixture *f = *state;
	const size_t la = strlen(A_BYTES), lb = strlen(B_BYTES);
	const uint8_t *ab[] = { f->a, f->b }, *a[] = { f->a }, *zaz[] = { f->z, f->a, f->z, f->z };
	uint8_t buf[6][4 * CAIRN_ID_BYTES], tree[CAIRN_ID_BYTES];
	char s1[CAIRN_ID_HEX], s2[CAIRN_ID_HEX], hex[CAIRN_ID_HEX], object[CAIRN_ID_HEX + 16], line[256];
	struct cairn_entry e[7];
	struct cairn_check_stats st;
	const struct seen_problem *p;

	e[0] = file_entry("off_by_one", la + 1, a, 1, buf[0]);
	e[1] = file_entry("lacks_a_blob", la + lb, a, 1, buf[1]); /* b's bytes are not in the list */
	e[2] = file_entry("right", la + lb, ab, 2, buf[2]);
	e[3] = file_entry("sparse", 3 * ZEROS + la, zaz, 4, buf[3]);
	e[4] = file_entry("unreadable", 0, NULL, 0, buf[4]);
	e[4].flags = CAIRN_ENTRY_F_UNREADABLE;
	e[5] = file_entry("empty", 0, NULL, 0, buf[5]);
	e[6] = deep_entry("link", CAIRN_ENTRY_SYMLINK);
	e[6].target = (uint8_t *)"right";
	e[6].target_len = 5;
	deep_tree(&f->dw, e, 7, tree);
	snapshot_with(f, "dir", tree, 1000000000LL, s1);
	snapshot_with(f, "moved", tree, 2000000000LL, s2);

	assert_int_equal(check(f, &st), CAIRN_ECORRUPT);
	assert_int_equal(f->nproblems, 1);
	assert_int_equal(st.problems, 1);
	assert_int_equal(st.trees, 3); /* the shared tree counted once */
	assert_int_equal(st.files, 6);
	assert_int_equal(st.blobs, 3);
	p = &f->problems[0];
	cairn_hex_encode(tree, CAIRN_ID_BYTES, hex);
	snprintf(object, sizeof(object), "tree blob %s", hex);
	assert_string_equal(p->object, object);
	assert_int_equal(p->code, CAIRN_EVENT_SIZE_MISMATCH);
	assert_int_equal(p->ref.type, CAIRN_EVENT_OBJECT_TREE_BLOB);
	assert_int_equal(p->kind, CAIRN_EVENT_CLASS_DAMAGED);
	assert_contains(p->message, "file 'off_by_one': content is 30 bytes but the tree records 31");
	assert_contains(p->message, "file 'lacks_a_blob': content is 30 bytes but the tree records 48");
	assert_int_equal(p->uses, 4);
	assert_int_equal(p->snapshots, 2);
	snprintf(line, sizeof(line), "%.8s /dir/lacks_a_blob\n%.8s /dir/off_by_one\n"
		 "%.8s /moved/lacks_a_blob\n%.8s /moved/off_by_one\n", s1, s1, s2, s2);
	assert_string_equal(p->paths, line);
}

/* A backup-made file never has a mismatch, and neither does a tree of
 * correct files only: the same entries without the two bad ones pass. */
static void test_check_size_correct_files_pass(void **state)
{
	struct fixture *f = *state;
	const uint8_t *ab[] = { f->a, f->b }, *zaz[] = { f->z, f->a, f->z, f->z };
	uint8_t buf[4][4 * CAIRN_ID_BYTES], tree[CAIRN_ID_BYTES];
	char s1[CAIRN_ID_HEX];
	struct cairn_entry e[4];
	struct cairn_check_stats st;

	e[0] = file_entry("right", strlen(A_BYTES) + strlen(B_BYTES), ab, 2, buf[0]);
	e[1] = file_entry("sparse", 3 * ZEROS + strlen(A_BYTES), zaz, 4, buf[1]);
	e[2] = file_entry("unreadable", 0, NULL, 0, buf[2]);
	e[2].flags = CAIRN_ENTRY_F_UNREADABLE;
	e[3] = file_entry("empty", 0, NULL, 0, buf[3]);
	deep_tree(&f->dw, e, 4, tree);
	snapshot_with(f, "dir", tree, 1000000000LL, s1);
	if (check(f, &st) != 0)
		fail_msg("check: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.files, 4);
}

/* An unreadable-flagged entry that records a size without content is
 * refused by a restore too ("content is 0 bytes but the snapshot recorded
 * 5"): the check names it. */
static void test_check_size_unreadable_with_size(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[CAIRN_ID_BYTES], tree[CAIRN_ID_BYTES];
	char s1[CAIRN_ID_HEX], line[128];
	struct cairn_entry e = file_entry("claims", 5, NULL, 0, buf);

	e.flags = CAIRN_ENTRY_F_UNREADABLE;
	deep_tree(&f->dw, &e, 1, tree);
	snapshot_with(f, "dir", tree, 1000000000LL, s1);
	assert_int_equal(check(f, NULL), CAIRN_ECORRUPT);
	assert_int_equal(f->nproblems, 1);
	assert_contains(f->problems[0].message, "file 'claims': content is 0 bytes but the tree records 5");
	snprintf(line, sizeof(line), "%.8s /dir/claims\n", s1);
	assert_string_equal(f->problems[0].paths, line);
}

/* A file whose blob no index object lists, or whose blob's pack is gone,
 * is named under that problem only, whatever its size says. */
static void test_check_size_missing_not_doubled(void **state)
{
	struct fixture *f = *state;
	uint8_t ghost[CAIRN_ID_BYTES], lone[CAIRN_ID_BYTES], buf[3][2 * CAIRN_ID_BYTES], tree[CAIRN_ID_BYTES];
	const uint8_t *ga[] = { ghost, f->a }, *al[] = { f->a, lone }, *a[] = { f->a };
	char s1[CAIRN_ID_HEX], hex[CAIRN_ID_HEX], object[CAIRN_ID_HEX + 16], name[CAIRN_PACK_NAME_MAX], path[1200];
	char line[256];
	struct cairn_blob_loc loc;
	struct cairn_entry e[3];
	const struct seen_problem *ghost_p = NULL, *pack_p = NULL;

	/* the lone blob alone in its pack, which is then deleted */
	deep_writer_flush(&f->dw);
	deep_blob(&f->dw, CAIRN_BLOB_DATA, "lone blob", 9, lone);
	deep_writer_flush(&f->dw);
	cairn_random_bytes(ghost, sizeof(ghost));
	e[0] = file_entry("ghost", 1, ga, 2, buf[0]);
	e[1] = file_entry("gone", 2, al, 2, buf[1]);
	e[2] = file_entry("fine", strlen(A_BYTES), a, 1, buf[2]);
	deep_tree(&f->dw, e, 3, tree);
	snapshot_with(f, "dir", tree, 1000000000LL, s1);
	assert_int_equal(cairn_catalog_blob_get(cairn_repo_catalog(f->rf.r), lone, CAIRN_BLOB_DATA, &loc), 0);
	cairn_repo_pack_name(loc.pack, name);
	snprintf(path, sizeof(path), "%s/%s", f->rf.repo, name);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(check(f, NULL), CAIRN_ECORRUPT);
	assert_int_equal(f->nproblems, 2);
	cairn_hex_encode(ghost, CAIRN_ID_BYTES, hex);
	snprintf(object, sizeof(object), "data blob %s", hex);
	for (size_t i = 0; i < f->nproblems; i++) {
		assert_int_equal(f->problems[i].kind, CAIRN_EVENT_CLASS_MISSING);
		if (strcmp(f->problems[i].object, object) == 0)
			ghost_p = &f->problems[i];
		else if (strcmp(f->problems[i].object, name) == 0)
			pack_p = &f->problems[i];
	}
	assert_non_null(ghost_p);
	assert_non_null(pack_p);
	snprintf(line, sizeof(line), "%.8s /dir/ghost\n", s1);
	assert_string_equal(ghost_p->paths, line);
	snprintf(line, sizeof(line), "%.8s /dir/gone\n", s1);
	assert_string_equal(pack_p->paths, line);
}

/* A sparse file made by a backup (holes are read as zeros and chunked like
 * any content) has the size its blobs add up to. */
static void test_check_size_backup_sparse(void **state)
{
	struct fixture *f = *state;
	const char *paths[1] = { f->rf.src };
	struct cairn_backup_opts o = { 0 };
	struct cairn_snapshot snap = { 0 };
	struct cairn_check_stats st;
	char p[700];
	int fd;

	snprintf(p, sizeof(p), "%s/sparse.img", f->rf.src);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "start", 5, 0), 5);
	assert_int_equal(pwrite(fd, "middle", 6, 5 * 1024 * 1024 + 3), 6);
	assert_int_equal(ftruncate(fd, 12 * 1024 * 1024 + 1), 0); /* ends with a hole */
	close(fd);
	snprintf(p, sizeof(p), "%s/empty", f->rf.src);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	o.paths = paths;
	o.npaths = 1;
	o.threads = 2;
	if (cairn_backup_run(f->rf.r, &o, &snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	cairn_snapshot_clear(&snap);
	if (check(f, &st) != 0)
		fail_msg("check: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.files, 2);
	assert_true(st.blobs >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_size_mismatch_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_size_correct_files_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_size_unreadable_with_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_size_missing_not_doubled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_size_backup_sparse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
