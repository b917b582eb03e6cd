/* The check's tree walk at depths no file system allows (issue 11, defect
 * 1): a crafted chain of 60,000 directories is checked, structure and
 * data, under RLIMIT_NOFILE 256, every tree counted once; a tree shared
 * 2^60 ways is walked once per distinct tree; when the pack holding the
 * deepest file's data is deleted, the problem names that file by its whole
 * path (120 KB) in the snapshot. */
#include "cairn_test.h"

#include "repo_fixture.h"
#include "deep_chain.h"

#include "repo/repo_internal.h"

#include "cairn/check.h"
#include "cairn/err.h"
#include "cairn/pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEVELS 60000
#define SHARED_LEVELS 60
#define CONTENT "the deepest file of the chain\n"
#define SHARED_CONTENT "the file below 2^60 paths\n"

struct fixture {
	struct repo_fixture rf;
	struct deep_chain chain, shared;
	char chain_snap[CAIRN_ID_HEX];
	/* what on_problem saw */
	size_t nproblems;
	char object[160];
	enum cairn_event_class kind; /* of the code */
	enum cairn_event_code code;
	struct cairn_event_ref ref;
	uint64_t uses;
	char *path;        /* the first affected path */
	int directory;
};

static void on_problem(void *ctx, const struct cairn_check_problem *p)
{
	struct fixture *f = ctx;

	if (f->nproblems++ > 0)
		return;
	snprintf(f->object, sizeof(f->object), "%s", p->event.object_name);
	f->kind = cairn_event_class(p->event.code);
	f->code = p->event.code;
	f->ref = p->event.object;
	f->uses = p->uses;
	if (p->naffected > 0) {
		f->path = strdup(p->affected[0].path);
		f->directory = p->affected[0].directory;
		assert_string_equal(p->affected[0].snapshot, f->chain_snap);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct deep_writer dw;
	uint8_t id[CAIRN_ID_BYTES];

	repo_fixture_init(&f->rf, "check-deep");
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	deep_writer_open(&dw, f->rf.r);
	/* the chain's data blob alone in its pack, so that deleting that pack
	 * damages the deepest file only */
	deep_blob(&dw, CAIRN_BLOB_DATA, CONTENT, strlen(CONTENT), id);
	deep_writer_flush(&dw);
	deep_chain(&dw, LEVELS, CONTENT, strlen(CONTENT), &f->chain);
	assert_memory_equal(id, f->chain.data, CAIRN_ID_BYTES);
	deep_writer_flush(&dw);
	deep_writer_close(&dw);
	deep_snapshot(f->rf.r, f->chain.root, 1000000000LL, f->chain_snap);
	deep_limit_fds(256);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	repo_fixture_fini(&f->rf);
	free(f->path);
	free(f);
	return 0;
}

static int check(struct fixture *f, double percent, struct cairn_check_stats *st)
{
	struct cairn_check_opts o = { 0 };

	f->nproblems = 0;
	free(f->path);
	f->path = NULL;
	o.read_data_percent = percent;
	o.has_seed = 1;
	o.seed = 7;
	o.threads = 2;
	o.on_problem = on_problem;
	o.ctx = f;
	return cairn_check_run(f->rf.r, &o, st);
}

static void test_check_deep_chain_structure(void **state)
{
	struct fixture *f = *state;
	struct cairn_check_stats st;

	if (check(f, 0, &st) != 0)
		fail_msg("check: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.trees, LEVELS + 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.blobs, 1);
	assert_int_equal(st.packs_read, 0);
}

static void test_check_deep_chain_read_data(void **state)
{
	struct fixture *f = *state;
	struct cairn_check_stats st;

	if (check(f, 100, &st) != 0)
		fail_msg("check --read-data: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.trees, LEVELS + 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.packs_read, st.packs);
	assert_true(st.packs >= 2);
	assert_int_equal(st.blobs_read, LEVELS + 2); /* every tree and the data blob */
}

/* Each distinct tree is walked once: 2^60 paths cost 61 trees. */
static void test_check_deep_shared_tree(void **state)
{
	struct fixture *f = *state;
	struct cairn_check_stats st;
	struct deep_writer dw;
	char snap[CAIRN_ID_HEX];

	deep_writer_open(&dw, f->rf.r);
	deep_shared(&dw, SHARED_LEVELS, SHARED_CONTENT, strlen(SHARED_CONTENT), &f->shared);
	deep_writer_flush(&dw);
	deep_writer_close(&dw);
	deep_snapshot(f->rf.r, f->shared.root, 2000000000LL, snap);
	if (check(f, 0, &st) != 0)
		fail_msg("check: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.snapshots, 2);
	assert_int_equal(st.trees, LEVELS + 1 + SHARED_LEVELS + 1);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.blobs, 2);
}

/* The damage report names the deepest file by its whole path. */
static void test_check_deep_chain_damage_named(void **state)
{
	struct fixture *f = *state;
	struct cairn_check_stats st;
	struct cairn_blob_loc loc;
	char name[CAIRN_PACK_NAME_MAX], pack[1200];
	size_t len = LEVELS * (1 + strlen(DEEP_DIR)) + 1 + strlen(DEEP_FILE);
	char *want = malloc(len + 1), *p = want;

	assert_int_equal(cairn_catalog_blob_get(cairn_repo_catalog(f->rf.r), f->chain.data, CAIRN_BLOB_DATA, &loc), 0);
	cairn_repo_pack_name(loc.pack, name);
	snprintf(pack, sizeof(pack), "%s/%s", f->rf.repo, name);
	assert_int_equal(unlink(pack), 0);
	for (size_t i = 0; i < LEVELS; i++) {
		*p++ = '/';
		memcpy(p, DEEP_DIR, strlen(DEEP_DIR));
		p += strlen(DEEP_DIR);
	}
	snprintf(p, len + 1 - (size_t)(p - want), "/%s", DEEP_FILE);

	assert_int_equal(check(f, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(f->nproblems, 1);
	assert_string_equal(f->object, name);
	assert_int_equal(f->kind, CAIRN_EVENT_CLASS_MISSING);
	assert_int_equal(f->uses, 1);
	assert_non_null(f->path);
	assert_int_equal(strlen(f->path), len);
	assert_string_equal(f->path, want);
	assert_int_equal(f->directory, 0);
	assert_int_equal(st.trees, LEVELS + 1 + SHARED_LEVELS + 1);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_deep_chain_structure),
		cmocka_unit_test(test_check_deep_chain_read_data),
		cmocka_unit_test(test_check_deep_shared_tree),
		cmocka_unit_test(test_check_deep_chain_damage_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
