/* Prune, phase 1 (mark and repack) and the orchestration (see prune.h). */
#include "prune_internal.h"

#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>

void prune_progress(struct prune_ctx *p, const char *phase, uint64_t done, uint64_t total)
{
	if (p->o->on_progress != NULL)
		p->o->on_progress(p->o->ctx, phase, done, total);
}

struct usage_walk {
	struct prune_ctx *p;
	struct prune_repack *k;
};

static int judge_pack(void *ctx, const struct cairn_catalog_pack_usage *u)
{
	struct usage_walk *w = ctx;
	struct prune_ctx *p = w->p;
	uint64_t unused = u->bytes > u->used_bytes ? u->bytes - u->used_bytes : 0;
	int rc;

	p->st->packs++;
	p->st->bytes += u->bytes;
	p->st->bytes_unused += unused;
	if (u->used_blobs == 0) {
		p->st->packs_unused++;
		if (p->o->dry_run)
			return 0;
		rc = cairn_catalog_mark_put(p->r->catalog, u->pack, p->now_ns);
		if (rc > 0)
			p->st->packs_marked++;
		return rc < 0 ? rc : 0;
	}
	if (p->o->primary != NULL || p->threshold > 100 || u->bytes == 0 ||
	    unused * 100 < (uint64_t)p->threshold * u->bytes)
		return 0;
	if (p->o->dry_run) {
		p->st->packs_repacked++;
		p->st->bytes_repacked += u->used_bytes;
		return 0;
	}
	return prune_repack_pack(w->k, u->pack);
}

static int unmark_one(void *ctx, const uint8_t pack[CAIRN_ID_BYTES])
{
	struct prune_ctx *p = ctx;
	int rc = cairn_catalog_mark_delete(p->r->catalog, pack);

	if (rc == 0)
		p->st->packs_unmarked++;
	return rc;
}

/* Packs marked earlier that hold a used blob again (a backup referenced
 * them) lose their mark. */
int prune_unmark_used(struct prune_ctx *p)
{
	return cairn_catalog_marked_in_use(p->r->catalog, unmark_one, p);
}

static int mark_phase(struct prune_ctx *p)
{
	struct prune_repack k = { .p = p };
	struct usage_walk w = { p, &k };
	int rc;

	rc = cairn_catalog_used_clear(p->r->catalog);
	if (rc == 0)
		rc = prune_walk_snapshots(p);
	if (rc == 0 && !p->o->dry_run)
		rc = prune_unmark_used(p);
	if (rc == 0)
		rc = cairn_catalog_pack_usage_each(p->r->catalog, judge_pack, &w);
	if (rc == 0 && !p->o->dry_run)
		rc = prune_repack_finish(&k);
	prune_repack_free(&k);
	return rc;
}

static void sync_warning(void *ctx, const struct cairn_event *ev)
{
	(void)ctx;
	(void)ev; /* the error returned names the damage */
}

/* Synchronise the catalog; damage anywhere stops prune. */
static int sync_strict(struct cairn_repo *r)
{
	int rc = cairn_repo_sync(r, sync_warning, NULL);

	if (rc == CAIRN_ECORRUPT)
		return cairn_err_ctx(rc, "prune stopped before deleting anything (run 'cairn-agent check')");
	return rc;
}

struct due_scan {
	int64_t before;
	uint64_t due, waiting;
	int64_t oldest_waiting;
};

static int scan_mark(void *ctx, const uint8_t pack[CAIRN_ID_BYTES], int64_t marked_ns)
{
	struct due_scan *d = ctx;

	(void)pack;
	if (marked_ns <= d->before) {
		d->due++;
	} else {
		d->waiting++;
		if (d->oldest_waiting == 0 || marked_ns < d->oldest_waiting)
			d->oldest_waiting = marked_ns;
	}
	return 0;
}

