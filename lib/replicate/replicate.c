/* Replication runs: what the replica lacks, copied verified, in a safe order (see cairn/replicate.h). */
#include "replicate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/timeutil.h"

void replicate_progress(struct rep_ctx *c, const char *current, int force)
{
	struct cairn_replicate_stats st;
	int64_t now;

	if (c->opts->on_progress == NULL)
		return;
	now = cairn_time_now_ns();
	pthread_mutex_lock(&c->lock);
	if (!cairn_time_due(&c->last_progress_ns, now, CAIRN_PROGRESS_INTERVAL_NS, force)) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	st = c->stats;
	st.duration_ns = now - c->start_ns;
	c->opts->on_progress(c->opts->ctx, &st, current);
	pthread_mutex_unlock(&c->lock);
}

static void warn(struct rep_ctx *c, const char *msg)
{
	if (c->opts->on_warning == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->opts->on_warning(c->opts->ctx, msg);
	pthread_mutex_unlock(&c->lock);
}

/* A damaged index or snapshot object found by the sync: a warning. */
static void sync_warning(void *ctx, const struct cairn_event *ev)
{
	warn(ctx, ev->message);
}

/* Copy one object: read it whole from the primary, check it against its
 * name, write it to the replica, record it. */
static void copy_one(void *job, int worker, void *vctx)
{
	struct rep_ctx *c = vctx;
	struct rep_object *obj = job;
	struct cairn_buf b = { 0 };
	enum cairn_repo_obj kind;
	int rc;

	(void)worker;
	if (atomic_load(&c->stop))
		return;
	/* checked against its name, by the repository's re-read rule */
	rc = cairn_repo_object_read(c->src->store, obj->name, &b);
	if (rc == CAIRN_ECORRUPT)
		rc = cairn_err_ctx(rc, "not copied from '%s'", c->src->store->description);
	if (rc == CAIRN_ENOTFOUND)
		/* listed a moment ago (and prune cannot run during replication):
		 * lost on the primary, like damage */
		rc = cairn_err(CAIRN_ECORRUPT, "object '%s' listed in '%s' is missing there now: not copied",
			       obj->name, c->src->store->description);
	if (rc < 0 && rc != CAIRN_ECORRUPT)
		rc = cairn_err_ctx(rc, "cannot read '%s' from the primary", obj->name);
	if (rc == 0) {
		rc = cairn_store_put_content(c->dst, obj->name, b.data, b.len);
		if (rc < 0)
			rc = cairn_err_ctx(rc, "cannot copy '%s' to site '%s'", obj->name, c->site);
	}
	if (rc == 0)
		rc = cairn_catalog_site_put(c->src->catalog, c->site, obj->name, b.len);
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		c->stats.objects_copied++;
		c->stats.bytes_copied += b.len;
		if (cairn_repo_object_kind(obj->name, &kind, NULL) && kind == CAIRN_REPO_OBJ_SNAPSHOT)
			c->stats.snapshots_copied++;
	} else {
		c->stats.objects_failed++;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc == CAIRN_ECORRUPT) {
		warn(c, cairn_err_msg());
	} else if (rc < 0) {
		/* the replica (or the primary) is failing: stop after the first
		 * such error instead of waiting out every object's deadline */
		pthread_mutex_lock(&c->lock);
		if (c->error == 0) {
			c->error = rc;
			snprintf(c->error_msg, sizeof(c->error_msg), "%s", cairn_err_msg());
		}
		pthread_mutex_unlock(&c->lock);
		atomic_store(&c->stop, 1);
	}
	cairn_buf_free(&b);
	replicate_progress(c, obj->name, 0);
}

/* Run the copy jobs of list[0..n) on the pool and wait for them. */
static void copy_all(struct rep_ctx *c, struct rep_list *l)
{
	for (size_t i = 0; i < l->count && !atomic_load(&c->stop); i++)
		cairn_workpool_submit(c->pool, &l->items[i]);
	cairn_workpool_drain(c->pool);
}

/* The config object: *ret_missing set when the site has none (it is
 * stored by store_config once the keys are there); a different one means
 * the site holds another repository. */
