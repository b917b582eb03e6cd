/* Unit tests for repository locks: sharing, exclusion, expiry, refresh. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/retry.h"
#include "cairn/timeutil.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));

	repo_fixture_init(f, "lock");
	repo_fixture_create(f, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct repo_fixture *f = *state;

	repo_fixture_fini(f);
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

static int locks_in(struct repo_fixture *f)
{
	int n = 0;

	assert_int_equal(cairn_lock_list(f->r, count_locks, &n), 0);
	return n;
}

static void test_lock_shared_coexist_exclusive_excluded(void **state)
{
	struct repo_fixture *f = *state;
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

/* A fake clock for the lock wait: time moves only when slept on; after
 * `release_after` sleeps the holder's lock is released (0: never). */
struct wait_clock {
	int64_t now;
	unsigned sleeps;
	unsigned release_after;
	struct cairn_lock **holder;
};

static int64_t wait_now(void *ctx)
{
	return ((struct wait_clock *)ctx)->now;
}

static void wait_sleep(void *ctx, int64_t ns)
{
	struct wait_clock *w = ctx;

	assert_true(ns > 0 && ns <= CAIRN_LOCK_WAIT_POLL_NS);
	w->now += ns;
	w->sleeps++;
	if (w->release_after != 0 && w->sleeps == w->release_after) {
		cairn_lock_release(*w->holder);
		*w->holder = NULL;
	}
}

static uint64_t wait_random(void *ctx)
{
	(void)ctx;
	return (uint64_t)CAIRN_LOCK_WAIT_POLL_NS; /* every pause is the whole poll interval */
}

/* The holder never lets go: attempts every poll interval, one last attempt
 * at the deadline, then CAIRN_ELOCKED naming the holder with the attempts
 * folded in. */
static void test_lock_acquire_wait_deadline(void **state)
{
	struct repo_fixture *f = *state;
	struct wait_clock w = { 0 };
	struct cairn_retry_env env = { wait_now, wait_sleep, wait_random, &w };
	struct cairn_lock *x = NULL, *a = NULL;

	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	w.holder = &x;
	assert_int_equal(cairn_lock_acquire_wait_env(f->r, 0, "backup", 0, 12 * CAIRN_NS_PER_SEC, &env, &a),
			 CAIRN_ELOCKED);
	assert_null(a);
	/* attempts at 0, 5, 10 and 12 s */
	assert_int_equal(w.sleeps, 3);
	assert_true(w.now == 12 * CAIRN_NS_PER_SEC);
	print_message("%s\n", cairn_err_msg());
	assert_non_null(strstr(cairn_err_msg(), "after 4 attempts in 12.0s (deadline 12.0s)"));
	assert_non_null(strstr(cairn_err_msg(), "attempt 4: "));
	assert_non_null(strstr(cairn_err_msg(), "exclusively by prune"));
	assert_int_equal(locks_in(f), 1); /* the refused attempts left nothing */
	cairn_lock_release(x);
}

/* The holder lets go during the wait: the next attempt takes the lock. */
static void test_lock_acquire_wait_holder_released(void **state)
{
	struct repo_fixture *f = *state;
	struct wait_clock w = { .release_after = 2 };
	struct cairn_retry_env env = { wait_now, wait_sleep, wait_random, &w };
	struct cairn_lock *x = NULL, *a = NULL;

	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	w.holder = &x;
	assert_int_equal(cairn_lock_acquire_wait_env(f->r, 0, "backup", 0, 60 * CAIRN_NS_PER_SEC, &env, &a), 0);
	assert_non_null(a);
	assert_null(x);
	assert_int_equal(w.sleeps, 2);
	assert_true(w.now == 2 * CAIRN_LOCK_WAIT_POLL_NS);
	assert_int_equal(locks_in(f), 1);
	cairn_lock_release(a);
}

/* No wait: one attempt, its own detail, no clock read. */
static void test_lock_acquire_wait_zero(void **state)
{
	struct repo_fixture *f = *state;
	struct wait_clock w = { 0 };
	struct cairn_retry_env env = { wait_now, wait_sleep, wait_random, &w };
	struct cairn_lock *x = NULL, *a = NULL;

	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	assert_int_equal(cairn_lock_acquire_wait_env(f->r, 0, "backup", 0, 0, &env, &a), CAIRN_ELOCKED);
	assert_int_equal(w.sleeps, 0);
	assert_null(strstr(cairn_err_msg(), "attempts"));
	assert_non_null(strstr(cairn_err_msg(), "exclusively by prune"));
	cairn_lock_release(x);
	/* free: the real clock, taken at once */
	assert_int_equal(cairn_lock_acquire_wait(f->r, 0, "backup", 0, 60 * CAIRN_NS_PER_SEC, &a), 0);
	cairn_lock_release(a);
}

