/* cairn-agent status: each site's newest snapshot, its age (RPO exposure) and target, from the catalog alone,
 * and its last drill (from the drill history); each job's last run (from its record) and next run (from its
 * schedule). */
#include "agent.h"

#include "cli_args.h"
#include "job_report.h"
#include "replicate_print.h"

#include "cairn/drill.h"
#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/scheduler.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent status [--json] [--rpo DURATION] [OPTIONS]\n"
	"\n"
	"For the primary and each configured replica: the newest snapshot complete\n"
	"there, its age (the RPO exposure), the RPO target, and for replicas the\n"
	"snapshots still to copy and the last replication attempt, success and error;\n"
	"and the site's last recovery drill (result, time, RTO achieved, loss window)\n"
	"from STATE_DIR/drills/SITE.jsonl.\n"
	"Then each job (backup:SET, replicate:SITE, prune, check, drill:NAME, ...)\n"
	"that ran on this host or has a schedule: its last run (time, exit code,\n"
	"message, duration), its last success and, when scheduled, its next run.\n"
	"\n"
	"Exit code, so it can serve as a monitoring check: 7 when a site is past its\n"
	"RPO target; otherwise 1 when the last run of a job failed (an exit code\n"
	"other than 0 and 3) or a site's last drill failed; otherwise 0.\n"
	"\n"
	"It reads the local catalog and job records only and sends no request to the\n"
	"replicas (the primary's config and key objects are read to find the\n"
	"catalog): what it shows reflects the last runs on this host.\n"
	"\n"
	"  --rpo DURATION   the RPO target of every site (e.g. 15m, 1h, 1d); default\n"
	"                   the site's 'rpo' key, else [cairn] rpo, else none\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_RPO = CLI_OPT_COMMAND_BASE };

struct site_row {
	const char *name;
	const char *url;
	int is_replica;
	struct cairn_site_status ss;
	int64_t rpo_ns; /* target, -1 = none */
	int within;
	/* the last drill */
	int drill_scheduled;     /* a [drill NAME] names this site */
	int has_drill;
	int drill_unreadable;    /* the history could not be read (a warning was printed) */
	struct cairn_drill_last drill;
	json_t *drill_record;    /* the history line as read; owned */
};

static int64_t target_of(const struct cli_repo_opts *o, const struct cairn_site_config *site, int64_t flag_ns)
{
	if (flag_ns >= 0)
		return flag_ns;
	if (o->cfg == NULL)
		return -1;
	return site != NULL ? cairn_config_site_rpo(o->cfg, site) : o->cfg->rpo_ns;
}

/* Within the RPO target: the age of the newest point (0 = none) judged by the one loss-window rule. */
static void judge(struct site_row *row, int64_t now)
{
	struct cairn_drill_rpo r;

	cairn_drill_rpo_judge(now, row->ss.newest_time_ns > 0 ? row->ss.newest_time_ns : -1, row->rpo_ns, &r);
	row->within = r.met;
}

static int primary_row(struct cairn_repo *repo, const struct cli_repo_opts *o, int64_t flag_ns, int64_t now,
		       struct site_row *row)
{
	struct cairn_snapshot *snaps = NULL;
	size_t n = 0;
	int rc;

	memset(row, 0, sizeof(*row));
	row->name = "primary";
	row->url = o->repo;
	rc = cairn_snapshot_list(repo, &snaps, &n);
	if (rc < 0)
		return rc;
	if (n > 0) {
		snprintf(row->ss.newest_id, sizeof(row->ss.newest_id), "%s", snaps[n - 1].id);
		row->ss.newest_time_ns = snaps[n - 1].time_ns;
	}
	cairn_snapshots_free(snaps, n);
	row->rpo_ns = target_of(o, o->repo_site != NULL ? o->repo_site : (o->cfg ? &o->cfg->primary : NULL), flag_ns);
	judge(row, now);
	return 0;
}

static void print_drill(const struct site_row *row)
{
	char text[1024];

	if (row->has_drill) {
		cairn_drill_last_describe(&row->drill, text, sizeof(text));
		printf("        last drill: %s\n", text);
	} else if (row->drill_scheduled && !row->drill_unreadable) {
		printf("        last drill: never\n");
	}
}

