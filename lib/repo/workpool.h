/* A fixed pool of worker threads fed through a bounded queue. */
#ifndef CAIRN_WORKPOOL_H
#define CAIRN_WORKPOOL_H

#include <stddef.h>
#include <stdint.h>

struct cairn_workpool;

/* `fn(job, worker, ctx)` runs each submitted job on one of `threads`
 * workers (worker is 0..threads-1). At most `queue_max` jobs wait. */
int cairn_workpool_new(int threads, size_t queue_max, void (*fn)(void *job, int worker, void *ctx), void *ctx,
		       struct cairn_workpool **ret);
/* Queue a job, waiting while the queue is full. */
void cairn_workpool_submit(struct cairn_workpool *p, void *job);
/* Wait until every submitted job has finished. */
void cairn_workpool_drain(struct cairn_workpool *p);
/* Tickets: a ticket is the number of jobs submitted so far; jobs are
 * numbered in submission order. With one submitting thread, a ticket taken
 * after submitting a group of jobs covers them all (and every earlier one).
 * cairn_workpool_done: 1 when every job numbered below `ticket` has
 * finished (its fn returned), else 0; never waits. cairn_workpool_wait:
 * waits until then. Jobs finish out of order; a ticket is done only once
 * the oldest of its jobs and all before it have. */
uint64_t cairn_workpool_ticket(struct cairn_workpool *p);
int cairn_workpool_done(struct cairn_workpool *p, uint64_t ticket);
void cairn_workpool_wait(struct cairn_workpool *p, uint64_t ticket);
/* Drain, stop and join the workers, free the pool. NULL ok. */
void cairn_workpool_free(struct cairn_workpool *p);

#endif
