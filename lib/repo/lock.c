/* Repository locks as expiring leases, refreshed by a thread while held. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/retry.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cairn_lock {
	struct cairn_repo *repo;
	struct cairn_lock_info info;
	char id[CAIRN_ID_HEX];
	int64_t lease_ns;
	pthread_t thread;
	int thread_started;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	int stopping;
};

static int lock_encode(const struct cairn_lock_info *info, char **ret)
{
	json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:b, s:s}", "version", 1, "host", info->host, "pid",
			      (json_int_t)info->pid, "start_ns", (json_int_t)info->start_ns, "expires_ns",
			      (json_int_t)info->expires_ns, "exclusive", info->exclusive, "purpose", info->purpose);

	*ret = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	return *ret ? 0 : cairn_err(CAIRN_ENOMEM, "cannot encode lock");
}

static int lock_decode(const void *data, size_t len, struct cairn_lock_info *info)
{
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *host = "", *purpose = "";
	json_int_t version = 0, pid = 0, start = 0, expires = 0;
	int exclusive = 0, rc = 0;

	if (j == NULL || json_unpack(j, "{s:I, s:s, s:I, s:I, s:I, s:b, s?s}", "version", &version, "host", &host,
				     "pid", &pid, "start_ns", &start, "expires_ns", &expires, "exclusive", &exclusive,
				     "purpose", &purpose) != 0 || version != 1)
		rc = CAIRN_ECORRUPT;
	if (rc == 0) {
		memset(info, 0, sizeof(*info));
		snprintf(info->host, sizeof(info->host), "%s", host);
		snprintf(info->purpose, sizeof(info->purpose), "%s", purpose);
		info->pid = pid;
		info->start_ns = start;
		info->expires_ns = expires;
		info->exclusive = exclusive;
	}
	json_decref(j);
	return rc;
}

/* Write a lock object with a fresh random id (never an overwrite). */
static int lock_write(struct cairn_repo *r, const struct cairn_lock_info *info, char ret_id[CAIRN_ID_HEX])
{
	struct cairn_buf sealed = { 0 };
	uint8_t raw[CAIRN_ID_BYTES];
	char *json = NULL, name[CAIRN_REPO_NAME_MAX];
	int rc;

	rc = lock_encode(info, &json);
	if (rc == 0)
		rc = cairn_seal(r->keys->enc, CAIRN_LOCK_AD, strlen(CAIRN_LOCK_AD), json, strlen(json), NULL, &sealed);
	if (rc == 0) {
		cairn_random_bytes(raw, sizeof(raw));
		cairn_hex_encode(raw, sizeof(raw), ret_id);
		cairn_repo_object_name_bin(CAIRN_REPO_OBJ_LOCK, raw, name);
		rc = cairn_store_put(r->store, name, sealed.data, sealed.len);
	}
	free(json);
	cairn_buf_free(&sealed);
	return rc;
}

struct list_ctx {
	struct cairn_repo *repo;
	int (*cb)(void *ctx, const char *id, const struct cairn_lock_info *info);
	void *ctx;
};

static int list_one(void *ctx, const char *name, uint64_t size)
{
	struct list_ctx *l = ctx;
	struct cairn_buf sealed = { 0 }, plain = { 0 };
	struct cairn_lock_info info;
	char id[CAIRN_ID_HEX];
	int rc;

	if (!cairn_repo_object_parse(name, CAIRN_REPO_OBJ_LOCK, id))
		return 0;
	/* larger than any lock: not read (ECORRUPT, ignored below) */
	rc = cairn_repo_get_small(l->repo->store, name, size, CAIRN_LOCK_MAX_BYTES, "lock", &sealed);
	if (rc == 0)
		rc = cairn_open(l->repo->keys->enc, CAIRN_LOCK_AD, strlen(CAIRN_LOCK_AD), sealed.data, sealed.len, &plain);
	if (rc == 0)
		rc = lock_decode(plain.data, plain.len, &info);
	cairn_buf_free(&sealed);
	cairn_buf_free(&plain);
	if (rc == CAIRN_ENOTFOUND || rc == CAIRN_ECORRUPT)
		return 0; /* released meanwhile, or not readable: not a valid lock */
	if (rc < 0)
		return rc;
	return l->cb(l->ctx, id, &info);
}