static void print_row(const struct site_row *row, int64_t now)
{
	char age[64] = "-", rpo[64] = "none", when[CAIRN_TIME_STR];

	if (row->ss.newest_time_ns > 0)
		cairn_duration_format(now - row->ss.newest_time_ns, age, sizeof(age));
	if (row->rpo_ns >= 0)
		cairn_duration_format(row->rpo_ns, rpo, sizeof(rpo));
	printf("%-7s %-16s %-4s newest %.8s, %s old (rpo %s)", row->is_replica ? "replica" : "primary", row->name,
	       row->within ? "OK" : "LATE", row->ss.newest_id[0] ? row->ss.newest_id : "(none)", age, rpo);
	if (row->is_replica) {
		printf("; %llu snapshot%s pending", (unsigned long long)row->ss.snapshots_pending,
		       row->ss.snapshots_pending == 1 ? "" : "s");
		if (row->ss.objects_pending > 0) {
			char lag[32];

			cli_format_bytes(row->ss.bytes_pending, lag, sizeof(lag));
			printf(" (%llu object%s, %s to copy)", (unsigned long long)row->ss.objects_pending,
			       row->ss.objects_pending == 1 ? "" : "s", lag);
		}
		if (row->ss.last_success_ns > 0) {
			cairn_time_format(row->ss.last_success_ns, 0, when);
			printf("; last success %s", when);
		} else {
			printf("; never replicated");
		}
		if (row->ss.last_error[0] != '\0')
			printf("; last error: %s", row->ss.last_error);
	}
	putchar('\n');
	print_drill(row);
}

static json_t *row_json(const struct site_row *row, int64_t now)
{
	json_t *j = site_status_json(row->name, &row->ss, now);

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "role", json_string(row->is_replica ? "replica" : "primary"));
	json_object_set_new(j, "url", json_string(row->url));
	json_object_set_new(j, "rpo_target_seconds", row->rpo_ns >= 0 ? json_real((double)row->rpo_ns / 1e9) : json_null());
	json_object_set_new(j, "within_rpo", json_boolean(row->within));
	json_object_set_new(j, "last_drill", row->drill_record != NULL ? json_incref(row->drill_record) : json_null());
	return j;
}

/* ---- jobs ---- */

struct job_row {
	char name[JOB_NAME_MAX];
	const struct cairn_job *job;                  /* NULL: not scheduled (borrowed from the table) */
	const struct job_report *last;                /* NULL: never ran (borrowed from the records) */
	int64_t next_ns;                              /* 0: none */
};

struct job_table {
	struct cairn_job *jobs;     /* the scheduler's job table (cairn_scheduler_jobs_from_config); owned */
	size_t njobs;
	struct job_report *records; /* owned */
	size_t nrecords;
	struct job_row *rows;       /* owned */
	size_t nrows;
};

static void job_table_free(struct job_table *t)
{
	free(t->jobs);
	free(t->records);
	free(t->rows);
}

static const struct job_report *record_of(const struct job_table *t, const char *name)
{
	for (size_t i = 0; i < t->nrecords; i++)
		if (strcmp(t->records[i].job, name) == 0)
			return &t->records[i];
	return NULL;
}

static int has_row(const struct job_table *t, const char *name)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].name, name) == 0)
			return 1;
	return 0;
}

/* Add the row of job `name`, with its scheduled job (NULL: none) and its
 * next run from now, anchored at its last start as the scheduler does. Rows
 * are preallocated: there is room. */
static void add_row(struct job_table *t, const struct cairn_job *job, int64_t now, const char *name)
{
	struct job_row *row = &t->rows[t->nrows];

	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	if (has_row(t, row->name))
		return;
	row->last = record_of(t, row->name);
	if (job != NULL) {
		row->job = job;
		if (cairn_schedule_next(&job->schedule, row->last ? row->last->start_ns : 0, now, CAIRN_SCHEDULE_LOCAL,
					&row->next_ns) < 0)
			row->next_ns = 0; /* never again */
	}
	t->nrows++;
}

/* The scheduled jobs of the configuration, as `run` builds them (in the
 * scheduler's order), then the other jobs that have a record, by name. */
