/* State shared by the files of a replication run. */
#ifndef CAIRN_REPLICATE_INTERNAL_H
#define CAIRN_REPLICATE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cairn/catalog.h"
#include "cairn/replicate.h"
#include "repo/repo_internal.h"
#include "repo/workpool.h"

/* One object to copy. */
struct rep_object {
	char name[CAIRN_PACK_NAME_MAX + 16];
	uint64_t size;
};

/* A growable list of objects to copy (what is pending, not the whole
 * repository: memory follows the work to do). */
struct rep_list {
	struct rep_object *items;
	size_t count, cap;
};

struct rep_ctx {
	struct cairn_repo *src;
	struct cairn_store *dst;
	const struct cairn_replicate_opts *opts;
	const char *site;
	struct cairn_workpool *pool;
	int64_t start_ns;
	atomic_int stop;          /* a hard error: submit nothing more */

	pthread_mutex_t lock;     /* everything below, and the callbacks */
	struct cairn_replicate_stats stats;
	int64_t last_progress_ns;
	int error;                /* first hard error (not damage) */
	char error_msg[1024];
};

void replicate_progress(struct rep_ctx *c, const char *current, int force);
/* Per-site bookkeeping in the catalog's meta table. */
#define REP_SITE_KEY_MAX 600
void replicate_site_key(const char *site, const char *what, char key[REP_SITE_KEY_MAX]);
int64_t replicate_meta_i64(struct cairn_repo *r, const char *site, const char *what);

/* replicate_list.c */
int replicate_list_add(struct rep_list *l, const char *name, uint64_t size);
void replicate_list_free(struct rep_list *l);
/* List the replica and record exactly what it holds (drift repaired). */
int replicate_list_site(struct rep_ctx *c);
/* Snapshots in the primary's catalog not recorded on the site, oldest first. */
int replicate_pending_snapshots(struct rep_ctx *c, struct rep_list *out);
/* Objects listed under the prefix of `kind` on the primary not recorded on
 * the site. */
int replicate_pending_objects(struct rep_ctx *c, enum cairn_repo_obj kind, struct rep_list *out);

#endif