static void test_lock_expired_lease_does_not_block(void **state)
{
	struct repo_fixture *f = *state;
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
	struct repo_fixture *f = *state;
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
	struct repo_fixture *f = *state;
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
	/* a backup's lock stays for the orphan scan, which then deletes it */
	assert_int_equal(locks_in(f), 2);
	assert_int_equal(cairn_repo_sync(f->r, NULL, NULL), 0);
	assert_int_equal(cairn_repo_recover_orphans_if_needed(f->r, NULL), 0);
	assert_int_equal(locks_in(f), 1);
	cairn_lock_release(x);
	assert_int_equal(locks_in(f), 0);
}

/* Store a lock object as another host would have written it (FORMAT.md
 * section 12), named locks/<name>. */
static void put_foreign_lock(struct repo_fixture *f, const char *name, const char *purpose, int64_t start_ns,
			     int64_t expires_ns)
{
	json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:b, s:s}", "version", 1, "host", "far-away-host", "pid",
			      (json_int_t)4242, "start_ns", (json_int_t)start_ns, "expires_ns", (json_int_t)expires_ns,
			      "exclusive", 0, "purpose", purpose);
	char *json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	struct cairn_buf sealed = { 0 };
	char path[128];

	assert_non_null(json);
	assert_int_equal(cairn_seal(f->r->keys->enc, CAIRN_LOCK_AD, strlen(CAIRN_LOCK_AD), json, strlen(json), NULL,
				    &sealed),
			 0);
	snprintf(path, sizeof(path), "locks/%s", name);
	assert_int_equal(cairn_store_put(f->r->store, path, sealed.data, sealed.len), 0);
	cairn_buf_free(&sealed);
	free(json);
	json_decref(j);
}

static int lock_file_exists(struct repo_fixture *f, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/locks/%s", f->repo, name);
	return access(path, F_OK) == 0;
}

#define LOCK_OLD "0000000000000000000000000000000000000000000000000000000000000001"
#define LOCK_RECENT "0000000000000000000000000000000000000000000000000000000000000002"
#define LOCK_LIVE "0000000000000000000000000000000000000000000000000000000000000003"
#define LOCK_OLD_BACKUP "0000000000000000000000000000000000000000000000000000000000000004"

/* Locks of another host: one whose lease ran out two hours ago is deleted
 * by the next run that takes a lock; one that ran out ten minutes ago is
 * ignored but kept (the clocks of two hosts may differ); a live one stays
 * and still excludes an exclusive lock. An old backup's lock says that
 * orphan packs may exist: it stays until the orphan scan has run. */
static void test_lock_stale_locks_removed(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_lock *x = NULL;
	int64_t now = cairn_time_now_ns(), min = 60LL * 1000000000LL;

	put_foreign_lock(f, LOCK_OLD, "prune", now - 200 * min, now - 120 * min);
	put_foreign_lock(f, LOCK_RECENT, "prune-mark", now - 40 * min, now - 10 * min);
	put_foreign_lock(f, LOCK_LIVE, "backup", now - 5 * min, now + 25 * min);
	put_foreign_lock(f, LOCK_OLD_BACKUP, "backup", now - 200 * min, now - 120 * min);
	assert_int_equal(locks_in(f), 4);
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), CAIRN_ELOCKED);
	assert_non_null(strstr(cairn_err_msg(), "far-away-host"));
	assert_true(lock_file_exists(f, LOCK_OLD)); /* a refused run deletes nothing */
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &x), 0);
	assert_false(lock_file_exists(f, LOCK_OLD));
	assert_true(lock_file_exists(f, LOCK_RECENT));
	assert_true(lock_file_exists(f, LOCK_LIVE));
	assert_true(lock_file_exists(f, LOCK_OLD_BACKUP));
	assert_int_equal(locks_in(f), 4); /* ours, the recent, the live and the old backup's */
	assert_int_equal(cairn_repo_sync(f->r, NULL, NULL), 0);
	assert_int_equal(cairn_repo_recover_orphans_if_needed(f->r, NULL), 0);
	assert_false(lock_file_exists(f, LOCK_OLD_BACKUP));
	assert_true(lock_file_exists(f, LOCK_LIVE));
	cairn_lock_release(x);
	assert_int_equal(locks_in(f), 2);
}

