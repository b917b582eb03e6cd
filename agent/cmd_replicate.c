/* cairn-agent replicate: copy the repository to its replica sites. */
#include "agent.h"

#include "cli_args.h"
#include "job_report.h"
#include "replicate_print.h"

#include "cairn/err.h"
#include "cairn/replicate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent replicate [OPTIONS] [--to NAME|URL]...\n"
	"\n"
	"Copies to each replica what it lacks: packs and index objects first,\n"
	"snapshots last, each object checked against its name before it is sent.\n"
	"An interrupted run resumes; deletions are never copied.\n"
	"\n"
	"  --to NAME|URL   a configured replica, or a URL (file:///path, a path, or\n"
	"                  s3://BUCKET/PREFIX with the AWS variables) for one-off use;\n"
	"                  repeatable; default: every configured replica\n"
	"  --full          list each replica first and repair any drift\n"
	"  --transfers N   parallel transfers (default: the replica's 'transfers'\n"
	"                  setting, else 4)\n"
	"\n"
	"Each configured replica is a job of its own, 'replicate:NAME', recorded for\n"
	"'status' and the metrics file; a one-off --to URL is not recorded.\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_TO = CLI_OPT_COMMAND_BASE, OPT_FULL, OPT_TRANSFERS };

/* A configured replica is the job "replicate:NAME"; a one-off URL is no job. */
static void begin_site_job(const struct cli_repo_opts *o, const struct replicate_target *t)
{
	if (t->site != NULL)
		job_report_begin(o->ctx->report, o, "replicate:%s", t->name);
}

/* The repository could not be opened: every site's job failed with `code`
 * and the same message (the first site's job was begun before opening). */
static void fail_site_jobs(const struct cli_repo_opts *o, const struct replicate_target *t, size_t n, int code)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			begin_site_job(o, &t[i]);
		job_report_end(o->ctx->report, o->ctx, code, 1);
	}
}

/* The worse of two exit codes of replicate_sites: a failed site (10) beats
 * damaged primary objects (8), which beat success. */
static int worse(int a, int b)
{
	if (a == CAIRN_EXIT_REPLICATION || b == CAIRN_EXIT_REPLICATION)
		return CAIRN_EXIT_REPLICATION;
	return a != CAIRN_EXIT_OK ? a : b;
}

/* Replicate to each target in turn, each site's run recorded as its own
 * job; with --json, one {"sites": [...]} document for all. */
static int replicate_each(struct cairn_repo *repo, const struct replicate_job *job,
			  const struct replicate_target *t, size_t n)
{
	json_t *arr = job->o->json ? json_array() : NULL;
	int code = CAIRN_EXIT_OK;

	if (job->o->json && arr == NULL) {
		cli_error(job->o->ctx, "out of memory");
		fail_site_jobs(job->o, t, n, CAIRN_EXIT_ERROR);
		return CAIRN_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		int c;

		if (i > 0)
			begin_site_job(job->o, &t[i]);
		c = replicate_sites(repo, job, &t[i], 1, arr);
		job_report_end(job->o->ctx->report, job->o->ctx, c, 0);
		code = worse(code, c);
	}
	if (arr != NULL) {
		json_t *doc = json_pack("{s:O}", "sites", arr);
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(doc);
		json_decref(arr);
	}
	return code;
}

int cmd_replicate(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "to", required_argument, NULL, OPT_TO },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "transfers", required_argument, NULL, OPT_TRANSFERS },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct replicate_job job = { 0 };
	struct cairn_repo *repo = NULL;
	struct replicate_target *targets = NULL;
	const char **to;
	size_t nto = 0, ntargets = 0;
	int opt, help = 0, code;

	to = calloc((size_t)argc, sizeof(*to));
	if (to == NULL)
		return CAIRN_EXIT_ERROR;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);
		char *end;

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_TO) {
			to[nto++] = optarg;
		} else if (r == 0 && opt == OPT_FULL) {
			job.full = 1;
		} else if (r == 0 && opt == OPT_TRANSFERS) {
			long n = strtol(optarg, &end, 10);

			if (*end != '\0' || end == optarg || n < 1 || n > 64) {
				cli_error(ctx, "--transfers takes a number from 1 to 64, not '%s'", optarg);
				free(to);
				return CAIRN_EXIT_USAGE;
			}
			job.transfers = (int)n;
		} else {
			fputs(usage, stderr);
			free(to);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help || optind < argc) {
		fputs(usage, help ? stdout : stderr);
		free(to);
		return help ? CAIRN_EXIT_OK : CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = replicate_targets(&o, to, nto, &targets, &ntargets);
	if (code == 0) {
		begin_site_job(&o, &targets[0]);
		o.no_sync = 1; /* cairn_replicate synchronises under its lock, once */
		code = cli_open_repo(&o, &repo);
		if (code != 0)
			fail_site_jobs(&o, targets, ntargets, code);
	}
	if (code == 0) {
		job.o = &o;
		code = replicate_each(repo, &job, targets, ntargets);
	}
	cairn_repo_close(repo);
	free(targets);
	cli_repo_opts_free(&o);
	free(to);
	return code;
}
