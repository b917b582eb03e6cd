/* Replication to a list of sites, with progress, a line per site or a JSON summary. */
#include "replicate_print.h"

#include "job_report.h"
#include "cairn/site.h"

#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/s3.h"
#include "cairn/store.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct site_ui {
	struct cli_progress progress;
	const struct cli_ctx *cli;
	const char *site;
};

static void on_progress(void *ctx, const struct cairn_replicate_stats *st, const char *current)
{
	struct site_ui *ui = ctx;
	char copied[32], pending[32];

	cli_format_bytes(st->bytes_copied, copied, sizeof(copied));
	cli_format_bytes(st->bytes_pending, pending, sizeof(pending));
	cli_progress_line(&ui->progress, "[%4.0fs] %s: %llu/%llu objects, %s of %s  %s",
			  (double)st->duration_ns / 1e9, ui->site, (unsigned long long)st->objects_copied,
			  (unsigned long long)st->objects_pending, copied, pending, current ? current : "");
}

static void on_warning(void *ctx, const char *msg)
{
	struct site_ui *ui = ctx;

	cli_progress_done(&ui->progress);
	cli_warn(ui->cli, "%s", msg);
}

static json_t *time_or_null(int64_t ns)
{
	char when[CAIRN_TIME_STR];

	if (ns <= 0)
		return json_null();
	cairn_time_format(ns, 0, when);
	return json_string(when);
}

/* The lag and RPO exposure of a site, from the catalog. */
json_t *site_status_json(const char *site, const struct cairn_site_status *ss, int64_t now_ns)
{
	json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:I, s:s?}", "site", site, "newest_snapshot",
			 ss->newest_id[0] ? json_string(ss->newest_id) : json_null(), "newest_snapshot_time",
			 time_or_null(ss->newest_time_ns), "rpo_exposure_seconds",
			 ss->newest_time_ns > 0 ? json_real((double)(now_ns - ss->newest_time_ns) / 1e9)
						: json_null(),
			 "snapshots_pending", (json_int_t)ss->snapshots_pending, "last_attempt",
			 time_or_null(ss->last_attempt_ns), "last_success", time_or_null(ss->last_success_ns),
			 "last_full_listing", time_or_null(ss->last_full_ns), "objects_on_site",
			 (json_int_t)ss->objects_on_site, "bytes_on_site", (json_int_t)ss->bytes_on_site, "last_error",
			 ss->last_error[0] ? ss->last_error : NULL);

	if (j != NULL) { /* the lag, from the catalog */
		json_object_set_new(j, "objects_pending", json_integer((json_int_t)ss->objects_pending));
		json_object_set_new(j, "bytes_pending", json_integer((json_int_t)ss->bytes_pending));
	}
	return j;
}

/* `error` is the failure's message, NULL for a run that succeeded. */
static json_t *run_json(const struct cairn_replicate_stats *st, struct cairn_store *dst, const char *error)
{
	struct cairn_store_stats ss = { 0 };

	if (dst != NULL)
		cairn_store_stats_get(dst, &ss);
	return json_pack("{s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:f, s:{s:I, s:I, s:I, s:I, s:I}}", "ok",
			 error == NULL, "error", error, "objects_pending",
			 (json_int_t)st->objects_pending, "bytes_pending", (json_int_t)st->bytes_pending,
			 "objects_copied", (json_int_t)st->objects_copied, "bytes_copied",
			 (json_int_t)st->bytes_copied, "objects_failed", (json_int_t)st->objects_failed,
			 "snapshots_copied", (json_int_t)st->snapshots_copied, "snapshots_held",
			 (json_int_t)st->snapshots_held, "listed", st->listed, "seconds",
			 (double)st->duration_ns / 1e9, "store", "requests", (json_int_t)ss.requests, "retries",
			 (json_int_t)ss.retries, "failures", (json_int_t)ss.failures, "bytes_up",
			 (json_int_t)ss.bytes_up, "bytes_down", (json_int_t)ss.bytes_down);
}

static void print_site(const char *site, const struct cairn_replicate_stats *st, const struct cairn_site_status *ss,
		       int rc, int64_t now_ns)
{
	char copied[32], age[64] = "";

	cli_format_bytes(st->bytes_copied, copied, sizeof(copied));
	if (ss->newest_time_ns > 0)
		cairn_duration_format(now_ns - ss->newest_time_ns, age, sizeof(age));
	if (rc == 0)
		printf("replica '%s': %llu object%s copied (%s) in %.1fs; newest snapshot there %.8s, %s old\n", site,
		       (unsigned long long)st->objects_copied, st->objects_copied == 1 ? "" : "s", copied,
		       (double)st->duration_ns / 1e9, ss->newest_id[0] ? ss->newest_id : "(none)",
		       age[0] ? age : "-");
	else
		printf("replica '%s': FAILED after %llu object%s copied; %llu snapshot%s not there yet; newest "
		       "snapshot there %.8s%s%s%s\n",
		       site, (unsigned long long)st->objects_copied, st->objects_copied == 1 ? "" : "s",
		       (unsigned long long)ss->snapshots_pending, ss->snapshots_pending == 1 ? "" : "s",
		       ss->newest_id[0] ? ss->newest_id : "(none)", age[0] ? ", " : "", age, age[0] ? " old" : "");
}

