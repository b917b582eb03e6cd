/* Unit tests for repository locks: sharing, exclusion, expiry, refresh. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
	char *dir;
	char repo[512], state[512];
	struct cairn_secret *secret;
	struct cairn_repo *r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(cairn_crypto_init(), 0);
	setenv("CAIRN_KDF_MEMLIMIT", "65536", 1);
	f->dir = cairn_test_mkdtemp("lock");
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "pw", 2, &f->secret), 0);
	assert_int_equal(cairn_repo_init(f->repo, f->secret, "h", NULL, NULL), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_repo_close(f->r);
	cairn_secret_free(f->secret);
	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int count_locks(void *ctx, const char *id, const struct cairn_lock_info *info)
{
	int *n = ctx;

	(void)id;
	(void)info;
	(*n)++;
	return 0;
}

static int locks_in(struct fixture *f)
{
	int n = 0;

	assert_int_equal(cairn_lock_list(f->r, count_locks, &n), 0);
	return n;
}

static void test_lock_shared_coexist_exclusive_excluded(void **state)
{
	struct fixture *f = *state;
	struct cairn_lock *a = NULL, *b = NULL, *x = NULL;

	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &a), 0);
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &b), 0);
	assert_int_equal(locks_in(f), 2);
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), CAIRN_ELOCKED);
	assert_non_null(strstr(cairn_err_msg(), "locked by backup on host"));
	assert_null(x);
	assert_int_equal(locks_in(f), 2); /* the refused attempt left nothing */
	cairn_lock_release(a);
	cairn_lock_release(b);
	assert_int_equal(locks_in(f), 0);
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &a), CAIRN_ELOCKED);
	assert_non_null(strstr(cairn_err_msg(), "exclusively by prune"));
	cairn_lock_release(x);
}

static void test_lock_expired_lease_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct cairn_lock *stale = NULL, *x = NULL;
	char cmd[1200];

	/* a holder killed with -9: its lock object stays, its lease runs out */
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 3000000000LL, &stale), 0);
	snprintf(cmd, sizeof(cmd), "cp -a %s/locks %s/locks.keep", f->repo, f->dir);
	assert_int_equal(system(cmd), 0);
	cairn_lock_release(stale);
	snprintf(cmd, sizeof(cmd), "cp -a %s/locks.keep/. %s/locks/", f->dir, f->repo);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(locks_in(f), 1);
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &x), CAIRN_ELOCKED);
	sleep(4); /* past the 3 s lease */
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &x), 0);
	cairn_lock_release(x);
}

static void test_lock_refresh_keeps_lease_alive(void **state)
{
	struct fixture *f = *state;
	struct cairn_lock *l = NULL, *x = NULL;

	/* lease 1.5 s, refreshed every 0.5 s: still held after 4 s (a loaded
	 * machine has a whole second for each refresh) */
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 1500000000LL, &l), 0);
	sleep(4);
	assert_int_equal(locks_in(f), 1);
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &x), CAIRN_ELOCKED);
	cairn_lock_release(l);
	assert_int_equal(locks_in(f), 0);
}

/* A holder on this host killed with -9: its lease has 30 minutes left, but
 * its process is gone, so the lock no longer blocks an exclusive one. While
 * it lived, it did. */
static void test_lock_dead_holder_on_this_host_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct cairn_lock *x = NULL;
	int ready[2], status;
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cairn_lock *held = NULL;

		close(ready[0]);
		if (cairn_lock_acquire(f->r, 0, "backup", 0, &held) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), CAIRN_ELOCKED);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(locks_in(f), 1); /* its lock object is still there */
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	cairn_lock_release(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_dead_holder_on_this_host_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_shared_coexist_exclusive_excluded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_expired_lease_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_refresh_keeps_lease_alive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
