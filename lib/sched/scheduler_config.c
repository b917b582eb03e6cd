/* The scheduled jobs of a configuration: backup sets, replicas, prune, check, drills. */
#include <stdio.h>
#include <string.h>

#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/scheduler.h"

/* A job of `kind` on `target` (NULL = none) run by `sched`; named by add_job(). */
static void job_init(struct cairn_job *job, enum cairn_job_kind kind, const char *target,
		     const struct cairn_config_schedule *sched)
{
	memset(job, 0, sizeof(*job));
	job->kind = kind;
	snprintf(job->target, sizeof(job->target), "%s", target != NULL ? target : "");
	snprintf(job->schedule_text, sizeof(job->schedule_text), "%s", sched->text);
	job->schedule = sched->spec;
}

static int add_job(struct cairn_scheduler *s, struct cairn_job *job, const char *prefix, size_t *added)
{
	int rc;

	if (job->target[0] != '\0')
		snprintf(job->name, sizeof(job->name), "%s:%s", prefix, job->target);
	else
		snprintf(job->name, sizeof(job->name), "%s", prefix);
	if ((rc = cairn_scheduler_add(s, job)) != 0)
		return rc;
	(*added)++;
	return 0;
}

static int add_sets(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *added)
{
	struct cairn_job job;
	int rc;

	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct cairn_backup_set *set = &cfg->sets[i];

		if (set->schedule.text == NULL)
			continue;
		job_init(&job, CAIRN_JOB_BACKUP, set->name, &set->schedule);
		job.jitter_ns = set->jitter_ns > 0 ? set->jitter_ns : 0;
		if ((rc = add_job(s, &job, "backup", added)) != 0)
			return rc;
	}
	return 0;
}

static int add_replicas(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *added)
{
	struct cairn_job job;
	int rc;

	for (size_t i = 0; i < cfg->nreplicas; i++) {
		const struct cairn_site_config *site = &cfg->replicas[i];

		if (site->schedule.text == NULL)
			continue;
		job_init(&job, CAIRN_JOB_REPLICATE, site->name, &site->schedule);
		if ((rc = add_job(s, &job, "replicate", added)) != 0)
			return rc;
	}
	return 0;
}

static int add_maintenance(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *added)
{
	struct cairn_job job;
	int rc;

	if (cfg->jobs.prune.text != NULL) {
		job_init(&job, CAIRN_JOB_PRUNE, NULL, &cfg->jobs.prune);
		if ((rc = add_job(s, &job, "prune", added)) != 0)
			return rc;
	}
	if (cfg->jobs.check.text != NULL) {
		job_init(&job, CAIRN_JOB_CHECK, NULL, &cfg->jobs.check);
		job.check_read_data = cfg->jobs.check_read_data > 0 ? cfg->jobs.check_read_data : 0;
		if ((rc = add_job(s, &job, "check", added)) != 0)
			return rc;
	}
	return 0;
}

/* A drill job carries the section's name: the runner reads the drill's
 * site and settings from the configuration it was built from. */
static int add_drills(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *added)
{
	struct cairn_job job;
	int rc;

	for (size_t i = 0; i < cfg->ndrills; i++) {
		const struct cairn_drill_config *d = &cfg->drills[i];

		if (d->schedule.text == NULL)
			continue;
		job_init(&job, CAIRN_JOB_DRILL, d->name, &d->schedule);
		job.jitter_ns = d->jitter_ns > 0 ? d->jitter_ns : 0;
		if ((rc = add_job(s, &job, "drill", added)) != 0)
			return rc;
	}
	return 0;
}

int cairn_scheduler_add_config(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *ret_added)
{
	size_t added = 0;
	int rc;

	if (s == NULL || cfg == NULL)
		return cairn_err(CAIRN_EINVAL, "no scheduler or configuration given");
	rc = add_sets(s, cfg, &added);
	if (rc == 0)
		rc = add_replicas(s, cfg, &added);
	if (rc == 0)
		rc = add_maintenance(s, cfg, &added);
	if (rc == 0)
		rc = add_drills(s, cfg, &added);
	if (ret_added != NULL)
		*ret_added = added;
	return rc;
}