int cairn_lock_list(struct cairn_repo *r, int (*cb)(void *ctx, const char *id, const struct cairn_lock_info *info),
		    void *ctx)
{
	struct list_ctx l = { r, cb, ctx };

	return cairn_store_list(r->store, cairn_repo_object_prefix(CAIRN_REPO_OBJ_LOCK), list_one, &l);
}

/* At most this many stale locks are removed by one acquisition; the next
 * one removes more. */
#define STALE_MAX 64

struct conflict {
	const char *own_id;
	int exclusive;
	int64_t now;
	struct cairn_lock_info holder;
	int found;
	/* stale locks seen by the first look, removed once ours is taken */
	char stale[STALE_MAX][CAIRN_ID_HEX];
	size_t nstale;
};

int cairn_lock_stale(const struct cairn_lock_info *info, int64_t now_ns)
{
	return cairn_lock_holder_dead(info) ||
	       info->expires_ns < now_ns - CAIRN_LOCK_STALE_NS; /* no overflow for a forged expiry */
}

int cairn_lock_delete(struct cairn_repo *r, const char *id)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc = cairn_repo_object_name(CAIRN_REPO_OBJ_LOCK, id, name);

	return rc < 0 ? rc : cairn_store_del(r->store, name);
}

static int check_conflict(void *ctx, const char *id, const struct cairn_lock_info *info)
{
	struct conflict *c = ctx;

	if (strcmp(id, c->own_id) == 0)
		return 0;
	if (cairn_lock_stale(info, c->now)) {
		/* A dead backup's lock stays until the orphan scan has indexed
		 * the packs it may have left (repo_recover.c). */
		if (c->own_id[0] == '\0' && c->nstale < STALE_MAX && strcmp(info->purpose, "backup") != 0)
			memcpy(c->stale[c->nstale++], id, CAIRN_ID_HEX);
		return 0;
	}
	if (info->expires_ns <= c->now)
		return 0;
	if (c->exclusive || info->exclusive) {
		c->holder = *info;
		c->found = 1;
		return 1;
	}
	return 0;
}

static int lock_conflict_error(const struct cairn_lock_info *h)
{
	char since[CAIRN_TIME_STR], until[CAIRN_TIME_STR];

	cairn_time_format(h->start_ns, 0, since);
	cairn_time_format(h->expires_ns, 0, until);
	return cairn_err(CAIRN_ELOCKED,
			 "repository is locked%s by %s on host '%s' (pid %lld) since %s; the lock expires at %s unless "
			 "its holder is still running",
			 h->exclusive ? " exclusively" : "", h->purpose, h->host, (long long)h->pid, since, until);
}

static void *refresh_main(void *arg)
{
	struct cairn_lock *l = arg;

	pthread_mutex_lock(&l->mutex);
	while (!l->stopping) {
		struct timespec deadline;
		int64_t when = cairn_time_now_ns() + (l->lease_ns < CAIRN_LOCK_REFRESH_NS * 3 ? l->lease_ns / 3
											: CAIRN_LOCK_REFRESH_NS);

		deadline.tv_sec = (time_t)(when / CAIRN_NS_PER_SEC);
		deadline.tv_nsec = (long)(when % CAIRN_NS_PER_SEC);
		if (pthread_cond_timedwait(&l->cond, &l->mutex, &deadline) == ETIMEDOUT && !l->stopping) {
			struct cairn_lock_info info = l->info;
			char new_id[CAIRN_ID_HEX], old[CAIRN_REPO_NAME_MAX];

			info.expires_ns = cairn_time_now_ns() + l->lease_ns;
			pthread_mutex_unlock(&l->mutex);
			/* a failed refresh keeps the old lease; the next attempt may succeed */
			if (lock_write(l->repo, &info, new_id) == 0) {
				(void)cairn_repo_object_name(CAIRN_REPO_OBJ_LOCK, l->id, old);
				cairn_store_del(l->repo->store, old);
				pthread_mutex_lock(&l->mutex);
				memcpy(l->id, new_id, sizeof(new_id));
				l->info = info;
			} else {
				pthread_mutex_lock(&l->mutex);
			}
		}
	}
	pthread_mutex_unlock(&l->mutex);
	return NULL;
}

