/* Removing unused data: forget (snapshots) and prune (packs), FORMAT.md
 * section 13.5.
 *
 * Prune works in two phases so that it never stops backups for long and
 * never deletes data a backup is about to use:
 *
 *  1. Mark (under a shared lock, like a backup): walk every snapshot's
 *     trees into the catalog's used-blob set; a pack holding no used blob
 *     is marked with the time; a pack whose unused share is at least the
 *     repack threshold has its used blobs copied into new packs (with a
 *     new index object), then is marked. Nothing is deleted.
 *  2. Sweep (only when some mark is older than the grace period): under an
 *     exclusive lock (no backup runs; one that started while prune waited
 *     has finished), synchronise again, walk the snapshots that appeared
 *     since (their trees only, already-seen subtrees are skipped), unmark
 *     every marked pack that holds a used blob, then for the packs marked
 *     longer ago than the grace period: store new index objects without
 *     them, delete the index objects they replace, delete the packs.
 *
 * Memory is bounded by the catalog on disk: the used set, usage and marks
 * are SQLite tables read a page at a time; only the packs deleted in one
 * sweep and the index objects they touch are held in memory.
 *
 * A snapshot, tree or index object that cannot be read stops prune before
 * anything is marked or deleted (what it references is unknown).
 */
#ifndef CAIRN_PRUNE_H
#define CAIRN_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/repo.h"
#include "cairn/retention.h"
#include "cairn/snapshot.h"

#define CAIRN_PRUNE_GRACE_NS (24LL * 3600 * 1000000000LL) /* default grace period: 1 day */
#define CAIRN_PRUNE_REPACK_THRESHOLD 30                   /* default: repack packs >= 30% unused */

struct cairn_prune_opts {
	int64_t grace_ns;        /* marks younger than this are kept; < 0 = default */
	int repack_threshold;    /* percent 1..100; 0 = default; > 100 = never repack */
	int dry_run;             /* report what would happen; write nothing */
	int64_t lock_wait_ns;    /* wait this long for the exclusive lock of the sweep */
	/* A replica: never repack (its packs are copies of the primary's), and
	 * delete only packs the primary no longer has (else replication would
	 * copy them back). NULL for the primary. */
	struct cairn_store *primary;
	/* Progress (may be NULL): phase "walk", "repack", "sweep". */
	void (*on_progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
	void *ctx;
};

struct cairn_prune_stats {
	uint64_t snapshots;          /* walked */
	uint64_t trees;              /* distinct trees read */
	uint64_t blobs_used;         /* distinct blobs referenced */
	uint64_t packs;              /* packs listed by the index */
	uint64_t bytes;              /* their stored bytes */
	uint64_t bytes_unused;       /* of those, bytes no snapshot uses */
	uint64_t packs_unused;       /* packs with no used blob */
	uint64_t packs_marked;       /* newly marked by this run */
	uint64_t packs_unmarked;     /* marked before, used again */
	uint64_t packs_repacked, blobs_repacked, bytes_repacked;
	uint64_t packs_waiting;      /* marked, grace period not over */
	uint64_t packs_on_primary;   /* replica: unused here but still on the primary */
	uint64_t packs_deleted, bytes_deleted;
	uint64_t index_written, index_deleted;
	int64_t next_sweep_ns;       /* when the oldest waiting mark is past the grace period, 0 = none */
	int sweep_locked;            /* the sweep was postponed: another run held the repository */
};

/* Run prune on `r` (synchronised by the caller or not: prune synchronises
 * itself). 0 and *ret (may be NULL); CAIRN_ECORRUPT when something could
 * not be read (nothing was marked or deleted); CAIRN_ELOCKED when the sweep
 * could not take its lock within opts->lock_wait_ns (the marks are kept,
 * stats filled); CAIRN_EFORMAT on a version 1 repository. */
int cairn_prune(struct cairn_repo *r, const struct cairn_prune_opts *opts, struct cairn_prune_stats *ret);

/* Forget: the verdict of a retention policy for every snapshot. */
struct cairn_forget_entry {
	struct cairn_snapshot snap;
	unsigned reasons;        /* CAIRN_RETENTION_* bits that keep it */
	int grace;               /* kept because younger than the grace period (replicas) */
	int keep;                /* reasons != 0 || grace */
	size_t group;
};

/* Decide with `policy` for every snapshot in the catalog (synchronise
 * first). Snapshots younger than `grace_ns` (0 = none) measured from
 * `now_ns` are kept whatever the policy says. Entries newest first within
 * each group, groups in order; free with cairn_forget_plan_free. */
int cairn_forget_plan(struct cairn_repo *r, const struct cairn_retention_policy *policy, int64_t grace_ns,
		      int64_t now_ns, struct cairn_forget_entry **ret, size_t *ret_count);
void cairn_forget_plan_free(struct cairn_forget_entry *entries, size_t count);

/* Delete snapshot `id` from the repository, then from the catalog: the
 * kernel's cairn_snapshot_delete (see there). */
int cairn_forget_snapshot(struct cairn_repo *r, const char *id);

#endif
