/* Repository locks: leases that expire (docs/FORMAT.md "Locks").
 *
 * A lock is a sealed object locks/<random id> naming its owner (host, pid,
 * start) and an expiry. While the holder lives, a thread refreshes it (a new
 * object, then the old one deleted) well before it expires; a holder killed
 * with -9 leaves a lock that simply expires, so it never blocks later runs
 * for longer than the lease. Shared locks (backup) coexist; an exclusive
 * lock (prune, later) excludes every other unexpired lock.
 */
#ifndef CAIRN_LOCK_H
#define CAIRN_LOCK_H

#include <stdint.h>

#include "cairn/repo.h"

#define CAIRN_LOCK_AD "cairn-lock-v1"
#define CAIRN_LOCK_LEASE_NS (30LL * 60 * 1000000000LL)  /* 30 minutes */
#define CAIRN_LOCK_REFRESH_NS (5LL * 60 * 1000000000LL) /* every 5 minutes */
/* A lock whose lease ran out longer ago than this, or whose holder is known
 * dead (cairn_lock_holder_dead), is stale: deleted by the next run that
 * takes a lock, or for a backup's lock (the sign that orphan packs may
 * exist) by the next orphan scan, so killed runs do not leave objects
 * behind for ever. */
#define CAIRN_LOCK_STALE_NS (60LL * 60 * 1000000000LL) /* 1 hour */

struct cairn_lock;

struct cairn_lock_info {
	char host[256];
	int64_t pid;
	int64_t start_ns;
	int64_t expires_ns;
	int exclusive;
	char purpose[64];
};

/* Take a lock. CAIRN_ELOCKED (detail naming the holder: host, pid, purpose,
 * since, expiry) when an unexpired conflicting lock exists. `lease_ns` 0 =
 * CAIRN_LOCK_LEASE_NS. The refresh thread runs until cairn_lock_release.
 * Once the lock is taken, stale locks (CAIRN_LOCK_STALE_NS) are deleted,
 * except backups' locks. */
int cairn_lock_acquire(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
		       struct cairn_lock **ret);
/* 1 when the holder of `info` is known to be dead: it ran on this host
 * (same host name) and its process is gone, or its pid belongs to a process
 * started after the lock was taken. Such a lock is ignored like an expired
 * one, so a run killed with -9 does not hold off an exclusive lock for the
 * rest of its lease on its own host. 0 otherwise (another host: only the
 * lease tells). Hosts sharing a repository need distinct host names. */
int cairn_lock_holder_dead(const struct cairn_lock_info *info);
/* cairn_lock_acquire, retried while a conflicting lock is held
 * (CAIRN_ELOCKED; any other error ends the wait at once), for up to
 * `wait_ns` (<= 0: one attempt). The wait goes through the retry policy
 * (include/cairn/retry.h): pauses of up to CAIRN_LOCK_WAIT_POLL_NS with full
 * jitter, so waiters do not poll in step, and one last attempt at the
 * deadline. When the wait ends without the lock: CAIRN_ELOCKED, its detail
 * "after N attempts in T (deadline D): attempt 1: <the holder>; ..." (a
 * single attempt keeps its own detail). */
#define CAIRN_LOCK_WAIT_POLL_NS (5LL * 1000000000LL)
int cairn_lock_acquire_wait(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
			    int64_t wait_ns, struct cairn_lock **ret);
/* cairn_lock_acquire_wait with the clock and sleep of `env` (NULL: the real
 * ones), so a test runs the wait on a fake clock. */
struct cairn_retry_env;
int cairn_lock_acquire_wait_env(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
				int64_t wait_ns, const struct cairn_retry_env *env, struct cairn_lock **ret);
/* 1 when the lock is stale at `now_ns` (CAIRN_LOCK_STALE_NS), else 0. */
int cairn_lock_stale(const struct cairn_lock_info *info, int64_t now_ns);
/* Delete the lock object locks/<id> of someone else (a stale one).
 * CAIRN_EINVAL for an id that is not 64 lowercase hex digits (nothing is
 * deleted); the store's errors otherwise. */
int cairn_lock_delete(struct cairn_repo *r, const char *id);
/* Stop refreshing and delete the lock object. NULL ok. */
void cairn_lock_release(struct cairn_lock *l);

/* Call cb for every lock object that can be read (expired ones too). */
int cairn_lock_list(struct cairn_repo *r, int (*cb)(void *ctx, const char *id, const struct cairn_lock_info *info),
		    void *ctx);

#endif