/* Add a site's traffic to the counters of `rep`, the run's job: the replicate:SITE
 * job's own, or those of the backup that replicates after its snapshot. */
static void count_site(struct job_report *rep, const struct cairn_replicate_stats *st, struct cairn_store *dst)
{
	struct cairn_store_stats ss = { 0 };

	if (dst != NULL)
		cairn_store_stats_get(dst, &ss);
	job_report_add(rep, JOB_BYTES_UPLOADED, (int64_t)st->bytes_copied);
	job_report_add(rep, JOB_ERRORS, (int64_t)st->objects_failed);
	job_report_add(rep, JOB_REQUESTS, (int64_t)ss.requests);
	job_report_add(rep, JOB_RETRIES, (int64_t)ss.retries);
}

/* One site: open it, replicate, report. Returns the library code. */
static int one_site(struct cairn_repo *repo, const struct replicate_job *job, const struct replicate_target *t,
		    json_t *sites)
{
	const char *site = t->name;
	struct cairn_replicate_opts ro = { 0 };
	struct cairn_replicate_stats st = { 0 };
	struct cairn_site_status ss = { 0 };
	struct cairn_store *dst = NULL;
	struct site_ui ui = { 0 };
	char msg[1024];
	int64_t now;
	int rc;

	ui.cli = job->o->ctx;
	ui.site = site;
	cli_progress_init(&ui.progress, job->o);
	/* a configured replica with its own settings; a one-off URL with the environment's */
	rc = cairn_site_store_open(t->site, t->url, NULL, 1, &dst);
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "cannot open replica '%s'", site);
	} else {
		ro.site = site;
		ro.threads = job->transfers;
		if (ro.threads == 0 && t->site != NULL && t->site->transfers > 0)
			ro.threads = t->site->transfers;
		ro.full = job->full;
		ro.on_progress = on_progress;
		ro.on_warning = on_warning;
		ro.ctx = &ui;
		rc = cairn_replicate(repo, dst, &ro, &st);
	}
	cli_progress_done(&ui.progress);
	/* keep the message: the catalog calls below may record their own */
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? cairn_err_msg() : "");
	if (rc < 0)
		cli_error(job->o->ctx, "replication to '%s' failed: %s", site, msg);
	count_site(job->o->ctx->report, &st, dst);
	now = cairn_time_now_ns();
	(void)cairn_replicate_site_status(repo, site, &ss);
	if (sites != NULL) {
		json_t *j = site_status_json(site, &ss, now);
		json_t *run = run_json(&st, dst, rc < 0 ? msg : NULL);

		if (j != NULL && run != NULL)
			json_object_set_new(j, "run", run);
		else
			json_decref(run);
		if (j != NULL)
			json_array_append_new(sites, j);
	} else if (!job->o->quiet) {
		print_site(site, &st, &ss, rc, now);
	}
	cairn_store_free(dst);
	return rc;
}

int replicate_sites(struct cairn_repo *repo, const struct replicate_job *job, const struct replicate_target *sites,
		    size_t nsites, json_t *json_sites)
{
	json_t *doc = NULL, *arr = json_sites;
	int code = CAIRN_EXIT_OK;

	if (job->o->json && arr == NULL) {
		arr = json_array();
		doc = arr ? json_pack("{s:o}", "sites", arr) : NULL;
	}
	for (size_t i = 0; i < nsites; i++) {
		int rc = one_site(repo, job, &sites[i], job->o->json ? arr : NULL);

		if (rc == CAIRN_ECORRUPT && code == CAIRN_EXIT_OK)
			code = CAIRN_EXIT_DAMAGED;
		else if (rc < 0 && rc != CAIRN_ECORRUPT)
			code = CAIRN_EXIT_REPLICATION;
	}
	job_report_sites(job->o->ctx->report, repo, job->o); /* for the metrics file: what each site now holds */
	if (doc != NULL) {
		char *text = json_dumps(doc, JSON_COMPACT);

		if (text != NULL)
			puts(text);
		free(text);
	}
	json_decref(doc);
	return code;
}
