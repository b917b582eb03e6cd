/* A fixed pool of worker threads fed through a bounded queue. */
#include "workpool.h"

#include "cairn/buf.h"
#include "cairn/err.h"

#include <pthread.h>
#include <stdlib.h>

struct worker_arg {
	struct cairn_workpool *pool;
	int index;
};

struct cairn_workpool {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full, idle;
	void **queue; /* ring buffer */
	size_t cap, head, count;
	size_t running;
	uint64_t submitted, dequeued; /* jobs numbered in submission order */
	uint64_t *current;            /* per worker: number of the job it runs, UINT64_MAX when idle */
	size_t waiting;               /* threads in cairn_workpool_wait */
	pthread_cond_t finished;      /* a job finished while someone waits */
	int stopping;
	int threads;
	pthread_t *tids;
	struct worker_arg *args;
	void (*fn)(void *job, int worker, void *ctx);
	void *ctx;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct cairn_workpool *p = wa->pool;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		void *job;

		while (p->count == 0 && !p->stopping)
			pthread_cond_wait(&p->not_empty, &p->lock);
		if (p->count == 0 && p->stopping)
			break;
		job = p->queue[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		p->running++;
		p->current[wa->index] = p->dequeued++;
		pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->lock);
		p->fn(job, wa->index, p->ctx);
		pthread_mutex_lock(&p->lock);
		p->running--;
		p->current[wa->index] = UINT64_MAX;
		if (p->waiting > 0)
			pthread_cond_broadcast(&p->finished);
		if (p->count == 0 && p->running == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int cairn_workpool_new(int threads, size_t queue_max, void (*fn)(void *job, int worker, void *ctx), void *ctx,
		       struct cairn_workpool **ret)
{
	struct cairn_workpool *p;

	if (threads < 1)
		threads = 1;
	if (queue_max < 1)
		queue_max = 1;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate worker pool");
	p->queue = cairn_calloc(queue_max, sizeof(*p->queue));
	p->tids = cairn_calloc((size_t)threads, sizeof(*p->tids));
	p->args = cairn_calloc((size_t)threads, sizeof(*p->args));
	p->current = cairn_calloc((size_t)threads, sizeof(*p->current));
	if (p->queue == NULL || p->tids == NULL || p->args == NULL || p->current == NULL) {
		free(p->current);
		free(p->queue);
		free(p->tids);
		free(p->args);
		free(p);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate worker pool");
	}
	p->cap = queue_max;
	for (int i = 0; i < threads; i++)
		p->current[i] = UINT64_MAX;
	p->fn = fn;
	p->ctx = ctx;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	pthread_cond_init(&p->idle, NULL);
	pthread_cond_init(&p->finished, NULL);
	for (int i = 0; i < threads; i++) {
		p->args[i].pool = p;
		p->args[i].index = i;
		if (pthread_create(&p->tids[i], NULL, worker_main, &p->args[i]) != 0) {
			p->threads = i;
			cairn_workpool_free(p);
			return cairn_err(CAIRN_ENOMEM, "cannot start worker thread %d", i);
		}
	}
	p->threads = threads;
	*ret = p;
	return 0;
}

void cairn_workpool_submit(struct cairn_workpool *p, void *job)
{
	pthread_mutex_lock(&p->lock);
	while (p->count == p->cap)
		pthread_cond_wait(&p->not_full, &p->lock);
	p->queue[(p->head + p->count) % p->cap] = job;
	p->count++;
	p->submitted++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
}

void cairn_workpool_drain(struct cairn_workpool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->count > 0 || p->running > 0)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

uint64_t cairn_workpool_ticket(struct cairn_workpool *p)
{
	uint64_t t;

	pthread_mutex_lock(&p->lock);
	t = p->submitted;
	pthread_mutex_unlock(&p->lock);
	return t;
}

/* Caller holds p->lock. Jobs leave the queue in order, so every job below
 * the oldest one still queued or running has finished. */
static int done_locked(const struct cairn_workpool *p, uint64_t ticket)
{
	uint64_t oldest = p->dequeued;

	for (int i = 0; i < p->threads; i++)
		if (p->current[i] < oldest)
			oldest = p->current[i];
	return ticket <= oldest;
}

int cairn_workpool_done(struct cairn_workpool *p, uint64_t ticket)
{
	int done;

	pthread_mutex_lock(&p->lock);
	done = done_locked(p, ticket);
	pthread_mutex_unlock(&p->lock);
	return done;
}

void cairn_workpool_wait(struct cairn_workpool *p, uint64_t ticket)
{
	pthread_mutex_lock(&p->lock);
	p->waiting++;
	while (!done_locked(p, ticket))
		pthread_cond_wait(&p->finished, &p->lock);
	p->waiting--;
	pthread_mutex_unlock(&p->lock);
}

void cairn_workpool_free(struct cairn_workpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->threads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->finished);
	free(p->current);
	free(p->queue);
	free(p->tids);
	free(p->args);
	free(p);
}