static int check_config(struct rep_ctx *c, int *ret_missing)
{
	struct cairn_buf mine = { 0 }, theirs = { 0 };
	int rc;

	/* size-capped like every read of a config (FORMAT.md 2.4): either site
	 * may hold a planted one */
	rc = cairn_repo_get_small(c->src->store, CAIRN_REPO_CONFIG_NAME, UINT64_MAX, CAIRN_CONFIG_MAX_BYTES, "config object", &mine);
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "cannot read the primary's config");
		goto out;
	}
	rc = cairn_repo_get_small(c->dst, CAIRN_REPO_CONFIG_NAME, UINT64_MAX, CAIRN_CONFIG_MAX_BYTES, "config object", &theirs);
	if (rc == CAIRN_ENOTFOUND) {
		*ret_missing = 1;
		rc = 0;
		goto out;
	} else if (rc == CAIRN_ECORRUPT) {
		rc = cairn_err_ctx(rc, "site '%s' (%s) holds a config object that is no repository's", c->site,
				   c->dst->description);
	} else if (rc < 0) {
		rc = cairn_err_ctx(rc, "cannot reach site '%s'", c->site);
	} else if (theirs.len != mine.len || memcmp(theirs.data, mine.data, mine.len) != 0) {
		rc = cairn_err(CAIRN_EINVAL,
			       "site '%s' (%s) holds another repository: its config differs from the primary's; "
			       "replicate to an empty location",
			       c->site, c->dst->description);
	}
	if (rc == 0)
		rc = cairn_catalog_site_put(c->src->catalog, c->site, CAIRN_REPO_CONFIG_NAME, mine.len);
out:
	cairn_buf_free(&mine);
	cairn_buf_free(&theirs);
	return rc;
}

/* Store the config on a site that has none, after its key objects, as
 * init does (FORMAT.md 13.1): a site with a config always opens. */
static int store_config(struct rep_ctx *c)
{
	struct cairn_buf mine = { 0 };
	int rc;

	rc = cairn_store_get(c->src->store, CAIRN_REPO_CONFIG_NAME, 0, UINT64_MAX, &mine);
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "cannot read the primary's config");
	} else {
		rc = cairn_store_put(c->dst, CAIRN_REPO_CONFIG_NAME, mine.data, mine.len);
		if (rc == CAIRN_EEXIST)
			rc = 0; /* checked equal by check_config */
		else if (rc == 0) {
			c->stats.objects_copied++;
			c->stats.bytes_copied += mine.len;
		} else {
			rc = cairn_err_ctx(rc, "cannot store the config on site '%s'", c->site);
		}
	}
	if (rc == 0)
		rc = cairn_catalog_site_put(c->src->catalog, c->site, CAIRN_REPO_CONFIG_NAME, mine.len);
	cairn_buf_free(&mine);
	return rc;
}

/* The catalog meta key "site.<site>.<what>" of a site's bookkeeping. */
void replicate_site_key(const char *site, const char *what, char key[REP_SITE_KEY_MAX])
{
	snprintf(key, REP_SITE_KEY_MAX, "site.%s.%s", site, what);
}

static void meta_set_i64(struct rep_ctx *c, const char *what, int64_t v)
{
	char key[REP_SITE_KEY_MAX];

	replicate_site_key(c->site, what, key);
	(void)cairn_catalog_meta_set_i64(c->src->catalog, key, v);
}

static void meta_set_str(struct rep_ctx *c, const char *what, const char *v)
{
	char key[REP_SITE_KEY_MAX];

	replicate_site_key(c->site, what, key);
	(void)cairn_catalog_meta_set(c->src->catalog, key, v);
}

int64_t replicate_meta_i64(struct cairn_repo *r, const char *site, const char *what)
{
	char key[REP_SITE_KEY_MAX];

	replicate_site_key(site, what, key);
	return cairn_catalog_meta_get_i64(r->catalog, key);
}

