/* The scheduled jobs of a configuration: backup sets, replicas, prune, check,
 * drills. The one job table: `cairn-agent run` schedules it, `status` shows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/scheduler.h"

/* Append a job of `kind` on `target` (NULL = none) run by `sched`, named
 * "PREFIX:TARGET" (or "PREFIX" without a target), to t[*n]. Returns it. */
static struct cairn_job *add_job(struct cairn_job *t, size_t *n, enum cairn_job_kind kind, const char *prefix,
				 const char *target, const struct cairn_config_schedule *sched)
{
	struct cairn_job *job = &t[(*n)++];

	memset(job, 0, sizeof(*job));
	job->kind = kind;
	snprintf(job->target, sizeof(job->target), "%s", target != NULL ? target : "");
	snprintf(job->schedule_text, sizeof(job->schedule_text), "%s", sched->text);
	job->schedule = sched->spec;
	if (job->target[0] != '\0')
		snprintf(job->name, sizeof(job->name), "%s:%s", prefix, job->target);
	else
		snprintf(job->name, sizeof(job->name), "%s", prefix);
	return job;
}

int cairn_scheduler_jobs_from_config(const struct cairn_config *cfg, struct cairn_job **ret, size_t *ret_n)
{
	struct cairn_job *t;
	size_t n = 0;

	if (cfg == NULL)
		return cairn_err(CAIRN_EINVAL, "no configuration given");
	t = cairn_calloc(cfg->nsets + cfg->nreplicas + 2 + cfg->ndrills, sizeof(*t));
	if (t == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory building the job table");
	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct cairn_backup_set *set = &cfg->sets[i];

		if (set->schedule.text != NULL)
			add_job(t, &n, CAIRN_JOB_BACKUP, "backup", set->name, &set->schedule)->jitter_ns =
				set->jitter_ns > 0 ? set->jitter_ns : 0;
	}
	for (size_t i = 0; i < cfg->nreplicas; i++) {
		const struct cairn_site_config *site = &cfg->replicas[i];

		if (site->schedule.text != NULL)
			add_job(t, &n, CAIRN_JOB_REPLICATE, "replicate", site->name, &site->schedule);
	}
	if (cfg->jobs.prune.text != NULL)
		add_job(t, &n, CAIRN_JOB_PRUNE, "prune", NULL, &cfg->jobs.prune);
	if (cfg->jobs.check.text != NULL)
		add_job(t, &n, CAIRN_JOB_CHECK, "check", NULL, &cfg->jobs.check)->check_read_data =
			cfg->jobs.check_read_data > 0 ? cfg->jobs.check_read_data : 0;
	/* a drill job carries the section's name: the runner reads the drill's
	 * site and settings from the configuration it was built from */
	for (size_t i = 0; i < cfg->ndrills; i++) {
		const struct cairn_drill_config *d = &cfg->drills[i];

		if (d->schedule.text != NULL)
			add_job(t, &n, CAIRN_JOB_DRILL, "drill", d->name, &d->schedule)->jitter_ns =
				d->jitter_ns > 0 ? d->jitter_ns : 0;
	}
	*ret = t;
	*ret_n = n;
	return 0;
}

int cairn_scheduler_add_config(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *ret_added)
{
	struct cairn_job *jobs = NULL;
	size_t n = 0, added = 0;
	int rc;

	if (s == NULL || cfg == NULL)
		return cairn_err(CAIRN_EINVAL, "no scheduler or configuration given");
	rc = cairn_scheduler_jobs_from_config(cfg, &jobs, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = cairn_scheduler_add(s, &jobs[i])) == 0)
			added++;
	free(jobs);
	if (ret_added != NULL)
		*ret_added = added;
	return rc;
}
