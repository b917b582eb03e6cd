/* The local repository most repo module tests start from: a fresh directory
 * with paths for a repository, two catalog state directories, a source tree
 * and a restore target, and a repository there for the passphrase "pw",
 * opened. A test's setup calls
 *
 *	repo_fixture_init(rf, "name");	directory, paths, an empty src/
 *	...				its own source files, config
 *	repo_fixture_create(rf, cfg);	repository created, opened as rf->r
 *	...				sync, replicas, fault injection
 *
 * and its teardown repo_fixture_fini(rf). Header-only: tests/support is
 * linked into every module's tests, also those that do not link the repo
 * library. */
#ifndef CAIRN_REPO_FIXTURE_H
#define CAIRN_REPO_FIXTURE_H

#include "cairn_test.h"

#include "cairn/crypto.h"
#include "cairn/pack.h"
#include "cairn/repo.h"
#include "cairn/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

struct repo_fixture {
	char *dir;
	char repo[512], state[512], state2[512], src[512], out[512]; /* dir/repo, dir/state, ... */
	struct cairn_secret *secret;
	struct cairn_repo *r; /* opened with state */
};

/* Fill rf (zeroed, e.g. by calloc): libsodium, a cheap key derivation, the
 * directory (named after `name`) and its paths; src/ is created, the others
 * are not. */
static inline void repo_fixture_init(struct repo_fixture *rf, const char *name)
{
	assert_int_equal(cairn_crypto_init(), 0);
	setenv("CAIRN_KDF_MEMLIMIT", "65536", 1);
	rf->dir = cairn_test_mkdtemp(name);
	snprintf(rf->repo, sizeof(rf->repo), "%s/repo", rf->dir);
	snprintf(rf->state, sizeof(rf->state), "%s/state", rf->dir);
	snprintf(rf->state2, sizeof(rf->state2), "%s/state2", rf->dir);
	snprintf(rf->src, sizeof(rf->src), "%s/src", rf->dir);
	snprintf(rf->out, sizeof(rf->out), "%s/out", rf->dir);
	assert_int_equal(mkdir(rf->src, 0755), 0);
}

/* Create the repository with `cfg` (NULL = defaults) and open it as rf->r;
 * its catalog is not synchronised. */
static inline void repo_fixture_create(struct repo_fixture *rf, const struct cairn_repo_config *cfg)
{
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "pw", 2, &rf->secret), 0);
	assert_int_equal(cairn_repo_init(rf->repo, rf->secret, "h", cfg, NULL), 0);
	assert_int_equal(cairn_repo_open(rf->repo, rf->secret, rf->state, &rf->r), 0);
}

/* Reopen rf->r (created) on its local store wrapped in the fault decorator
 * (store.h), synchronised; *ret_faulty is that decorator, owned by rf->r. */
static inline void repo_fixture_reopen_faulty(struct repo_fixture *rf, struct cairn_store **ret_faulty)
{
	struct cairn_store *local = NULL;

	cairn_repo_close(rf->r);
	assert_int_equal(cairn_store_local_open(rf->repo, 0, &local), 0);
	assert_int_equal(cairn_store_fault_wrap(local, ret_faulty), 0);
	assert_int_equal(cairn_repo_open_store(*ret_faulty, rf->repo, rf->secret, rf->state, &rf->r), 0);
	assert_int_equal(cairn_repo_sync(rf->r, NULL, NULL), 0);
}

/* Build, without storing it, a pack of `n` data blobs of `len` bytes each
 * (the plaintext of blob i is cairn_test_fill_random(seed + i)) sealed with
 * rf->r's keys: its bytes (ret_pack, zeroed by the caller), its id and its
 * blob locations (malloc'd). */
static inline void repo_fixture_build_pack(struct repo_fixture *rf, int n, size_t len, uint64_t seed,
					   struct cairn_buf *ret_pack, uint8_t ret_id[CAIRN_ID_BYTES],
					   struct cairn_blob_loc **ret_locs, size_t *ret_n)
{
	const struct cairn_keys *keys = cairn_repo_keys(rf->r);
	struct cairn_pack_writer *w = NULL;
	struct cairn_buf stored = { 0 };
	uint8_t *plain = malloc(len), id[CAIRN_ID_BYTES];

	assert_non_null(plain);
	assert_int_equal(cairn_pack_writer_new(&w), 0);
	for (int i = 0; i < n; i++) {
		cairn_test_fill_random(plain, len, seed + (uint64_t)i);
		cairn_blob_id(keys, plain, len, id);
		cairn_buf_reset(&stored);
		assert_int_equal(cairn_blob_encode(keys, NULL, CAIRN_BLOB_DATA, id, plain, len, &stored), 0);
		assert_int_equal(cairn_pack_writer_add(w, CAIRN_BLOB_DATA, id, stored.data, stored.len, (uint32_t)len),
				 0);
	}
	assert_int_equal(cairn_pack_writer_finish(w, keys, ret_pack, ret_id, ret_locs, ret_n), 0);
	cairn_pack_writer_free(w);
	cairn_buf_free(&stored);
	free(plain);
}

/* Close rf->r (whichever repository it holds then), remove the directory. */
static inline void repo_fixture_fini(struct repo_fixture *rf)
{
	cairn_repo_close(rf->r);
	cairn_secret_free(rf->secret);
	cairn_test_rmtree(rf->dir);
	free(rf->dir);
}

#endif