static int run(struct rep_ctx *c)
{
	struct rep_list snaps = { 0 }, indexes = { 0 }, objects = { 0 };
	int64_t reconcile = c->opts->reconcile_ns == 0 ? CAIRN_REPLICATE_RECONCILE_NS : c->opts->reconcile_ns;
	int64_t last_full;
	int config_missing = 0;
	int rc;

	rc = check_config(c, &config_missing);
	if (rc < 0)
		goto out;
	last_full = replicate_meta_i64(c->src, c->site, "last_full_ns");
	if (c->opts->full || (reconcile > 0 && c->start_ns - last_full >= reconcile)) {
		rc = replicate_list_site(c);
		if (rc < 0)
			goto out;
		meta_set_i64(c, "last_full_ns", c->start_ns);
		c->stats.listed = 1;
	}
	/* Listed in the reverse of the primary's write order (FORMAT.md 13.2):
	 * snapshots, then index objects, then packs, so that every index object
	 * and pack a listed object needs is already on the primary and in the
	 * listings that follow. Copied in the write order: keys and packs, then
	 * the index objects, then the snapshots, each group complete before the
	 * next starts, so that a run killed at any point never leaves an index
	 * object on the replica that lists a pack it lacks (a backup written to
	 * the replica would deduplicate against it). */
	rc = replicate_pending_snapshots(c, &snaps);
	if (rc == 0)
		rc = replicate_pending_objects(c, CAIRN_REPO_OBJ_INDEX, &indexes);
	if (rc == 0)
		rc = replicate_pending_objects(c, CAIRN_REPO_OBJ_KEY, &objects);
	if (rc == 0)
		rc = replicate_pending_objects(c, CAIRN_REPO_OBJ_PACK, &objects);
	if (rc < 0)
		goto out;
	replicate_progress(c, "", 1);
	copy_all(c, &objects);
	if (c->error == 0 && c->stats.objects_failed == 0 && config_missing) {
		rc = store_config(c);
		if (rc < 0)
			goto out;
	}
	if (c->error == 0 && c->stats.objects_failed == 0)
		copy_all(c, &indexes);
	if (c->error == 0 && c->stats.objects_failed == 0)
		copy_all(c, &snaps);
	else
		c->stats.snapshots_held = snaps.count;
	if (c->error != 0) {
		rc = cairn_err(c->error, "%s", c->error_msg);
	} else if (c->stats.objects_failed > 0) {
		rc = cairn_err(CAIRN_ECORRUPT,
			       "%llu object%s of the primary could not be copied to site '%s' (damaged: run "
			       "'cairn-agent check'); %llu snapshot%s held back until they are",
			       (unsigned long long)c->stats.objects_failed, c->stats.objects_failed == 1 ? "" : "s",
			       c->site, (unsigned long long)c->stats.snapshots_held,
			       c->stats.snapshots_held == 1 ? "" : "s");
	}
out:
	replicate_list_free(&snaps);
	replicate_list_free(&indexes);
	replicate_list_free(&objects);
	return rc;
}

int cairn_replicate(struct cairn_repo *src, struct cairn_store *dst, const struct cairn_replicate_opts *o,
		    struct cairn_replicate_stats *ret)
{
	struct rep_ctx c = { 0 };
	struct cairn_lock *lock = NULL;
	int threads, rc;

	if (src == NULL || dst == NULL || o == NULL || o->site == NULL || o->site[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "replicate: a repository, a replica and a site name are required");
	c.src = src;
	c.dst = dst;
	c.opts = o;
	c.site = o->site;
	c.start_ns = cairn_time_now_ns();
	atomic_init(&c.stop, 0);
	pthread_mutex_init(&c.lock, NULL);
	threads = o->threads > 0 ? o->threads : CAIRN_REPLICATE_THREADS;
	meta_set_i64(&c, "last_attempt_ns", c.start_ns);
	/* shared: backups go on; a prune's deletions (exclusive) wait. What a
	 * prune deleted before the lock was granted leaves the catalog now, so
	 * no forgotten snapshot is taken for a damaged one. */
	rc = cairn_lock_acquire(src, 0, "replicate", 0, &lock);
	if (rc == 0) {
		rc = cairn_repo_sync(src, sync_warning, &c); /* damaged objects: warned, named */
		if (rc == CAIRN_ECORRUPT)
			rc = 0; /* damaged objects are skipped and reported when copied */
	}
	if (rc == 0)
		rc = cairn_workpool_new(threads, (size_t)threads * 2, copy_one, &c, &c.pool);
	if (rc == 0)
		rc = run(&c);
	cairn_workpool_free(c.pool);
	cairn_lock_release(lock);
	if (rc == 0) {
		meta_set_i64(&c, "last_success_ns", c.start_ns);
		meta_set_str(&c, "last_error", "");
	} else {
		meta_set_str(&c, "last_error", cairn_err_msg());
	}
	c.stats.duration_ns = cairn_time_now_ns() - c.start_ns;
	(void)cairn_catalog_site_count(src->catalog, c.site, &c.stats.objects_on_site, &c.stats.bytes_on_site);
	if (ret != NULL)
		*ret = c.stats;
	pthread_mutex_destroy(&c.lock);
	return rc;
}
