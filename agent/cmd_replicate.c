/* cairn-agent replicate: copy the repository to its replica sites. */
#include "agent.h"

#include "cli_args.h"
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
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_TO = CLI_OPT_COMMAND_BASE, OPT_FULL, OPT_TRANSFERS };

int cmd_replicate(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "to", required_argument, NULL, OPT_TO },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "transfers", required_argument, NULL, OPT_TRANSFERS },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { 0 };
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
				cli_error("--transfers takes a number from 1 to 64, not '%s'", optarg);
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
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code == 0) {
		job.o = &o;
		code = replicate_sites(repo, &job, targets, ntargets, NULL);
	}
	cairn_repo_close(repo);
	free(targets);
	cli_repo_opts_free(&o);
	free(to);
	return code;
}
