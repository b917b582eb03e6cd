/* cairn-agent run --dry-run: each job, its schedule, its last run and when it runs next. */
#include "run.h"
#include "job_report.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void run_format_local(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / CAIRN_NS_PER_SEC);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

/* "now (...)", "2026-06-11 02:17:00 +0200 (in 15h3m)" or "never: ...", into buf. */
static void describe_next(const struct run_ctx *c, size_t i, int64_t now, char *buf, size_t len)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	char when[64], in[32];
	int64_t due;

	if (cairn_scheduler_due(c->sched, i, now, &due) != 0) {
		snprintf(buf, len, "never (%s)", cairn_err_msg());
	} else if (due <= now) {
		snprintf(buf, len, "now%s", j->state.interrupted ? " (its last run was interrupted)"
					    : j->catch_up	    ? " (a run was missed while the agent was not running)"
								    : "");
	} else {
		run_format_local(due, when, sizeof(when));
		cairn_duration_format(due - now, in, sizeof(in));
		snprintf(buf, len, "%s (in %s)", when, in);
	}
}

static void print_job_text(const struct run_ctx *c, size_t i, int64_t now)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	char cmd[1024], next[512], last[64], jitter[32], delay[32];

	run_job_command(c->o.cfg, j, cmd, sizeof(cmd));
	describe_next(c, i, now, next, sizeof(next));
	printf("%s\n    schedule: %s", j->name, j->schedule_text);
	if (j->jitter_ns > 0) {
		cairn_duration_format(j->jitter_ns, jitter, sizeof(jitter));
		cairn_duration_format(j->delay_ns, delay, sizeof(delay));
		printf(" (jitter %s: this host runs %s after each time)", jitter, delay);
	}
	printf("\n    command:  %s %s --config %s\n", run_job_program(j), cmd, c->config_path);
	if (j->state.last_start_ns > 0) {
		run_format_local(j->state.last_start_ns, last, sizeof(last));
		if (j->state.last_exit >= 0)
			printf("    last run: %s, exit %d\n", last, j->state.last_exit);
		else
			printf("    last run: %s, unfinished\n", last);
	} else {
		printf("    last run: never\n");
	}
	printf("    next run: %s\n", next);
}

static json_t *job_json(const struct run_ctx *c, size_t i, int64_t now)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	int64_t due = 0;
	int never = cairn_scheduler_due(c->sched, i, now, &due) != 0;
	char cmd[1024];

	run_job_command(c->o.cfg, j, cmd, sizeof(cmd));
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:o, s:o, s:o, s:b, s:b, s:b}", "job", j->name, "program",
			 run_job_program(j), "command", cmd,
			 "schedule", j->schedule_text, "jitter_seconds", (double)j->jitter_ns / 1e9, "delay_seconds",
			 (double)j->delay_ns / 1e9, "last_start", job_time_json(j->state.last_start_ns), "last_exit",
			 j->state.last_exit >= 0 ? json_integer(j->state.last_exit) : json_null(), "next_run",
			 never ? json_null() : job_time_json(due), "due_now", !never && due <= now, "catch_up", j->catch_up,
			 "interrupted", j->state.interrupted);
}

static int print_json(const struct run_ctx *c, int64_t now)
{
	json_t *jobs = json_array(), *doc;
	char *text;

	for (size_t i = 0; jobs != NULL && i < cairn_scheduler_count(c->sched); i++)
		json_array_append_new(jobs, job_json(c, i, now));
	doc = jobs != NULL ? json_pack("{s:s, s:s, s:o, s:o}", "config", c->config_path, "state_file", c->state_file,
				       "now", job_time_json(now), "jobs", jobs)
			   : NULL;
	text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	if (text == NULL) {
		cli_error(c->o.ctx, "cannot format the plan: out of memory");
		return CAIRN_EXIT_ERROR;
	}
	puts(text);
	free(text);
	return CAIRN_EXIT_OK;
}

int run_print_plan(const struct run_ctx *c, int64_t now_ns)
{
	size_t n = cairn_scheduler_count(c->sched);

	if (c->json)
		return print_json(c, now_ns);
	printf("%zu scheduled job%s from %s (state: %s)\n", n, n == 1 ? "" : "s", c->config_path, c->state_file);
	for (size_t i = 0; i < n; i++)
		print_job_text(c, i, now_ns);
	return CAIRN_EXIT_OK;
}
