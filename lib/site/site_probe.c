/* Probing the configured sites at once: read each one's config object with a short deadline (see site.h). */
#include "site_internal.h"

#include "cairn/site.h"

#include "cairn/buf.h"
#include "cairn/clock.h"
#include "cairn/err.h"
#include "cairn/repo_layout.h"
#include "cairn/s3.h"
#include "cairn/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The probes of one call, shared by the caller and the probe threads: the
 * last of them to let go frees it, so a probe that does not answer in time
 * can be left behind and finish on its own. */
struct probe_run;

struct slot {
	struct probe_run *run;
	/* prepared by the caller before the thread starts; the thread's from then on */
	const struct cairn_site_config *site; /* for the opener hook */
	int (*open)(void *ctx, const struct cairn_site_config *site, struct cairn_store **ret);
	void *open_ctx;
	char *root;                 /* a local site's directory */
	struct cairn_store *store;  /* an S3 site's store (nothing sent yet); after the probe, its result */
	/* the result, written once under the run's lock */
	int done;
	int rc;
	int64_t latency_ns;
	char why[CAIRN_SITE_WHY_MAX];
};

struct probe_run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t n, ndone;
	unsigned refs;              /* the caller, and each probe thread still running */
	struct slot *slots;
};

static void run_free(struct probe_run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		free(run->slots[i].root);
		cairn_store_free(run->slots[i].store);
	}
	free(run->slots);
	pthread_cond_destroy(&run->cond);
	pthread_mutex_destroy(&run->lock);
	free(run);
}

/* Drop one reference (the lock held); returns 1 when it was the last. */
static int run_release_locked(struct probe_run *run)
{
	return --run->refs == 0;
}

/* Record a slot's result (the lock held). */
static void slot_finish_locked(struct slot *s, int rc, int64_t latency_ns, const char *why)
{
	s->done = 1;
	s->rc = rc;
	s->latency_ns = latency_ns;
	snprintf(s->why, sizeof(s->why), "%s", why);
	s->run->ndone++;
}

static void *probe_thread(void *arg)
{
	struct slot *s = arg;
	struct probe_run *run = s->run;
	struct cairn_store *store = s->store;
	struct cairn_buf buf;
	char why[CAIRN_SITE_WHY_MAX] = "";
	int64_t t0 = cairn_time_mono_ns(), took;
	int rc = 0, last;

	memset(&buf, 0, sizeof(buf));
	if (s->open != NULL)
		rc = s->open(s->open_ctx, s->site, &store);
	else if (s->root != NULL)
		rc = cairn_store_local_open(s->root, 0, &store);
	/* its first byte: one request like a read of it all, but never more
	 * than that whatever its size (a config of gigabytes, planted by
	 * whoever can write to the site, is the open's to refuse) */
	if (rc == 0)
		rc = cairn_store_get(store, CAIRN_REPO_CONFIG_NAME, 0, 1, &buf);
	if (rc == CAIRN_EINVAL) /* the range is past the end: there is no first byte */
		rc = cairn_err(CAIRN_EFORMAT, "the config object of '%s' is empty", store->description);
	took = cairn_time_mono_ns() - t0;
	if (rc != 0)
		snprintf(why, sizeof(why), "%s", cairn_err_msg()[0] ? cairn_err_msg() : cairn_err_desc(rc));
	cairn_buf_free(&buf);
	pthread_mutex_lock(&run->lock);
	s->store = rc == 0 ? store : NULL;
	slot_finish_locked(s, rc, took, why);
	pthread_cond_broadcast(&run->cond);
	last = run_release_locked(run);
	pthread_mutex_unlock(&run->lock);
	if (rc != 0)
		cairn_store_free(store);
	if (last)
		run_free(run);
	return NULL;
}

/* An S3 site's store with the probe's settings: one attempt, timeouts cut to the deadline. */
static int open_s3(const struct cairn_site_config *site, const struct cairn_site_flags *flags, int64_t deadline_ns,
		   struct cairn_store **ret)
{
	int64_t ms = deadline_ns / 1000000;
	struct cairn_s3_options o;
	int rc = cairn_site_s3_options(site, flags, &o);

	if (rc != 0)
		return rc;
	if (ms < 1)
		ms = 1;
	o.no_retry = 1;
	if (o.http.connect_timeout_ms > ms)
		o.http.connect_timeout_ms = ms;
	o.http.request_timeout_ms = ms;
	o.http.low_speed_time_s = (long)((deadline_ns + CAIRN_NS_PER_SEC - 1) / CAIRN_NS_PER_SEC);
	o.retry.deadline_ns = deadline_ns;
	rc = cairn_s3_open(&o, ret);
	cairn_s3_options_free(&o);
	return rc;
}

/* What the thread of `site` needs, made before it starts (nothing is sent). */
static int prepare(struct slot *s, const struct cairn_site_config *site, const struct cairn_site_flags *flags,
		   const struct cairn_site_probe_opts *o, int64_t deadline_ns)
{
	s->site = site;
	if (o != NULL && o->open != NULL) {
		s->open = o->open;
		s->open_ctx = o->ctx;
		return 0;
	}
	if (site->url_kind == CAIRN_CONFIG_URL_LOCAL) {
		s->root = cairn_strdup(site_local_root(site));
		return s->root != NULL ? 0 : cairn_err(CAIRN_ENOMEM, "out of memory");
	}
	return open_s3(site, flags, deadline_ns, &s->store);
}