static int load_jobs(const struct cli_repo_opts *o, int64_t now, struct job_table *t)
{
	const struct cairn_config *cfg = o->cfg;
	size_t max;
	char *state = cli_state_dir(o);
	int rc;

	memset(t, 0, sizeof(*t));
	if (state == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	rc = job_report_list(o->ctx, state, &t->records, &t->nrecords);
	free(state);
	if (rc < 0)
		return rc;
	if (cfg != NULL && (rc = cairn_scheduler_jobs_from_config(cfg, &t->jobs, &t->njobs)) < 0)
		return rc;
	max = t->nrecords + t->njobs;
	t->rows = calloc(max ? max : 1, sizeof(*t->rows));
	if (t->rows == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->njobs; i++)
		add_row(t, &t->jobs[i], now, t->jobs[i].name);
	for (size_t i = 0; i < t->nrecords; i++)
		add_row(t, NULL, now, t->records[i].job);
	return 0;
}

static int job_failed(const struct job_row *row)
{
	return row->last != NULL && !job_exit_ok(row->last->exit_code);
}

static void print_job(const struct job_row *row)
{
	const struct job_report *r = row->last;
	char when[CAIRN_TIME_STR], took[64];

	printf("job     %-16s %-6s ", row->name, r == NULL ? "-" : job_failed(row) ? "FAILED" : "OK");
	if (r != NULL) {
		cairn_time_format(r->start_ns, 0, when);
		if (r->end_ns - r->start_ns < 60 * CAIRN_NS_PER_SEC)
			snprintf(took, sizeof(took), "%.1fs", (double)(r->end_ns - r->start_ns) / 1e9);
		else
			cairn_duration_format(r->end_ns - r->start_ns, took, sizeof(took));
		printf("last run %s (exit %d, %s)", when, r->exit_code, took);
		if (r->message[0] != '\0' && job_failed(row))
			printf(": %s", r->message);
		if (r->last_success_ns > 0)
			cairn_time_format(r->last_success_ns, 0, when);
		printf("; last success %s", r->last_success_ns > 0 ? when : "never");
	} else {
		printf("never run");
	}
	if (row->job != NULL && row->next_ns > 0) {
		cairn_time_format(row->next_ns, 0, when);
		printf("; next %s (%s)", when, row->job->schedule_text);
	} else if (row->job != NULL) {
		printf("; no next run (%s)", row->job->schedule_text);
	}
	putchar('\n');
}

static json_t *job_json(const struct job_row *row)
{
	const struct job_report *r = row->last;
	json_t *j = json_object(), *counters = json_object();

	if (j == NULL || counters == NULL) {
		json_decref(j);
		json_decref(counters);
		return NULL;
	}
	for (int i = 0; r != NULL && i < JOB_COUNTER_COUNT; i++)
		if (r->counters[i] >= 0)
			json_object_set_new(counters, job_counter_name((enum job_counter)i),
					    json_integer(r->counters[i]));
	json_object_set_new(j, "job", json_string(row->name));
	json_object_set_new(j, "schedule", row->job ? json_string(row->job->schedule_text) : json_null());
	json_object_set_new(j, "next_run", job_time_json(row->next_ns));
	json_object_set_new(j, "last_run", job_time_json(r ? r->start_ns : 0));
	json_object_set_new(j, "last_end", job_time_json(r ? r->end_ns : 0));
	json_object_set_new(j, "duration_seconds",
			    r ? json_real((double)(r->end_ns - r->start_ns) / 1e9) : json_null());
	json_object_set_new(j, "exit_code", r ? json_integer(r->exit_code) : json_null());
	json_object_set_new(j, "message", r && r->message[0] ? json_string(r->message) : json_null());
	json_object_set_new(j, "ok", r ? json_boolean(!job_failed(row)) : json_null());
	json_object_set_new(j, "last_success", job_time_json(r ? r->last_success_ns : 0));
	json_object_set_new(j, "runs_total", json_integer(r ? r->runs_total : 0));
	json_object_set_new(j, "failures_total", json_integer(r ? r->failures_total : 0));
	json_object_set_new(j, "counters", counters);
	return j;
}

/* ---- sites ---- */

static void site_rows_free(struct site_row *rows, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++)
		json_decref(rows[i].drill_record);
	free(rows);
}

/* The last drill of each site, from <state dir>/drills/<site>.jsonl. */
static void load_drills(const struct cli_repo_opts *o, struct site_row *rows, size_t n)
{
	char *state = cli_state_dir(o);

	for (size_t i = 0; i < n; i++) {
		struct site_row *row = &rows[i];
		int rc;

		for (size_t d = 0; o->cfg != NULL && d < o->cfg->ndrills; d++)
			row->drill_scheduled |= strcmp(o->cfg->drills[d].site, row->name) == 0;
		if (state == NULL) {
			row->drill_unreadable = 1;
			continue;
		}
		rc = cairn_drill_last_read(state, row->name, &row->drill, &row->drill_record);
		if (rc == 0) {
			row->has_drill = 1;
		} else if (rc != CAIRN_ENOTFOUND) {
			cli_warn(o->ctx, "the last drill of site '%s' is not known: %s", row->name, cairn_err_msg());
			row->drill_unreadable = 1;
		}
	}
	if (state == NULL)
		cli_warn(o->ctx, "the drills are not shown: out of memory");
	free(state);
}

/* The primary's and each configured replica's row. *ret is malloc'd. */
static int load_sites(struct cairn_repo *repo, const struct cli_repo_opts *o, int64_t flag_ns, int64_t now,
		      struct site_row **ret, size_t *ret_n)
{
	size_t nrep = o->cfg != NULL ? o->cfg->nreplicas : 0;
	struct site_row *rows = calloc(nrep + 1, sizeof(*rows));
	int rc;

