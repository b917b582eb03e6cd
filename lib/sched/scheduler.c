/* The scheduler of `cairn-agent run`: due times, catch-up, never twice at once (see cairn/scheduler.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/scheduler.h"

struct cairn_scheduler {
	char *host;  /* jitter seed prefix */
	int flags;   /* CAIRN_SCHEDULE_LOCAL or CAIRN_SCHEDULE_UTC */
	struct cairn_job *jobs;
	size_t njobs, cap;
};

int cairn_scheduler_new(const char *host, int flags, struct cairn_scheduler **ret)
{
	struct cairn_scheduler *s;

	if (ret == NULL)
		return cairn_err(CAIRN_EINVAL, "no result pointer given");
	if ((flags & ~CAIRN_SCHEDULE_UTC) != 0)
		return cairn_err(CAIRN_EINVAL, "unknown schedule flags 0x%x", (unsigned)flags);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->host = cairn_strdup(host != NULL ? host : "")) == NULL) {
		free(s);
		return cairn_err(CAIRN_ENOMEM, "out of memory for the scheduler");
	}
	s->flags = flags;
	*ret = s;
	return 0;
}

void cairn_scheduler_free(struct cairn_scheduler *s)
{
	if (s == NULL)
		return;
	free(s->jobs);
	free(s->host);
	free(s);
}

size_t cairn_scheduler_count(const struct cairn_scheduler *s)
{
	return s != NULL ? s->njobs : 0;
}

const struct cairn_job *cairn_scheduler_job(const struct cairn_scheduler *s, size_t i)
{
	return s != NULL && i < s->njobs ? &s->jobs[i] : NULL;
}

int cairn_scheduler_find(const struct cairn_scheduler *s, const char *name, size_t *ret_index)
{
	if (s == NULL || name == NULL || ret_index == NULL)
		return cairn_err(CAIRN_EINVAL, "no scheduler, job name or result pointer given");
	for (size_t i = 0; i < s->njobs; i++) {
		if (strcmp(s->jobs[i].name, name) == 0) {
			*ret_index = i;
			return 0;
		}
	}
	return cairn_err(CAIRN_ENOTFOUND, "no scheduled job '%s'", name);
}

/* This host's fixed delay for a job: seeded by "HOST/JOB". */
static int64_t job_delay(const struct cairn_scheduler *s, const struct cairn_job *job)
{
	char seed[256 + CAIRN_JOB_NAME_MAX];

	snprintf(seed, sizeof(seed), "%s/%s", s->host, job->name);
	return cairn_schedule_jitter(job->jitter_ns, cairn_schedule_jitter_seed(seed));
}

static int check_new_job(const struct cairn_scheduler *s, const struct cairn_job *job)
{
	size_t len = strnlen(job->name, sizeof(job->name));
	size_t unused;

	if (len == 0 || len == sizeof(job->name))
		return cairn_err(CAIRN_EINVAL, "a job name must have 1 to %d characters", CAIRN_JOB_NAME_MAX - 1);
	if (job->schedule.kind != CAIRN_SCHEDULE_EVERY && job->schedule.kind != CAIRN_SCHEDULE_CRON)
		return cairn_err(CAIRN_EINVAL, "job '%s' has no schedule", job->name);
	if (job->jitter_ns < 0)
		return cairn_err(CAIRN_EINVAL, "job '%s' has a negative jitter", job->name);
	if (cairn_scheduler_find(s, job->name, &unused) == 0)
		return cairn_err(CAIRN_EEXIST, "job '%s' is scheduled twice", job->name);
	cairn_err_clear();
	return 0;
}

int cairn_scheduler_add(struct cairn_scheduler *s, const struct cairn_job *job)
{
	struct cairn_job *j;
	int rc;

	if (s == NULL || job == NULL)
		return cairn_err(CAIRN_EINVAL, "no scheduler or job given");
	if ((rc = check_new_job(s, job)) != 0)
		return rc;
	if (s->njobs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct cairn_job *jobs = cairn_reallocarray(s->jobs, cap, sizeof(*jobs));

		if (jobs == NULL)
			return cairn_err(CAIRN_ENOMEM, "out of memory for %zu scheduled jobs", cap);
		s->jobs = jobs;
		s->cap = cap;
	}
	j = &s->jobs[s->njobs++];
	*j = *job;
	j->name[sizeof(j->name) - 1] = '\0';
	j->target[sizeof(j->target) - 1] = '\0';
	j->schedule_text[sizeof(j->schedule_text) - 1] = '\0';
	j->delay_ns = job_delay(s, j);
	j->catch_up = false;
	memset(&j->state, 0, sizeof(j->state));
	j->state.last_exit = -1;
	return 0;
}

int cairn_scheduler_set_state(struct cairn_scheduler *s, const char *name, const struct cairn_job_state *st)
{
	size_t i;
	int rc;

	if (st == NULL)
		return cairn_err(CAIRN_EINVAL, "no job state given");
	if ((rc = cairn_scheduler_find(s, name, &i)) != 0)
		return rc;
	s->jobs[i].state = *st;
	return 0;
}

void cairn_scheduler_adopt(struct cairn_scheduler *s, const struct cairn_scheduler *from)
{
	size_t k;

	if (s == NULL || from == NULL)
		return;
	for (size_t i = 0; i < s->njobs; i++) {
		if (cairn_scheduler_find(from, s->jobs[i].name, &k) == 0) {
			s->jobs[i].state = from->jobs[k].state;
			s->jobs[i].catch_up = from->jobs[k].catch_up;
		}
	}
	cairn_err_clear();
}