/* Seal `json` as lock object locks/<name>. */
static void put_lock_text(struct repo_fixture *f, const char *name, const char *json)
{
	struct cairn_buf sealed = { 0 };
	char path[128];

	assert_int_equal(cairn_seal(f->r->keys->enc, CAIRN_LOCK_AD, strlen(CAIRN_LOCK_AD), json, strlen(json), NULL,
				    &sealed),
			 0);
	snprintf(path, sizeof(path), "locks/%s", name);
	assert_int_equal(cairn_store_put(f->r->store, path, sealed.data, sealed.len), 0);
	cairn_buf_free(&sealed);
}

#define LOCK_FMT                                                                                          \
	"{\"exclusive\":true,%s\"expires_ns\":%lld,\"host\":\"far-away-host\",\"pid\":4242,\"purpose\":\"prune\","   \
	"\"start_ns\":%lld,\"version\":1}"

/* FORMAT.md 1.1 and 12: a lock JSON with a duplicate member is not a lock
 * (ignored, like any undecodable lock), and a lock object larger than
 * CAIRN_LOCK_MAX_BYTES is not even fetched. */
static void test_lock_duplicate_member_and_oversized_ignored(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_lock *x = NULL;
	char json[512], *big;
	int64_t now = cairn_time_now_ns(), hour = 3600LL * 1000000000LL;

	/* docs/FORMAT.md 15.8: not a lock; without the repeated member, a lock (an expired one) */
	put_lock_text(f, LOCK_OLD, "{\"exclusive\":true,\"exclusive\":false,\"expires_ns\":1795696200000000000,"
				   "\"host\":\"far-away-host\",\"pid\":4242,\"purpose\":\"prune\","
				   "\"start_ns\":1795694400000000000,\"version\":1}");
	assert_int_equal(locks_in(f), 0);
	assert_int_equal(cairn_store_del(f->r->store, "locks/" LOCK_OLD), 0);
	put_lock_text(f, LOCK_OLD, "{\"exclusive\":false,\"expires_ns\":1795696200000000000,"
				   "\"host\":\"far-away-host\",\"pid\":4242,\"purpose\":\"prune\","
				   "\"start_ns\":1795694400000000000,\"version\":1}");
	assert_int_equal(locks_in(f), 1);
	assert_int_equal(cairn_store_del(f->r->store, "locks/" LOCK_OLD), 0);
	/* the same live exclusive lock without, then with, a repeated member */
	snprintf(json, sizeof(json), LOCK_FMT, "", (long long)(now + hour), (long long)now);
	put_lock_text(f, LOCK_LIVE, json);
	assert_int_equal(locks_in(f), 1);
	assert_int_equal(cairn_lock_acquire(f->r, 0, "backup", 0, &x), CAIRN_ELOCKED);
	assert_int_equal(cairn_store_del(f->r->store, "locks/" LOCK_LIVE), 0);
	snprintf(json, sizeof(json), LOCK_FMT, "\"exclusive\":false,", (long long)(now + hour), (long long)now);
	put_lock_text(f, LOCK_LIVE, json);
	assert_int_equal(locks_in(f), 0);
	/* an oversized object in locks/ */
	big = calloc(1, CAIRN_LOCK_MAX_BYTES + 1);
	assert_non_null(big);
	assert_int_equal(cairn_store_put(f->r->store, "locks/" LOCK_OLD, big, CAIRN_LOCK_MAX_BYTES + 1), 0);
	free(big);
	assert_int_equal(locks_in(f), 0);
	assert_int_equal(cairn_lock_acquire(f->r, 1, "prune", 0, &x), 0);
	assert_int_equal(locks_in(f), 1);
	cairn_lock_release(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_dead_holder_on_this_host_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_shared_coexist_exclusive_excluded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_acquire_wait_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_acquire_wait_holder_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_acquire_wait_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_expired_lease_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_refresh_keeps_lease_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_stale_locks_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_duplicate_member_and_oversized_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
