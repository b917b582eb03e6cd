/* Prune's mark walk at depths no file system allows (issue 11, defect 1),
 * under RLIMIT_NOFILE 256: a crafted chain of 60,000 directories is kept
 * while another snapshot is forgotten; the dry run and the real prune walk
 * every tree of the chain once, delete only the forgotten snapshot's pack,
 * and a check afterwards finds the whole chain; a tree shared 2^60 ways is
 * read once per distinct tree. */
#include "cairn_test.h"

#include "repo_fixture.h"
#include "deep_chain.h"

#include "repo/repo_internal.h"

#include "cairn/check.h"
#include "cairn/err.h"
#include "cairn/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEVELS 60000
#define SHARED_LEVELS 60
#define CONTENT "the deepest file of the chain\n"
#define OTHER_CONTENT "the file of the snapshot forgotten\n"
#define SHARED_CONTENT "the file below 2^60 paths\n"

struct fixture {
	struct repo_fixture rf;
	struct deep_chain chain, other;
	char chain_snap[CAIRN_ID_HEX], other_snap[CAIRN_ID_HEX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct deep_writer dw;

	repo_fixture_init(&f->rf, "prune-deep");
	repo_fixture_create(&f->rf, NULL);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	deep_writer_open(&dw, f->rf.r);
	deep_chain(&dw, LEVELS, CONTENT, strlen(CONTENT), &f->chain);
	deep_writer_flush(&dw);
	/* the other snapshot: its blobs in a pack of their own */
	deep_chain(&dw, 3, OTHER_CONTENT, strlen(OTHER_CONTENT), &f->other);
	deep_writer_flush(&dw);
	deep_writer_close(&dw);
	deep_snapshot(f->rf.r, f->chain.root, 1000000000LL, f->chain_snap);
	deep_snapshot(f->rf.r, f->other.root, 2000000000LL, f->other_snap);
	deep_limit_fds(256);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static int count_files(const char *dir, const char *sub)
{
	char cmd[1200];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f 2>/dev/null | wc -l", dir, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static int prune(struct fixture *f, int dry_run, struct cairn_prune_stats *st)
{
	struct cairn_prune_opts o = { 0 };

	o.grace_ns = 0;
	o.repack_threshold = 101; /* never repack: only whole packs go */
	o.dry_run = dry_run;
	return cairn_prune(f->rf.r, &o, st);
}

static void test_prune_deep_chain_kept(void **state)
{
	struct fixture *f = *state;
	struct cairn_prune_stats st;
	struct cairn_check_stats cst;
	struct cairn_check_opts co = { 0 };
	struct cairn_blob_loc loc;
	int packs;

	assert_int_equal(cairn_forget_snapshot(f->rf.r, f->other_snap), 0);
	packs = count_files(f->rf.repo, "data");
	assert_true(packs >= 2);

	memset(&st, 0, sizeof(st));
	if (prune(f, 1, &st) != 0)
		fail_msg("prune --dry-run: %s", cairn_err_msg());
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.trees, LEVELS + 1);
	assert_int_equal(st.blobs_used, LEVELS + 2); /* the chain's trees and its file */
	assert_int_equal(st.packs_unused, 1);
	assert_int_equal(st.packs_deleted, 0);
	assert_int_equal(count_files(f->rf.repo, "data"), packs);

	memset(&st, 0, sizeof(st));
	if (prune(f, 0, &st) != 0)
		fail_msg("prune: %s", cairn_err_msg());
	assert_int_equal(st.trees, LEVELS + 1);
	assert_int_equal(st.packs_unused, 1);
	assert_int_equal(st.packs_deleted, 1);
	assert_int_equal(count_files(f->rf.repo, "data"), packs - 1);
	/* the other snapshot's blobs are gone, the chain's are all there */
	assert_int_equal(cairn_catalog_blob_get(cairn_repo_catalog(f->rf.r), f->other.data, CAIRN_BLOB_DATA, &loc),
			 CAIRN_ENOTFOUND);
	co.threads = 2;
	if (cairn_check_run(f->rf.r, &co, &cst) != 0)
		fail_msg("check after prune: %s", cairn_err_msg());
	assert_int_equal(cst.trees, LEVELS + 1);
	assert_int_equal(cst.files, 1);
	assert_int_equal(cst.problems, 0);
}

/* Each distinct tree is read once: 2^60 paths cost 61 trees. */
static void test_prune_deep_shared_tree(void **state)
{
	struct fixture *f = *state;
	struct cairn_prune_stats st;
	struct deep_writer dw;
	struct deep_chain shared;
	char snap[CAIRN_ID_HEX];

	deep_writer_open(&dw, f->rf.r);
	deep_shared(&dw, SHARED_LEVELS, SHARED_CONTENT, strlen(SHARED_CONTENT), &shared);
	deep_writer_flush(&dw);
	deep_writer_close(&dw);
	deep_snapshot(f->rf.r, shared.root, 3000000000LL, snap);
	memset(&st, 0, sizeof(st));
	if (prune(f, 1, &st) != 0)
		fail_msg("prune --dry-run: %s", cairn_err_msg());
	assert_int_equal(st.snapshots, 2);
	assert_int_equal(st.trees, LEVELS + 1 + SHARED_LEVELS + 1);
	assert_int_equal(st.blobs_used, LEVELS + 2 + SHARED_LEVELS + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune_deep_chain_kept),
		cmocka_unit_test(test_prune_deep_shared_tree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
