/* cairn-restore drill: restore a point from one site into a scratch
 * directory, starting from nothing but the site and the key, verify it,
 * measure the recovery and judge it against the RPO and RTO (drill.h). */
#include "restore_cmds.h"

#include "drill.h"
#include "job_report.h"

#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void drill_init(struct drill *d, struct cli_ctx *ctx)
{
	memset(d, 0, sizeof(*d));
	d->o.ctx = ctx;
	d->start_ns = cairn_time_now_ns();
	d->start_mono_ns = cairn_time_mono_ns();
	d->a.within_ns = DRILL_WITHIN_DEFAULT_NS;
	d->a.rpo_ns = -1;
	d->a.rto_ns = -1;
	d->a.sample = 100.0;
	d->sync_ns = d->restore_ns = d->recovery_ns = d->first_byte_ns = d->verify_ns = -1;
	d->requested_ns = d->start_ns;
	d->loss_window_ns = -1;
	d->newest_ns = -1;
}

void drill_free(struct drill *d)
{
	cairn_snapshot_clear(&d->snap);
	cairn_repo_close(d->repo);
	cairn_drill_findings_free(&d->f);
	for (size_t i = 0; i < d->nreasons; i++)
		free(d->reasons[i]);
	free(d->reasons);
	free(d->site);
	free(d->url);
	free(d->state_tmp);
	free(d->scratch);
	free(d->verify_error);
	free(d->fatal);
	cli_repo_opts_free(&d->o);
}

char *drill_state_dir(const struct drill *d)
{
	return cli_state_dir(&d->o);
}

/* Append the record to <state dir>/drills/<site file>.jsonl (a warning when it cannot be). */
static void history_append(const struct drill *d, json_t *record)
{
	char *state = drill_state_dir(d);
	int rc = state != NULL ? cairn_drill_history_append(state, d->site_file, record)
			       : cairn_err(CAIRN_ENOMEM, "out of memory");

	if (rc < 0)
		cli_warn(d->o.ctx, "the drill is not recorded in the history: %s", cairn_err_msg());
	free(state);
}

/* The counters of the job record (metrics, status). */
static void drill_job_counters(const struct drill *d)
{
	struct job_report *rep = d->o.ctx->report;
	uint64_t errors = d->f.ndamaged + d->f.nsync_damage + cairn_drill_failed_files(&d->f) + d->rst.errors;

	if (d->restored) {
		job_report_count(rep, JOB_FILES, (int64_t)d->rst.files);
		job_report_count(rep, JOB_BYTES_READ, (int64_t)d->rst.bytes);
	}
	job_report_count(rep, JOB_ERRORS, (int64_t)errors);
	if (d->sync_ns >= 0) {
		job_report_count(rep, JOB_REQUESTS, (int64_t)d->store.requests);
		job_report_count(rep, JOB_RETRIES, (int64_t)d->store.retries);
	}
}

/* Everything after the site is known: the steps, then the record. */
static int drill_run(struct drill *d)
{
	json_t *record;
	int code;

	code = drill_open(d);
	if (code == 0)
		code = drill_choose_point(d);
	if (code == 0)
		code = drill_restore(d);
	if (code == 0)
		drill_verify(d);
	drill_cleanup(d);
	drill_verdict(d, code);
	record = drill_history_record(d);
	if (record != NULL)
		history_append(d, record);
	else
		cli_warn(d->o.ctx, "the drill could not be recorded in the history: out of memory");
	json_decref(record);
	if (d->a.report != NULL)
		drill_report_write(d);
	if (d->o.json) {
		json_t *j = drill_json(d);
		char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		else
			cli_error(d->o.ctx, "cannot print the JSON record: out of memory");
		free(text);
		json_decref(j);
	} else if (!d->o.quiet) {
		drill_print(d);
	}
	drill_job_counters(d);
	return d->exit_code;
}

int cmd_drill(struct cli_ctx *ctx, int argc, char **argv)
{
	struct drill d;
	int code;

	drill_init(&d, ctx);
	code = drill_parse_args(&d, argc, argv);
	if (code >= 0) { /* help, or a usage error */
		drill_free(&d);
		return code;
	}
	code = cli_repo_opts_env(&d.o);
	if (code == 0)
		code = drill_site_resolve(&d);
	if (code == 0)
		code = drill_scratch_setup(&d);
	if (code == 0) {
		if (d.a.job != NULL)
			job_report_begin(ctx->report, &d.o, "%s", d.a.job);
		else
			job_report_begin(ctx->report, &d.o, "drill:%s", d.site_file);
		code = drill_run(&d);
	}
	drill_free(&d);
	return code;
}
