/* cairn-agent forget: apply each site's retention policy to its snapshots. */
#include "agent.h"

#include "cli_args.h"
#include "job_report.h"
#include "site_ops.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent forget [--site NAME|URL] [--dry-run] [--keep-* ...] [OPTIONS]\n"
	"\n"
	"Removes the snapshots a site's retention policy (its keep-* keys in the\n"
	"configuration file, or the --keep-* flags) does not keep, and says why each\n"
	"kept one stays. Without --site: the primary, then every replica, each with\n"
	"its own policy; a site without one keeps everything. On a replica, snapshots\n"
	"younger than its delete-grace are always kept. The data they used stays\n"
	"until 'cairn-agent prune' removes it. Rules (as restic's): keep-last N, the\n"
	"newest snapshot of each of the last N hours/days/weeks/months/years that\n"
	"have one (UTC), and every snapshot within DURATION of the newest; snapshots\n"
	"are grouped by host and paths, and the newest of each group always stays.\n"
	"\n"
	"  --site NAME|URL    only this site: primary, a replica's name, or a URL\n"
	"  --dry-run          show what would be forgotten and why; change nothing\n" SITE_KEEP_HELP
	"\n" CLI_COMMON_OPTIONS_HELP "\n" CAIRN_EXIT_CODES_HELP;

enum { OPT_SITE = CLI_OPT_COMMAND_BASE, OPT_DRY_RUN };

int cmd_forget(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		SITE_KEEP_LONG_OPTIONS,
		{ "site", required_argument, NULL, OPT_SITE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_retention_policy flags = { 0 };
	struct site_ref *sites = NULL;
	struct cairn_repo *primary = NULL;
	const char *site_arg = NULL;
	json_t *json_sites = NULL;
	size_t nsites = 0;
	uint64_t removed_total = 0;
	int opt, help = 0, dry_run = 0, code;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help), k;

		if (r == 1)
			continue;
		k = r == 0 ? site_ops_keep_option(ctx, opt, optarg, &flags) : -1;
		if (k == 1)
			continue;
		if (k == 0 && opt == OPT_SITE) {
			site_arg = optarg;
		} else if (k == 0 && opt == OPT_DRY_RUN) {
			dry_run = 1;
		} else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind < argc) {
		cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = site_ops_list(&o, site_arg, &sites, &nsites);
	if (code != 0)
		goto out;
	if (!dry_run)
		job_report_begin(ctx->report, &o, "forget");
	json_sites = o.json ? json_array() : NULL;
	for (size_t i = 0; i < nsites; i++) {
		struct cairn_retention_policy pol;
		struct cairn_repo *repo = NULL;
		uint64_t removed = 0;
		int c;

		site_ops_policy(&sites[i], &flags, &pol);
		if (cairn_retention_policy_is_empty(&pol)) {
			if (site_arg != NULL) {
				cli_error(ctx, "site %s has no retention policy (no keep-* key in its section) and "
					  "no --keep-* flag was given: nothing to decide", sites[i].name);
				code = CAIRN_EXIT_USAGE;
			} else if (!o.json && !o.quiet) {
				printf("site %s: no retention policy, every snapshot is kept\n", sites[i].name);
			}
			continue;
		}
		if (sites[i].is_replica && primary == NULL && !dry_run) {
			struct site_ref p = { "primary", o.repo, o.repo_site, 0 };

			/* its catalog records what a replica must not get back */
			if (site_ops_open(&o, &p, 0, &primary) != 0)
				cli_warn(ctx, "the primary cannot be opened: snapshots forgotten on replicas may be "
					 "copied to them again by the next replication");
		}
		c = site_ops_open(&o, &sites[i], 1, &repo);
		if (c == 0)
			c = site_ops_forget(&o, &sites[i], repo, primary, &pol, dry_run, json_sites, &removed);
		if (c == 0 && !sites[i].is_replica && !dry_run)
			job_report_sites(ctx->report, repo, &o);
		cairn_repo_close(repo);
		removed_total += removed;
		if (c != 0 && code == 0)
			code = c;
	}
	if (json_sites != NULL) {
		json_t *j = json_pack("{s:O}", "sites", json_sites);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(j);
	}
	job_report_count(ctx->report, JOB_SNAPSHOTS_REMOVED, (int64_t)removed_total);
out:
	json_decref(json_sites);
	cairn_repo_close(primary);
	free(sites);
	cli_repo_opts_free(&o);
	return code;
}
