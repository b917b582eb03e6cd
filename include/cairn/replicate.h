/* Replication: copying a repository's objects to another site (another
 * region's bucket, another disk) so that the site alone can restore.
 *
 * A replica is a whole repository: the same config object, key objects,
 * packs, index objects and snapshot objects, under the same names. Objects
 * are immutable and named by the SHA-256 of their bytes, so copying is
 * idempotent and an interrupted run simply resumes. Order makes every
 * moment safe: the config and keys first, then packs and index objects,
 * and snapshot objects last, and only those whose data made it: a replica
 * never holds a snapshot that points at missing data (see docs/DESIGN.md,
 * "Replication").
 *
 *	struct cairn_replicate_opts o = { .site = "dr", .threads = 4 };
 *	struct cairn_replicate_stats st;
 *	rc = cairn_replicate(repo, replica_store, &o, &st);
 *
 * What each site holds is recorded in the primary's catalog, so a run with
 * nothing to do sends no request to the replica beyond reading its config;
 * a full listing of the replica (o.full, or when the last one is older than
 * o.reconcile_ns) repairs any drift. Deletions are never copied.
 */
#ifndef CAIRN_REPLICATE_H
#define CAIRN_REPLICATE_H

#include <stdint.h>

#include "cairn/repo.h"
#include "cairn/store.h"

/* List the replica when its last full listing is older than this. */
#define CAIRN_REPLICATE_RECONCILE_NS (24LL * 3600 * 1000000000)
#define CAIRN_REPLICATE_THREADS 4

struct cairn_replicate_stats {
	uint64_t objects_pending; /* objects the replica lacked at the start */
	uint64_t bytes_pending;
	uint64_t objects_copied;
	uint64_t bytes_copied;
	uint64_t objects_failed;   /* damaged on the primary, or not copied */
	uint64_t snapshots_copied;
	uint64_t snapshots_held;   /* held back: an object they may need failed */
	uint64_t objects_on_site;  /* recorded on the site at the end */
	uint64_t bytes_on_site;
	int listed;                /* the replica was listed (full reconcile) */
	int64_t duration_ns;
};

struct cairn_replicate_opts {
	const char *site;  /* the site's name in the catalog: a replica name, or its URL */
	int threads;       /* parallel transfers; 0 = CAIRN_REPLICATE_THREADS */
	int full;          /* list the replica and repair drift before copying */
	int64_t reconcile_ns; /* 0 = CAIRN_REPLICATE_RECONCILE_NS; < 0 = only when `full` */
	/* Progress (at most every 250 ms, from any thread, serialised) and
	 * warnings (each damaged or failed object); both may be NULL. */
	void (*on_progress)(void *ctx, const struct cairn_replicate_stats *st, const char *current);
	void (*on_warning)(void *ctx, const char *msg);
	void *ctx;
};

/* Copy to `dst` what it lacks of the open, synchronised repository `src`
 * (which stays usable; `dst` is borrowed). Every object is read whole,
 * checked against its name (SHA-256) and only then written to the replica
 * with put_content. A primary object that fails the check is reported,
 * not copied; snapshots are then held back for this run (the error says
 * how many). A replica that holds another repository is refused.
 * Records the outcome under meta "site.<site>.*" (see
 * cairn_replicate_site_status). 0; CAIRN_ECORRUPT when objects were
 * damaged (everything else was copied); CAIRN_EINVAL for a replica of
 * another repository; otherwise the store's error (transient, auth,
 * not found for a missing bucket). *ret (may be NULL) is filled either way. */
int cairn_replicate(struct cairn_repo *src, struct cairn_store *dst, const struct cairn_replicate_opts *o,
		    struct cairn_replicate_stats *ret);

/* What the catalog knows of a site, for status and RPO: */
struct cairn_site_status {
	char newest_id[CAIRN_ID_HEX]; /* newest snapshot complete on the site, "" for none */
	int64_t newest_time_ns;       /* its time, 0 for none */
	int64_t last_attempt_ns;      /* start of the last run, 0 = never */
	int64_t last_success_ns;      /* start of the last run that copied everything, 0 = never */
	int64_t last_full_ns;         /* last full listing, 0 = never */
	char last_error[256];         /* "" after a success */
	uint64_t objects_on_site, bytes_on_site;
	uint64_t snapshots_pending;   /* snapshots in the catalog not yet on the site */
	uint64_t objects_pending;     /* packs, index and snapshot objects not yet on the site */
	uint64_t bytes_pending;       /* the packs' bytes (blob bytes per the index) */
};

/* Fill *ret for `site` from src's catalog (no request is sent). */
int cairn_replicate_site_status(struct cairn_repo *src, const char *site, struct cairn_site_status *ret);

/* Replica forget. A replica keeps its own retention (its keep-* rules,
 * applied by forget like the primary's), with two rules of its own:
 *  - snapshots younger than the replica's delete-grace stay, whatever the
 *    policy says (cairn_replicate_forget_grace_ns: the grace a forget plan
 *    of the site is made with), so a wrong policy cannot empty a replica
 *    at once;
 *  - each snapshot forgotten there gets a tombstone in the primary's
 *    catalog (site_objects row "snapshots/<id>" of size -1), so that
 *    replication, which copies what the site lacks, does not copy it back;
 *    a full listing of the replica keeps tombstones.
 * Deletions are never propagated the other way: forget on the primary
 * leaves replicas alone. */

/* The delete-grace a forget of `site` keeps (0 for the primary, a bare URL
 * (NULL) or a replica without one). Pure. */
struct cairn_site_config;
int64_t cairn_replicate_forget_grace_ns(const struct cairn_site_config *site);

/* Forget snapshot `id` (full hex) on the replica `replica`, open as a
 * repository: delete it there (cairn_snapshot_delete: already gone is
 * success, so a rerun is harmless), then record its tombstone for `site`
 * (the replica's name in the catalog) in `primary`'s catalog (`primary`
 * NULL: none is recorded). Returns 0 when the snapshot is deleted; then
 * *ret_tombstone_rc (may be NULL) is 0, or the CAIRN_E* code (with a
 * detail) of a tombstone that could not be recorded: the next replication
 * may copy the snapshot again. Otherwise the deletion's CAIRN_E* code
 * (nothing recorded; CAIRN_EFORMAT for a version 1 replica). */
int cairn_replicate_forget_snapshot(struct cairn_repo *replica, struct cairn_repo *primary, const char *site,
				    const char *id, int *ret_tombstone_rc);

#endif