static int scan_due(struct prune_ctx *p, struct due_scan *d)
{
	memset(d, 0, sizeof(*d));
	d->before = p->now_ns - p->grace_ns;
	return cairn_catalog_mark_each(p->r->catalog, scan_mark, d);
}

static int run(struct prune_ctx *p)
{
	struct cairn_lock *lock = NULL;
	struct due_scan due;
	int rc;

	if (p->r->config.version < 2)
		return cairn_err(CAIRN_EFORMAT,
				 "repository '%s' has format version 1, which promised that nothing is ever deleted "
				 "(older cairn versions write to it without the locking prune needs); prune and "
				 "forget need a version 2 repository",
				 p->r->url);
	if (!p->o->dry_run) {
		rc = cairn_lock_acquire_wait(p->r, 0, "prune-mark", 0, p->o->lock_wait_ns, &lock);
		if (rc < 0)
			return rc;
	}
	rc = sync_strict(p->r);
	/* Packs a sweep killed between deleting index objects and deleting
	 * its packs left behind are orphans (FORMAT.md 13.5): index them again
	 * when orphans may exist, so that this prune marks them. Not on a
	 * replica: its orphans are packs whose index objects the next
	 * replication brings. */
	if (rc == 0 && !p->o->dry_run && p->o->primary == NULL)
		rc = cairn_repo_recover_orphans_if_needed(p->r, NULL);
	if (rc == 0)
		rc = mark_phase(p);
	if (rc == 0)
		rc = scan_due(p, &due);
	cairn_lock_release(lock);
	lock = NULL;
	if (rc < 0)
		return rc;
	p->st->packs_waiting = due.waiting;
	p->st->next_sweep_ns = due.oldest_waiting > 0 ? due.oldest_waiting + p->grace_ns : 0;
	if (p->o->dry_run) {
		p->st->packs_deleted = due.due; /* would be deleted, if still unused then */
		return 0;
	}
	if (due.due == 0)
		return 0;
	rc = cairn_lock_acquire_wait(p->r, 1, "prune", 0, p->o->lock_wait_ns, &lock);
	if (rc == CAIRN_ELOCKED) {
		p->st->sweep_locked = 1;
		return cairn_err_ctx(rc, "%llu marked pack%s not deleted yet (kept for a later prune)",
				     (unsigned long long)due.due, due.due == 1 ? "" : "s");
	}
	if (rc < 0)
		return rc;
	/* no backup runs now; what ran while we waited is in the repository */
	rc = sync_strict(p->r);
	if (rc == 0)
		rc = prune_walk_snapshots(p);
	if (rc == 0)
		rc = prune_unmark_used(p);
	/* a sweep stopped before its last deletion leaves orphan packs: the
	 * next backup or prune through this catalog looks for them */
	if (rc == 0) {
		cairn_repo_sweep_begin(p->r);
		rc = prune_sweep(p);
		if (rc == 0)
			cairn_repo_sweep_end(p->r);
	}
	cairn_lock_release(lock);
	return rc;
}

int cairn_prune(struct cairn_repo *r, const struct cairn_prune_opts *opts, struct cairn_prune_stats *ret)
{
	struct cairn_prune_stats st = { 0 };
	struct prune_ctx p = { .r = r, .o = opts, .st = &st };
	int rc;

	if (r == NULL || opts == NULL)
		return cairn_err(CAIRN_EINVAL, "prune: a repository and options are required");
	p.now_ns = cairn_time_now_ns();
	p.grace_ns = opts->grace_ns >= 0 ? opts->grace_ns : CAIRN_PRUNE_GRACE_NS;
	p.threshold = opts->repack_threshold > 0 ? opts->repack_threshold : CAIRN_PRUNE_REPACK_THRESHOLD;
	rc = cairn_zctx_new(r->config.zstd_level, &p.z);
	if (rc == 0)
		rc = run(&p);
	cairn_zctx_free(p.z);
	if (ret != NULL)
		*ret = st;
	return rc;
}
