/* The fused path on several threads, each over its own share of the input. */
#include "stage.h"

#include "cairn/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The start line: 0 wait, 1 go, -1 give up (a thread could not start). */
struct start {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;
};

static int start_wait(struct start *st)
{
	int state;

	pthread_mutex_lock(&st->lock);
	while (st->state == 0)
		pthread_cond_wait(&st->cond, &st->lock);
	state = st->state;
	pthread_mutex_unlock(&st->lock);
	return state;
}

static void start_set(struct start *st, int state)
{
	pthread_mutex_lock(&st->lock);
	st->state = state;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

struct share {
	const struct stage_corpus *c;
	const struct cairn_keys *keys;
	const struct cairn_chunker_params *chunker;
	uint32_t pack_target;
	int level;
	size_t first, n;
	struct start *start;
	struct stage_acc acc;
	int rc;
	char err[256];
};

static void *share_main(void *arg)
{
	struct share *s = arg;
	struct stage_ctx ctx;
	int rc;

	rc = stage_ctx_init(&ctx, s->keys, s->chunker, s->pack_target, s->level);
	if (start_wait(s->start) < 0) {
		stage_ctx_fini(&ctx);
		return NULL;
	}
	if (rc == 0 && s->n > 0)
		rc = stage_fused(&ctx, s->c, s->first, s->n, &s->acc);
	if (rc == 0) {
		struct stage_acc acc[STAGE_COUNT];

		memset(acc, 0, sizeof(acc));
		rc = stage_finish_packs(&ctx, acc);
		s->acc.user += acc[STAGE_FUSED].user;
		s->acc.sys += acc[STAGE_FUSED].sys;
		s->acc.cpu += acc[STAGE_FUSED].cpu;
		s->acc.items += acc[STAGE_FUSED].items;
	}
	if (rc < 0)
		snprintf(s->err, sizeof(s->err), "%s", cairn_err_msg());
	s->rc = rc;
	stage_ctx_fini(&ctx);
	return NULL;
}

/* Cut c's files into `threads` contiguous shares of about c->len / threads. */
static void split(const struct stage_corpus *c, int threads, struct share *sh)
{
	size_t f = 0;

	for (int t = 0; t < threads; t++) {
		size_t goal = c->len / (size_t)threads * (size_t)(t + 1), end = f;

		while (end < c->nfiles && (t == threads - 1 || c->files[end].off + c->files[end].len / 2 < goal))
			end++;
		sh[t].first = f;
		sh[t].n = end - f;
		f = end;
	}
}

int stage_fused_threads(const struct cairn_keys *keys, const struct cairn_chunker_params *chunker,
			uint32_t pack_target, int level, const struct stage_corpus *c, int threads,
			struct stage_acc *ret_acc)
{
	struct stage_clock t0, t1;
	struct stage_acc acc = { 0 };
	struct start start = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t *tid;
	struct share *sh;
	int rc = 0, started = 0;

	if (threads < 1 || threads > 256)
		return cairn_err(CAIRN_EINVAL, "%d threads: not in 1..256", threads);
	sh = cairn_calloc((size_t)threads, sizeof(*sh));
	tid = cairn_calloc((size_t)threads, sizeof(*tid));
	if (sh == NULL || tid == NULL) {
		free(sh);
		free(tid);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %d threads", threads);
	}
	split(c, threads, sh);
	for (int t = 0; t < threads; t++) {
		sh[t] = (struct share){ .c = c, .keys = keys, .chunker = chunker, .pack_target = pack_target,
					.level = level, .first = sh[t].first, .n = sh[t].n, .start = &start };
		if (pthread_create(&tid[t], NULL, share_main, &sh[t]) != 0) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot start thread %d of %d", t + 1, threads);
			break;
		}
		started++;
	}
	stage_clock_now(&t0);
	start_set(&start, rc < 0 ? -1 : 1);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	stage_clock_now(&t1);
	acc.wall = (double)(t1.wall.tv_sec - t0.wall.tv_sec) + (double)(t1.wall.tv_nsec - t0.wall.tv_nsec) / 1e9;
	for (int t = 0; rc == 0 && t < started; t++) {
		acc.user += sh[t].acc.user;
		acc.sys += sh[t].acc.sys;
		acc.cpu += sh[t].acc.cpu;
		acc.bytes += sh[t].acc.bytes;
		acc.items += sh[t].acc.items;
		if (sh[t].rc < 0)
			rc = cairn_err(sh[t].rc, "thread %d: %s", t + 1, sh[t].err);
	}
	free(sh);
	free(tid);
	if (rc == 0)
		*ret_acc = acc;
	return rc;
}