	if (rows == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	rc = primary_row(repo, o, flag_ns, now, &rows[0]);
	for (size_t i = 0; rc == 0 && i < nrep; i++) {
		const struct cairn_site_config *site = &o->cfg->replicas[i];
		struct site_row *row = &rows[i + 1];

		row->name = site->name;
		row->url = site->url;
		row->is_replica = 1;
		rc = cairn_replicate_site_status(repo, site->name, &row->ss);
		if (rc < 0)
			cairn_err_ctx(rc, "replica '%s'", site->name);
		row->rpo_ns = target_of(o, site, flag_ns);
		judge(row, now);
	}
	if (rc < 0) {
		free(rows);
		return rc;
	}
	load_drills(o, rows, nrep + 1);
	*ret = rows;
	*ret_n = nrep + 1;
	return 0;
}

static void print_json(const struct cli_ctx *ctx, const struct site_row *sites, size_t nsites,
		       const struct job_table *jobs, int within, int jobs_ok, int drills_ok, int64_t now)
{
	json_t *arr = json_array(), *jarr = json_array(), *doc;
	char *text;

	for (size_t i = 0; arr != NULL && i < nsites; i++)
		json_array_append_new(arr, row_json(&sites[i], now));
	for (size_t i = 0; jarr != NULL && i < jobs->nrows; i++)
		json_array_append_new(jarr, job_json(&jobs->rows[i]));
	doc = arr && jarr ? json_pack("{s:o, s:b, s:o, s:b, s:b}", "sites", arr, "within_rpo", within, "jobs", jarr,
				       "jobs_ok", jobs_ok, "drills_ok", drills_ok)
			  : NULL;
	if (doc == NULL) {
		json_decref(arr);
		json_decref(jarr);
		cli_error(ctx, "out of memory");
		return;
	}
	text = json_dumps(doc, JSON_COMPACT);
	if (text != NULL)
		puts(text);
	free(text);
	json_decref(doc);
}

static int report(struct cairn_repo *repo, const struct cli_repo_opts *o, int64_t flag_ns)
{
	struct site_row *sites = NULL;
	struct job_table jobs = { 0 };
	size_t nsites = 0;
	int64_t now = cairn_time_now_ns();
	int rc, within = 1, jobs_ok = 1, drills_ok = 1;

	rc = load_sites(repo, o, flag_ns, now, &sites, &nsites);
	if (rc < 0)
		return cli_fail(o->ctx, rc, "cannot read the catalog");
	rc = load_jobs(o, now, &jobs);
	if (rc < 0) {
		cli_warn(o->ctx, "cannot read the job records: %s", cairn_err_msg());
		jobs_ok = 0;
	}
	for (size_t i = 0; i < nsites; i++)
		within = within && sites[i].within;
	for (size_t i = 0; i < jobs.nrows; i++)
		jobs_ok = jobs_ok && !job_failed(&jobs.rows[i]);
	for (size_t i = 0; i < nsites; i++)
		drills_ok = drills_ok && !sites[i].drill_unreadable && (!sites[i].has_drill || sites[i].drill.pass);
	if (o->json) {
		print_json(o->ctx, sites, nsites, &jobs, within, jobs_ok, drills_ok, now);
	} else {
		for (size_t i = 0; i < nsites; i++)
			print_row(&sites[i], now);
		for (size_t i = 0; i < jobs.nrows; i++)
			print_job(&jobs.rows[i]);
	}
	job_table_free(&jobs);
	site_rows_free(sites, nsites);
	/* a site past its RPO says more than a failed job or drill: data is at risk now, while a failed
	 * rehearsal says a recovery would go wrong */
	return !within ? CAIRN_EXIT_RPO : !jobs_ok || !drills_ok ? CAIRN_EXIT_ERROR : CAIRN_EXIT_OK;
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "rpo", required_argument, NULL, OPT_RPO },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_repo *repo = NULL;
	int64_t rpo_ns = -1;
	int opt, help = 0, code;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_RPO) {
			if (cairn_duration_parse(optarg, &rpo_ns) < 0 || rpo_ns <= 0) {
				cli_error(ctx, "--rpo takes a duration such as 15m or 1h, not '%s'", optarg);
				return CAIRN_EXIT_USAGE;
			}
		} else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help || optind < argc) {
		fputs(usage, help ? stdout : stderr);
		return help ? CAIRN_EXIT_OK : CAIRN_EXIT_USAGE;
	}
	o.no_sync = 1; /* the catalog as the last runs left it: no listing */
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code == 0)
		code = report(repo, &o, rpo_ns);
	cairn_repo_close(repo);
	cli_repo_opts_free(&o);
	return code;
}