/* The time the next run is counted from: the last start, else first seen,
 * never later than now (the clock may have been set back). */
static int64_t job_base(const struct cairn_job *j, int64_t now_ns)
{
	int64_t base = j->state.last_start_ns > 0 ? j->state.last_start_ns : j->state.first_seen_ns;

	return base <= 0 || base > now_ns ? now_ns : base;
}

/* Cron: the first schedule time T after base - delay, run at T + delay. */
static int due_cron(const struct cairn_scheduler *s, const struct cairn_job *j, int64_t base, int64_t *ret)
{
	int64_t t;
	int rc = cairn_schedule_next(&j->schedule, 0, base - j->delay_ns, s->flags, &t);

	if (rc != 0)
		return rc;
	if (__builtin_add_overflow(t, j->delay_ns, ret))
		return cairn_err(CAIRN_ENOTFOUND, "the next run is beyond the year 2262");
	return 0;
}

/* Every D: D after the last start; a job that never ran, D plus its delay after it was first seen. */
static int due_every(const struct cairn_job *j, int64_t base, int64_t *ret)
{
	int64_t t, extra = j->state.last_start_ns > 0 ? 0 : j->delay_ns;
	int rc = cairn_schedule_next(&j->schedule, base, base, 0, &t);

	if (rc != 0)
		return rc;
	if (__builtin_add_overflow(t, extra, ret))
		return cairn_err(CAIRN_ENOTFOUND, "the next run is beyond the year 2262");
	return 0;
}

int cairn_scheduler_due(const struct cairn_scheduler *s, size_t i, int64_t now_ns, int64_t *ret_ns)
{
	const struct cairn_job *j;
	int64_t base;
	int rc;

	if (s == NULL || i >= s->njobs || ret_ns == NULL)
		return cairn_err(CAIRN_EINVAL, "no such scheduled job (%zu)", i);
	j = &s->jobs[i];
	base = job_base(j, now_ns);
	if (j->state.interrupted) {
		*ret_ns = base; /* its last run did not finish: again, at once */
		return 0;
	}
	if (j->schedule.kind == CAIRN_SCHEDULE_EVERY)
		rc = due_every(j, base, ret_ns);
	else
		rc = due_cron(s, j, base, ret_ns);
	if (rc != 0)
		return cairn_err_ctx(rc, "job '%s' (schedule '%s')", j->name, j->schedule_text);
	return 0;
}

/* Whether job j owes a run at start-up: an interrupted run, or a run time in (base, now].
 * For cron this is cairn_schedule_missed() on the delayed times. */
static bool owes_run(const struct cairn_scheduler *s, size_t i, int64_t now_ns)
{
	int64_t due;

	return cairn_scheduler_due(s, i, now_ns, &due) == 0 && due <= now_ns;
}

void cairn_scheduler_start(struct cairn_scheduler *s, int64_t now_ns)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->njobs; i++) {
		struct cairn_job *j = &s->jobs[i];

		if (j->state.first_seen_ns <= 0)
			j->state.first_seen_ns = now_ns;
		if (j->state.running) {
			j->state.running = false;
			j->state.interrupted = true;
		}
		j->catch_up = owes_run(s, i, now_ns);
	}
	cairn_err_clear();
}

int cairn_scheduler_next(const struct cairn_scheduler *s, int64_t now_ns, size_t *ret_index, int64_t *ret_due_ns)
{
	bool found = false;
	int64_t best = 0, t;
	size_t best_i = 0;

	if (s == NULL || ret_index == NULL || ret_due_ns == NULL)
		return cairn_err(CAIRN_EINVAL, "no scheduler or result pointers given");
	for (size_t i = 0; i < s->njobs; i++) {
		if (s->jobs[i].state.running)
			continue;
		if (cairn_scheduler_due(s, i, now_ns, &t) != 0)
			continue; /* never runs again: cairn_scheduler_due() tells why */
		if (!found || t < best) {
			found = true;
			best = t;
			best_i = i;
		}
	}
	if (!found)
		return cairn_err(CAIRN_ENOTFOUND, "no scheduled job can run (%zu job%s)", s->njobs,
				 s->njobs == 1 ? "" : "s");
	cairn_err_clear();
	*ret_index = best_i;
	*ret_due_ns = best;
	return 0;
}

int cairn_scheduler_started(struct cairn_scheduler *s, size_t i, int64_t now_ns)
{
	struct cairn_job *j;

	if (s == NULL || i >= s->njobs)
		return cairn_err(CAIRN_EINVAL, "no such scheduled job (%zu)", i);
	j = &s->jobs[i];
	if (j->state.running)
		return cairn_err(CAIRN_EINVAL, "job '%s' is running already (since %lld ns): not started twice",
				 j->name, (long long)j->state.last_start_ns);
	j->state.running = true;
	j->state.interrupted = false;
	j->state.last_start_ns = now_ns;
	j->catch_up = false;
	return 0;
}

int cairn_scheduler_finished(struct cairn_scheduler *s, size_t i, int64_t now_ns, int exit_code, bool interrupted)
{
	struct cairn_job *j;

	if (s == NULL || i >= s->njobs)
		return cairn_err(CAIRN_EINVAL, "no such scheduled job (%zu)", i);
	j = &s->jobs[i];
	if (!j->state.running)
		return cairn_err(CAIRN_EINVAL, "job '%s' is not running", j->name);
	j->state.running = false;
	j->state.interrupted = interrupted;
	j->state.last_end_ns = now_ns;
	j->state.last_exit = exit_code;
	return 0;
}
