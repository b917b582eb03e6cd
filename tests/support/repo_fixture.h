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
#include "cairn/repo.h"

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

/* Close rf->r (whichever repository it holds then), remove the directory. */
static inline void repo_fixture_fini(struct repo_fixture *rf)
{
	cairn_repo_close(rf->r);
	cairn_secret_free(rf->secret);
	cairn_test_rmtree(rf->dir);
	free(rf->dir);
}

#endif
