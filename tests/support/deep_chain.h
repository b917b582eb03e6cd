/* Crafted deep repositories for the tree-walker tests (check, prune,
 * verify): trees written bottom-up through the packer, without a backup,
 * so that a snapshot can be deeper than any file system path.
 *
 *	struct deep_writer dw;
 *	deep_writer_open(&dw, r);
 *	deep_chain(&dw, levels, data, len, &chain);	  "d/" x levels, then deep.txt
 *	deep_writer_flush(&dw);				  packs and index objects stored
 *	deep_snapshot(r, chain.root, time_ns, id);	  snapshot written, catalog knows it
 *	deep_writer_close(&dw);
 *
 * Every directory entry has mode 0755 and mtime DEEP_MTIME, the file mode
 * 0644 and mtime DEEP_MTIME: a directory tree made with those (see
 * test_verify_deep.c) matches the snapshot. Header-only, like
 * repo_fixture.h. */
#ifndef CAIRN_DEEP_CHAIN_H
#define CAIRN_DEEP_CHAIN_H

#include "cairn_test.h"

#include "repo/packer.h"

#include "cairn/compress.h"
#include "cairn/err.h"
#include "cairn/snapshot.h"
#include "cairn/tree.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DEEP_MTIME 1700000000LL
#define DEEP_DIR "d"
#define DEEP_FILE "deep.txt"

struct deep_writer {
	struct cairn_repo *r;
	struct cairn_packer *packer;
	struct cairn_zctx *z;
	struct cairn_buf scratch, tree;
};

/* A chain: its root tree, the file's blob id, the trees written. */
struct deep_chain {
	uint8_t root[CAIRN_ID_BYTES];
	uint8_t data[CAIRN_ID_BYTES];
	size_t trees;
};

static inline void deep_writer_open(struct deep_writer *dw, struct cairn_repo *r)
{
	memset(dw, 0, sizeof(*dw));
	dw->r = r;
	assert_int_equal(cairn_packer_new(r, &dw->packer), 0);
	assert_int_equal(cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &dw->z), 0);
}

static inline void deep_writer_flush(struct deep_writer *dw)
{
	if (cairn_packer_flush(dw->packer) != 0)
		fail_msg("packer flush: %s", cairn_err_msg());
}

static inline void deep_writer_close(struct deep_writer *dw)
{
	cairn_packer_free(dw->packer);
	cairn_zctx_free(dw->z);
	cairn_buf_free(&dw->scratch);
	cairn_buf_free(&dw->tree);
}

static inline void deep_blob(struct deep_writer *dw, uint8_t type, const void *data, size_t len,
			     uint8_t ret_id[CAIRN_ID_BYTES])
{
	if (cairn_packer_add(dw->packer, dw->z, &dw->scratch, type, data, len, ret_id, NULL) != 0)
		fail_msg("packer add: %s", cairn_err_msg());
}

/* An entry named `name` (a literal: not freed) of `type`. */
static inline struct cairn_entry deep_entry(const char *name, uint8_t type)
{
	struct cairn_entry e;

	memset(&e, 0, sizeof(e));
	e.name = (uint8_t *)name;
	e.name_len = strlen(name);
	e.type = type;
	e.mode = type == CAIRN_ENTRY_DIR ? 0755 : 0644;
	e.mtime_sec = DEEP_MTIME;
	return e;
}

/* Encode `n` entries (pointers into the caller's memory) as a tree blob. */
static inline void deep_tree(struct deep_writer *dw, struct cairn_entry *entries, size_t n,
			     uint8_t ret_id[CAIRN_ID_BYTES])
{
	cairn_buf_reset(&dw->tree);
	assert_int_equal(cairn_tree_encode(entries, n, &dw->tree), 0);
	deep_blob(dw, CAIRN_BLOB_TREE, dw->tree.data, dw->tree.len, ret_id);
}

/* `levels` directories named DEEP_DIR one in the other, the last holding
 * DEEP_FILE with `data` (one chunk: shorter than the chunker's minimum). */
static inline void deep_chain(struct deep_writer *dw, size_t levels, const void *data, size_t len,
			      struct deep_chain *ret)
{
	struct cairn_entry e = deep_entry(DEEP_FILE, CAIRN_ENTRY_FILE);
	uint8_t id[CAIRN_ID_BYTES];

	deep_blob(dw, CAIRN_BLOB_DATA, data, len, ret->data);
	e.size = len;
	e.content = ret->data;
	e.content_count = 1;
	deep_tree(dw, &e, 1, id);
	for (size_t i = 0; i < levels; i++) {
		e = deep_entry(DEEP_DIR, CAIRN_ENTRY_DIR);
		memcpy(e.subtree, id, CAIRN_ID_BYTES);
		deep_tree(dw, &e, 1, id);
	}
	memcpy(ret->root, id, CAIRN_ID_BYTES);
	ret->trees = levels + 1;
}

/* A tree shared 2^levels ways: level k holds "a" and "b", both the tree of
 * level k - 1; level 0 holds DEEP_FILE. */
static inline void deep_shared(struct deep_writer *dw, size_t levels, const void *data, size_t len,
			       struct deep_chain *ret)
{
	struct cairn_entry e[2];
	uint8_t id[CAIRN_ID_BYTES];

	deep_blob(dw, CAIRN_BLOB_DATA, data, len, ret->data);
	e[0] = deep_entry(DEEP_FILE, CAIRN_ENTRY_FILE);
	e[0].size = len;
	e[0].content = ret->data;
	e[0].content_count = 1;
	deep_tree(dw, e, 1, id);
	for (size_t i = 0; i < levels; i++) {
		e[0] = deep_entry("a", CAIRN_ENTRY_DIR);
		e[1] = deep_entry("b", CAIRN_ENTRY_DIR);
		memcpy(e[0].subtree, id, CAIRN_ID_BYTES);
		memcpy(e[1].subtree, id, CAIRN_ID_BYTES);
		deep_tree(dw, e, 2, id);
	}
	memcpy(ret->root, id, CAIRN_ID_BYTES);
	ret->trees = levels + 1;
}

/* Write a snapshot of `root` (its id into ret_id) and sync the catalog. */
static inline void deep_snapshot(struct cairn_repo *r, const uint8_t root[CAIRN_ID_BYTES], int64_t time_ns,
				 char ret_id[CAIRN_ID_HEX])
{
	struct cairn_snapshot s;
	char *paths[1] = { (char *)"/" };

	memset(&s, 0, sizeof(s));
	memcpy(s.tree, root, CAIRN_ID_BYTES);
	s.time_ns = time_ns;
	s.host = (char *)"deep";
	s.user = (char *)"root";
	s.paths = paths;
	s.npaths = 1;
	if (cairn_snapshot_write(r, &s) != 0)
		fail_msg("snapshot write: %s", cairn_err_msg());
	memcpy(ret_id, s.id, CAIRN_ID_HEX);
	assert_int_equal(cairn_repo_sync(r, NULL, NULL), 0);
}

/* The soft limit of open descriptors, for the whole test program. */
static inline void deep_limit_fds(rlim_t n)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = n < rl.rlim_max ? n : rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* Descriptors open in this process now. */
static inline int deep_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the listing's own */
}

#endif