static int run_new(size_t n, struct probe_run **ret)
{
	struct probe_run *run = calloc(1, sizeof(*run));
	pthread_condattr_t attr;

	if (run == NULL || (run->slots = calloc(n, sizeof(*run->slots))) == NULL) {
		free(run);
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	}
	run->n = n;
	run->refs = 1;
	pthread_mutex_init(&run->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&run->cond, &attr);
	pthread_condattr_destroy(&attr);
	for (size_t i = 0; i < n; i++)
		run->slots[i].run = run;
	*ret = run;
	return 0;
}

/* Start the probe of slot i; a failure to prepare or to start is its result. */
static void start(struct probe_run *run, size_t i, const struct cairn_site_config *site,
		  const struct cairn_site_flags *flags, const struct cairn_site_probe_opts *o, int64_t deadline_ns)
{
	struct slot *s = &run->slots[i];
	pthread_attr_t attr;
	pthread_t tid;
	int rc = prepare(s, site, flags, o, deadline_ns), err;

	if (rc != 0) {
		pthread_mutex_lock(&run->lock);
		slot_finish_locked(s, rc, 0, cairn_err_msg());
		pthread_mutex_unlock(&run->lock);
		return;
	}
	pthread_mutex_lock(&run->lock);
	run->refs++;
	pthread_mutex_unlock(&run->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, probe_thread, s);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		pthread_mutex_lock(&run->lock);
		run->refs--;
		slot_finish_locked(s, CAIRN_EIO, 0, "cannot start a probe thread");
		pthread_mutex_unlock(&run->lock);
	}
}

/* Wait until every probe answered or `until` (monotonic) passed (the lock held). */
static void wait_locked(struct probe_run *run, int64_t until)
{
	struct timespec ts = { (time_t)(until / CAIRN_NS_PER_SEC), (long)(until % CAIRN_NS_PER_SEC) };

	while (run->ndone < run->n && cairn_time_mono_ns() < until)
		pthread_cond_timedwait(&run->cond, &run->lock, &ts);
}

/* The caller's copy of slot i (the lock held): the result, and the store taken over. */
static void collect_locked(struct probe_run *run, size_t i, int64_t deadline_ns, struct cairn_site_probe *p)
{
	struct slot *s = &run->slots[i];

	if (!s->done) {
		p->rc = CAIRN_ETIMEOUT;
		snprintf(p->why, sizeof(p->why), "no answer within %.0f s", (double)deadline_ns / 1e9);
		return;
	}
	p->rc = s->rc;
	p->healthy = s->rc == 0;
	p->latency_ns = s->latency_ns;
	snprintf(p->why, sizeof(p->why), "%s", s->why);
	p->store = s->store;
	s->store = NULL;
}

int cairn_site_probe_all(const struct cairn_config *cfg, const struct cairn_site_probe_opts *o,
			 struct cairn_site_probe **ret, size_t *ret_n)
{
	int64_t deadline_ns = o != NULL && o->deadline_ns > 0 ? o->deadline_ns : CAIRN_SITE_PROBE_DEADLINE_NS;
	const struct cairn_site_flags *primary_flags = o != NULL ? o->primary_flags : NULL;
	size_t n = 1 + cfg->nreplicas;
	struct cairn_site_probe *probes = calloc(n, sizeof(*probes));
	struct probe_run *run = NULL;
	int64_t until = cairn_time_mono_ns() + deadline_ns + CAIRN_NS_PER_SEC; /* S3 probes end by themselves by then */
	int rc, last;

	if (probes == NULL || (rc = run_new(n, &run)) != 0) {
		free(probes);
		return probes == NULL ? cairn_err(CAIRN_ENOMEM, "out of memory") : rc;
	}
	for (size_t i = 0; i < n; i++) {
		probes[i].site = i == 0 ? &cfg->primary : &cfg->replicas[i - 1];
		start(run, i, probes[i].site, i == 0 ? primary_flags : NULL, o, deadline_ns);
	}
	pthread_mutex_lock(&run->lock);
	wait_locked(run, until);
	for (size_t i = 0; i < n; i++)
		collect_locked(run, i, deadline_ns, &probes[i]);
	last = run_release_locked(run);
	pthread_mutex_unlock(&run->lock);
	if (last)
		run_free(run);
	*ret = probes;
	*ret_n = n;
	return 0;
}

void cairn_site_probe_free(struct cairn_site_probe *probes, size_t n)
{
	for (size_t i = 0; probes != NULL && i < n; i++)
		cairn_store_free(probes[i].store);
	free(probes);
}

size_t cairn_site_probe_order(const struct cairn_site_probe *probes, size_t n, int64_t tie_ns, size_t *order)
{
	size_t k = 0;

	/* insertion sort by latency: stable, so ties keep the configuration's order */
	for (size_t i = 0; i < n; i++) {
		size_t j = k;

		if (!probes[i].healthy)
			continue;
		while (j > 0 && probes[order[j - 1]].latency_ns > probes[i].latency_ns) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
		k++;
	}
	/* the primary wins within the tie margin */
	if (k > 1 && probes[0].healthy && order[0] != 0 && probes[0].latency_ns - probes[order[0]].latency_ns <= tie_ns) {
		size_t at = 0;

		while (order[at] != 0)
			at++;
		memmove(&order[1], &order[0], at * sizeof(*order));
		order[0] = 0;
	}
	return k;
}

int cairn_site_probe_holds(struct cairn_site_probe *p, const char *snapshot_id)
{
	char name[CAIRN_REPO_NAME_MAX];
	uint64_t size;
	int rc;

	if (p->store == NULL)
		return cairn_err(CAIRN_EINVAL, "site '%s' was not probed successfully", p->site->name);
	rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, snapshot_id, name);
	if (rc < 0)
		return rc;
	rc = cairn_store_stat(p->store, name, &size);
	if (rc == 0)
		return 1;
	return rc == CAIRN_ENOTFOUND ? 0 : rc;
}