int cairn_lock_acquire(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
		       struct cairn_lock **ret)
{
	struct cairn_lock *l = calloc(1, sizeof(*l));
	struct conflict c = { 0 };
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (l == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate lock");
	l->repo = r;
	l->lease_ns = lease_ns > 0 ? lease_ns : CAIRN_LOCK_LEASE_NS;
	pthread_mutex_init(&l->mutex, NULL);
	pthread_cond_init(&l->cond, NULL);
	gethostname(l->info.host, sizeof(l->info.host) - 1);
	l->info.pid = (int64_t)getpid();
	l->info.start_ns = cairn_time_now_ns();
	l->info.expires_ns = l->info.start_ns + l->lease_ns;
	l->info.exclusive = exclusive;
	snprintf(l->info.purpose, sizeof(l->info.purpose), "%s", purpose);

	/* look, write, look again: two racing writers both see each other */
	c.own_id = "";
	c.exclusive = exclusive;
	c.now = cairn_time_now_ns();
	rc = cairn_lock_list(r, check_conflict, &c);
	if (rc >= 0 && c.found)
		rc = lock_conflict_error(&c.holder);
	if (rc == 0)
		rc = lock_write(r, &l->info, l->id);
	if (rc == 0) {
		c.own_id = l->id;
		rc = cairn_lock_list(r, check_conflict, &c);
		if (rc >= 0 && c.found) {
			rc = lock_conflict_error(&c.holder);
			(void)cairn_repo_object_name(CAIRN_REPO_OBJ_LOCK, l->id, name);
			cairn_store_del(r->store, name);
			l->id[0] = '\0';
		}
	}
	if (rc == 0 && pthread_create(&l->thread, NULL, refresh_main, l) != 0)
		rc = cairn_err(CAIRN_ENOMEM, "cannot start the lock refresh thread");
	if (rc < 0) {
		if (l->id[0] != '\0') {
			(void)cairn_repo_object_name(CAIRN_REPO_OBJ_LOCK, l->id, name);
			cairn_store_del(r->store, name);
		}
		pthread_mutex_destroy(&l->mutex);
		pthread_cond_destroy(&l->cond);
		free(l);
		return rc;
	}
	l->thread_started = 1;
	/* Tidy up after runs that were killed: best effort, as their locks
	 * are ignored anyway. */
	for (size_t i = 0; i < c.nstale; i++)
		cairn_lock_delete(r, c.stale[i]);
	*ret = l;
	return 0;
}

void cairn_lock_release(struct cairn_lock *l)
{
	char name[CAIRN_REPO_NAME_MAX];

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mutex);
	l->stopping = 1;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->mutex);
	if (l->thread_started)
		pthread_join(l->thread, NULL);
	(void)cairn_repo_object_name(CAIRN_REPO_OBJ_LOCK, l->id, name);
	cairn_store_del(l->repo->store, name);
	pthread_mutex_destroy(&l->mutex);
	pthread_cond_destroy(&l->cond);
	free(l);
}

int cairn_lock_acquire_wait_env(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
				int64_t wait_ns, const struct cairn_retry_env *env, struct cairn_lock **ret)
{
	struct cairn_retry_policy policy = {
		.deadline_ns = wait_ns,
		.max_attempts = UINT32_MAX,
		.backoff_base_ns = CAIRN_LOCK_WAIT_POLL_NS,
		.backoff_cap_ns = CAIRN_LOCK_WAIT_POLL_NS,
		.flags = CAIRN_RETRY_LAST_AT_DEADLINE,
	};
	struct cairn_retry retry;
	int rc;

	if (wait_ns <= 0)
		return cairn_lock_acquire(r, exclusive, purpose, lease_ns, ret);
	rc = cairn_retry_begin(&retry, &policy, env);
	if (rc != 0)
		return rc;
	do
		rc = cairn_lock_acquire(r, exclusive, purpose, lease_ns, ret);
	while (rc == CAIRN_ELOCKED && cairn_retry_should_retry(&retry, rc));
	return cairn_retry_end(&retry, rc);
}

int cairn_lock_acquire_wait(struct cairn_repo *r, int exclusive, const char *purpose, int64_t lease_ns,
			    int64_t wait_ns, struct cairn_lock **ret)
{
	return cairn_lock_acquire_wait_env(r, exclusive, purpose, lease_ns, wait_ns, NULL, ret);
}
