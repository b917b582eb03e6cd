/* A fixed pool of worker threads fed through a bounded queue. */
#ifndef CAIRN_WORKPOOL_H
#define CAIRN_WORKPOOL_H

#include <stddef.h>

struct cairn_workpool;

/* `fn(job, worker, ctx)` runs each submitted job on one of `threads`
 * workers (worker is 0..threads-1). At most `queue_max` jobs wait. */
int cairn_workpool_new(int threads, size_t queue_max, void (*fn)(void *job, int worker, void *ctx), void *ctx,
		       struct cairn_workpool **ret);
/* Queue a job, waiting while the queue is full. */
void cairn_workpool_submit(struct cairn_workpool *p, void *job);
/* Wait until every submitted job has finished. */
void cairn_workpool_drain(struct cairn_workpool *p);
/* Drain, stop and join the workers, free the pool. NULL ok. */
void cairn_workpool_free(struct cairn_workpool *p);

#endif
